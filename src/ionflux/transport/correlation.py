"""Displacement correlation functions averaged over all time origins, by FFT.

For signals x(t), y(t) sampled at n frames, the origin-averaged displacement correlation at lag m is

    C(m) = 1/(n - m) * sum_{t=0}^{n-m-1} [x(t+m) - x(t)] . [y(t+m) - y(t)]
         = 1/(n - m) * [S(m) - A(m)],

with S(m) = sum_{t>=m} x.y + sum_{t<n-m} x.y (two cumulative sums) and A(m) = sum_t x(t+m).y(t) +
x(t).y(t+m) (one zero-padded FFT cross-correlation). That makes every lag O(n log n) in total
instead of O(n^2) for a direct sum over origins.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import scipy.fft

#: Atoms transformed together; bounds the complex spectrum held in memory to ~64 MB per 10^5 frames.
ATOM_CHUNK = 32


def _fft_length(n_frames: int) -> int:
    return scipy.fft.next_fast_len(2 * n_frames, real=True)


def _origin_counts(n_frames: int, n_lags: int) -> np.ndarray:
    return (n_frames - np.arange(n_lags)).astype(np.float64)


def self_msd_by_group(positions: np.ndarray, group_of_atom: np.ndarray, n_groups: int,
                      n_lags: int, reference: np.ndarray | None = None,
                      workers: int | None = None) -> np.ndarray:
    """Summed per-atom mean-squared displacements of each atom group.

    Args:
        positions: (n_frames, n_atoms, 3) continuous positions (Å).
        group_of_atom: (n_atoms,) integer group (species) index of every atom.
        n_groups: number of groups.
        n_lags: number of lags (0 .. n_lags-1 frames) to return, at most n_frames.
        reference: optional (n_frames, 3) point subtracted from every atom at each frame (e.g. the
            centre of mass), applied chunk by chunk so no shifted copy of all positions is made.
        workers: threads for scipy.fft (None: scipy's default of one).

    Returns:
        (n_lags, n_groups) array: sum over the atoms a of each group of <|r_a(t+m) - r_a(t)|^2>
        averaged over all origins t (Å^2).
    """
    n_frames, n_atoms, _ = positions.shape
    nfft = _fft_length(n_frames)
    spectrum = np.zeros((nfft // 2 + 1, n_groups))
    squares = np.zeros((n_frames, n_groups))
    for start in range(0, n_atoms, ATOM_CHUNK):
        chunk = slice(start, min(start + ATOM_CHUNK, n_atoms))
        block = positions[:, chunk, :]
        if reference is not None:
            block = block - reference[:, None, :]
        # A constant shift leaves displacements unchanged; centring keeps |r|^2 small so the
        # difference S - A below does not lose digits for atoms far from the origin.
        block = block - block.mean(axis=0)
        groups = group_of_atom[chunk]
        transform = scipy.fft.rfft(block, n=nfft, axis=0, workers=workers)
        power = transform.real**2 + transform.imag**2
        sq = np.einsum("tac,tac->ta", block, block)
        for g in np.unique(groups):
            members = groups == g
            spectrum[:, g] += power[:, members, :].sum(axis=(1, 2))
            squares[:, g] += sq[:, members].sum(axis=1)
    autocorr = scipy.fft.irfft(spectrum, n=nfft, axis=0, workers=workers)[:n_lags]
    return _combine(squares, 2.0 * autocorr, n_frames, n_lags)


def collective_correlation(signals: np.ndarray, n_lags: int,
                           workers: int | None = None) -> np.ndarray:
    """Origin-averaged cross-correlation of the displacements of several vector signals.

    Args:
        signals: (n_frames, n_signals, 3), e.g. the summed positions of each species (Å).
        n_lags: number of lags to return, at most n_frames.

    Returns:
        (n_lags, n_signals, n_signals) symmetric array: <dX_i(m) . dX_j(m)> (Å^2).
    """
    n_frames = signals.shape[0]
    nfft = _fft_length(n_frames)
    centred = signals - signals.mean(axis=0)
    transform = scipy.fft.rfft(centred, n=nfft, axis=0, workers=workers)
    # sum_t x(t+m) y(t) + x(t) y(t+m) is the inverse transform of 2 Re(conj(X) Y).
    cross_spectrum = 2.0 * np.einsum("fic,fjc->fij", transform.conj(), transform).real
    cross = scipy.fft.irfft(cross_spectrum, n=nfft, axis=0, workers=workers)[:n_lags]
    products = np.einsum("tic,tjc->tij", centred, centred)
    return _combine(products, cross, n_frames, n_lags)


def _combine(products: np.ndarray, cross: np.ndarray, n_frames: int, n_lags: int) -> np.ndarray:
    """(S(m) - A(m)) / (n - m) from the per-frame products x(t).y(t) and the FFT cross term."""
    cumulative = np.concatenate([np.zeros((1, *products.shape[1:])), np.cumsum(products, axis=0)])
    lags = np.arange(n_lags)
    late = cumulative[n_frames] - cumulative[lags]  # sum over t >= m
    early = cumulative[n_frames - lags]  # sum over t < n - m
    counts = _origin_counts(n_frames, n_lags).reshape(-1, *([1] * (cross.ndim - 1)))
    return (late + early - cross) / counts


def direct_displacement_correlation(x: np.ndarray, y: np.ndarray, n_lags: int) -> np.ndarray:
    """Reference O(n^2) implementation of C(m) for (n_frames, 3) signals (for tests)."""
    out = np.empty(n_lags)
    for m in range(n_lags):
        dx = x[m:] - x[: len(x) - m]
        dy = y[m:] - y[: len(y) - m]
        out[m] = np.einsum("tc,tc->t", dx, dy).mean()
    return out


def windowed_block_correlations(positions: np.ndarray, group_of_atom: np.ndarray,
                                n_groups: int, reference: np.ndarray, n_blocks: int,
                                start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-block self MSDs and collective correlations at lags ``start..end`` only, by direct
    sums over origins (cost ~ frames x atoms x (end - start + 1), cheaper than an FFT pass when
    the window is short).

    Args:
        positions: (n_frames, n_atoms, 3) continuous positions (Å).
        group_of_atom: (n_atoms,) group (species) index of every atom.
        n_groups: number of groups.
        reference: (n_frames, 3) point subtracted from every atom (the centre of mass).
        n_blocks: contiguous blocks of ``n_frames // n_blocks`` frames each.
        start, end: first and last lag (frames), ``1 <= start <= end < block length``.

    Returns:
        ``msd`` (n_blocks, end + 1, n_groups): summed per-atom MSD of each group, and
        ``collective`` (n_blocks, end + 1, n_groups, n_groups): <dX_i . dX_j> of the group
        sums; both origin-averaged within each block, zero at lags below ``start``; the same
        numbers as :func:`self_msd_by_group` and :func:`collective_correlation` on each block.
    """
    n_frames = positions.shape[0]
    length = n_frames // n_blocks
    if not 1 <= start <= end < length:
        raise ValueError(f"lags {start}..{end} do not fit blocks of {length} frames")
    return _windowed_sums(np.ascontiguousarray(positions, dtype=np.float64),
                          np.ascontiguousarray(reference, dtype=np.float64),
                          group_of_atom.astype(np.int64), n_groups, n_blocks, length, start, end)


@nb.njit(cache=True, fastmath=True)
def _windowed_sums(positions, reference, group, n_groups, n_blocks, length, start, end):
    """Per-block self MSD sums and collective correlations of the group displacements relative
    to ``reference`` at lags start..end (see :func:`windowed_block_correlations`)."""
    msd = np.zeros((n_blocks, end + 1, n_groups))
    collective = np.zeros((n_blocks, end + 1, n_groups, n_groups))
    n_atoms = positions.shape[1]
    # atoms of one group in a contiguous run, so each sum is one scalar accumulation
    order = np.argsort(group, kind="mergesort")
    bounds = np.zeros(n_groups + 1, dtype=np.int64)
    for a in range(n_atoms):
        bounds[group[a] + 1] += 1
    for g in range(n_groups):
        bounds[g + 1] += bounds[g]
    shift = np.zeros((n_groups, 3))
    # origin-major order: frames t .. t + end stay in cache while every lag uses them
    for b in range(n_blocks):
        last = (b + 1) * length
        for t in range(b * length, last - start):
            for lag in range(start, min(end, last - 1 - t) + 1):
                rx = reference[t + lag, 0] - reference[t, 0]
                ry = reference[t + lag, 1] - reference[t, 1]
                rz = reference[t + lag, 2] - reference[t, 2]
                for g in range(n_groups):
                    acc = 0.0
                    sx = 0.0
                    sy = 0.0
                    sz = 0.0
                    for k in range(bounds[g], bounds[g + 1]):
                        a = order[k]
                        dx = positions[t + lag, a, 0] - positions[t, a, 0] - rx
                        dy = positions[t + lag, a, 1] - positions[t, a, 1] - ry
                        dz = positions[t + lag, a, 2] - positions[t, a, 2] - rz
                        acc += dx * dx + dy * dy + dz * dz
                        sx += dx
                        sy += dy
                        sz += dz
                    msd[b, lag, g] += acc
                    shift[g, 0] = sx
                    shift[g, 1] = sy
                    shift[g, 2] = sz
                for i in range(n_groups):
                    for j in range(n_groups):
                        collective[b, lag, i, j] += (shift[i, 0] * shift[j, 0]
                                                     + shift[i, 1] * shift[j, 1]
                                                     + shift[i, 2] * shift[j, 2])
        for lag in range(start, end + 1):
            msd[b, lag] /= length - lag
            collective[b, lag] /= length - lag
    return msd, collective
