"""``ionflux structure bonds``: numbers through the CLI and one-line errors on bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ionflux.cli import main


def write_rock_salt(path, n_frames: int = 2) -> None:
    a = 5.52
    ba = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]) * a
    o = ba + np.array([0.5 * a, 0, 0])
    lines = []
    for k in range(n_frames):
        lines += ["8", f'Lattice="{a} 0 0 0 {a} 0 0 0 {a}" Properties=species:S:1:pos:R:3 '
                       f"time={100.0 * k} temperature=1500"]
        lines += [f"Ba {x} {y} {z}" for x, y, z in ba] + [f"O {x} {y} {z}" for x, y, z in o]
    path.write_text("\n".join(lines) + "\n")


def test_bonds_json_and_table(tmp_path, capsys):
    path = tmp_path / "bao.extxyz"
    write_rock_salt(path)
    assert main(["structure", "bonds", str(path), "--frames", "2", "--workers", "1",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["pairs"]["Ba-O"]["mean"] == pytest.approx(6.0, abs=1e-9)
    assert doc["frames"] == [0, 1] and doc["temperature_K"] == 1500.0
    assert doc["provenance"]["sources"][0]["sha256"]
    assert main(["structure", "bonds", str(path), "--frames", "1", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("Ba-O"))
    assert row.split()[2] == "6.000"


@pytest.mark.parametrize(("args", "message"), [
    (["--frames", "0"], "number of frames must be positive"),
    (["--frames", "3"], "asked for 3 frames but the file has 2"),
])
def test_bad_frame_counts_are_one_line_errors(tmp_path, capsys, args, message):
    path = tmp_path / "bao.extxyz"
    write_rock_salt(path)
    assert main(["structure", "bonds", str(path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err and "\n" not in err


def test_not_a_trajectory_and_empty_cells_are_one_line_errors(tmp_path, capsys):
    cases = {"notes.txt": "just some words\n",
             "nocell.extxyz": "1\nProperties=species:S:1:pos:R:3\nBa 0 0 0\n" * 2,
             "flat.extxyz": '1\nLattice="0 0 0 0 0 0 0 0 0" Properties=species:S:1:pos:R:3\n'
                            "Ba 0 0 0\n" * 2}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        assert main(["structure", "bonds", str(path)]) == 2, name
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {path}") and "\n" not in err, err
