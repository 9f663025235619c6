"""Choice of the diffusive (linear) lag window in which slopes are fitted.

Start rule (both estimators): the start is the earliest lag from which the self MSD of every
mobile species is a straight line up to a check end: that range is cut into sub-windows doubling
in length, and each sub-window's slope must agree with the slope over the whole range within a
relative tolerance or within three block standard errors, whichever is larger. Sub-windows
doubling in length give the ballistic and caging regimes at short lags a sub-window of their own,
so they cannot hide inside a long linear stretch. The check end is the longest usable lag (half a
block) for ``"half-block"`` and ``CHECK_FACTOR`` (4) x the window end for ``"scaled-window"``:
slopes out to half a block are so noisy in long runs that their heavy-tailed block scatter
rejected good starts (a Markovian 80,000-frame run, diffusive from lag 1, got starts of 25 and
56 frames in two of three seeds), which costs a short window most.

End rule, by estimator (:data:`END_RULES`):

- ``"half-block"`` (the earlier default): the window ends at the longest usable lag. Long lags
  have few independent origins, so this is the noisiest choice.
- ``"scaled-window"`` (default): the window ends at ``span`` times the start (8 by default), at
  least ``start + MIN_SPAN_LAGS`` and at most half a block. For diffusive (Brownian) motion the
  variance of the fitted slope over [s, e] grows about linearly with e (from the lag-lag
  covariance of the MSD, Cov[MSD(a), MSD(b)] ~ a^2 b - a^3/3 for a <= b), so the window should be
  short; but the start rule only bounds residual curvature to the tolerance, and a window that
  ends right after the start measures the local slope there. On the cage-like vibration model
  (``tests/transport/test_estimators.py``) ends of 2 x and 4 x the start were biased (mean z of
  the self terms +1.1 to +2.4 and +0.45 to +0.66 over 30 seeds), 8 x was not, so 8 is the
  default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from ionflux.errors import AnalysisError, InputError
from ionflux.transport.statistics import ols_slopes

#: Relative slope difference always accepted between a sub-window and the whole window.
DEFAULT_LINEARITY_TOLERANCE = 0.15
#: Per-atom MSD (Å^2) a species must exceed at the window end to count as mobile.
DEFAULT_MIN_MSD_A2 = 1.0
#: Window end / window start of the "scaled-window" rule.
DEFAULT_WINDOW_SPAN = 8.0
#: Linearity is checked up to this multiple of the window end ("scaled-window").
CHECK_FACTOR = 4.0
#: Fewest lags beyond the start in any automatic window (a slope needs >= 3 points).
MIN_SPAN_LAGS = 2
#: Window end rules by estimator name, as recorded in documents.
END_RULES = {
    "half-block": "half a block",
    "scaled-window": "{span:g} x start (>= start + 2 lags, <= half a block)",
}
#: Where the start rule's linearity check ends, by estimator name.
CHECK_RULES = {
    "half-block": "half a block",
    "scaled-window": f"{CHECK_FACTOR:g} x the window end (<= half a block)",
}


@dataclass
class WindowChoice:
    """A fit window in frames (inclusive lag indices) and how it was chosen."""

    start: int
    end: int
    source: str
    mobile_species: list[str]
    linear: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def fs(self, frame_interval_fs: float) -> list[float]:
        return [self.start * frame_interval_fs, self.end * frame_interval_fs]


def _subwindows(start: int, end: int) -> list[tuple[int, int]]:
    edges = [start]
    while edges[-1] * 2 < end:
        edges.append(edges[-1] * 2)
    edges.append(end)
    return [(a, b) for a, b in pairwise(edges) if b > a]


def _is_linear(block_msd: np.ndarray, start: int, end: int, tolerance: float
               ) -> tuple[bool, str]:
    """Whether per-block curves (n_blocks, n_lags) are straight on [start, end].

    Each sub-window's slope is compared with the whole window's slope block by block, so the
    noise allowance is the standard error of their difference (the two are correlated).
    """
    lags = np.arange(start, end + 1, dtype=float)
    whole = ols_slopes(lags, block_msd[:, start:end + 1], axis=1)
    reference = abs(whole.mean())
    for a, b in _subwindows(start, end):
        sub = np.arange(a, b + 1, dtype=float)
        difference = ols_slopes(sub, block_msd[:, a:b + 1], axis=1) - whole
        n = len(difference)
        stderr = difference.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0
        if abs(difference.mean()) > max(tolerance * reference, 3.0 * stderr):
            return False, (f"slope over lags {a}-{b} differs by {difference.mean():.3g} from "
                           f"{whole.mean():.4g} over the window")
    return True, ""


def choose_window(block_msd: np.ndarray, species: list[str], max_end: int,
                  frame_interval_fs: float, window_fs: tuple[float, float] | None = None,
                  tolerance: float = DEFAULT_LINEARITY_TOLERANCE,
                  min_msd_A2: float = DEFAULT_MIN_MSD_A2, end_rule: str = "scaled-window",
                  span: float = DEFAULT_WINDOW_SPAN) -> WindowChoice:
    """Pick (or validate) the fit window from per-block per-atom self MSDs.

    Args:
        block_msd: (n_blocks, n_lags, n_species) per-atom mean self MSD of each species (Å^2).
        species: element of each column.
        max_end: largest lag index allowed as the window end.
        frame_interval_fs: time between frames (fs), to convert a user window and messages.
        window_fs: user window [start, end] in fs, or None to detect it.
        end_rule: how an automatic window ends, a key of :data:`END_RULES`.
        span: window end / start of the ``"scaled-window"`` rule.

    Raises:
        AnalysisError: no species moves enough, or no lag range is linear (trajectory too short).
        InputError: a user window outside the available lags.
    """
    if end_rule not in END_RULES:
        raise InputError(f"unknown window end rule {end_rule!r}; choose one of "
                         f"{', '.join(END_RULES)}")
    if not span > 1.0:
        raise InputError(f"window span must exceed 1 (end / start), got {span:g}")
    mean_msd = block_msd.mean(axis=0)
    end_time = max_end * frame_interval_fs
    mobile = [el for k, el in enumerate(species) if mean_msd[max_end, k] >= min_msd_A2]
    notes = [f"{el}: per-atom MSD {mean_msd[max_end, k]:.3g} Å^2 at {end_time:g} fs is below "
             f"{min_msd_A2:g} Å^2; not diffusive on this time scale"
             for k, el in enumerate(species) if el not in mobile]

    if window_fs is not None:
        start = round(window_fs[0] / frame_interval_fs)
        end = round(window_fs[1] / frame_interval_fs)
        if not 0 <= start < end:
            raise InputError(f"fit window {window_fs[0]:g}-{window_fs[1]:g} fs: start must be >= 0 "
                             "and below the end")
        if end - start < 2:
            raise InputError(f"fit window {window_fs[0]:g}-{window_fs[1]:g} fs spans fewer than 3 "
                             f"frames (frame interval {frame_interval_fs:g} fs)")
        if end > max_end:
            raise InputError(f"fit window end {window_fs[1]:g} fs exceeds the longest usable "
                             f"lag {end_time:g} fs (half a block); use fewer blocks or a shorter "
                             "window")
        choice = WindowChoice(start, end, "user", mobile, notes=notes)
        for k, el in enumerate(species):
            ok, why = _is_linear(block_msd[:, :, k], start, end, tolerance)
            choice.linear[el] = ok
            if not ok:
                choice.notes.append(f"{el}: self MSD not linear in the user window ({why})")
        return choice

    if not mobile:
        best = float(mean_msd[max_end].max())
        raise AnalysisError(
            f"trajectory too short to reach a diffusive regime: the largest per-atom MSD at the "
            f"longest usable lag ({end_time:g} fs) is {best:.3g} Å^2 (< {min_msd_A2:g} Å^2); "
            "run longer, or pass --window-fs to fit anyway")
    columns = [species.index(el) for el in mobile]
    candidates = np.unique(np.geomspace(1, max(1, max_end // 2), num=48).astype(int))
    failure = ""
    for start in candidates:
        end, checked_to = max_end, max_end
        if end_rule == "scaled-window":
            end = min(max_end, max(int(start) + MIN_SPAN_LAGS, round(span * int(start))))
            checked_to = min(max_end, max(end + MIN_SPAN_LAGS, round(CHECK_FACTOR * end)))
        verdicts = [_is_linear(block_msd[:, :, k], int(start), checked_to, tolerance)
                    for k in columns]
        if all(ok for ok, _ in verdicts):
            choice = WindowChoice(int(start), end, "auto", mobile, notes=notes)
            choice.linear = {el: (el in mobile) for el in species}
            return choice
        failure = next(f"{mobile[i]}: {why}" for i, (ok, why) in enumerate(verdicts) if not ok)
    raise AnalysisError(
        f"trajectory too short to reach a diffusive regime: no lag window ending at "
        f"{end_time:g} fs is linear for every mobile species ({failure}); run longer, or pass "
        "--window-fs")
