"""The spread of a prediction over its realisations: how realisations share input draws,
which input dominates the spread, and each product's chance of being the majority.

Realisations are laid out in blocks of four crossing two thermodynamic with two K_D draws
(:func:`draw_layout`), so the spread splits into thermodynamics, K_D and automaton noise
(:func:`attribute_spread`); realisations that share a draw are not independent, which the
majority probability's interval (:func:`majority_interval`) and every standard error over
realisations (:func:`clustered_stderr`) account for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def draw_layout(realisations: int) -> list[tuple[int, int]]:
    """(thermodynamic draw, K_D draw) of each realisation.

    In multiples of four, blocks of four realisations cross two thermodynamic draws with two
    K_D draws, (a, a), (a, b), (b, a), (b, b), so the spread can be split into thermodynamics,
    K_D and automaton noise (:func:`attribute_spread`); otherwise every realisation has its own
    draws.
    """
    if realisations % 4 == 0:
        return [(2 * (r // 4) + (r % 4) // 2, 2 * (r // 4) + r % 2) for r in range(realisations)]
    return [(r, r) for r in range(realisations)]


def attribute_spread(result: Any, precursors: Sequence[str], realisations: int,
                     sampled: Mapping[str, bool] | None = None) -> dict[str, Any]:
    """Split the spread of the leading product's final share into thermodynamics, K_D and
    automaton noise from the crossed blocks of :func:`draw_layout` (variances, share^2).

    In a block y_ab (thermo draw a/b, K_D draw a/b) with y = mu + T + K + noise, the contrasts
    D_T = (y_aa + y_ab - y_ba - y_bb)/2, D_K = (y_aa - y_ab + y_ba - y_bb)/2 and
    D_I = (y_aa - y_ab - y_ba + y_bb)/2 have expectations 2 var_T + var_e, 2 var_K + var_e
    and var_e. An input that was not drawn (``sampled``) gets variance 0 and its contrast
    joins the noise estimate.
    """
    names, shares = final_product_shares(result, precursors)
    lead = int(np.argmax(shares.mean(axis=0)))
    y = shares[:, lead]
    out: dict[str, Any] = {"quantity": f"final share of {names[lead]} in the products",
                           "mean": float(y.mean()),
                           "std": float(y.std(ddof=1)) if len(y) > 1 else None}
    if realisations % 4 or realisations < 8:
        out["attribution"] = "needs realisations in multiples of 4, at least 8"
        return out
    blocks = y.reshape(-1, 4)
    d_t = (blocks[:, 0] + blocks[:, 1] - blocks[:, 2] - blocks[:, 3]) / 2
    d_k = (blocks[:, 0] - blocks[:, 1] + blocks[:, 2] - blocks[:, 3]) / 2
    d_i = (blocks[:, 0] - blocks[:, 1] - blocks[:, 2] + blocks[:, 3]) / 2
    drawn = {"thermodynamics": True, "K_D": True, **(sampled or {})}
    contrasts = {"thermodynamics": d_t, "K_D": d_k}
    noise_terms = [d_i ** 2] + [c ** 2 for k, c in contrasts.items() if not drawn[k]]
    noise = float(np.mean(np.concatenate(noise_terms)))
    parts = {k: (max(0.0, (float(np.mean(c ** 2)) - noise) / 2) if drawn[k] else 0.0)
             for k, c in contrasts.items()}
    parts["automaton"] = noise
    out["variance"] = parts
    out["dominant"] = max(parts, key=parts.__getitem__)
    return out


def final_product_shares(result: Any, precursors: Sequence[str]
                         ) -> tuple[list[str], np.ndarray]:
    """Products (every phase but the precursors) and each realisation's final share of the
    product formula units, shape (realisations, products); zero before anything formed."""
    products = [i for i, p in enumerate(result.phases) if p not in precursors]
    made = result.mol_fractions[:, -1, products]
    totals = made.sum(axis=1, keepdims=True)
    shares = np.divide(made, totals, out=np.zeros_like(made), where=totals > 0)
    return [result.phases[i] for i in products], shares


def majority_probability(result: Any, precursors: Sequence[str]) -> dict[str, float]:
    """Fraction of realisations in which each product is the largest product at the end."""
    names, shares = final_product_shares(result, precursors)
    counts = dict.fromkeys(names, 0.0)
    for row in shares:
        best = int(np.argmax(row))
        if row[best] > 0:
            counts[names[best]] += 1.0
    return {p: c / shares.shape[0] for p, c in counts.items()}


def independent_draws(realisations: int, sampled: Mapping[str, bool]) -> list[int]:
    """Group of each realisation such that different groups share no input draw.

    In the crossed blocks of :func:`draw_layout` two realisations share a thermodynamic draw
    and two a K_D draw: with both inputs sampled a block of four is one group, with one input
    sampled each of its draws is a group (the other input is fixed), with neither every
    realisation is its own (only the automaton's noise differs)."""
    layout = draw_layout(realisations)
    thermo, kd = sampled.get("thermodynamics", False), sampled.get("K_D", False)
    if realisations % 4 or not (thermo or kd):
        return list(range(realisations))
    if thermo and kd:
        return [r // 4 for r in range(realisations)]
    return [t_draw if thermo else k_draw for t_draw, k_draw in layout]


def clustered_stderr(values: np.ndarray | Sequence[float],
                     groups: Sequence[int] | None = None) -> np.ndarray | float | None:
    """Standard error of the mean over realisations (axis 0) when realisations in one group
    share input draws (:func:`independent_draws`): the cluster-robust estimate
    SE^2 = G/(G-1) sum_g (sum_{i in g} (x_i - mean))^2 / N^2 over G groups of N realisations,
    which for groups of equal size is std(group means, ddof=1) / sqrt(G). Realisations that
    share a thermodynamic draw mostly agree (it dominates the spread), so std/sqrt(N) over
    realisations would understate the error by up to sqrt(N/G). Without ``groups`` every
    realisation is its own group (std(ddof=1)/sqrt(N)). None with fewer than two groups.
    """
    arr = np.asarray(values, dtype=float)
    labels = np.arange(arr.shape[0]) if groups is None else np.asarray(groups)
    if labels.shape[0] != arr.shape[0]:
        raise ValueError(f"{labels.shape[0]} group labels for {arr.shape[0]} realisations")
    unique, index = np.unique(labels, return_inverse=True)
    if unique.size < 2:
        return None
    deviations = arr - arr.mean(axis=0)
    sums = np.zeros((unique.size, *arr.shape[1:]))
    np.add.at(sums, index, deviations)
    variance = unique.size / (unique.size - 1) * (sums ** 2).sum(axis=0) / arr.shape[0] ** 2
    se = np.sqrt(variance)
    return float(se) if se.ndim == 0 else se


def joint_groups(first: Sequence[int] | None, second: Sequence[int] | None,
                 size: int) -> list[int]:
    """Groups of the pairs (realisation i of one run, realisation i of another) that are
    independent of each other in both runs: the realisations that either grouping puts
    together, joined (connected components). Without a grouping every realisation of that run
    is its own group. Pairs in different joint groups share no draw in either run, so the
    paired difference's :func:`clustered_stderr` over these groups holds whether the two runs
    share draws (same seed) or not."""
    parent = list(range(size))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for grouping in (first, second):
        if grouping is None:
            continue
        if len(grouping) != size:
            raise ValueError(f"{len(grouping)} group labels for {size} realisations")
        seen: dict[int, int] = {}
        for i, label in enumerate(grouping):
            j = seen.setdefault(label, i)
            parent[root(i)] = root(j)
    return [root(i) for i in range(size)]


def wilson_interval(p: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p`` seen in ``n`` independent trials (95 % at
    z = 1.96, the normal 97.5 % quantile): unlike p ± z SE it is not empty at p = 0 or 1,
    where a few draws decide."""
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def majority_interval(probability: Mapping[str, float], draws: int
                      ) -> dict[str, tuple[float, float]]:
    """95 % interval of each majority probability, counting the ``draws`` independent groups
    of :func:`independent_draws` as the trials: realisations that share a draw mostly agree on
    the majority (thermodynamics dominates the spread), so counting them apart would
    overstate the precision; counting groups errs the other way, slightly wide."""
    return {phase: wilson_interval(p, draws) for phase, p in probability.items()}
