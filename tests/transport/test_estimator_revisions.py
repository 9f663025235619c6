"""Estimator revisions: every earlier definition stays computable by NAME@REVISION, and the
current ones scale the jackknife error to the variance of a Student t."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from ionflux.errors import InputError
from ionflux.transport import analyze_trajectories
from ionflux.transport.estimators import ESTIMATOR_REVISIONS, parse_estimator
from ionflux.transport.statistics import jackknife_covariance, t_variance_factor
from ionflux.transport.synthetic import barium_titanate_like


def test_scaled_jackknife_errors_give_unit_variance_z_for_normal_blocks():
    """Analytic ground truth: the mean of 10 normal values with its jackknife error gives
    z ~ Student t with 9 degrees of freedom (rms sqrt(9/7) = 1.134); scaled, rms z is 1."""
    rng = np.random.default_rng(11)
    z = []
    for values in rng.normal(size=(40000, 10, 1)):
        estimate, covariance = jackknife_covariance(values, lambda v: v)
        z.append(estimate[0] / np.sqrt(covariance[0, 0]))
    z = np.array(z)
    assert np.sqrt(np.mean(z**2)) == pytest.approx(np.sqrt(9 / 7), rel=0.02)
    assert np.sqrt(np.mean(z**2 / t_variance_factor(9))) == pytest.approx(1.0, rel=0.02)
    assert t_variance_factor(2) is None and t_variance_factor(1) is None


@pytest.fixture(scope="module")
def trajectory():
    return barium_titanate_like(n_formula_units=2).generate(8000, seed=3)


def test_earlier_revisions_reproduce_their_documents(trajectory):
    """Same estimates; errors differ exactly by the Student-t factor for the blocks used; the
    first scaled-window revision fits on the 10 window blocks, without error blocks."""
    assert ESTIMATOR_REVISIONS == {"scaled-window": 3, "half-block": 2}
    old, old_v1 = (analyze_trajectories([trajectory], estimator=e)
                   for e in ("half-block", "half-block@1"))
    assert old.L == old_v1.L and old.estimator == old_v1.estimator == "half-block"
    assert np.allclose(np.array(old.L_stderr) / old_v1.L_stderr, np.sqrt(9 / 7), rtol=1e-12)
    assert np.allclose(np.array(old.L_covariance) / old_v1.L_covariance, 9 / 7, rtol=1e-12)
    method, method_v1 = old.provenance.method, old_v1.provenance.method
    assert (method["estimator_spec"], method_v1["estimator_spec"]) == ("half-block@2",
                                                                       "half-block@1")
    assert method["stderr_dof"] == 9 and method["stderr_scale"] == pytest.approx(np.sqrt(9 / 7))
    assert "sqrt(nu / (nu - 2))" in method["stderr"] and "sqrt" not in method_v1["stderr"]
    assert old_v1.summary_json()["estimator_spec"] == "half-block@1"

    new, new_v2, new_v1 = (analyze_trajectories([trajectory], estimator=e)
                           for e in ("scaled-window", "scaled-window@2", "scaled-window@1"))
    blocks = new.provenance.method["n_error_blocks"]
    assert blocks > 10 and new_v2.provenance.method["n_error_blocks"] == blocks
    assert new.L == new_v2.L
    assert np.allclose(np.array(new.L_stderr) / new_v2.L_stderr,
                       np.sqrt((blocks - 1) / (blocks - 3)), rtol=1e-12)
    # Revision 1: the same window, fitted and jackknifed on the 10 blocks that found it.
    assert new_v1.provenance.method["n_error_blocks"] == 10
    assert new_v1.fit_window_fs == new.fit_window_fs
    by_hand = analyze_trajectories([trajectory], window_fs=tuple(new.fit_window_fs),
                                   estimator="half-block@1")
    assert np.allclose(new_v1.L, by_hand.L, rtol=1e-12)
    assert np.allclose(new_v1.L_stderr, by_hand.L_stderr, rtol=1e-12)


def test_too_few_blocks_for_a_t_variance_are_reported_unscaled_with_a_warning(trajectory):
    doc = analyze_trajectories([trajectory], n_blocks=3, estimator="half-block")
    raw = analyze_trajectories([trajectory], n_blocks=3, estimator="half-block@1")
    assert doc.L_stderr == raw.L_stderr
    assert doc.provenance.method["stderr_scale"] is None
    assert any("2 degrees of freedom" in w for w in doc.warnings)
    four = analyze_trajectories([trajectory], n_blocks=4, estimator="half-block")
    assert four.provenance.method["stderr_scale"] == pytest.approx(np.sqrt(3.0))


@pytest.mark.parametrize(("spec", "message"), [
    ("gls", "unknown estimator 'gls'"),
    ("half-block@3", "half-block has revisions 1..2; got '3'"),
    ("scaled-window@0", "scaled-window has revisions 1..3; got '0'"),
    ("scaled-window@two", "got 'two'"),
])
def test_bad_estimator_specs_give_one_line_errors(trajectory, spec, message):
    with pytest.raises(InputError, match=re.escape(message)):
        parse_estimator(spec)
    with pytest.raises(InputError, match=re.escape(message)):
        analyze_trajectories([trajectory], estimator=spec)


def test_pipeline_settings_reject_unknown_estimators_and_pin_revisions():
    from ionflux.stages.settings import TransportSettings

    with pytest.raises(ValueError, match=re.escape("half-block has revisions 1..2")):
        TransportSettings(estimator="half-block@7")
    assert TransportSettings(estimator="half-block@1").estimator == "half-block@1"


def test_pinned_revisions_match_numbers_made_by_the_code_before_revisions_existed():
    """Golden numbers written by commit 7c9d4db (``data/estimators_before_revisions.json``):
    ``NAME@REVISION`` must keep reproducing them, window, estimates and errors."""
    golden = json.loads((Path(__file__).parent / "data" / "estimators_before_revisions.json")
                        .read_text())
    trajectory = barium_titanate_like(n_formula_units=2).generate(6000, seed=5)
    for spec in ("half-block@1", "scaled-window@2"):
        doc = analyze_trajectories([trajectory], estimator=spec)
        assert doc.fit_window_fs == golden[spec]["window"]
        assert np.allclose(doc.L, golden[spec]["L"], rtol=1e-9, atol=0)
        assert np.allclose(doc.L_stderr, golden[spec]["L_stderr"], rtol=1e-9, atol=0)
