"""When a run is long enough: the convergence checks on trajectories with known dynamics."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

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
    assert "10 blocks per run, errors with 39 degrees of freedom" in reason
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


def test_the_rule_judges_the_document_it_is_about():
    """The rule analyses the runs as their document does: pooled as replicates, with the
    document's error blocks (its D is the document's D), so seeds count together."""
    from ionflux.transport import analyze_trajectories

    runs = [SYSTEM.generate(2000, seed=s) for s in (21, 22)]
    for n_blocks in (3, 10):
        quality = self_term_quality(runs, n_blocks=n_blocks)
        doc = analyze_trajectories(runs, n_blocks=n_blocks)
        assert quality["D_self_cm2_s"] == doc.D_self_cm2_s
    alone = [self_term_quality(run, n_blocks=3)["L_self_relative_error"] for run in runs]
    pooled = self_term_quality(runs, n_blocks=3)["L_self_relative_error"]
    # two seeds: about 1/sqrt(2) of one seed's error (blocks of both seeds in one jackknife)
    for el in pooled:
        assert pooled[el] < 0.9 * np.mean([a[el] for a in alone])


def test_plateau_catches_a_d_that_still_falls_with_the_lag():
    """A slow cage (vibration decorrelating over 5 ps) makes the MSD slope fall with the lag
    towards D0: D over a window at early lags and over half its lags disagree, while the same
    windows on the Markovian model agree."""
    from ionflux.md.convergence import PLATEAU_TOLERANCE, plateau
    from ionflux.transport import analyze_trajectories

    caged = dataclasses.replace(SYSTEM, vibration_A2={"Ba": 3.0, "Ti": 3.0, "O": 3.0},
                                vibration_time_fs=5000.0)
    window = (1000.0, 8000.0)
    for system, expected in ((SYSTEM, True), (caged, False)):
        runs = [system.generate(8000, seed=31)]
        doc = analyze_trajectories(runs, window_fs=window)
        passed, why = plateau(runs, doc)
        assert passed is expected, why
        shorter = analyze_trajectories(runs, window_fs=(500.0, 4000.0))
        falls = max(shorter.D_self_cm2_s[el] / doc.D_self_cm2_s[el] - 1 for el in doc.species)
        assert (falls > PLATEAU_TOLERANCE) is not expected, falls
    # a window already at the first lags has nothing shorter to compare with
    doc = analyze_trajectories(runs, window_fs=(50.0, 400.0))
    assert plateau(runs, doc) == (True, "window at the shortest lags, no plateau check")


def test_convergence_check_reports_a_missing_plateau(monkeypatch):
    import ionflux.md.convergence as convergence

    steady = _run(SYSTEM.generate(4000, seed=11))
    monkeypatch.setattr(convergence, "plateau",
                        lambda *_: (False, "D over 1-8 ps vs 2-16 ps differs by 30 % at most"))
    passed, why = convergence.convergence_check(steady)
    assert not passed and why == ("no plateau: D over 1-8 ps vs 2-16 ps differs by 30 % at "
                                  "most (limit 15 % or 2.5 sigma)")


def test_plateau_judges_every_species_on_its_own(monkeypatch):
    """A species within the tolerance but far outside its errors (Ba: 10 %, 100 sigma) must
    not excuse another beyond both (O: 30 %, 3 sigma), whichever has the larger z."""
    from types import SimpleNamespace

    import ionflux.transport.onsager as onsager
    from ionflux.md.convergence import plateau

    document = SimpleNamespace(fit_window_fs=[1000.0, 8000.0], frame_interval_fs=10.0,
                               species=["Ba", "O"])
    for shift, expected in (({"Ba": (0.10, 0.001), "O": (0.30, 0.1)}, False),
                            ({"Ba": (0.10, 0.001), "O": (0.10, 0.1)}, True),
                            ({"Ba": (0.10, 0.001), "O": (0.30, 0.2)}, True)):
        monkeypatch.setattr(onsager, "window_shift", lambda *a, _s=shift: _s)
        passed, why = plateau([], document)
        assert passed is expected, why
        assert ("beyond both limits: O" in why) is not expected
        # the largest shift (O) and the largest z (Ba) are named each with its own species
        assert "differs by 30 % at most (O)" in why or "differs by 10 % at most" in why, why
        assert "100.0 paired sigma at most (Ba)" in why, why


def test_the_plateau_shift_has_calibrated_paired_errors():
    """On a Markovian model (D the same at every lag) the shift of D between a window and half
    its lags is noise, and its paired jackknife error is the size of that noise (rms z near 1
    over 40 seeds), while the errors of two separate analyses combined as independent overstate
    it about twice (the rule's z escape until the seventh session)."""
    from ionflux.transport import analyze_trajectories
    from ionflux.transport.onsager import window_shift

    paired, independent = [], []
    for seed in range(100, 140):
        runs = [SYSTEM.generate(3000, seed=seed)]
        doc = analyze_trajectories(runs, window_fs=(500.0, 4000.0))
        half = analyze_trajectories(runs, window_fs=(250.0, 2000.0))
        for el, (shift, error) in window_shift(runs, doc, (250.0, 2000.0)).items():
            d, d_half = doc.D_self_cm2_s[el], half.D_self_cm2_s[el]
            assert shift == pytest.approx(d_half / d - 1.0, rel=0.05, abs=0.01)
            paired.append(shift / error)
            combined = np.hypot(doc.D_self_cm2_s_stderr[el], half.D_self_cm2_s_stderr[el])
            independent.append((d_half - d) / combined)
    assert 0.8 < np.sqrt(np.mean(np.square(paired))) < 1.25
    assert np.sqrt(np.mean(np.square(independent))) < 0.65


def test_window_shift_is_zero_on_the_documents_own_window_and_refuses_another_analysis():
    from ionflux.errors import InputError
    from ionflux.transport import analyze_trajectories
    from ionflux.transport.onsager import window_shift

    runs = [SYSTEM.generate(3000, seed=41)]
    doc = analyze_trajectories(runs, window_fs=(500.0, 4000.0), n_blocks=3)
    for shift, error in window_shift(runs, doc, (500.0, 4000.0)).values():
        assert shift == pytest.approx(0.0, abs=1e-9) and error == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(InputError, match="not the analysis of these trajectories"):
        window_shift([SYSTEM.generate(3000, seed=42)], doc, (250.0, 2000.0))
    without_ba = doc.model_copy(update={"D_self_cm2_s": {**doc.D_self_cm2_s, "Ba": None}})
    with pytest.raises(InputError, match="no D for Ba"):
        window_shift(runs, without_ba, (250.0, 2000.0))


def test_a_document_given_to_the_rule_is_judged_as_it_is_or_refused():
    """The export passes its own document: the verdict is the one the rule reaches by
    analysing the runs itself, and a document of another analysis is refused, not judged."""
    import ionflux.md.convergence as convergence
    from ionflux.errors import InputError
    from ionflux.transport import analyze_trajectories

    steady = _run(SYSTEM.generate(4000, seed=11))
    doc = analyze_trajectories([steady.to_trajectory()], n_blocks=3)
    assert convergence.convergence_check(steady, n_blocks=3, document=doc) == \
        convergence.convergence_check(steady, n_blocks=3)
    with pytest.raises(InputError, match="not the analysis of these runs"):
        convergence.convergence_check(steady, n_blocks=10, document=doc)
    with pytest.raises(InputError, match="not the analysis of these runs"):
        convergence.convergence_check([steady, steady], n_blocks=3, document=doc)


def _ols_d(window_fs: tuple[float, float], d_a2_fs: float, vibration_a2: float,
           tau_fs: float, step_fs: float) -> float:
    """Expected D (Å^2/fs) fitted over ``window_fs`` to the model's per-atom MSD, 6 D t plus a
    bounded vibration of ``vibration_a2`` per component: 6 sigma^2 (1 - exp(-t / tau))."""
    lags = np.arange(round(window_fs[0] / step_fs), round(window_fs[1] / step_fs) + 1) * step_fs
    msd = 6 * d_a2_fs * lags + 6 * vibration_a2 * (1 - np.exp(-lags / tau_fs))
    return float(np.polyfit(lags, msd, 1)[0]) / 6


def test_plateau_scan_follows_the_analytic_fall_of_d_under_a_cage_and_is_flat_without():
    """Windows moved to later lags: with a 1-ps cage D falls towards its long-time value as the
    OLS slope of the exact MSD says (every species within 3 paired errors, each fall beyond
    50 %); on the Markovian model every window agrees with the document's within 3 errors. The
    last window is capped at half an error block."""
    from ionflux.md.convergence import plateau_scan
    from ionflux.transport import analyze_trajectories

    caged = dataclasses.replace(SYSTEM, vibration_A2={"Ba": 2.0, "Ti": 2.0, "O": 2.0},
                                vibration_time_fs=1000.0)
    step = SYSTEM.frame_interval_fs
    for system, vibration in ((caged, 2.0), (SYSTEM, 0.0)):
        runs = [system.generate(6000, seed=seed) for seed in (1, 2, 3, 4)]
        doc = analyze_trajectories(runs, window_fs=(500.0, 4000.0), n_blocks=3)
        scan = plateau_scan(runs, doc)
        block = 6000 // doc.provenance.method["n_error_blocks"]
        assert [window for window, _ in scan] == [
            (250.0, 2000.0), (1000.0, 8000.0), (2000.0, 16000.0), (4000.0, block // 2 * step)]
        truth = system.truth().D_self_cm2_s
        for window, shifts in scan:
            for el, (shift, error) in shifts.items():
                d = 10 * truth[el]  # Å^2/fs
                expected = (_ols_d(window, d, vibration, 1000.0, step)
                            / _ols_d((500.0, 4000.0), d, vibration, 1000.0, step) - 1)
                assert abs(shift - expected) < 3 * error, (window, el, shift, expected, error)
                if vibration and window[0] > 500.0:
                    assert shift < -0.5
