"""A full disk: one-line errors and no partial files (written under a temporary name, then
renamed), for `transport synthetic`, `plot` and every extended XYZ file ionflux writes."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from hostile_data import one_line_error

from ionflux.cli import main
from ionflux.errors import OutputError


def _disk_full_after(limit: int):
    """A stand-in for ``os.fdopen`` whose files take ``limit`` bytes, then fail with ENOSPC."""
    import os

    real = os.fdopen

    class Full:
        def __init__(self, handle):
            self._handle, self._written = handle, 0

        def write(self, data):
            self._written += len(data)
            if self._written > limit:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self._handle.write(data)

        def __getattr__(self, name):
            return getattr(self._handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._handle.__exit__(*exc)

    return lambda *args, **kwargs: Full(real(*args, **kwargs))



@pytest.mark.parametrize("name", ["s.extxyz", "s.extxyz.gz"])
@pytest.mark.parametrize("replicates", ["1", "3"])
def test_synthetic_on_a_full_disk_leaves_nothing(tmp_path: Path, capsys, monkeypatch,
                                                 name: str, replicates: str):
    monkeypatch.setattr("ionflux.io.atomic.os.fdopen", _disk_full_after(30_000))
    err = one_line_error(capsys, ["transport", "synthetic", str(tmp_path / name), "--frames", "400",
                          "--replicates", replicates])
    assert "No space left on device; nothing was written" in err
    assert list(tmp_path.iterdir()) == []


def test_synthetic_keeps_the_previous_files_when_the_disk_is_full(tmp_path: Path, capsys,
                                                                  monkeypatch):
    out = tmp_path / "s.extxyz"
    assert main(["transport", "synthetic", str(out), "--frames", "20", "--replicates", "1"]) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    monkeypatch.setattr("ionflux.io.atomic.os.fdopen", _disk_full_after(1000))
    capsys.readouterr()
    one_line_error(capsys, ["transport", "synthetic", str(out), "--frames", "400",
                            "--replicates", "1", "--seed", "1"])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_plot_on_a_full_disk_leaves_nothing(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setattr("ionflux.io.atomic.os.fdopen", _disk_full_after(10_000))
    err = one_line_error(capsys, ["plot", "kd", "--out", str(tmp_path / "kd.png")])
    assert f"cannot write {tmp_path / 'kd.png'}: No space left on device" in err
    assert list(tmp_path.iterdir()) == []


def test_write_extxyz_is_all_or_nothing(tmp_path: Path, monkeypatch):
    from ionflux.io.writers import write_extxyz
    from ionflux.transport.synthetic import barium_titanate_like

    trajectory = barium_titanate_like(n_formula_units=2).generate(100, seed=0)
    monkeypatch.setattr("ionflux.io.atomic.os.fdopen", _disk_full_after(5000))
    with pytest.raises(OutputError, match="No space left on device"):
        write_extxyz(tmp_path / "t.extxyz", trajectory)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    path = write_extxyz(tmp_path / "t.extxyz", trajectory)
    assert [p.name for p in tmp_path.iterdir()] == ["t.extxyz"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    return mask
