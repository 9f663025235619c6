"""When is an MD run long enough for transport: checks run on the frames made so far.

A production run is long enough when (1) every species is diffusive and every self term
L_ii^self has a relative standard error within the analysis's 20 % limit (the quality flags of
:func:`ionflux.transport.analyze_trajectories`, default estimator unless one is named: the
demo melts' lengths were decided with ``scaled-window@2``), and (2) the two halves of
the run agree on every self-diffusion coefficient within ``STATIONARY_Z`` combined standard
errors. (2) catches a melt that is still relaxing after its quench: it diffuses faster at
first (with 10 ps of equilibration, the halves of an 800 ps BaTi2O5 run at 2000 K differed by
3.4 sigma on D_O).

Stopping when an error estimate first dips under 20 % favours runs whose error happens to be
underestimated; checking only every ~100 ps and requiring (2) limit that, and the written
trajectory is analysed again by the pipeline.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ionflux.errors import IonfluxError
from ionflux.io.trajectory import Trajectory
from ionflux.md.run import MDRun

#: Largest disagreement (combined standard errors) between the D of the two halves of a run.
STATIONARY_Z = 2.5


def self_term_quality(trajectory: Trajectory, estimator: str | None = None) -> dict[str, Any]:
    """D (cm^2/s), fit window (fs), relative errors of L_ii^self and whether every species is
    diffusive with every self term within the 20 % limit (``self_terms_pass``)."""
    from ionflux.transport import analyze_trajectories

    doc = analyze_trajectories([trajectory], estimator=estimator)
    flags = {k: {"passed": f.passed, "value": f.value, "reason": f.reason}
             for k, f in doc.quality.items()}
    errors = doc.L_self_stderr or [None] * len(doc.species)
    rel = {el: None if err is None or not val else abs(err / val)
           for el, err, val in zip(doc.species, errors, doc.L_self, strict=True)}
    passed = all(f["passed"] for k, f in flags.items()
                 if k.startswith(("diffusive_", "rel_stderr_L_self_")))
    return {"D_self_cm2_s": doc.D_self_cm2_s, "fit_window_fs": doc.fit_window_fs,
            "estimator": doc.provenance.method["estimator_spec"], "flags": flags,
            "L_self_relative_error": rel, "self_terms_pass": passed}


def stationarity(trajectory: Trajectory, z_max: float = STATIONARY_Z,
                 estimator: str | None = None) -> tuple[bool, str]:
    """Whether the two halves of a run agree on every D within ``z_max`` combined errors."""
    from ionflux.transport import analyze_trajectories

    half = trajectory.n_frames // 2
    docs = [analyze_trajectories([trajectory.subset_frames(start, start + half)],
                                 estimator=estimator)
            for start in (0, half)]
    worst, which = 0.0, ""
    for el in docs[0].species:
        d = [doc.D_self_cm2_s[el] for doc in docs]
        e = [(doc.D_self_cm2_s_stderr or {}).get(el) for doc in docs]
        if None in d or None in e:
            return False, f"no D or error for {el} in a half"
        z = abs(d[0] - d[1]) / float(np.hypot(*e))
        if z > worst:
            worst, which = z, el
    return worst <= z_max, f"halves differ by {worst:.1f} sigma at most ({which})"


def convergence_check(run: MDRun, min_production_fs: float = 0.0,
                      estimator: str | None = None) -> tuple[bool, str]:
    """The convergence rule on ``run``: (passed, why), naming what failed when it fails (a
    run too short to analyse fails with the estimator's reason)."""
    if not run.times_fs or run.times_fs[-1] < min_production_fs:
        return False, f"shorter than the minimum production ({min_production_fs:g} fs)"
    trajectory = run.to_trajectory()
    try:
        quality = self_term_quality(trajectory, estimator)
        if not quality["self_terms_pass"]:
            failed = [f"{key.removeprefix('diffusive_')} not diffusive"
                      for key, flag in quality["flags"].items()
                      if key.startswith("diffusive_") and not flag["passed"]]
            failed += [f"L_self {el} error "
                       + ("without a standard error" if rel is None else f"{100 * rel:.0f} %")
                       for el, rel in quality["L_self_relative_error"].items()
                       if not quality["flags"].get(f"rel_stderr_L_self_{el}",
                                                   {"passed": True})["passed"]]
            return False, ("self terms fail the 20 % limit or the diffusive check: "
                           + ", ".join(failed) + f" ({quality['estimator']} estimator)")
        steady, note = stationarity(trajectory, estimator=estimator)
    except IonfluxError as err:
        return False, f"too short to analyse: {err}"
    if not steady:
        return False, f"not stationary: {note} (limit {STATIONARY_Z:g})"
    worst = max(v for v in quality["L_self_relative_error"].values() if v is not None)
    return True, (f"every species diffusive, every self term within 20 % (worst "
                  f"{100 * worst:.0f} %, {quality['estimator']} estimator), {note}")


def converged_reason(run: MDRun, min_production_fs: float = 0.0,
                     estimator: str | None = None) -> str | None:
    """Why production can stop (both checks pass, errors from ``estimator``: a name or
    NAME@REVISION, default the current default), or None to keep running (also while the
    run is too short to analyse)."""
    passed, why = convergence_check(run, min_production_fs, estimator)
    return why if passed else None
