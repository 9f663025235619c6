"""Literature statements about BaO + TiO2 recipes R1-R4 (SCIENCE.md §6), checked on predictions.

Each statement is what the experiments (as summarised by the study the automaton reproduces)
report, turned into a test on a :class:`~ionflux.ca.documents.PredictionDoc`. The test is written
out in :attr:`Statement.test`; it is the statement as written, never a weaker version. Quantities:

* "Products" are every phase except the precursors (BaO, TiO2). A *share* is a fraction of the
  product formula units; a *mole fraction* is a fraction of all formula units, leftover
  precursors included (the documents' ``mol_fraction``).
* At a profile step's end (:class:`~ionflux.ca.documents.StepEnd`, the last one is the final
  state) a share or mole fraction is the mean over realisations of the per-realisation value.
  Along the recorded series (peaks, "first") the realisation-mean mole fractions are used.
* "nearly / near phase-pure X": X's share is >= :data:`PHASE_PURE` (0.90).
* "X the majority / primary product": X's share is ahead of every other product's by more than
  :data:`LEAD_SE` (3) standard errors of the *paired* per-realisation difference; the error
  counts realisations that share an input draw as one (:func:`mean_se`; they mostly agree,
  since thermodynamics dominates the spread); a tie fails, and with one independent draw the
  statement cannot be decided (fails).
* "consumed": at least 90 % of the phase's peak gone (value <= :data:`CONSUMED` x peak);
  "mostly consumed": more than half gone (value < :data:`MOSTLY_CONSUMED` x peak); both need
  the phase to have formed (peak > 0).
* Steps are found by temperature (:func:`step_end_at`), not by index.

A statement with a ``mode`` is about that scoring mode only (the R1 thermodynamics-only mixture);
one with ``versus`` compares the document with the same recipe's document in that other mode
(the R1 kinetic contrast) and its check takes both documents.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ionflux.ca.documents import PredictionDoc, SeriesPoint, StepEnd
from ionflux.ca.spread import clustered_stderr, joint_groups

PRECURSORS = ("BaO", "TiO2")

#: Share of the products that makes a product "nearly / near phase-pure".
PHASE_PURE = 0.90
#: Standard errors by which a "majority" / "primary" product must lead every other one.
LEAD_SE = 3.0
#: "consumed": value <= CONSUMED x peak; "mostly consumed": value < MOSTLY_CONSUMED x peak.
CONSUMED = 0.1
MOSTLY_CONSUMED = 0.5
#: Products below this share are not "present" (powder XRD does not report them).
PRESENT = 0.01
#: Products must reach this mole fraction (all formula units) before "first" is read off.
FIRST_THRESHOLD = 0.01

#: The Ti-rich products of R2.
TI_RICH = ("BaTi5O11", "BaTi4O9", "Ba2Ti9O20")
#: Each recipe's headline: the product(s) whose combined final share the benchmark reports.
HEADLINE: dict[str, tuple[str, ...]] = {"R1": ("BaTiO3",), "R2": TI_RICH,
                                        "R3": ("Ba2Ti9O20",), "R4": ("BaTi2O5",)}

Fractions = Mapping[str, float]


# ------------------------------------------------------------------ quantities
def _fractions(point: SeriesPoint | Fractions) -> Fractions:
    return point.mol_fraction if isinstance(point, SeriesPoint) else point


def products(point: SeriesPoint | Fractions) -> dict[str, float]:
    """Mole fractions of the non-precursor phases."""
    return {p: v for p, v in _fractions(point).items() if p not in PRECURSORS}


def product_shares(point: SeriesPoint | Fractions) -> dict[str, float]:
    """Each product's share of all product formula units (empty before anything formed)."""
    made = products(point)
    total = sum(made.values())
    return {} if total <= 0 else {p: v / total for p, v in made.items()}


def shares(end: StepEnd, *phases: str) -> np.ndarray:
    """Per realisation: the combined share of ``phases`` among the products at ``end``."""
    return np.array([sum(product_shares(row).get(p, 0.0) for p in phases)
                     for row in end.mol_fraction_realisations])


def fractions(end: StepEnd, *phases: str) -> np.ndarray:
    """Per realisation: the combined mole fraction (all formula units) of ``phases``."""
    return np.array([sum(row.get(p, 0.0) for p in phases)
                     for row in end.mol_fraction_realisations])


def mean_se(values: Sequence[float] | np.ndarray, groups: Sequence[int] | None = None
            ) -> tuple[float, float | None]:
    """Mean over realisations and its standard error over the independent ``groups`` of
    realisations (:func:`ionflux.ca.spread.clustered_stderr`; without groups every realisation
    counts, std(ddof=1)/sqrt(n)); None with fewer than two groups."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        raise ValueError("no realisations")
    se = clustered_stderr(arr, groups)
    return float(arr.mean()), None if se is None else float(se)


def independent_count(end: StepEnd) -> int:
    """Independent draws behind a step end (every realisation without ``draw_group``)."""
    n = len(end.mol_fraction_realisations)
    return n if end.draw_group is None else len(set(end.draw_group))


def sample_size(end: StepEnd) -> str:
    """How many realisations and independent draws a step end's errors rest on."""
    n = len(end.mol_fraction_realisations)
    if end.draw_group is None:
        return f"n={n}"
    return f"{independent_count(end)} independent draws of {n} realisations"


def product_names(end: StepEnd) -> list[str]:
    """Every product phase named at ``end``."""
    names = {p for row in end.mol_fraction_realisations for p in row}
    return sorted(p for p in names if p not in PRECURSORS)


# ------------------------------------------------------------------ points of the profile
def final_end(doc: PredictionDoc) -> StepEnd:
    """The final state with its per-realisation fractions."""
    if not doc.step_ends:
        raise ValueError("the document has no per-realisation step ends")
    return doc.step_ends[-1]


def step_end_at(doc: PredictionDoc, temperature_K: float, tolerance_K: float = 50.0) -> StepEnd:
    """End of the last profile step at the temperature nearest ``temperature_K``.

    Raises ValueError when no step lies within ``tolerance_K``.
    """
    if not doc.step_ends:
        raise ValueError("the document has no per-realisation step ends")
    nearest = min(abs(e.temperature_K - temperature_K) for e in doc.step_ends)
    if nearest > tolerance_K:
        raise ValueError(f"no profile step within {tolerance_K:g} K of {temperature_K:g} K")
    return [e for e in doc.step_ends if abs(e.temperature_K - temperature_K) == nearest][-1]


def end_of_step(doc: PredictionDoc, temperature_K: float) -> SeriesPoint:
    """The last recorded series point at ``temperature_K`` (end of the last step at that T)."""
    points = [p for p in doc.series if abs(p.temperature_K - temperature_K) < 1e-6]
    if not points:
        raise ValueError(f"no recorded point at {temperature_K:g} K")
    return points[-1]


def peak(doc: PredictionDoc, phase: str, until: float | None = None) -> tuple[float, float]:
    """(largest realisation-mean mole fraction of ``phase``, its time), up to time ``until``."""
    points = [p for p in doc.series if until is None or p.time <= until + 1e-9]
    best = max(points, key=lambda p: p.mol_fraction.get(phase, 0.0))
    return best.mol_fraction.get(phase, 0.0), best.time


def first_product(doc: PredictionDoc, threshold: float = FIRST_THRESHOLD
                  ) -> tuple[str, float] | None:
    """(largest product, temperature) at the first record where products reach ``threshold``."""
    point = first_point(doc, threshold)
    if point is None:
        return None
    made = products(point)
    return max(made, key=made.__getitem__), point.temperature_K


def first_point(doc: PredictionDoc, threshold: float = FIRST_THRESHOLD) -> SeriesPoint | None:
    """The first record where the products' total mole fraction reaches ``threshold``."""
    return next((p for p in doc.series if sum(products(p).values()) >= threshold), None)


# ------------------------------------------------------------------ verdict helpers
def lead(end: StepEnd, leader: str, rivals: Iterable[str] | None = None,
         k: float = LEAD_SE) -> tuple[bool, str]:
    """Is ``leader``'s share ahead of every rival's by more than ``k`` paired standard errors?

    Per realisation d = share(leader) - share(rival); the test is mean(d) > k * SE(d), SE over
    the independent draws (:func:`mean_se` with ``end.draw_group``). A tie (mean 0) fails; one
    independent draw cannot decide it (fails). The detail names the rival closest to failing.
    """
    groups = end.draw_group
    names = [p for p in (product_names(end) if rivals is None else rivals) if p != leader]
    if independent_count(end) < 2:
        return False, (f"{leader} lead cannot be decided from one independent draw "
                       f"({sample_size(end)}; no standard error)")
    own = shares(end, leader)
    worst: tuple[float, str, float, float] | None = None
    for rival in names:
        d = own - shares(end, rival)
        mean, se = mean_se(d, groups)
        slack = mean - k * (se or 0.0)
        if worst is None or slack < worst[0]:
            worst = (slack, rival, mean, se or 0.0)
    if worst is None:
        return False, f"no rival of {leader}"
    slack, rival, mean, se = worst
    z = "tie" if mean == 0 else ("inf" if se == 0 else f"{mean / se:.1f}")
    return slack > 0 and mean > 0, (
        f"{leader} {own.mean():.1%} vs {rival} {shares(end, rival).mean():.1%} of products "
        f"at {end.temperature_K:g} K: ahead by {mean:+.3f} = {z} SE ({sample_size(end)})")


def _consumed(doc: PredictionDoc, phase: str, at: float, factor: float, strict: bool,
              peak_until: float | None = None) -> tuple[bool, str]:
    """``phase``'s mole fraction at time ``at`` against ``factor`` x its peak (up to
    ``peak_until``, default ``at``); the phase must have formed."""
    top, when = peak(doc, phase, at if peak_until is None else peak_until)
    value = next(p for p in reversed(doc.series) if p.time <= at + 1e-9).mol_fraction.get(
        phase, 0.0)
    ok = top > 0 and (value < factor * top if strict else value <= factor * top)
    return ok, f"{phase} peak {top:.3f} (t={when:.1f}), then {value:.3f} (t={at:.1f})"


def _all(parts: Iterable[tuple[bool, str]]) -> tuple[bool, str]:
    """Every part must pass; the details joined."""
    results = list(parts)
    return all(ok for ok, _ in results), "; ".join(d for _, d in results)


def _at_most(label: str, values: np.ndarray, limit: float, strict: bool = True
             ) -> tuple[bool, str]:
    value = float(values.mean())
    ok = value < limit if strict else value <= limit
    return ok, f"{label} {value:.3f} ({'<' if strict else '<='} {limit:g})"


def _at_least(label: str, values: np.ndarray, limit: float) -> tuple[bool, str]:
    value = float(values.mean())
    return value >= limit, f"{label} {value:.3f} (>= {limit:g})"


def _within(label: str, values: np.ndarray, low: float, high: float) -> tuple[bool, str]:
    value = float(values.mean())
    return low <= value <= high, f"{label} {value:.3f} (in [{low:g}, {high:g}])"


# ------------------------------------------------------------------ the statement type
@dataclass(frozen=True)
class Statement:
    """A literature statement, the test it becomes, and the check itself.

    ``mode``: the scoring mode whose document the statement is about (None: any mode's document
    is judged). ``versus``: the mode of a second document of the same recipe the check compares
    with; the check is then called as ``check(doc, other)``.
    """

    recipe: str
    key: str
    text: str
    test: str
    check: Callable[..., tuple[bool, str]]
    mode: str | None = None
    versus: str | None = None

    def applies(self, mode: str) -> bool:
        return self.mode is None or self.mode == mode


# ------------------------------------------------------------------ R1 (1:1)
def _r1_pure(doc: PredictionDoc) -> tuple[bool, str]:
    return _at_least("BaTiO3 share", shares(final_end(doc), "BaTiO3"), PHASE_PURE)


def _r1_first(doc: PredictionDoc) -> tuple[bool, str]:
    point = first_point(doc)
    if point is None:
        return False, f"products never reach {FIRST_THRESHOLD:g}"
    made = products(point)
    top = sorted(made, key=lambda p: -made[p])[:3]
    ok = set(top[:2]) == {"Ba2TiO4", "BaTiO3"} and min(made[p] for p in top[:2]) > 0
    return ok, f"first (at {point.temperature_K:g} K): " + ", ".join(
        f"{p} {made[p]:.3f}" for p in top)


def _r1_ba2tio4_consumed(doc: PredictionDoc) -> tuple[bool, str]:
    return _consumed(doc, "Ba2TiO4", doc.series[-1].time, CONSUMED, strict=False)


def _r1_major_impurity(doc: PredictionDoc) -> tuple[bool, str]:
    ends = [e for e in doc.step_ends if e.temperature_K > 1200.0]
    if not ends:
        return False, "no profile step above 1200 K"
    return _all(lead(e, "BaTi2O5", [p for p in product_names(e) if p != "BaTiO3"])
                for e in ends)


def _r1_bati2o5_consumed(doc: PredictionDoc) -> tuple[bool, str]:
    return _all((_consumed(doc, "BaTi2O5", doc.series[-1].time, MOSTLY_CONSUMED, strict=True),
                 _at_most("final BaTi2O5 mole fraction", fractions(final_end(doc), "BaTi2O5"),
                          0.05)))


def _r1_thermo_mixture(doc: PredictionDoc) -> tuple[bool, str]:
    end = final_end(doc)
    return _all(_within(f"{p} share", shares(end, p), c - 0.05, c + 0.05)
                for p, c in (("BaTiO3", 0.70), ("Ba2TiO4", 0.15), ("BaTi2O5", 0.20)))


def _r1_contrast(full: PredictionDoc, thermo_only: PredictionDoc) -> tuple[bool, str]:
    return contrast(full, thermo_only)


def contrast(full: PredictionDoc, other: PredictionDoc, phase: str = "BaTiO3",
             k: float = LEAD_SE) -> tuple[bool, str]:
    """Is ``phase``'s final share in ``full`` higher than in ``other`` by more than ``k``
    standard errors of the difference? Runs with as many realisations are paired: d_i = a_i -
    b_i, its SE over the groups independent in both runs (:func:`joint_groups`), which holds
    for any two runs and is the smaller where they share draws: runs of one seed share their
    thermodynamic draws and grids realisation by realisation, and R1's BaTiO3 share, full vs
    thermo-only, correlates at +0.5 to +0.8 over them (measured in the eighteenth session).
    Otherwise SE = sqrt(SE_a^2 + SE_b^2), each over its run's independent draws
    (:func:`mean_se`). Fewer than two independent groups cannot decide it (fails)."""
    end_a, end_b = final_end(full), final_end(other)
    share_a, share_b = shares(end_a, phase), shares(end_b, phase)
    a, b = float(share_a.mean()), float(share_b.mean())
    label = f"{phase} share: {full.inputs.mode} {a:.1%}, {other.inputs.mode} {b:.1%}"
    if share_a.size == share_b.size:
        groups = joint_groups(end_a.draw_group, end_b.draw_group, share_a.size)
        _, se = mean_se(share_a - share_b, groups)
        how = f"paired over {len(set(groups))} independent groups"
    else:
        _, se_a = mean_se(share_a, end_a.draw_group)
        _, se_b = mean_se(share_b, end_b.draw_group)
        se = None if se_a is None or se_b is None else math.hypot(se_a, se_b)
        how = "unpaired"
    if se is None:
        return False, f"{label}: cannot be decided with one independent draw"
    z = "inf" if se == 0 else f"{(a - b) / se:.1f}"
    return a - b > k * se and a > b, f"{label}, difference {a - b:+.3f} = {z} SE ({how})"


# ------------------------------------------------------------------ R2 (1:5)
def _early(doc: PredictionDoc) -> float:
    """End of the "early" window: the first half of the profile's duration."""
    return doc.series[-1].time / 2


def _r2_early(doc: PredictionDoc) -> tuple[bool, str]:
    until = _early(doc)
    bt, _ = peak(doc, "BaTiO3", until)
    b2, _ = peak(doc, "BaTi2O5", until)
    return 0 < bt < 0.10 and 0.05 <= b2 <= 0.20, (
        f"early (t <= {until:g}) peak mole fractions: BaTiO3 {bt:.3f} (in (0, 0.1)), "
        f"BaTi2O5 {b2:.3f} (in [0.05, 0.2])")


def _r2_consumed(doc: PredictionDoc) -> tuple[bool, str]:
    until, end = _early(doc), doc.series[-1].time
    mid = next(p for p in reversed(doc.series) if p.time <= until + 1e-9)
    gone = [_consumed(doc, p, end, CONSUMED, strict=False, peak_until=until)
            for p in ("BaTiO3", "BaTi2O5")]
    final = doc.series[-1].mol_fraction
    grown = [(final.get(p, 0.0) > mid.mol_fraction.get(p, 0.0),
              f"{p} {mid.mol_fraction.get(p, 0.0):.3f} -> {final.get(p, 0.0):.3f}")
             for p in TI_RICH]
    return _all([*gone, *grown])


def _r2_final(doc: PredictionDoc) -> tuple[bool, str]:
    end = final_end(doc)
    return _all([_at_least("Ti-rich share", shares(end, *TI_RICH), PHASE_PURE),
                 *(_at_least(f"{p} share", shares(end, p), PRESENT) for p in TI_RICH),
                 _at_least("TiO2 mole fraction", fractions(end, "TiO2"), PRESENT)])


# ------------------------------------------------------------------ R3 (2:9)
def _r3_primary(doc: PredictionDoc) -> tuple[bool, str]:
    return lead(final_end(doc), "Ba2Ti9O20")


def _r3_expense(doc: PredictionDoc) -> tuple[bool, str]:
    before, end = step_end_at(doc, 1400.0), final_end(doc)
    moves = []
    for phase, up in (("Ba2Ti9O20", True), ("BaTi5O11", False), ("BaTi4O9", False)):
        a, b = float(fractions(before, phase).mean()), float(fractions(end, phase).mean())
        moves.append((b > a if up else b < a, f"{phase} {a:.3f} -> {b:.3f}"))
    return _all([*moves, *(_at_least(f"final {p} share", shares(end, p), PRESENT)
                           for p in ("BaTi5O11", "BaTi4O9"))])


def _r3_early(doc: PredictionDoc) -> tuple[bool, str]:
    anneal = step_end_at(doc, 1400.0).time
    return _all(_consumed(doc, p, at, CONSUMED, strict=False, peak_until=anneal)
                for p in ("BaTiO3", "BaTi2O5") for at in (anneal, doc.series[-1].time))


# ------------------------------------------------------------------ R4 (1:2)
def _r4_first(doc: PredictionDoc) -> tuple[bool, str]:
    return lead(step_end_at(doc, 1200.0), "BaTiO3")


def _r4_second(doc: PredictionDoc) -> tuple[bool, str]:
    return lead(step_end_at(doc, 1300.0), "BaTi2O5", ["BaTiO3"])


def _r4_pure(doc: PredictionDoc) -> tuple[bool, str]:
    end = final_end(doc)
    return _all((_at_least("BaTi2O5 share", shares(end, "BaTi2O5"), PHASE_PURE),
                 _at_most("BaTiO3 + Ba6Ti17O40 share", shares(end, "BaTiO3", "Ba6Ti17O40"),
                          0.05)))


_MAJOR = (f"ahead of every other product's share by > {LEAD_SE:g} standard errors of the paired "
          "per-realisation difference (realisations sharing an input draw counted as one); a "
          "tie or one independent draw fails")

STATEMENTS: tuple[Statement, ...] = (
    Statement("R1", "R1.pure", "nearly phase-pure BaTiO3 at the end",
              f"final BaTiO3 share of products >= {PHASE_PURE:g}", _r1_pure),
    Statement("R1", "R1.first", "Ba2TiO4 and BaTiO3 form first",
              f"at the first record where products reach {FIRST_THRESHOLD:g} mole fraction (all "
              "formula units; below that a few cells decide), the two largest products are "
              "Ba2TiO4 and BaTiO3", _r1_first),
    Statement("R1", "R1.Ba2TiO4", "Ba2TiO4 is then consumed",
              f"final Ba2TiO4 mole fraction <= {CONSUMED:g} x its peak (>= 90 % of it gone; "
              "'consumed', unqualified), peak > 0", _r1_ba2tio4_consumed),
    Statement("R1", "R1.impurity", "BaTi2O5 is the major impurity past ~1200 K",
              "at every step end above 1200 K (the 1300, 1400 K ramp steps and the final "
              "1500 K anneal), BaTi2O5's share is ahead of every product other than BaTiO3 by "
              f"> {LEAD_SE:g} paired SE ('major' = the largest, decided like 'majority')",
              _r1_major_impurity),
    Statement("R1", "R1.BaTi2O5", "BaTi2O5 then mostly consumed, < 5 mol% at the end",
              f"final BaTi2O5 mole fraction < {MOSTLY_CONSUMED:g} x its peak (more than half "
              "gone) and < 0.05 as a mole fraction of all formula units ('mol%' is a fraction "
              "of the whole sample, leftover precursors included)", _r1_bati2o5_consumed),
    Statement("R1", "R1.thermo", "thermodynamics-only scoring: ~70 % BaTiO3, ~15 % Ba2TiO4, "
              "~20 % BaTi2O5",
              "thermo-only document: final shares of products (the three add to ~100 %, so "
              "they are shares) within +-5 points of 0.70, 0.15, 0.20 ('~' on numbers quoted "
              "to the nearest 5 %)", _r1_thermo_mixture, mode="thermo-only"),
    Statement("R1", "R1.contrast", "full scoring gives distinctly more BaTiO3 than "
              "thermodynamics-only",
              f"full document vs thermo-only document: final BaTiO3 share higher by > "
              f"{LEAD_SE:g} SE of the difference (paired per realisation over the groups "
              "independent in both runs; unpaired, sqrt(SE_full^2 + SE_thermo^2), when their "
              "realisations differ in number)", _r1_contrast, mode="full",
              versus="thermo-only"),
    Statement("R2", "R2.early", "small early BaTiO3 (< 10 %) and BaTi2O5 (~10 %)",
              "over the first half of the profile's duration, the peak mole fraction (of all "
              "formula units: early on nearly all formula units are TiO2, so 'small' amounts "
              "are fractions of the sample) of BaTiO3 is in (0, 0.10) and of BaTi2O5 in "
              "[0.05, 0.20] ('~10 %' read as within a factor of two)", _r2_early),
    Statement("R2", "R2.consumed", "these consumed in favour of BaTi5O11, BaTi4O9 and "
              "Ba2Ti9O20",
              f"final mole fractions of BaTiO3 and BaTi2O5 each <= {CONSUMED:g} x their early "
              "(first-half) peak, and BaTi5O11, BaTi4O9 and Ba2Ti9O20 each higher at the end "
              "than at the end of the first half", _r2_consumed),
    Statement("R2", "R2.final", "final products: these Ti-rich phases plus leftover TiO2",
              f"final BaTi5O11 + BaTi4O9 + Ba2Ti9O20 share of products >= {PHASE_PURE:g} (the "
              f"phase-purity threshold), each of the three >= {PRESENT:g} of the products "
              f"(detectable), and TiO2 mole fraction >= {PRESENT:g}", _r2_final),
    Statement("R3", "R3.primary", "Ba2Ti9O20 is the primary product",
              f"final Ba2Ti9O20 share {_MAJOR}", _r3_primary),
    Statement("R3", "R3.expense", "Ba2Ti9O20 forms at the expense of BaTi5O11 and BaTi4O9, "
              "which remain as impurities",
              "from the end of the 1400 K anneal to the end, Ba2Ti9O20's mole fraction rises "
              "and BaTi5O11's and BaTi4O9's each fall; at the end each of those two is >= "
              f"{PRESENT:g} of the products", _r3_expense),
    Statement("R3", "R3.early", "early BaTiO3 / BaTi2O5 quickly consumed",
              f"each of BaTiO3 and BaTi2O5 formed (peak > 0 by the end of the 1400 K anneal) "
              f"and its mole fraction is <= {CONSUMED:g} x that peak at the end of the 1400 K "
              "anneal ('quickly': before the 1700 K anneal) and at the end", _r3_early),
    Statement("R4", "R4.first", "BaTiO3 is the majority product after the first anneal",
              f"at the end of the 1200 K anneal BaTiO3's share is {_MAJOR}", _r4_first),
    Statement("R4", "R4.second", "BaTi2O5 overtakes BaTiO3 in the second anneal",
              f"at the end of the 1300 K anneal BaTi2O5's share is ahead of BaTiO3's by > "
              f"{LEAD_SE:g} paired SE", _r4_second),
    Statement("R4", "R4.pure", "near phase-pure BaTi2O5 with < 5 % BaTiO3 and Ba6Ti17O40 at "
              "the end",
              f"final BaTi2O5 share of products >= {PHASE_PURE:g} and BaTiO3 + Ba6Ti17O40 "
              "together < 0.05 of the products (the '%' qualifies the product's purity, so "
              "shares; 'and' read as the two together)", _r4_pure),
)


def judge(statement: Statement, doc: PredictionDoc,
          others: Mapping[str, PredictionDoc] | None = None) -> tuple[bool, str]:
    """One statement's verdict on ``doc`` (``others``: the recipe's documents by mode, for a
    statement with ``versus``). A check that cannot find what it needs fails with the reason."""
    try:
        if statement.versus is None:
            return statement.check(doc)
        other = (others or {}).get(statement.versus)
        if other is None:
            return False, f"not decided: needs the {statement.versus} document"
        return statement.check(doc, other)
    except ValueError as exc:
        return False, f"not decided: {exc}"


def evaluate(doc: PredictionDoc, others: Mapping[str, PredictionDoc] | None = None
             ) -> list[tuple[Statement, bool, str]]:
    """Every statement of ``doc``'s recipe that applies to its mode, with verdict and numbers."""
    return [(s, *judge(s, doc, others)) for s in STATEMENTS
            if s.recipe == doc.inputs.recipe and s.applies(doc.inputs.mode)]
