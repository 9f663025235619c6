"""When a run is long enough: the convergence checks on trajectories with known dynamics."""

from __future__ import annotations

import dataclasses

import numpy as np

from ionflux.io.trajectory import Trajectory
from ionflux.md.convergence import converged_reason, self_term_quality, stationarity
from ionflux.md.run import MDRun
from ionflux.transport.synthetic import barium_titanate_like

SYSTEM = barium_titanate_like(n_formula_units=8)


def _joined(first: Trajectory, second: Trajectory) -> Trajectory:
    """``second`` continued from where ``first`` ends (unwrapped positions)."""
    a, b = first.unwrap().positions, second.unwrap().positions
    positions = np.concatenate([a, b[1:] - b[0] + a[-1]])
    return Trajectory(positions=positions, species=first.species, cells=first.cells[0],
                      unwrapped=True, temperature_K=first.temperature_K,
                      times_fs=np.arange(len(positions)) * SYSTEM.frame_interval_fs)


def _ageing() -> Trajectory:
    """A run still relaxing: its first half diffuses twice as fast as its second."""
    faster = dataclasses.replace(SYSTEM, self_diffusion_A2_fs={
        el: 2.0 * d for el, d in SYSTEM.self_diffusion_A2_fs.items()})
    return _joined(faster.generate(2000, seed=12), SYSTEM.generate(2001, seed=13))


def _run(trajectory: Trajectory) -> MDRun:
    """``trajectory`` as an MD run (frames 50 fs apart, as generated)."""
    n = trajectory.n_frames
    return MDRun(symbols=list(trajectory.species), cell=trajectory.cells[0],
                 positions=list(trajectory.unwrap().positions),
                 times_fs=list(np.arange(n) * SYSTEM.frame_interval_fs), temperature_K=1500.0,
                 kinetic_temperatures_K=[1500.0] * n, potential_energies_eV=[0.0] * n)


def test_a_stationary_run_passes_and_an_ageing_one_does_not():
    steady = SYSTEM.generate(4000, seed=11)
    ok, note = stationarity(steady)
    assert ok, note
    ageing = _ageing()
    ok, note = stationarity(ageing)
    assert not ok and "halves differ by" in note


def test_converged_reason_waits_for_length_and_for_the_minimum():
    long_enough = SYSTEM.generate(4000, seed=14)
    assert self_term_quality(long_enough)["self_terms_pass"]
    run = _run(long_enough)
    reason = converged_reason(run)
    assert reason is not None and "within 20 %" in reason and "halves differ" in reason
    assert converged_reason(run, min_production_fs=1e6) is None
    # 30 frames: too short to analyse at all, so the run goes on instead of failing
    run.positions, run.times_fs = run.positions[:30], run.times_fs[:30]
    assert converged_reason(run) is None


def test_convergence_check_names_what_failed(monkeypatch):
    """The verdict exported on every melt document: the same pass as converged_reason, and on
    a fail the check that failed (ageing halves, a caged species, a loose self term)."""
    import ionflux.md.convergence as convergence

    steady = _run(SYSTEM.generate(4000, seed=11))
    passed, why = convergence.convergence_check(steady)
    assert passed and why == converged_reason(steady)
    ageing = _run(_ageing())
    passed, why = convergence.convergence_check(ageing)
    assert not passed and why.startswith("not stationary: halves differ by")
    caged = dataclasses.replace(SYSTEM, self_diffusion_A2_fs={
        **SYSTEM.self_diffusion_A2_fs, "Ba": 1e-6})
    passed, why = convergence.convergence_check(_run(caged.generate(4000, seed=14)))
    assert not passed and "Ba not diffusive" in why and "Ti not diffusive" not in why
    passed, why = convergence.convergence_check(_run(SYSTEM.generate(30, seed=15)))
    assert not passed and why.startswith("too short to analyse")
    loose = {"flags": {"diffusive_Ba": {"passed": True}, "rel_stderr_L_self_Ba":
                       {"passed": False}, "rel_stderr_L_self_O": {"passed": True}},
             "L_self_relative_error": {"Ba": 0.27, "O": 0.05}, "self_terms_pass": False,
             "estimator": "test@1"}
    monkeypatch.setattr(convergence, "self_term_quality", lambda *_: loose)
    assert convergence.convergence_check(steady) == (
        False, "self terms fail the 20 % limit or the diffusive check: L_self Ba error 27 % "
               "(test@1 estimator)")
