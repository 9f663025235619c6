"""Does a melt change while it runs? Potential energy and self-diffusion in consecutive windows.

A supercooled melt below its melting point can relax (its potential energy falls) and slow
down as it does; the convergence rule's stationarity check (two halves, ``ionflux.md.
convergence``) says only that a run is not stationary. Here a run is cut into consecutive
windows of equal length, each analysed alone with the standard estimator, so how the energy
and D move with time can be read off and compared between runs of the same cell (same seed
and start: the same windows).

Errors: the mean energy of a window has the standard error of its ``n_blocks`` block means
(consecutive frames are correlated, single frames are not independent samples); D has the
estimator's own block error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ionflux.errors import InputError, IonfluxError
from ionflux.md.run import MDRun

if TYPE_CHECKING:
    from ionflux.transport.documents import QualityFlag


@dataclass
class AgingWindow:
    """One window of a run: times (ps after the run's first frame), the mean potential
    energy per atom (meV) with its standard error, and D per species (cm^2/s) with standard
    errors (``d_self`` empty and ``note`` set where the window is too short to analyse)."""

    start_ps: float
    end_ps: float
    n_frames: int
    e_pot_meV_atom: float
    e_pot_stderr_meV_atom: float
    d_self: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    note: str = ""
    coordination: float | None = None
    q6: float | None = None
    solid_like: float | None = None
    # pair "A-B" -> (height, position in Å) of the highest bin of g_AB(r) up to half the cell
    pair_peaks: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderSpec:
    """Local order followed per window (:mod:`ionflux.structure.order`): the mean number of
    ``neighbour`` atoms within ``cn_cutoff`` (Å) of each ``centre`` atom, and the mean q6 and
    the solid-like fraction (ten Wolde-Frenkel) of the ``q_element`` sublattice (``Ba+Ti``: both
    cations as one) with neighbours within ``q_cutoff`` (Å), over ``frames`` evenly spaced
    frames of the window. A melt that crystallises shows them moving to the crystal's values
    (perovskite BaTiO3: Ti-O 6, Ti-sublattice q6 0.35; solid-like 1 with a cutoff that holds at
    least 7 neighbours of the crystal, e.g. 4.6 Å for the cation sublattice: 6 + 8)."""

    centre: str
    neighbour: str
    cn_cutoff: float
    q_element: str
    q_cutoff: float
    frames: int = 20

    @classmethod
    def parse(cls, text: str) -> OrderSpec:
        """From ``CENTRE-NEIGHBOUR:CUTOFF,ELEMENT:CUTOFF`` (e.g. ``Ti-O:2.5,Ti:4.4``)."""
        try:
            pair, q_part = text.split(",")
            q_element, q_cutoff = q_part.split(":")
            return cls(*parse_pair(pair), q_element.strip(), float(q_cutoff))
        except ValueError:
            raise InputError(f"order wants CENTRE-NEIGHBOUR:CUTOFF,ELEMENT:CUTOFF (e.g. "
                             f"Ti-O:2.5,Ti:4.4), got {text!r}") from None


def parse_pair(text: str) -> tuple[str, str, float]:
    """``CENTRE-NEIGHBOUR:CUTOFF`` (Å) as (centre, neighbour, cutoff); ValueError if not."""
    elements, cutoff = text.split(":")
    centre, neighbour = elements.split("-")
    return centre.strip(), neighbour.strip(), float(cutoff)


def parse_element_pair(text: str) -> tuple[str, str]:
    """``A-B`` as (A, B); InputError if not."""
    parts = [el.strip() for el in text.split("-")]
    if len(parts) != 2 or not all(parts):
        raise InputError(f"a pair is A-B (e.g. Ti-Ti), got {text!r}")
    return parts[0], parts[1]


def e_pot_meV_per_atom(run: MDRun) -> np.ndarray:
    """The run's potential energy per frame, meV per atom."""
    return np.asarray(run.potential_energies_eV, dtype=float) / len(run.symbols) * 1000.0


def sampled_positions(run: MDRun, frames: int, label: str) -> list[np.ndarray]:
    """Positions (Å) of up to ``frames`` frames of ``run`` spread evenly from its first to
    its last: the frames every per-window order measure reads."""
    from ionflux.structure.bonds import sample_frames

    picks = sample_frames(run.n_frames, min(frames, run.n_frames), label)
    return [np.asarray(run.positions[k]) for k in picks]


def window_order(run: MDRun, spec: OrderSpec) -> tuple[float, float, float]:
    """Mean coordination number, mean q6 and mean solid-like fraction over ``spec.frames``
    frames of ``run``."""
    from ionflux.structure.order import coordination_numbers, solid_like_fraction, steinhardt_q

    symbols = np.asarray(run.symbols)
    groups = {el: np.flatnonzero(np.isin(symbols, el.split("+")))
              for el in (spec.centre, spec.neighbour, spec.q_element)}
    missing = [el for el, idx in groups.items() if not len(idx)]
    if missing:
        raise InputError(f"no {', '.join(missing)} atoms in the run "
                         f"({', '.join(sorted(set(symbols)))})")
    cn, q6, solid = [], [], []
    for pos in sampled_positions(run, spec.frames, "aging window"):
        cn.append(coordination_numbers(pos, run.cell, groups[spec.centre],
                                       groups[spec.neighbour], spec.cn_cutoff).mean())
        q6.append(np.nanmean(steinhardt_q(pos, run.cell, groups[spec.q_element],
                                          spec.q_cutoff, degree=6)))
        solid.append(solid_like_fraction(pos, run.cell, groups[spec.q_element], spec.q_cutoff))
    return float(np.mean(cn)), float(np.mean(q6)), float(np.mean(solid))


def window_pair_peaks(run: MDRun, pairs: list[tuple[str, str]], frames: int = 100,
                      bin_width: float = 0.1) -> dict[str, tuple[float, float]]:
    """Height and position (Å) of the highest bin of each pair's g(r)
    (:func:`ionflux.structure.order.pair_distribution`) over ``frames`` frames of ``run``, out
    to half the cell's smallest width: a correlation that grows while the solid-like fraction
    stays low is an order the sublattice measure does not see."""
    from ionflux.structure.order import half_smallest_width, pair_distribution

    symbols = np.asarray(run.symbols)
    cell = np.asarray(run.cell, dtype=float)
    half_width = half_smallest_width(cell)
    positions = sampled_positions(run, frames, "aging window")
    out = {}
    for a, b in pairs:
        idx = {el: np.flatnonzero(symbols == el) for el in (a, b)}
        missing = [el for el, found in idx.items() if not len(found)]
        if missing:
            raise InputError(f"no {', '.join(missing)} atoms in the run "
                             f"({', '.join(sorted(set(symbols)))})")
        r, g = pair_distribution(positions, cell, idx[a], idx[b], half_width * (1 - 1e-6),
                                 bin_width)
        k = int(np.argmax(g))
        out[f"{a}-{b}"] = (float(g[k]), float(r[k]))
    return out


def window_slices(times_fs: list[float], window_ps: float) -> list[slice]:
    """Frame slices of consecutive windows ``window_ps`` long from the first frame; a last
    window shorter than half the length is dropped (its estimate would not compare)."""
    if window_ps <= 0:
        raise InputError(f"window length must be positive, got {window_ps:g} ps")
    if len(times_fs) < 2:
        raise InputError("a run with fewer than two frames has no windows")
    t = (np.asarray(times_fs, dtype=float) - times_fs[0]) / 1000.0
    span = t[-1]
    n_windows = math.floor(span / window_ps + 1e-9)
    if span - n_windows * window_ps >= 0.5 * window_ps:
        n_windows += 1
    if n_windows == 0:
        raise InputError(f"the run spans {span:.2f} ps, shorter than half a "
                         f"{window_ps:g}-ps window")
    edges = [int(np.searchsorted(t, k * window_ps - 1e-9)) for k in range(n_windows)]
    return [slice(a, b) for a, b in zip(edges, [*edges[1:], len(t)], strict=True)]


def block_mean(values: np.ndarray, n_blocks: int) -> tuple[float, float]:
    """Mean of a correlated series and the standard error of its ``n_blocks`` block means."""
    if n_blocks < 2 or len(values) < n_blocks:
        raise InputError(f"need >= 2 blocks and at least one value per block "
                         f"({len(values)} values, {n_blocks} blocks)")
    blocks = np.array([b.mean() for b in np.array_split(np.asarray(values, float), n_blocks)])
    return float(blocks.mean()), float(blocks.std(ddof=1) / math.sqrt(n_blocks))


def aging_profile(run: MDRun, window_ps: float, formula: str | None = None,
                  n_blocks: int = 3, fit_window_fs: tuple[float, float] | None = None,
                  order: OrderSpec | None = None,
                  pairs: list[tuple[str, str]] | None = None) -> list[AgingWindow]:
    """Each window of ``run``: its mean potential energy per atom and D per species.

    ``fit_window_fs`` fixes the MSD lags fitted (fs) in every window, so slow windows whose
    MSD stays below the estimator's diffusive threshold still give a D at the same lags as
    the others (then a comparison of mobility at equal lags, not necessarily long-time D);
    None lets the estimator choose and refuse each window on its own. With ``order``, each
    window also gets its mean coordination, q6 and solid-like fraction
    (:func:`window_order`); with ``pairs``, the peak of each pair's g(r)
    (:func:`window_pair_peaks`)."""
    from ionflux.transport.onsager import analyze_trajectories

    energies = e_pot_meV_per_atom(run)
    t0 = run.times_fs[0]
    out = []
    for part in window_slices(run.times_fs, window_ps):
        times = run.times_fs[part]
        e_mean, e_err = block_mean(energies[part], n_blocks)
        window = AgingWindow(start_ps=(times[0] - t0) / 1000, end_ps=(times[-1] - t0) / 1000,
                             n_frames=len(times), e_pot_meV_atom=e_mean,
                             e_pot_stderr_meV_atom=e_err)
        sub = run.frames(part)
        if order is not None:
            window.coordination, window.q6, window.solid_like = window_order(sub, order)
        if pairs:
            window.pair_peaks = window_pair_peaks(sub, pairs)
        try:
            doc = analyze_trajectories([sub.to_trajectory()], formula=formula,
                                       n_blocks=n_blocks, window_fs=fit_window_fs)
        except IonfluxError as err:  # one short window does not hide the others
            window.note = str(err)
        else:
            errors = doc.D_self_cm2_s_stderr or {}
            window.d_self = {el: (d, errors.get(el)) for el, d in doc.D_self_cm2_s.items()}
        out.append(window)
    return out


def energy_drift(windows: list[AgingWindow]) -> tuple[float, float]:
    """Mean potential energy of the last window minus the first (meV/atom) and its
    standard error."""
    if len(windows) < 2:
        raise InputError("an energy drift needs at least two windows")
    first, last = windows[0], windows[-1]
    return (last.e_pot_meV_atom - first.e_pot_meV_atom,
            math.hypot(first.e_pot_stderr_meV_atom, last.e_pot_stderr_meV_atom))


def energy_stationarity(runs: list[MDRun], z_max: float | None = None,
                        n_blocks: int = 5) -> QualityFlag:
    """Whether the potential energy of ``runs`` (replicates of one melt) is stationary: the
    mean over runs of (second-half mean - first-half mean), per atom, against its standard
    error (``n_blocks`` block means per half). Fails above ``z_max`` standard errors (default:
    the convergence rule's ``STATIONARY_Z``, the limit it puts on the halves' D)."""
    from ionflux.md.convergence import STATIONARY_Z
    from ionflux.transport.documents import QualityFlag

    z_max = STATIONARY_Z if z_max is None else z_max
    drifts, variances = [], []
    for run in runs:
        energies = e_pot_meV_per_atom(run)
        half = len(energies) // 2
        (first, e1), (second, e2) = (block_mean(part, n_blocks)
                                     for part in (energies[:half], energies[half:2 * half]))
        drifts.append(second - first)
        variances.append(e1 ** 2 + e2 ** 2)
    drift = float(np.mean(drifts))
    stderr = math.sqrt(sum(variances)) / len(runs)
    z = drift / stderr if stderr > 0 else (0.0 if drift == 0 else math.inf)
    return QualityFlag(
        passed=abs(z) <= z_max, value=z, threshold=z_max,
        reason=(f"potential energy, second half of the run minus the first: {drift:+.1f} ± "
                f"{stderr:.1f} meV/atom ({z:+.1f} standard errors"
                + (f", mean of {len(runs)} runs" if len(runs) > 1 else "")
                + ("): the melt is still relaxing" if abs(z) > z_max else ")")))


# Liquid baseline of the cation-order flag and of the run selection that reads it
# (ionflux.md.selection), measured on the bundled distilled-potential melts
# (2026-12-06, Ba+Ti sublattice, 4.6 Å, 20-ps windows of 20 frames): every Ti-rich melt and
# every 2000 K seed-1 run stays at 0.00-0.04 in every window; a BaTiO3 run that crystallised
# in part reached 0.41-0.58. The flag level is a choice between the two, stated in each flag.
ORDER_FLAG_MAX = 0.1
ORDER_CUTOFF_A = 4.6
ORDER_WINDOW_PS = 20.0


def solid_like_windows(run: MDRun, cutoff: float = ORDER_CUTOFF_A,
                       window_ps: float = ORDER_WINDOW_PS, anion: str = "O",
                       frames: int = 20) -> list[tuple[float, float]]:
    """(start in ps after the run's first frame, mean solid-like fraction) of each
    ``window_ps`` window of ``run``: :func:`ionflux.structure.order.solid_like_fraction` of
    the sublattice of every element but ``anion`` (neighbours within ``cutoff``, Å) over
    ``frames`` evenly spaced frames."""
    from ionflux.structure.order import solid_like_fraction

    atoms = np.flatnonzero(np.asarray(run.symbols) != anion)
    t0 = run.times_fs[0]
    out = []
    for part in window_slices(run.times_fs, window_ps):
        window = run.frames(part)
        solid = np.mean([solid_like_fraction(pos, run.cell, atoms, cutoff)
                         for pos in sampled_positions(window, frames, "order window")])
        out.append(((window.times_fs[0] - t0) / 1000, float(solid)))
    return out
