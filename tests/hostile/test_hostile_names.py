"""One odd entry never aborts an ingest: a file name that is not UTF-8, a Latin-1 sidecar, a
sidecar with text that is not valid Unicode, a path longer than PATH_MAX. Each is a recorded
ingest failure with a one-line reason; every other file is ingested."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOOD = "formula: BaTiO3\ntemperature_K: 1500\nframe_interval_fs: 50\nreplicate: {rep}\n"


@pytest.fixture(scope="module")
def trajectory_bytes(tmp_path_factory) -> bytes:
    from ionflux.io.writers import write_extxyz
    from ionflux.transport.synthetic import barium_titanate_like

    traj = barium_titanate_like(n_formula_units=2).generate(40, seed=1)
    return write_extxyz(tmp_path_factory.mktemp("traj") / "t.extxyz", traj).read_bytes()


def _put(folder: Path, name: str | bytes, data: bytes, sidecar: bytes) -> None:
    base = os.fsencode(folder) + b"/" + (name if isinstance(name, bytes) else name.encode())
    with open(base, "wb") as fh:
        fh.write(data)
    with open(base + b".yaml", "wb") as fh:
        fh.write(sidecar)


def _deep_folder(top: Path, min_length: int = 4200) -> tuple[int, str]:
    """Folders nested until the path is longer than PATH_MAX (made through directory
    descriptors, as no single path can name them); returns the deepest one's descriptor."""
    fd = os.open(top, os.O_RDONLY)
    path, i = str(top), 0
    while len(path) < min_length:
        name = f"{i:02d}" + "d" * 240
        os.mkdir(name, dir_fd=fd)
        new = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd, path, i = new, f"{path}/{name}", i + 1
    return fd, path


def _write_at(fd: int, name: str, data: bytes) -> None:
    out = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    with os.fdopen(out, "wb") as fh:
        fh.write(data)


def test_odd_entries_are_recorded_failures(tmp_path: Path, trajectory_bytes: bytes):
    from ionflux.pipeline import Pipeline

    runs = tmp_path / "runs"
    runs.mkdir()
    _put(runs, "good.extxyz", trajectory_bytes, GOOD.format(rep="r1").encode())
    _put(runs, b"caf\xe9.extxyz", trajectory_bytes, GOOD.format(rep="r2").encode())
    _put(runs, "latin.extxyz", trajectory_bytes,
         (GOOD.format(rep="r3") + "notes: café\n").encode("latin-1"))
    _put(runs, "surrogate.extxyz", trajectory_bytes,
         (GOOD.format(rep="r4") + 'notes: "\\udce9"\n').encode())
    fd, deep = _deep_folder(runs)
    try:
        _write_at(fd, "deep.extxyz", trajectory_bytes)
        _write_at(fd, "deep.extxyz.yaml", GOOD.format(rep="r5").encode())
    finally:
        os.close(fd)
    with Pipeline.open("local", data_dir=tmp_path / "store") as pipe:
        report = pipe.ingest(runs)
        assert report.new == [str(runs / "good.extxyz")]
        failed = dict(report.failed)
        expected = {
            str(runs / "caf\\xe9.extxyz"): "file name is not valid UTF-8",
            str(runs / "latin.extxyz"): "sidecar is not UTF-8 text (byte 0xe9 at position",
            str(runs / "surrogate.extxyz"): "notes: text that is not valid Unicode",
            deep[:deep.rindex("/")]: "path is longer than this system allows",
        }
        assert set(failed) == set(expected), sorted(failed)
        for key, message in expected.items():
            assert message in failed[key] and "\n" not in failed[key], failed[key]
        stored = {f["item_key"]: f["error"] for f in pipe.stores.failures.query({"stage":
                                                                                 "ingest"})}
        assert stored == failed
        assert [d["traj_id"] for d in pipe.stores.raw_trajectories.query()] == \
            ["BaTiO3@1500K#r1"]
        # a second ingest records the same failures and keeps the good registration
        again = pipe.ingest(runs)
        assert dict(again.failed) == failed and again.unchanged == [str(runs / "good.extxyz")]
        assert {f["item_key"] for f in pipe.stores.failures.query({"stage": "ingest"})} == \
            set(failed)


def test_ingest_cli_prints_odd_names(tmp_path: Path, trajectory_bytes: bytes, capsys):
    from ionflux.cli import main

    runs = tmp_path / "runs"
    runs.mkdir()
    _put(runs, "good.extxyz", trajectory_bytes, GOOD.format(rep="r1").encode())
    _put(runs, b"caf\xe9.extxyz", trajectory_bytes, GOOD.format(rep="r2").encode())
    (runs / "orphan.yaml").write_text("x: 1\n")
    os.rename(runs / "orphan.yaml", os.fsencode(runs) + b"/orph\xe9n.yaml")
    assert main(["ingest", str(runs), "--data-dir", str(tmp_path / "store")]) == 1
    out = capsys.readouterr().out
    assert "1 new, 0 changed, 0 unchanged, 1 failed" in out
    assert "caf\\xe9.extxyz: file name is not valid UTF-8" in out
    assert "orph\\xe9n.yaml: sidecar without a trajectory" in out
