"""Onsager analysis against the exact coefficients of synthetic trajectories."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ionflux.errors import AnalysisError, InputError
from ionflux.io.trajectory import Trajectory
from ionflux.transport import analyze_trajectories
from ionflux.transport.synthetic import SyntheticSystem, barium_titanate_like

# Written out here rather than imported, so a wrong constant in ionflux.units is caught.
KB_EV_PER_K = 8.617333262e-5


@pytest.fixture(scope="module")
def system() -> SyntheticSystem:
    return barium_titanate_like(n_formula_units=24)


@pytest.fixture(scope="module")
def long_run(system: SyntheticSystem):
    trajectory = system.generate(20000, seed=7)
    return trajectory, analyze_trajectories([trajectory]), system.truth()


def test_every_onsager_coefficient_within_three_standard_errors(long_run):
    _, doc, truth = long_run
    z = (np.array(doc.L) - np.array(truth.L)) / np.array(doc.L_stderr)
    assert np.all(np.abs(z) < 3.0), z
    z_distinct = ((np.array(doc.L_distinct) - np.array(truth.L_distinct))
                  / np.array(doc.L_distinct_stderr))
    assert np.all(np.abs(z_distinct) < 3.0), z_distinct


def test_self_terms_within_a_few_percent(long_run):
    _, doc, truth = long_run
    relative = np.array(doc.L_self) / np.array(truth.L_self) - 1.0
    assert np.all(np.abs(relative) < 0.05), relative
    assert np.all(np.abs(relative) < 3.0 * np.array(doc.L_self_stderr) / truth.L_self)
    for el in truth.species:
        assert doc.D_self_cm2_s[el] == pytest.approx(truth.D_self_cm2_s[el], rel=0.05)


def test_correlation_factors_recovered_including_sign(long_run):
    _, doc, truth = long_run
    for el in truth.species:
        error = doc.correlation_factor[el] - truth.correlation_factor[el]
        assert abs(error) < 3.0 * doc.correlation_factor_stderr[el], el
    # The model makes like Ba ions hinder each other, as the reference study found for Ba-rich
    # melts; the analysis must resolve the negative sign, not just a magnitude.
    assert truth.correlation_factor["Ba"] < -0.2
    assert doc.correlation_factor["Ba"] + 2 * doc.correlation_factor_stderr["Ba"] < 0


def test_units_self_term_equals_concentration_times_diffusivity_over_kT(long_run):
    """L_ii^self = c_i D_i / (kB T), with c in cm^-3 and D in cm^2/s (SCIENCE §2)."""
    trajectory, doc, _ = long_run
    volume_cm3 = doc.volume_A3 * 1e-24
    for k, el in enumerate(doc.species):
        concentration = trajectory.element_counts[el] / volume_cm3
        expected = concentration * doc.D_self_cm2_s[el] / (KB_EV_PER_K * doc.temperature_K)
        assert doc.L_self[k] == pytest.approx(expected, rel=1e-9)


def test_centre_of_mass_frame_checks_hold(long_run):
    _, doc, _ = long_run
    L = np.array(doc.L)
    assert np.allclose(L, L.T, rtol=0, atol=1e-12 * np.abs(L).max())
    assert doc.quality["mass_weighted_rows_vanish"].passed
    assert doc.quality["mass_weighted_rows_vanish"].value < 1e-9
    assert doc.quality["positive_semidefinite"].passed
    assert doc.quality["symmetric"].passed


def test_distinct_is_total_minus_self(long_run):
    _, doc, _ = long_run
    expected = np.array(doc.L) - np.diag(doc.L_self)
    assert np.allclose(doc.L_distinct, expected, rtol=1e-12, atol=0)


def test_quality_flags_apply_the_40_20_rule(long_run):
    _, doc, _ = long_run
    for key, flag in doc.quality.items():
        if not key.startswith("rel_stderr_"):
            continue
        names = key.removeprefix("rel_stderr_L_").split("_")
        cross = names[0] != "self" and names[0] != names[1]
        assert flag.threshold == (0.4 if cross else 0.2), key
        assert flag.passed == (flag.value <= flag.threshold), key
    failed = [k for k, f in doc.quality.items() if not f.passed]
    expected = [f"failed quality checks: {', '.join(failed)}"] if failed else []
    assert [w for w in doc.warnings if w.startswith("failed quality checks")] == expected


def test_failed_checks_are_listed_in_the_warnings():
    # a short run of a small cell: its cross terms cannot meet the 40 % rule (seeded, so the
    # outcome is fixed; the assertion on `failed` keeps the test from passing vacuously)
    doc = analyze_trajectories([barium_titanate_like(n_formula_units=2).generate(3000, seed=0)])
    failed = [k for k, f in doc.quality.items() if not f.passed]
    assert failed
    assert doc.warnings[-1] == f"failed quality checks: {', '.join(failed)}"
    assert all(doc.quality[k].value > doc.quality[k].threshold for k in failed
               if k.startswith("rel_stderr_"))


def test_replicates_combine_as_mean_with_smaller_errors(system):
    truth = system.truth()
    replicates = [system.generate(6000, seed=seed) for seed in (11, 12, 13, 14)]
    combined = analyze_trajectories(replicates)
    singles = [analyze_trajectories([r]) for r in replicates]
    assert combined.n_replicates == 4
    # Equal-length replicates: the estimate is the mean of the replicate estimates.
    assert np.allclose(combined.L, np.mean([s.L for s in singles], axis=0), rtol=1e-10)
    ratio = np.mean([np.array(s.L_self_stderr) for s in singles], axis=0) / np.array(
        combined.L_self_stderr)
    assert np.all((ratio > 1.3) & (ratio < 3.0)), ratio  # about sqrt(4) = 2
    z = (np.array(combined.L_self) - truth.L_self) / np.array(combined.L_self_stderr)
    assert np.all(np.abs(z) < 3.0)
    assert combined.quality["replicates_consistent"].passed


def test_inconsistent_replicates_are_flagged(system):
    fast = dataclasses.replace(system, self_diffusion_A2_fs={
        el: 3.0 * d for el, d in system.self_diffusion_A2_fs.items()})
    doc = analyze_trajectories([system.generate(6000, seed=1), fast.generate(6000, seed=2)])
    assert not doc.quality["replicates_consistent"].passed


@pytest.mark.slow
def test_reported_errors_are_calibrated_across_seeds():
    """Across many seeds, z = (estimate - truth) / stderr must look like a t distribution with
    n_blocks - 1 = 9 degrees of freedom (std 1.13): not far too small, not far too large."""
    system = barium_titanate_like(n_formula_units=8)
    truth = system.truth()
    upper = np.triu_indices(3)
    z_total, z_self = [], []
    for seed in range(40):
        doc = analyze_trajectories([system.generate(4000, seed=100 + seed)])
        z_total.append(((np.array(doc.L) - truth.L) / np.array(doc.L_stderr))[upper])
        z_self.append((np.array(doc.L_self) - truth.L_self) / np.array(doc.L_self_stderr))
    for z in (np.concatenate(z_total), np.concatenate(z_self)):
        rms = np.sqrt(np.mean(z**2))
        # t with 9 degrees of freedom: rms 1.13; errors 30 % too small would give ~1.5
        assert 0.85 < rms < 1.4, rms
        assert np.mean(np.abs(z) > 3.0) < 0.08


def test_auto_window_skips_the_caged_regime():
    """A bounded vibration bends the MSD at short lags; a fit from the first lags is biased,
    the detected window is not."""
    base = barium_titanate_like(n_formula_units=16)
    caged = dataclasses.replace(base, vibration_A2={"Ba": 2.0, "Ti": 2.0, "O": 2.0},
                                vibration_time_fs=1000.0)
    truth = caged.truth()
    trajectory = caged.generate(16000, seed=3)
    doc = analyze_trajectories([trajectory])
    assert doc.fit_window_fs[0] >= 2000.0  # beyond two correlation times of the cage
    early = analyze_trajectories([trajectory], window_fs=(50.0, doc.fit_window_fs[1]))
    for el in truth.species:
        true_d = truth.D_self_cm2_s[el]
        assert abs(doc.D_self_cm2_s[el] - true_d) < 3 * doc.D_self_cm2_s_stderr[el], el
    # What the window protects against: for the slow cations the cage dominates the early lags.
    for el in ("Ba", "Ti"):
        bias = early.D_self_cm2_s[el] - truth.D_self_cm2_s[el]
        assert bias > 4 * early.D_self_cm2_s_stderr[el], el
    assert early.fit_window_source == "user"
    assert not all(early.quality[f"diffusive_{el}"].passed for el in truth.species)


def test_vibration_only_is_too_short_for_a_diffusive_regime():
    still = SyntheticSystem(counts={"Ba": 8, "O": 8}, self_diffusion_A2_fs={},
                            vibration_A2={"Ba": 0.05, "O": 0.08}, vibration_time_fs=200.0)
    with pytest.raises(AnalysisError, match="too short to reach a diffusive regime"):
        analyze_trajectories([still.generate(3000, seed=0)])


def test_immobile_species_is_flagged_not_fatal():
    system = SyntheticSystem(counts={"Li": 16, "P": 4, "S": 16},
                             self_diffusion_A2_fs={"Li": 1e-4, "P": 1e-9, "S": 1e-9})
    doc = analyze_trajectories([system.generate(4000, seed=0)])
    assert doc.quality["diffusive_Li"].passed
    assert not doc.quality["diffusive_P"].passed
    assert any("P:" in w and "not diffusive" in w for w in doc.warnings)


def test_bad_requests_give_one_line_errors(system):
    trajectory = system.generate(600, seed=0)
    with pytest.raises(InputError, match="one species"):
        single = Trajectory(trajectory.positions[:, :5], ("O",) * 5, trajectory.cells,
                            unwrapped=False, frame_interval_fs=50.0, temperature_K=1500.0)
        analyze_trajectories([single])
    with pytest.raises(InputError, match="temperature unknown"):
        analyze_trajectories([dataclasses.replace(trajectory, temperature_K=None)])
    hotter = dataclasses.replace(trajectory, temperature_K=1600.0)
    with pytest.raises(InputError, match="temperature_K 1600 K differs"):
        analyze_trajectories([trajectory, hotter])
    with pytest.raises(InputError, match="exceeds the longest usable lag"):
        analyze_trajectories([trajectory], window_fs=(0.0, 1e6))
    with pytest.raises(InputError, match="contradicts the cell composition"):
        analyze_trajectories([trajectory], formula="BaTi2O5")
    with pytest.raises(AnalysisError, match="use fewer blocks"):
        analyze_trajectories([trajectory.subset_frames(0, 150)])
    for error in (InputError, AnalysisError):
        assert "\n" not in str(error("x"))
