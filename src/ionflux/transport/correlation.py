"""Displacement correlation functions averaged over all time origins, by FFT.

For signals x(t), y(t) sampled at n frames, the origin-averaged displacement correlation at lag m is

    C(m) = 1/(n - m) * sum_{t=0}^{n-m-1} [x(t+m) - x(t)] . [y(t+m) - y(t)]
         = 1/(n - m) * [S(m) - A(m)],

with S(m) = sum_{t>=m} x.y + sum_{t<n-m} x.y (two cumulative sums) and A(m) = sum_t x(t+m).y(t) +
x(t).y(t+m) (one zero-padded FFT cross-correlation). That makes every lag O(n log n) in total
instead of O(n^2) for a direct sum over origins.

:func:`block_correlations` does this for every atom and block of a trajectory in one pass: each
block's coordinates are transposed, taken relative to the centre of mass and to the block's
first frame into a reused zero-padded buffer (one numba loop), one real FFT per coordinate row
gives the power spectra, summed per species as they are produced, and the per-species sums of the
same rows give the collective terms. :func:`windowed_block_correlations` gives the same numbers
at a few lags by direct sums over origins, cheaper when only a short window is needed.
"""

from __future__ import annotations

import functools

import numba as nb
import numpy as np
import scipy.fft

#: Bytes of the zero-padded coordinate buffer of one chunk of atoms: bounds the memory of
#: :func:`block_correlations` whatever the number of atoms, and keeps the buffer and its
#: spectrum below glibc's largest mmap threshold (32 MB), so the spectrum of every chunk reuses
#: memory instead of being mapped (and page-faulted) afresh.
CHUNK_BYTES = 30 * 2**20


def _fft_length(n_frames: int) -> int:
    return scipy.fft.next_fast_len(2 * n_frames, real=True)


def _origin_counts(n_frames: int, n_lags: int) -> np.ndarray:
    return (n_frames - np.arange(n_lags)).astype(np.float64)


def weighted_centre(positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(n_frames, 3) weighted centre sum_a w_a r_a(t) of (n_frames, n_atoms, 3) positions (Å),
    e.g. the centre of mass with w = m / M."""
    return _weighted_centre(np.asarray(positions, dtype=np.float64),
                            np.asarray(weights, dtype=np.float64))


@nb.njit(cache=True)
def _weighted_centre(positions, weights):
    # atoms summed in order, without fastmath: the same numbers as np.einsum("a,tac->tc").
    # Two frames at a time: six independent sums instead of three halve the time the adds
    # wait on each other (2x faster, measured), each frame's order unchanged.
    n_frames, n_atoms, _ = positions.shape
    out = np.zeros((n_frames, 3))
    for t in range(0, n_frames - 1, 2):
        now = positions[t]
        later = positions[t + 1]
        x0 = y0 = z0 = x1 = y1 = z1 = 0.0
        for a in range(n_atoms):
            w = weights[a]
            x0 += w * now[a, 0]
            y0 += w * now[a, 1]
            z0 += w * now[a, 2]
            x1 += w * later[a, 0]
            y1 += w * later[a, 1]
            z1 += w * later[a, 2]
        out[t, 0], out[t, 1], out[t, 2] = x0, y0, z0
        out[t + 1, 0], out[t + 1, 1], out[t + 1, 2] = x1, y1, z1
    if n_frames % 2:
        for a in range(n_atoms):
            for c in range(3):
                out[n_frames - 1, c] += weights[a] * positions[n_frames - 1, a, c]
    return out


def block_correlations(positions: np.ndarray, group_of_atom: np.ndarray, n_groups: int,
                       n_lags: int, n_blocks: int = 1, reference: np.ndarray | None = None,
                       workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-block self MSDs and collective correlations of atom groups, all lags by FFT.

    Every block's atom coordinates are written once, transposed, relative to ``reference`` and
    to the block's first frame, into a reused zero-padded buffer; one real FFT per coordinate
    row gives the self power spectra, and the group sums of the same rows (summed in the time
    domain, a few more rows) give the collective spectra.

    Args:
        positions: (n_frames, n_atoms, 3) continuous positions (Å).
        group_of_atom: (n_atoms,) integer group (species) index of every atom.
        n_groups: number of groups.
        n_lags: number of lags (0 .. n_lags-1 frames) to return, at most the block length.
        n_blocks: contiguous blocks of ``n_frames // n_blocks`` frames each.
        reference: optional (n_frames, 3) point subtracted from every atom at each frame (the
            centre of mass).
        workers: threads for scipy.fft (None: scipy's default of one).

    Returns:
        ``msd`` (n_blocks, n_lags, n_groups): sum over the atoms a of each group of
        <|r_a(t+m) - r_a(t)|^2>, and ``collective`` (n_blocks, n_lags, n_groups, n_groups):
        <dX_i(m) . dX_j(m)> of the group sums X_i = sum_{a in i} r_a; both averaged over all
        origins t within each block (Å^2).
    """
    n_frames, n_atoms, _ = positions.shape
    length = n_frames // n_blocks
    if not 1 <= n_lags <= length:
        raise ValueError(f"{n_lags} lags do not fit blocks of {length} frames")
    _check_groups(group_of_atom, n_atoms, n_groups)
    nfft = _fft_length(length)
    positions = np.asarray(positions, dtype=np.float64)
    reference = (np.zeros((n_frames, 3)) if reference is None
                 else np.ascontiguousarray(reference, dtype=np.float64))
    group = np.asarray(group_of_atom, dtype=np.int64)
    chunk = max(1, min(n_atoms, CHUNK_BYTES // (3 * 8 * nfft)))
    # zero padding written once; every block overwrites the first ``length`` columns only
    buffer = np.zeros((3, chunk, nfft))
    sums = np.zeros((3, n_groups, nfft))
    msd = np.empty((n_blocks, n_lags, n_groups))
    collective = np.empty((n_blocks, n_lags, n_groups, n_groups))
    for b in range(n_blocks):
        frames = slice(b * length, (b + 1) * length)
        # squared real and imaginary parts of every group's spectra, interleaved (summed
        # row by row in contiguous memory; re^2 + im^2 is taken once per group at the end)
        power = np.zeros((n_groups, 2 * (nfft // 2 + 1)))
        squares = np.zeros((n_groups, length))
        sums[:, :, :length] = 0.0
        for first in range(0, n_atoms, chunk):
            atoms = slice(first, min(n_atoms, first + chunk))
            rows = buffer[:, : atoms.stop - first]
            _shifted_rows(positions[frames, atoms], reference[frames], group[atoms], rows, sums,
                          squares)
            _add_group_power(_rfft_rows(rows, workers).view(np.float64), group[atoms], power)
        spectrum = power[:, 0::2] + power[:, 1::2]
        autocorr = scipy.fft.irfft(spectrum, n=nfft, axis=-1, workers=workers)[:, :n_lags]
        msd[b] = _combine(squares.T, 2.0 * autocorr.T, length, n_lags)
        collective[b] = _group_sum_correlations(sums, length, n_lags, nfft, workers)
    return msd, collective


def _check_groups(group_of_atom: np.ndarray, n_atoms: int, n_groups: int) -> None:
    # the numba loops index by group without bounds checks
    group = np.asarray(group_of_atom)
    if group.shape != (n_atoms,) or (n_atoms and not 0 <= group.min() <= group.max() < n_groups):
        raise ValueError(f"group_of_atom must give each of {n_atoms} atoms a group in "
                         f"0..{n_groups - 1}")


def _rfft_rows(rows: np.ndarray, workers: int | None) -> np.ndarray:
    """Real FFT along the last axis; numpy's on one thread (the same numbers as scipy's,
    measured ~7 % faster on these shapes), scipy's when more workers are asked for."""
    if workers is None or workers == 1:
        return np.fft.rfft(rows, axis=-1)
    return scipy.fft.rfft(rows, axis=-1, workers=workers)


#: Frames transposed at a time by :func:`_shifted_rows`: the positions of a stretch stay in
#: cache while every row of it is written, and its rows while they are summed (measured best of
#: 128-1024 at 100 and 400 atoms, 2,000 and 10,000 frames).
_STRETCH_FRAMES = 256


@nb.njit(cache=True, fastmath=True)
def _shifted_rows(block, reference, group, rows, sums, squares):
    """Write rows[c, k, :length] = r_{k,c}(t) - reference_c(t) over the (length, n_chunk, 3)
    ``block`` of positions, relative to the block's first frame, and add each row to
    ``sums[c, g]`` and its square to ``squares[g]`` (g = group[k])."""
    length, n_chunk, _ = block.shape
    for start in range(0, length, _STRETCH_FRAMES):
        stop = min(length, start + _STRETCH_FRAMES)
        # transposed: each row written contiguously, the positions of the stretch in cache
        for k in range(n_chunk):
            for c in range(3):
                row = rows[c, k, start:stop]
                # A constant shift leaves displacements unchanged; relative to the block's
                # first frame |r|^2 stays of the order of the MSD, so the difference S - A of
                # :func:`_combine` keeps its digits far from the origin (the block mean did the
                # same for one more pass over the positions).
                shift = block[0, k, c] - reference[0, c]
                for t in range(stop - start):
                    row[t] = block[start + t, k, c] - reference[start + t, c] - shift
        for k in range(n_chunk):
            for c in range(3):
                row = rows[c, k, start:stop]
                square = squares[group[k], start:stop]
                total = sums[c, group[k], start:stop]
                for t in range(stop - start):
                    value = row[t]
                    square[t] += value * value
                    total[t] += value


@nb.njit(cache=True, fastmath=True)
def _add_group_power(parts, group, power):
    """Add the squares of ``parts[c, k]`` (a spectrum's real and imaginary parts, interleaved)
    of every component c to ``power[group[k]]``."""
    for c in range(parts.shape[0]):
        for k in range(parts.shape[1]):
            row = parts[c, k]
            out = power[group[k]]
            for f in range(row.shape[0]):
                out[f] += row[f] * row[f]


def _group_sum_correlations(sums: np.ndarray, length: int, n_lags: int, nfft: int,
                            workers: int | None) -> np.ndarray:
    """:func:`collective_correlation` of the group sums ``sums`` (3, n_groups, nfft), zero
    beyond ``length`` frames, as (n_lags, n_groups, n_groups) (Å^2)."""
    transform = scipy.fft.rfft(sums, axis=-1, workers=workers)
    n_groups = sums.shape[1]
    cross_spectrum, products = _pair_products(transform, sums[:, :, :length])
    cross = scipy.fft.irfft(cross_spectrum, n=nfft, axis=-1, workers=workers)[:, :n_lags]
    pairs = _combine(products.T, cross.T, length, n_lags)
    out = np.empty((n_lags, n_groups, n_groups))
    i, j = _pair_index(n_groups)
    out[:, i, j] = pairs
    out[:, j, i] = pairs
    return out


@functools.lru_cache(maxsize=16)
def _pair_index(n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """np.tril_indices(n_groups), kept: it costs as much as a small block's pair products."""
    i, j = np.tril_indices(n_groups)
    i.flags.writeable = j.flags.writeable = False
    return i, j


@nb.njit(cache=True)
def _pair_products(transform, signals):
    """For every pair i >= j of the (3, n, ...) signals (in np.tril_indices order): 2 Re
    sum_c conj(X_ic) X_jc of their spectra and sum_c x_ic(t) x_jc(t) of the signals."""
    n = signals.shape[1]
    n_pairs = n * (n + 1) // 2
    cross = np.zeros((n_pairs, transform.shape[2]))
    products = np.zeros((n_pairs, signals.shape[2]))
    p = 0
    for i in range(n):
        for j in range(i + 1):
            for c in range(3):
                for f in range(transform.shape[2]):
                    x = transform[c, i, f]
                    y = transform[c, j, f]
                    cross[p, f] += 2.0 * (x.real * y.real + x.imag * y.imag)
                for t in range(signals.shape[2]):
                    products[p, t] += signals[c, i, t] * signals[c, j, t]
            p += 1
    return cross, products


def self_msd_by_group(positions: np.ndarray, group_of_atom: np.ndarray, n_groups: int,
                      n_lags: int, reference: np.ndarray | None = None,
                      workers: int | None = None) -> np.ndarray:
    """Summed per-atom mean-squared displacements of each atom group, over the whole run.

    Args and units as :func:`block_correlations` with one block; returns (n_lags, n_groups).
    """
    return block_correlations(positions, group_of_atom, n_groups, n_lags, reference=reference,
                              workers=workers)[0][0]


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
    padded = np.zeros((3, signals.shape[1], nfft))
    padded[:, :, :n_frames] = (signals - signals.mean(axis=0)).transpose(2, 1, 0)
    return _group_sum_correlations(padded, n_frames, n_lags, nfft, workers)


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
    _check_groups(group_of_atom, positions.shape[1], n_groups)
    flat = np.ascontiguousarray(positions, dtype=np.float64).reshape(n_frames, -1)
    return _windowed_sums(flat,
                          np.ascontiguousarray(reference, dtype=np.float64),
                          group_of_atom.astype(np.int64), n_groups, n_blocks, length, start, end)


@nb.njit(cache=True)
def _group_runs(group):
    """Starts of the runs of consecutive atoms of one group, and the atom count as the last
    entry (one run per group when atoms are ordered by species)."""
    n_atoms = group.shape[0]
    n_runs = 1
    for a in range(1, n_atoms):
        n_runs += group[a] != group[a - 1]
    run_start = np.empty(n_runs + 1, dtype=np.int64)
    run_start[0] = 0
    run_start[n_runs] = n_atoms
    r = 1
    for a in range(1, n_atoms):
        if group[a] != group[a - 1]:
            run_start[r] = a
            r += 1
    return run_start


@nb.njit(cache=True, fastmath=True)
def _windowed_sums(positions, reference, group, n_groups, n_blocks, length, start, end):
    """Per-block self MSD sums and collective correlations of the group displacements relative
    to ``reference`` at lags start..end (see :func:`windowed_block_correlations`);
    ``positions`` as (n_frames, 3 n_atoms).

    Only sum_a |r_a(t+m) - r_a(t)|^2 needs every atom at every (origin, lag): a contiguous
    reduction over each run of atoms. The reference enters through the group sums X_g(t) of
    the reference-relative displacements from the block's first frame (small numbers, so no
    digits are lost far from the origin): sum_a |dr_a - dR|^2 = sum_a |dr_a|^2 - 2 dR.dX_g -
    n_g |dR|^2, and the collective terms are dX_i . dX_j."""
    msd = np.zeros((n_blocks, end + 1, n_groups))
    collective = np.zeros((n_blocks, end + 1, n_groups, n_groups))
    run_start = _group_runs(group)
    n_runs = run_start.shape[0] - 1
    counts = np.zeros(n_groups)
    for a in range(group.shape[0]):
        counts[group[a]] += 1.0
    shifts = np.empty((n_groups, 3, length))
    moved = np.empty((3, length))
    for b in range(n_blocks):
        first = b * length
        last = first + length
        _displacement_sums(positions, reference, first, length, run_start, group, counts,
                           shifts, moved)
        # origin-major order: frames t .. t + end stay in cache while every lag uses them;
        # sliced runs keep the index non-negative, so the reduction is vectorised
        for t in range(first, last - start):
            for lag in range(start, min(end, last - 1 - t) + 1):
                for r in range(n_runs):
                    before = positions[t, 3 * run_start[r]:3 * run_start[r + 1]]
                    after = positions[t + lag, 3 * run_start[r]:3 * run_start[r + 1]]
                    acc = 0.0
                    for i in range(before.shape[0]):
                        d = after[i] - before[i]
                        acc += d * d
                    msd[b, lag, group[run_start[r]]] += acc
        for lag in range(start, end + 1):
            n_origins = length - lag
            for i in range(n_groups):
                acc = 0.0
                for c in range(3):
                    x = shifts[i, c]
                    ref = moved[c]
                    for t in range(n_origins):
                        dr = ref[t + lag] - ref[t]
                        acc -= dr * (2.0 * (x[t + lag] - x[t]) + counts[i] * dr)
                msd[b, lag, i] = (msd[b, lag, i] + acc) / n_origins
                for j in range(i + 1):
                    acc = 0.0
                    for c in range(3):
                        x = shifts[i, c]
                        y = shifts[j, c]
                        for t in range(n_origins):
                            acc += (x[t + lag] - x[t]) * (y[t + lag] - y[t])
                    collective[b, lag, i, j] = acc / n_origins
                    collective[b, lag, j, i] = acc / n_origins
    return msd, collective


@nb.njit(cache=True, fastmath=True)
def _displacement_sums(positions, reference, first, length, run_start, group, counts, shifts,
                       moved):
    """Fill ``moved[c, t]`` = R_c(first + t) - R_c(first) and ``shifts[g, c, t]`` = sum over
    the atoms a of group g of r_a,c(first + t) - r_a,c(first), minus n_g moved[c, t] (Å)."""
    origin = positions[first]
    for t in range(length):
        row = positions[first + t]
        for c in range(3):
            moved[c, t] = reference[first + t, c] - reference[first, c]
            for g in range(shifts.shape[0]):
                shifts[g, c, t] = -counts[g] * moved[c, t]
        for r in range(run_start.shape[0] - 1):
            now = row[3 * run_start[r]:3 * run_start[r + 1]]
            then = origin[3 * run_start[r]:3 * run_start[r + 1]]
            sx = 0.0
            sy = 0.0
            sz = 0.0
            for a in range(now.shape[0] // 3):
                sx += now[3 * a] - then[3 * a]
                sy += now[3 * a + 1] - then[3 * a + 1]
                sz += now[3 * a + 2] - then[3 * a + 2]
            g = group[run_start[r]]
            shifts[g, 0, t] += sx
            shifts[g, 1, t] += sy
            shifts[g, 2, t] += sz
