"""``ionflux md``: one-line errors (exit 2) on bad input; LAMMPS runs are ingestible."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ionflux.cli import main
from ionflux.storage.ingest import read_sidecar


def test_lammps_amorphous_writes_trajectory_and_valid_sidecar(tmp_path: Path):
    out = tmp_path / "bt.extxyz.gz"
    assert main(["md", "amorphous", "--composition", "BaTi2O5", "--atoms", "40",
                 "--temperature", "2500", "--melt-ps", "0.3", "--quench-ps", "0.3",
                 "--equilibrate-ps", "0.3", "--production-ps", "0.5",
                 "--frame-every-fs", "50", "--out", str(out)]) == 0
    sidecar = tmp_path / "bt.extxyz.gz.yaml"
    meta = read_sidecar(sidecar)  # what ingest reads, validated
    assert (meta.formula, meta.temperature_K, meta.md_engine) == ("BaTi2O5", 2500.0, "LAMMPS")
    assert "Pedone" in yaml.safe_load(sidecar.read_text())["potential"]


@pytest.mark.parametrize(("args", "message"), [
    (["--composition", "BaTiO3", "--volume-scale", "0.15"], "could not place atom"),
    (["--composition", "SrTiO3"], "no Pedone parameters for Sr"),
    (["--composition", "BaTiO3", "--engine", "ace", "--potential", "missing.yaml"],
     "potential file not found"),
    (["--composition", "BaTiO3", "--engine", "gromacs"], "unknown engine"),
])
def test_bad_input_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture, args,
                                     message):
    code = main(["md", "amorphous", "--atoms", "40", "--temperature", "2000", "--melt-ps", "0.1",
                 "--quench-ps", "0.1", "--equilibrate-ps", "0.1", "--production-ps", "0.1",
                 "--out", str(tmp_path / "x.extxyz"), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_broken_potential_file_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture):
    bad = tmp_path / "bad.yaml"
    bad.write_text("not: [a, potential\n")
    cell = tmp_path / "cell.xyz"
    cell.write_text("2\nLattice=\"6 0 0 0 6 0 0 0 6\" pbc=\"T T T\"\nBa 0 0 0\nO 2 2 2\n")
    code = main(["md", "run", "--structure", str(cell), "--potential", str(bad),
                 "--temperature", "1000", "--steps", "2", "--frame-every", "1",
                 "--out", str(tmp_path / "o.extxyz")])
    err = capsys.readouterr().err
    assert code == 2 and "not a pyace B-basis potential" in err
