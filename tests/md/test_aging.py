"""Windowed energy and diffusion (ionflux.md.aging) on Brownian walkers whose D changes at a
known time and energies with a known drift."""

from __future__ import annotations

import numpy as np
import pytest

from ionflux.errors import InputError
from ionflux.md.aging import (
    OrderSpec,
    aging_profile,
    block_mean,
    energy_drift,
    energy_stationarity,
    window_slices,
)
from ionflux.md.run import MDRun

FRAME_FS = 10.0
N_PER_SPECIES = 32


def _slowing_walkers(d_early: float, d_late: float, n_frames: int, drift_meV: float,
                     seed: int) -> MDRun:
    """Ba and O walkers (same D) whose D drops from ``d_early`` to ``d_late`` (cm^2/s) at the
    middle frame; the potential energy per atom falls linearly by ``drift_meV`` over the run,
    with white noise of 2 meV/atom."""
    rng = np.random.default_rng(seed)
    symbols = ["Ba"] * N_PER_SPECIES + ["O"] * N_PER_SPECIES
    d = np.where(np.arange(n_frames) < n_frames // 2, d_early, d_late)
    sigma = np.sqrt(2 * d * 10 * FRAME_FS)  # 1 Å^2/fs = 0.1 cm^2/s
    steps = rng.normal(size=(n_frames, len(symbols), 3)) * sigma[:, None, None]
    steps[0] = rng.uniform(0, 20, size=(len(symbols), 3))
    energy = (-5000.0 - drift_meV * np.arange(n_frames) / (n_frames - 1)
              + rng.normal(scale=2.0, size=n_frames)) * len(symbols) / 1000.0
    return MDRun(symbols=symbols, cell=np.eye(3) * 20.0, positions=list(np.cumsum(steps, 0)),
                 times_fs=[500.0 + FRAME_FS * k for k in range(n_frames)],
                 temperature_K=1750.0, kinetic_temperatures_K=[1750.0] * n_frames,
                 potential_energies_eV=list(energy))


def test_windows_find_when_the_melt_slows_and_how_far_its_energy_falls():
    run = _slowing_walkers(2e-5, 5e-6, 4000, drift_meV=30.0, seed=7)  # 40 ps
    # the late windows' MSD stays below 1 Å^2 at the estimator's lags: fix the fitted lags
    windows = aging_profile(run, window_ps=10.0, formula="BaO", fit_window_fs=(300.0, 1500.0))
    assert [round(w.start_ps) for w in windows] == [0, 10, 20, 30]
    expected = [2e-5, 2e-5, 5e-6, 5e-6]
    for window, d_true in zip(windows, expected, strict=True):
        for el in ("Ba", "O"):
            d, err = window.d_self[el]
            assert d == pytest.approx(d_true, rel=0.3), (window.start_ps, el)
            assert err is not None and err > 0
    # the early and late windows differ by many standard errors; equal ones do not
    (d0, e0), (d1, e1), (d3, e3) = (windows[k].d_self["Ba"] for k in (0, 1, 3))
    assert (d0 - d3) / np.hypot(e0, e3) > 3.0
    unfixed = aging_profile(run, window_ps=10.0, formula="BaO")
    assert unfixed[0].d_self["O"][0] == pytest.approx(2e-5, rel=0.3)
    assert not unfixed[3].d_self and "diffusive" in unfixed[3].note
    assert abs(d0 - d1) / np.hypot(e0, e1) < 3.0
    drift, err = energy_drift(windows)
    # window means sit at 1/8 and 7/8 of the run: 0.75 of the total drift between them
    assert drift == pytest.approx(-0.75 * 30.0, abs=3 * err + 1.0)
    assert abs(drift) / err > 10


def test_a_stationary_run_shows_no_drift():
    run = _slowing_walkers(2e-5, 2e-5, 3000, drift_meV=0.0, seed=3)
    windows = aging_profile(run, window_ps=10.0, formula="BaO")
    drift, err = energy_drift(windows)
    assert abs(drift) < 4 * err
    ds = [w.d_self["O"][0] for w in windows]
    assert max(ds) / min(ds) < 1.6


def test_energy_stationarity_flags_a_relaxing_melt_and_not_a_steady_one():
    relaxing = _slowing_walkers(1e-5, 1e-5, 3000, drift_meV=20.0, seed=4)
    steady = [_slowing_walkers(1e-5, 1e-5, 3000, drift_meV=0.0, seed=k) for k in (5, 6)]
    flag = energy_stationarity([relaxing])
    assert not flag.passed and flag.value < -2.5 and "still relaxing" in flag.reason
    # halves' means sit at 1/4 and 3/4 of a linear 20 meV/atom fall: -10 meV/atom
    assert "-10." in flag.reason or "-9." in flag.reason
    both = energy_stationarity(steady)
    assert both.passed and abs(both.value) < 2.5 and "mean of 2 runs" in both.reason
    # one relaxing replicate with a steady one: half the drift, still resolved
    mixed = energy_stationarity([relaxing, steady[0]])
    assert not mixed.passed and -6.0 < float(mixed.reason.split(":")[1].split()[0]) < -4.0


def _crystallising_cell(seed: int) -> MDRun:
    """64 Ba atoms in a 12-Å cube, 400 frames: at random in the first half, then a simple
    cubic lattice (a = 3 Å) vibrating by 0.05 Å."""
    rng = np.random.default_rng(seed)
    grid = np.array([(i, j, k) for i in range(4) for j in range(4) for k in range(4)]) * 3.0
    n_frames = 400
    positions = [rng.uniform(0, 12, size=(64, 3)) if f < n_frames // 2
                 else grid + rng.normal(scale=0.05, size=(64, 3)) for f in range(n_frames)]
    run = MDRun(symbols=["Ba"] * 64, cell=np.eye(3) * 12.0, positions=positions,
                times_fs=[FRAME_FS * k for k in range(n_frames)], temperature_K=1000.0,
                kinetic_temperatures_K=[1000.0] * n_frames,
                potential_energies_eV=list(rng.normal(size=n_frames)))
    return run


def test_order_per_window_sees_a_cell_crystallise():
    """First half: atoms at random; second half: a simple cubic lattice (a = 3 Å) with small
    vibrations. Coordination within 3.5 Å goes to 6 and q6 to the lattice's 0.354."""
    run = _crystallising_cell(seed=9)
    spec = OrderSpec.parse("Ba-Ba:3.5,Ba:3.5")
    assert (spec.centre, spec.neighbour, spec.q_element, spec.frames) == ("Ba", "Ba", "Ba", 20)
    disordered, crystal = aging_profile(run, window_ps=2.0, order=spec)
    assert crystal.coordination == pytest.approx(6.0)
    assert crystal.q6 == pytest.approx(0.3536, abs=0.01)
    # an ideal gas: 63 / V x 4/3 pi r^3 neighbours on average
    assert disordered.coordination == pytest.approx(63 / 12 ** 3 * 4 / 3 * np.pi * 3.5 ** 3,
                                                    rel=0.1)
    assert not crystal.d_self and crystal.note  # no D here: the order is still reported
    # solid-like needs >= 7 connections: the 6 first neighbours of simple cubic are not enough,
    # the 18 within the second shell (4.24 Å) are; the gas has none
    assert crystal.solid_like == 0.0
    disordered, crystal = aging_profile(run, window_ps=2.0,
                                        order=OrderSpec.parse("Ba-Ba:3.5,Ba:4.5"))
    assert crystal.solid_like == 1.0 and disordered.solid_like < 0.05
    with pytest.raises(InputError, match="CENTRE-NEIGHBOUR"):
        OrderSpec.parse("Ti-O 2.5")
    with pytest.raises(InputError, match="no Ti atoms"):
        aging_profile(run, window_ps=2.0, order=OrderSpec("Ti", "Ba", 3.0, "Ba", 3.0))


def test_window_edges_and_bad_lengths():
    times = [500.0 + 10.0 * k for k in range(2501)]  # 25 ps
    parts = window_slices(times, 10.0)
    assert [(p.start, p.stop) for p in parts] == [(0, 1000), (1000, 2000), (2000, 2501)]
    assert len(window_slices(times[:2401], 10.0)) == 2  # a 4-ps remainder is dropped
    with pytest.raises(InputError, match="positive"):
        window_slices(times, 0.0)
    with pytest.raises(InputError, match="shorter than half"):
        window_slices(times[:300], 10.0)


def test_block_mean_error_sees_correlation():
    rng = np.random.default_rng(1)
    white = rng.normal(size=6000)
    # a random walk-like slow component: block means scatter far more than white noise's
    correlated = np.repeat(rng.normal(size=6), 1000)
    _, err_white = block_mean(white, 3)
    _, err_corr = block_mean(correlated + white, 3)
    assert err_white == pytest.approx(1 / np.sqrt(6000), rel=1.0)
    assert err_corr > 10 * err_white
    with pytest.raises(InputError, match="blocks"):
        block_mean(white[:2], 3)


def test_aging_command_errors_are_one_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "run_mlip_melts.py"
    for extra, message in (([], "no run under"),
                           (["--fit-lags-fs", "3000,1000"], "START,END"),
                           (["--export", "x.json", "--window-fs", "3000,1000"],
                            "need 0 < start < end"),
                           (["--export", "x.json", "--window-fs", "3000"], "START,END in fs"),
                           (["--export", "x.json", "--skip-ps", "-5"], "both must be >= 0"),
                           (["--export", "x.json", "--skip-ps", "60", "--max-ps", "59"],
                            "--skip-ps below --max-ps")):
        mode = [] if "--export" in extra else ["--aging", "10"]
        done = subprocess.run([sys.executable, str(script), "--out", str(tmp_path), *mode,
                               *extra], capture_output=True, text=True)
        assert done.returncode != 0
        assert done.stderr.strip().startswith("error:") and message in done.stderr
        assert "Traceback" not in done.stderr


def test_dropping_the_first_frames_keeps_only_the_slowed_melt():
    """``MDRun.from_time`` (run_mlip_melts.py --skip-ps, a longer equilibration): the frames
    from the given time on, every per-frame list cut alike; the walkers that slow at 20 ps then
    diffuse at the late D only, where the whole run mixes both."""
    run = _slowing_walkers(2e-5, 5e-6, 4000, drift_meV=0.0, seed=11)
    later = run.from_time(run.times_fs[0] + 20000.0)
    assert later.times_fs[0] == run.times_fs[0] + 20000.0 and later.n_frames == 2000
    assert len(later.potential_energies_eV) == len(later.kinetic_temperatures_K) == 2000
    assert run.from_time(run.times_fs[0]).n_frames == run.n_frames
    (late,) = aging_profile(later, window_ps=20.0, formula="BaO", fit_window_fs=(300.0, 1500.0))
    (whole,) = aging_profile(run, window_ps=40.0, formula="BaO", fit_window_fs=(300.0, 1500.0))
    assert late.d_self["Ba"][0] == pytest.approx(5e-6, rel=0.3)
    assert whole.d_self["Ba"][0] > 1.5 * late.d_self["Ba"][0]


def test_pair_peaks_per_window_see_a_lattice_form():
    """A gas that becomes a simple cubic lattice (spacing 3 Å) halfway: the Ba-Ba g(r) peak
    per window is low (~1) in the gas and high in the lattice, at one of its shells (3 Å x
    sqrt(1, 2, 3, 4): the first two carry equal g per 0.1-Å bin, 6/3^2 = 12/4.24^2); bad
    pairs are refused with the reason."""
    from ionflux.md.aging import parse_element_pair

    run = _crystallising_cell(seed=3)
    gas, lattice = aging_profile(run, window_ps=2.0, pairs=[parse_element_pair("Ba-Ba")])
    height, r = lattice.pair_peaks["Ba-Ba"]
    assert min(abs(r - 3.0 * np.sqrt(n)) for n in (1, 2, 3, 4)) < 0.1 and height > 5
    assert gas.pair_peaks["Ba-Ba"][0] < 2.5
    with pytest.raises(InputError, match="A-B"):
        parse_element_pair("Ti")
    with pytest.raises(InputError, match="no Ti atoms"):
        aging_profile(run, window_ps=2.0, pairs=[("Ti", "Ti")])
