"""Formats without frame times need ``frame_interval_fs`` in the sidecar: refused at ingest."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from ionflux.cli import main

XDATCAR = Path(__file__).resolve().parents[1] / "io" / "data" / "npt_XDATCAR"


def _run(folder: Path, sidecar: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "run1_XDATCAR"
    shutil.copy(XDATCAR, path)
    (folder / "run1_XDATCAR.yaml").write_text(yaml.safe_dump(sidecar))
    return path


def test_xdatcar_without_frame_interval_is_refused_with_the_fix(tmp_path: Path, capsys):
    runs = tmp_path / "runs"
    _run(runs, {"formula": "BaTiO3", "temperature_K": 1500, "replicate": "r1"})
    code = main(["ingest", str(runs), "--store", "local", "--data-dir", str(tmp_path / "d")])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "0 new" in out
    assert "is xdatcar, which stores no frame times; add frame_interval_fs" in out

    # the fix named in the message works
    _run(runs, {"formula": "BaTiO3", "temperature_K": 1500, "replicate": "r1",
                "frame_interval_fs": 2.0})
    code = main(["ingest", str(runs), "--store", "local", "--data-dir", str(tmp_path / "d")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 new" in out


def test_ingest_help_says_replicate_is_required(capsys):
    assert main(["ingest", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Required sidecar fields: formula, temperature_K and replicate" in text
    assert "frame_interval_fs" in text


def test_a_sidecar_without_replicate_says_what_a_replicate_is(tmp_path: Path, capsys):
    runs = tmp_path / "runs"
    _run(runs, {"formula": "BaTiO3", "temperature_K": 1500, "frame_interval_fs": 2.0})
    assert main(["ingest", str(runs), "--store", "local",
                 "--data-dir", str(tmp_path / "d")]) == 1
    out = capsys.readouterr().out
    assert "replicate: Field required (replicate id, unique per (formula, T))" in out
