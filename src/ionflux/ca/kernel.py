"""Compiled (numba) update loop of the automaton. Same rules as :mod:`ionflux.ca.reference`.

One update: pick a cell uniformly at random; with probability ``swap_p[phase]`` swap it with a
random one of its six neighbours and stop (the reference's cell mobility); otherwise offer
"no reaction" (weight ``inertia``), every
reaction of the cell's phase with the phase of each of its six face neighbours (weight = score),
and, when at least one neighbour has the same phase, the cell's decompositions; choose one with
probability proportional to weight; the chosen event proceeds with probability
min(1, event_volume / dV), dV being the reactant volume its full extent consumes.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

from ionflux.ca.table import CATable

_INV_2_53 = 1.0 / 9007199254740992.0


def rng_state(seed_sequence: np.random.SeedSequence) -> np.ndarray:
    """Four-word xoshiro256+ state drawn from a NumPy SeedSequence (never all zero)."""
    state = seed_sequence.generate_state(4, dtype=np.uint64)
    if not state.any():
        state[0] = 1
    return state


@njit(inline="always")
def _next(s):
    """xoshiro256+ (Blackman & Vigna): the state lives in a 4-element uint64 array."""
    s0, s1, s2, s3 = s[0], s[1], s[2], s[3]
    result = s0 + s3
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << uint64(45)) | (s3 >> uint64(19))
    s[0], s[1], s[2], s[3] = s0, s1, s2, s3
    return result


@njit(inline="always")
def _uniform(s):
    """Uniform double in [0, 1) from the top 53 bits."""
    return (_next(s) >> uint64(11)) * _INV_2_53


@njit(inline="always")
def _below(s, n):
    """Integer in [0, n); bias below n / 2^53, i.e. negligible."""
    return int(_uniform(s) * n)


@njit(cache=True)
def neighbour_table(grid: int) -> np.ndarray:
    """(grid^3, 6) indices of the six face neighbours on a periodic cubic grid."""
    n = grid * grid * grid
    out = np.empty((n, 6), np.int32)
    for x in range(grid):
        for y in range(grid):
            for z in range(grid):
                i = (x * grid + y) * grid + z
                out[i, 0] = (((x + 1) % grid) * grid + y) * grid + z
                out[i, 1] = (((x - 1) % grid) * grid + y) * grid + z
                out[i, 2] = (x * grid + (y + 1) % grid) * grid + z
                out[i, 3] = (x * grid + (y - 1) % grid) * grid + z
                out[i, 4] = (x * grid + y) * grid + (z + 1) % grid
                out[i, 5] = (x * grid + y) * grid + (z - 1) % grid
    return out


@njit(cache=True)
def phase_moles(phase: np.ndarray, amount: np.ndarray, n_phases: int) -> np.ndarray:
    """Formula units of each phase summed over cells."""
    out = np.zeros(n_phases)
    for i in range(phase.shape[0]):
        out[phase[i]] += amount[i]
    return out


@njit(cache=True)
def _pick(scores: np.ndarray, start: int, count: int, u: float) -> int:
    """Index of the reaction in [start, start+count) that u (uniform in [0, total)) falls on."""
    last = -1
    for j in range(start, start + count):
        s = scores[j]
        if s > 0.0:
            if u < s:
                return j
            u -= s
            last = j
    return last  # rounding at the upper edge


@njit(cache=True)
def run_updates(n_updates, phase, amount, nbr, molar_volume, inertia, event_volume,
                pair_weight, pair_start, pair_count, dec_weight, dec_start, dec_count,
                ra, ca, cb, p1, p2, c1, c2, scores, events, rng, swap_p, swaps,
                pair_sum, dec_sum):
    """Apply ``n_updates`` random-site updates in place; ``events[r]`` counts reactions done.

    ``rng`` is the xoshiro256+ state (advanced in place, so chunks continue one stream);
    ``swap_p[p]`` is the swap probability of a cell of phase p; ``swaps[0]`` counts swaps.
    ``pair_weight``/``dec_weight`` are the weights offered per neighbour (sum or largest score
    of the pair's reactions); ``pair_sum``/``dec_sum`` the sums, used to pick a reaction of the
    chosen pair with probability proportional to its score.
    """
    n_cells = phase.shape[0]
    w = np.empty(6)
    same = np.empty(6, np.int64)
    for _ in range(n_updates):
        c = _below(rng, n_cells)
        p = phase[c]
        sp = swap_p[p]
        if sp > 0.0 and _uniform(rng) < sp:
            nb = nbr[c, _below(rng, 6)]
            phase[c] = phase[nb]
            phase[nb] = p
            held = amount[c]
            amount[c] = amount[nb]
            amount[nb] = held
            swaps[0] += 1
            continue
        total = inertia
        m = 0
        for k in range(6):
            nb = nbr[c, k]
            q = phase[nb]
            if q == p:
                same[m] = nb
                m += 1
                w[k] = 0.0
            else:
                w[k] = pair_weight[p, q]
                total += w[k]
        wd = dec_weight[p] if m > 0 else 0.0
        total += wd
        if total <= inertia:
            continue
        u = _uniform(rng) * total
        if u < inertia:
            continue
        u -= inertia
        chosen = -1
        for k in range(6):
            if w[k] > 0.0:
                if u < w[k]:
                    chosen = k
                    break
                u -= w[k]
        if chosen < 0 and wd <= 0.0:  # rounding at the upper edge: last offered neighbour
            for k in range(6):
                if w[k] > 0.0:
                    chosen = k
            u = 0.0
        if chosen >= 0:
            n = nbr[c, chosen]
            q = phase[n]
            r = _pick(scores, pair_start[p, q], pair_count[p, q],
                      u * pair_sum[p, q] / pair_weight[p, q])
            if ra[r] == p:
                a = ca[r]
                b = cb[r]
            else:
                a = cb[r]
                b = ca[r]
            xi_c = amount[c] / a
            xi_n = amount[n] / b
            xi = min(xi_c, xi_n)
            dv = xi * (a * molar_volume[p] + b * molar_volume[q])
            if dv > event_volume and _uniform(rng) * dv >= event_volume:
                continue
            events[r] += 1
            product = p1[r]
            made = c1[r] * xi
            # the limiting cell is drained; a leftover <= 0 (a tie, or rounding) drains both
            left_c = amount[c] - a * xi if xi_n < xi_c else 0.0
            left_n = amount[n] - b * xi if xi_c < xi_n else 0.0
            if left_n > 0.0:
                amount[n] = left_n
                phase[c] = product
                amount[c] = made
            elif left_c > 0.0:
                amount[c] = left_c
                phase[n] = product
                amount[n] = made
            else:  # both drained: share the product by consumed volume
                vc = a * molar_volume[p]
                share = made * vc / (vc + b * molar_volume[q])
                phase[c] = product
                amount[c] = share
                phase[n] = product
                amount[n] = made - share
        else:
            r = _pick(scores, dec_start[p], dec_count[p], u * dec_sum[p] / wd)
            partner = same[_below(rng, m)]
            pooled = amount[c] + amount[partner]
            dv = pooled * molar_volume[p]
            if dv > event_volume and _uniform(rng) * dv >= event_volume:
                continue
            events[r] += 1
            xi = pooled / ca[r]
            first, second = c, partner
            if _uniform(rng) < 0.5:
                first, second = partner, c
            phase[first] = p1[r]
            amount[first] = c1[r] * xi
            phase[second] = p2[r]
            amount[second] = c2[r] * xi


def swap_probability(x: np.ndarray | float, slope: float = 20.0,
                     offset: float = 18.5) -> np.ndarray:
    """The reference's swap(x) = (k x - m) / (2 sqrt((k x - m)^2 + 1)) + 1/2 of x = T / T_m."""
    y = slope * np.asarray(x, float) - offset
    return y / (2.0 * np.sqrt(y * y + 1.0)) + 0.5


def run_table_updates(table: CATable, t_index: int, n_updates: int, phase: np.ndarray,
                      amount: np.ndarray, nbr: np.ndarray, inertia: float, event_volume: float,
                      events: np.ndarray, rng: np.ndarray, swap_p: np.ndarray | None = None,
                      swaps: np.ndarray | None = None, pair_weight: str = "sum") -> None:
    """Run the compiled loop with the scores of ``table`` at temperature index ``t_index``.

    ``swap_p`` (per phase) defaults to no swaps; ``swaps`` (one int64) accumulates swap counts;
    ``pair_weight`` is 'sum' (every reaction of a pair offered with its score) or 'max' (a
    pair offered once, with its largest score).
    """
    if swap_p is None:
        swap_p = np.zeros(table.n_phases)
    if swaps is None:
        swaps = np.zeros(1, np.int64)
    if pair_weight == "sum":
        pair_w, dec_w = table.pair_weight[t_index], table.dec_weight[t_index]
    else:
        pair_w, dec_w = table.pair_max[t_index], table.dec_max[t_index]
    run_updates(int(n_updates), phase, amount, nbr, table.molar_volume, float(inertia),
                float(event_volume), pair_w, table.pair_start, table.pair_count, dec_w,
                table.dec_start, table.dec_count, table.ra, table.ca, table.cb, table.p1,
                table.p2, table.c1, table.c2, table.scores[t_index], events, rng,
                np.asarray(swap_p, float), swaps, table.pair_weight[t_index],
                table.dec_weight[t_index])
