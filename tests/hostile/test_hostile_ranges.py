"""Infinite, tiny and huge numbers on the command line and in files: one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hostile_data import one_line_error

from ionflux.errors import InputError


@pytest.fixture(scope="module")
def timeless(tmp_path_factory) -> Path:
    """A short BaTiO3-like extxyz trajectory without times or temperature."""
    import ase
    import ase.io

    from ionflux.transport.synthetic import barium_titanate_like

    trajectory = barium_titanate_like(n_formula_units=2).generate(200, seed=1)
    frames = [ase.Atoms(trajectory.species, positions=p, cell=trajectory.cells[0], pbc=True)
              for p in trajectory.positions]
    path = tmp_path_factory.mktemp("ranges") / "timeless.extxyz"
    ase.io.write(path, frames, format="extxyz")
    return path



@pytest.mark.parametrize(("flags", "message"), [
    (["--frame-interval-fs", "inf"], "--frame-interval-fs: frame interval must be a finite"),
    (["--frame-interval-fs", "nan"], "--frame-interval-fs: frame interval must be a finite"),
    (["--frame-interval-fs", "1e-300"], "frame interval 1e-300 fs is outside the physically "
                                        "sensible range 0.001-1e+06 fs"),
    (["--frame-interval-fs", "1e300"], "frame interval 1e+300 fs is outside"),
    (["--temperature", "1e-300"], "--temperature: temperature 1e-300 K is outside the "
                                  "physically sensible range 1-10000 K"),
    (["--temperature", "inf"], "--temperature: temperature must be a finite number"),
])
def test_transport_analyze_refuses_nonsense_times_and_temperatures(timeless: Path, capsys,
                                                                    flags, message):
    given = {"--temperature": "1500", "--frame-interval-fs": "50"}
    given[flags[0]] = flags[1]
    err = one_line_error(capsys, ["transport", "analyze", str(timeless),
                                   *[x for kv in given.items() for x in kv]])
    assert message in err


def test_file_times_outside_the_range_are_refused(timeless: Path):
    import dataclasses

    from ionflux.io import read_trajectory

    trajectory = dataclasses.replace(read_trajectory(timeless), frame_interval_fs=1e-300,
                                     times_fs=np.arange(200) * 1e-300)
    with pytest.raises(InputError, match=r"frame interval 1e-300 fs is outside"):
        trajectory.with_metadata(1500.0, None)


@pytest.mark.parametrize(("value", "message"), [
    ("inf", "--sweeps-per-unit: sweeps per profile duration unit must be a finite number "
            "from 0.001 to 1000, got inf"),
    ("1e-300", "must be a finite number from 0.001 to 1000, got 1e-300"),
    ("nan", "--sweeps-per-unit"),
    ("1e308", "got 1e+308"),
])
def test_predict_refuses_nonsense_sweeps_per_unit(capsys, value: str, message: str):
    err = one_line_error(capsys, ["predict", "--precursors", "BaO=1,TiO2=1", "--profile",
                                   "1200K:2", "--grid", "6", "--realisations", "1",
                                   "--no-cache", "--sweeps-per-unit", value])
    assert message in err


def test_predict_refuses_infinite_inertia(capsys):
    err = one_line_error(capsys, ["predict", "--precursors", "BaO=1,TiO2=1", "--profile",
                                   "1200K:2", "--no-cache", "--inertia", "inf"])
    assert "--inertia" in err
