"""Self-diffusion of a distilled potential's MD against its teacher's direct MD of the same melt.

Both runs are cut to their common time span (the same frames after equilibration, so the two
estimates see the same lags and blocks), analysed with the standard estimator, and compared per
species: ratio distilled / direct and z, the difference in combined standard errors. The
structure is compared the same way through mean coordination numbers of chosen pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ionflux.errors import InputError
from ionflux.md.run import MDRun


def common_span(a: MDRun, b: MDRun) -> tuple[MDRun, MDRun]:
    """``a`` and ``b`` cut to the frames (times in fs) up to the shorter run's last frame;
    they must start at the same time with the same frame spacing."""
    if not a.times_fs or not b.times_fs:
        raise InputError("common span: a run without frames")
    spacing = [run.times_fs[1] - run.times_fs[0] if len(run.times_fs) > 1 else None
               for run in (a, b)]
    if abs(a.times_fs[0] - b.times_fs[0]) > 1e-6 or (
            None not in spacing and abs(spacing[0] - spacing[1]) > 1e-6):
        raise InputError(f"common span: runs start ({a.times_fs[0]:g}, {b.times_fs[0]:g} fs) "
                         "or store frames at different times")
    end = min(a.times_fs[-1], b.times_fs[-1])
    return a.up_to(end), b.up_to(end)


def diffusion_agreement(distilled: Any, direct: Any,
                        species: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Per species: D (cm^2/s) with its standard error from each transport document, the
    ratio distilled / direct and z = (distilled - direct) / sqrt(se_1^2 + se_2^2)."""
    out: dict[str, dict[str, Any]] = {}
    for el in species or distilled.species:
        d1, d2 = distilled.D_self_cm2_s.get(el), direct.D_self_cm2_s.get(el)
        if d1 is None or d2 is None:
            continue
        s1 = (distilled.D_self_cm2_s_stderr or {}).get(el)
        s2 = (direct.D_self_cm2_s_stderr or {}).get(el)
        z = None
        if s1 is not None and s2 is not None and s1 ** 2 + s2 ** 2 > 0:
            z = (d1 - d2) / math.sqrt(s1 ** 2 + s2 ** 2)
        out[el] = {"distilled": [d1, s1], "direct": [d2, s2],
                   "ratio": d1 / d2 if d2 else None, "z": z}
    return out


def paired_documents(first: Sequence[Any], second: Sequence[Any]
                     ) -> tuple[list[tuple[Any, Any]], list[str]]:
    """Transport documents of two sets paired by (formula, temperature), in ``first``'s
    order, and the melts found in one set only ("BaTiO3 1750 K: only in the second")."""
    ours, theirs = _by_melt(first), _by_melt(second)
    pairs = [(doc, theirs[key]) for key, doc in ours.items() if key in theirs]
    alone = [f"{f} {t:g} K: only in the {which}"
             for which, mine, other in (("first", ours, theirs), ("second", theirs, ours))
             for f, t in mine if (f, t) not in other]
    return pairs, alone


def _by_melt(docs: Sequence[Any]) -> dict[tuple[str, float], Any]:
    out: dict[tuple[str, float], Any] = {}
    for doc in docs:
        key = (doc.formula, float(doc.temperature_K))
        if key in out:
            raise InputError(f"{doc.formula} {doc.temperature_K:g} K: two documents in one set")
        out[key] = doc
    return out


def agreement_summary(per_melt: dict[str, dict[str, dict[str, Any]]],
                      z_within: float = 1.5) -> dict[str, Any]:
    """Range and median of the ratios over every melt and species, and how many lie within
    ``z_within`` combined standard errors."""
    ratios = [v["ratio"] for melt in per_melt.values() for v in melt.values()
              if v["ratio"] is not None]
    zs = [abs(v["z"]) for melt in per_melt.values() for v in melt.values() if v["z"] is not None]
    if not ratios:
        raise InputError("no species to compare")
    return {"ratio_min": min(ratios), "ratio_max": max(ratios),
            "ratio_median": float(np.median(ratios)), "n_compared": len(ratios),
            "n_within": sum(z <= z_within for z in zs), "z_within": z_within,
            "z_max": max(zs) if zs else None}


def mean_coordination(runs: Sequence[MDRun], centre: str, neighbour: str, cutoff: float,
                      frames: int = 40, n_blocks: int = 4) -> tuple[float, float]:
    """Mean number of ``neighbour`` atoms within ``cutoff`` (Å) of a ``centre`` atom over
    ``frames`` evenly spaced frames of each run, and its standard error: the spread of
    ``n_blocks`` consecutive-frame block means per run (frames close in time are correlated),
    pooled over the runs (replicates)."""
    from ionflux.md.aging import block_mean
    from ionflux.structure.bonds import sample_frames
    from ionflux.structure.order import coordination_numbers

    means, variances = [], []
    for run in runs:
        symbols = np.asarray(run.symbols)
        a, b = np.flatnonzero(symbols == centre), np.flatnonzero(symbols == neighbour)
        if not len(a) or not len(b):
            raise InputError(f"no {centre if not len(a) else neighbour} atoms in the run")
        picks = sample_frames(run.n_frames, min(frames, run.n_frames), "coordination")
        values = np.array([coordination_numbers(np.asarray(run.positions[k]), run.cell, a, b,
                                                cutoff).mean() for k in picks])
        mean, err = block_mean(values, n_blocks)
        means.append(mean)
        variances.append(err ** 2)
    return float(np.mean(means)), math.sqrt(sum(variances)) / len(runs)


def coordination_agreement(distilled: Sequence[MDRun], direct: Sequence[MDRun],
                           pairs: Sequence[tuple[str, str, float]], frames: int = 40
                           ) -> dict[str, dict[str, Any]]:
    """Per pair (centre, neighbour, cutoff in Å): mean coordination with its standard error in
    the distilled and the direct runs, their difference and z."""
    out: dict[str, dict[str, Any]] = {}
    for centre, neighbour, cutoff in pairs:
        ours = mean_coordination(distilled, centre, neighbour, cutoff, frames)
        theirs = mean_coordination(direct, centre, neighbour, cutoff, frames)
        combined = math.hypot(ours[1], theirs[1])
        out[f"{centre}-{neighbour}<{cutoff:g}"] = {
            "distilled": list(ours), "direct": list(theirs), "difference": ours[0] - theirs[0],
            "z": (ours[0] - theirs[0]) / combined if combined > 0 else None}
    return out
