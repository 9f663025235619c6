"""Which runs of one melt a transport document uses: the parts that are still a melt.

A run stops describing the melt in two ways: the MD leaves the potential's training domain
(the run stops there; its last frames are extrapolated), or the cations order (a supercooled
melt nucleates; from then on the frames are part crystal, :func:`ionflux.md.aging.
solid_like_windows`). The rule, a stated choice recorded in every exported document:

1. A run that did neither is *clean*. When a melt has a clean run, the document uses the clean
   runs only; every other run is named with when and why it left. (A crystallising run's
   liquid part is liquid data too, but a short part pooled with a long run shortens the lag
   window of both, the reason partial replicates were already left out.)
2. When no run is clean, each run is used up to where it left (the frames before its first
   ordered window, or up to its stop), so the document is of the melt and says it ran short.

Ordering is read where the cation-order flag reads it: the first window whose solid-like
fraction exceeds ``ORDER_FLAG_MAX`` (the level is the caller's); a cut keeps the frames before
that window's start. A measured choice: docs/melt-record.md ("Which runs and frames a document
uses") has what it did to the bundled melts and how they move at levels 0.05 and 0.2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ionflux.errors import IonfluxError
from ionflux.md.aging import ORDER_CUTOFF_A, ORDER_FLAG_MAX, ORDER_WINDOW_PS, solid_like_windows
from ionflux.md.run import MDRun

if TYPE_CHECKING:
    from ionflux.transport.documents import QualityFlag

#: Window list of one run: (start in ps after its first frame, solid-like fraction).
Windows = list[tuple[float, float]]
#: How :func:`select_runs` words a run left out, and a run cut, because its cations order
#: (in ``runs_not_used`` and ``run_ends``; read back by :func:`ordering_changed`).
LEFT_OUT_ORDERED = "cations order from"
CUT_ORDERED = "cut where its cations order"
#: How each entry of ``runs_not_used`` begins (entries joined by "; "; written by
#: :func:`left_out_entry`, read back by :func:`left_out_entries`).
LEFT_OUT_ENTRY = re.compile(r"seed (\S+) not used: ")


def left_out_entry(seed: object, why: str) -> str:
    """One ``runs_not_used`` entry: the run of ``seed`` ("?" when unknown) and why it is not
    used, worded as :data:`LEFT_OUT_ENTRY` reads it."""
    return f"seed {seed} not used: {why}"


@dataclass
class RunOrder:
    """One run and its cation order per window (``windows`` None where it was not measured,
    ``why_not`` saying why)."""

    run: MDRun
    windows: Windows | None
    why_not: str = ""

    def onset_ps(self, level: float) -> float | None:
        """Start of the first window above ``level`` (ps after the first frame), or None."""
        return next((start for start, solid in self.windows or [] if solid > level), None)


@dataclass
class UsedRun:
    """A run a document uses: the run (cut where its cations order), how it ended, its order
    windows (None: not measured), its index among the runs given and where it was cut (ps
    after its first frame; None for a run not cut)."""

    run: MDRun
    end: str
    windows: Windows | None
    source: int
    cut_ps: float | None = None


@dataclass
class LeftOutRun:
    """A run a document does not use: why, and whether its cations ordered."""

    why: str
    ordered: bool


@dataclass
class Selection:
    """The runs a document uses, those it leaves out, and why the order of a used run could
    not be measured (``unmeasured``)."""

    used: list[UsedRun] = field(default_factory=list)
    left_out: list[LeftOutRun] = field(default_factory=list)
    unmeasured: list[str] = field(default_factory=list)

    @property
    def runs(self) -> list[MDRun]:
        """The used runs themselves."""
        return [used.run for used in self.used]


def measure_order(run: MDRun, cutoff: float = ORDER_CUTOFF_A,
                  window_ps: float = ORDER_WINDOW_PS, anion: str = "O",
                  frames: int = 20) -> RunOrder:
    """``run`` with its solid-like fraction per window; a run whose order cannot be measured
    (a cell too small for ``cutoff``, a run shorter than half a window) keeps ``windows``
    None and the reason."""
    try:
        return RunOrder(run, solid_like_windows(run, cutoff, window_ps, anion, frames))
    except IonfluxError as err:
        return RunOrder(run, None, str(err))


def _seed(run: MDRun) -> object:
    return "?" if run.seed is None else run.seed


def run_end(run: MDRun) -> str:
    """How a run ended: "finished", "left the domain" or "stopped early (why)"."""
    if not run.partial:
        return "finished"
    if "training domain" in (run.stop_reason or ""):
        return "left the domain"
    return f"stopped early ({run.stop_reason})"


def select_runs(measured: list[RunOrder], level: float | None = ORDER_FLAG_MAX) -> Selection:
    """The rule of this module on the runs of one melt (``level`` None: ordering neither cuts
    nor leaves out a run, only a stop does; the sensitivity that keeps ordered frames).
    Raises ``IonfluxError`` for no runs."""
    if not measured:
        raise IonfluxError("no runs to select from")
    onsets = [None if level is None else m.onset_ps(level) for m in measured]
    clean = [k for k, m in enumerate(measured) if not m.run.partial and onsets[k] is None]
    picks = clean or list(range(len(measured)))
    chosen = Selection()
    for k, m in enumerate(measured):
        if k not in picks:
            span = (m.run.times_fs[-1] - m.run.times_fs[0]) / 1000
            why = ([f"{LEFT_OUT_ORDERED} {onsets[k]:g} ps (solid-like fraction above "
                    f"{level:g})"] if onsets[k] is not None else [])
            why += [f"{run_end(m.run)} after {span:.1f} ps"] if m.run.partial else []
            chosen.left_out.append(LeftOutRun(left_out_entry(_seed(m.run), "; ".join(why)),
                                              onsets[k] is not None))
            continue
        run, windows = m.run, m.windows
        if onsets[k] is not None:
            # frames before the ordered window's first: none of the ordered part is kept
            run = run.up_to(run.times_fs[0] + 1000 * onsets[k] - 1e-3)
            windows = [(start, solid) for start, solid in m.windows if start < onsets[k]]
        chosen.used.append(UsedRun(run, f"{CUT_ORDERED} ({onsets[k]:g} ps)"
                                   if onsets[k] is not None else run_end(run), windows, k,
                                   onsets[k]))
        if windows is None:
            chosen.unmeasured.append(f"seed {_seed(run)}: {m.why_not}")
    return chosen


def left_out_entries(runs_not_used: str | None) -> list[str]:
    """A document's ``runs_not_used`` split into its entries as :func:`select_runs` words them.
    One entry may itself hold "; " (a run that ordered and stopped early, or a carried
    "(first realisation; not remade)"), so the text is split only where the next entry starts."""
    text = str(runs_not_used or "")
    # split by position, not re.split: LEFT_OUT_ENTRY's group would come back as entries
    starts = [m.start() for m in LEFT_OUT_ENTRY.finditer(text)
              if m.start() == 0 or text.endswith("; ", 0, m.start())]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    ends = [start - 2 for start in starts[1:]] + [len(text)]
    return [text[a:b] for a, b in zip(starts, ends, strict=True) if text[a:b]]


def ordering_changed(method: Mapping[str, Any]) -> bool:
    """Whether the selection left out or cut one of a document's runs because its cations
    order, read from the document's ``provenance.method`` as :func:`select_runs` words it."""
    return (LEFT_OUT_ORDERED in str(method.get("runs_not_used", ""))
            or CUT_ORDERED in str(method.get("run_ends", "")))


def order_flag(selection: Selection, threshold: float = ORDER_FLAG_MAX,
               cutoff: float = ORDER_CUTOFF_A, window_ps: float = ORDER_WINDOW_PS,
               anion: str = "O") -> QualityFlag | None:
    """The cation-order flag of the frames a document uses: the largest solid-like fraction
    of any used window against ``threshold``; the reason names the window and every run cut
    or left out for ordering. None when no used run's order was measured."""
    from ionflux.transport.documents import QualityFlag

    measured = [(used.run, used.windows) for used in selection.used if used.windows is not None]
    if not measured:
        return None
    cations = "+".join(sorted(set(measured[0][0].symbols) - {anion}))
    worst = (0.0, "", 0.0)
    for run, windows in measured:
        for start, solid in windows:
            if solid > worst[0]:
                worst = (solid, f"seed {_seed(run)}", start)
    value, which, start = worst
    where = f" ({which}, window from {start:.0f} ps)" if which else ""
    ordered = [left.why for left in selection.left_out if left.ordered]
    ordered += [f"seed {_seed(used.run)} {used.end}" for used in selection.used
                if used.cut_ps is not None]
    return QualityFlag(
        passed=value <= threshold, value=value, threshold=threshold,
        reason=(f"largest solid-like fraction of the {cations} sublattice in {window_ps:g}-ps "
                f"windows{' of the frames used' if ordered else ''}: {value:.2f}{where}, "
                f"within {cutoff:g} Å"
                + (": the melt crystallised in part" if value > threshold else "")
                + (f"; {'; '.join(ordered)}" if ordered else "")))


def cation_order(runs: list[MDRun], threshold: float = ORDER_FLAG_MAX,
                 cutoff: float = ORDER_CUTOFF_A, window_ps: float = ORDER_WINDOW_PS,
                 anion: str = "O", frames: int = 20) -> QualityFlag:
    """Whether the cations of ``runs`` (replicates of one melt, whole) stay disordered: the
    largest solid-like fraction of any window (:func:`ionflux.md.aging.solid_like_windows`)
    against ``threshold``, naming the run and window. Raises ``InputError`` where the order
    cannot be measured (e.g. a cell too small for ``cutoff``)."""
    whole = Selection(used=[UsedRun(run, run_end(run),
                                    solid_like_windows(run, cutoff, window_ps, anion, frames), k)
                            for k, run in enumerate(runs)])
    return order_flag(whole, threshold, cutoff, window_ps, anion)
