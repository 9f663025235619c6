"""How long a supercooled melt stays liquid in the MD cell: the liquid lifetime.

A run whose cations order (:mod:`ionflux.md.selection`) ends its liquid part at the onset of
ordering; a run that stayed liquid to its end is censored there. With a constant nucleation
rate per run (a Poisson process, the simplest model that fits a handful of runs), the
maximum-likelihood mean lifetime is the total liquid time over the number of orderings, and
the exact confidence interval for a time-censored Poisson count bounds it (lower bound with
2k + 2 degrees of freedom, upper with 2k). The lifetime belongs to the cell (~100 atoms here):
with a rate J per volume it scales as 1 / (J N), so it says how long a run of this cell can be
before it crystallises, not how fast the bulk melt nucleates. A melt that ages as it runs
may order at a rising rate; with a handful of runs the constant-rate lifetime is a summary
of how long runs last, not a test of the model.

The onset is read as :func:`ionflux.md.selection.select_runs` words it: the start of the first
20-ps window above the order level, so ordering happened within that window; the event is put
at the window's middle (a stated choice: moving it to either edge shifts every onset by half a
window, 10 ps, against lifetimes of ~100-400 ps for the bundled melts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scipy.stats import chi2

from ionflux.errors import InputError
from ionflux.md.aging import ORDER_WINDOW_PS
from ionflux.md.selection import CUT_ORDERED, LEFT_OUT_ORDERED, left_out_entries

_ONSET = re.compile(re.escape(LEFT_OUT_ORDERED) + r" ([\d.]+) ps")
_CUT = re.compile(re.escape(CUT_ORDERED) + r" \(([\d.]+) ps\)")
_STOPPED = re.compile(r"after ([\d.]+) ps")


@dataclass(frozen=True)
class LiquidLifetime:
    """Mean liquid lifetime of one melt's runs (ps) with its confidence interval; ``tau_ps``
    is None when no run ordered (then only ``low_ps`` bounds it)."""

    n_runs: int
    n_ordered: int
    liquid_ps: float
    tau_ps: float | None
    low_ps: float
    high_ps: float | None
    confidence: float

    def describe(self) -> str:
        """One line: lifetime and interval, or the lower bound."""
        level = f"{100 * self.confidence:g} %"
        if self.tau_ps is None:
            return (f"no run of {self.n_runs} ordered in {self.liquid_ps:.0f} ps: lifetime "
                    f"> {self.low_ps:.0f} ps ({level})")
        return (f"{self.n_ordered} of {self.n_runs} runs ordered, {self.liquid_ps:.0f} ps "
                f"liquid: lifetime {self.tau_ps:.0f} ps ({level}: {self.low_ps:.0f}-"
                f"{self.high_ps:.0f})")


def liquid_lifetime(ordered_ps: Sequence[float], liquid_ps: Sequence[float],
                    confidence: float = 0.95) -> LiquidLifetime:
    """Mean lifetime (ps) of runs that ordered after ``ordered_ps`` and of runs that stayed
    liquid for ``liquid_ps`` (censored). Raises InputError for no runs, a negative time or a
    confidence outside (0, 1)."""
    times = [*ordered_ps, *liquid_ps]
    if not times:
        raise InputError("no runs to estimate a liquid lifetime from")
    if min(times) < 0:
        raise InputError(f"negative run time {min(times):g} ps")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must lie in (0, 1), not {confidence:g}")
    k, total = len(ordered_ps), float(sum(times))
    tail = (1 - confidence) / 2
    if k == 0:
        low = 2 * total / chi2.ppf(confidence, 2)
        return LiquidLifetime(len(times), 0, total, None, low, None, confidence)
    return LiquidLifetime(len(times), k, total, total / k,
                          2 * total / chi2.ppf(1 - tail, 2 * k + 2),
                          2 * total / chi2.ppf(tail, 2 * k), confidence)


def run_fates(method: Mapping[str, Any],
              window_ps: float = ORDER_WINDOW_PS) -> tuple[list[float], list[float]]:
    """(times at which runs ordered, times runs stayed liquid), in ps, from a transport
    document's ``provenance.method`` as :func:`ionflux.md.selection.select_runs` words it: a
    run left out or cut for ordering counts at its onset + half a window; a used run at its
    length; a run left out for stopping early (e.g. leaving the domain) at its stop. Raises
    InputError when ``run_ends`` does not name one end per run length."""
    ordered, liquid = [], []
    lengths = [float(p) for p in str(method.get("replicate_run_ps", "")).split(",")
               if p.strip()]
    ends = str(method.get("run_ends", "")).split("; ")
    if len(ends) != len(lengths):
        raise InputError(f"{len(ends)} run ends for {len(lengths)} run lengths")
    for length, end in zip(lengths, ends, strict=True):
        cut = _CUT.search(end)
        if cut:
            ordered.append(float(cut.group(1)) + window_ps / 2)
        else:
            liquid.append(length)
    for entry in left_out_entries(method.get("runs_not_used")):
        onset, stop = _ONSET.search(entry), _STOPPED.search(entry)
        if onset:
            ordered.append(float(onset.group(1)) + window_ps / 2)
        elif stop:
            liquid.append(float(stop.group(1)))
    return ordered, liquid
