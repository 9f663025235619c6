"""Per-record time-axis factors of a published tensor set, measured against a reference set.

A wrong time between frames scales every Onsager coefficient of a record by one factor (slopes
go as 1 / time), whatever the species. Given reference documents of the same compositions at
one temperature (our own MD with a potential trained on DFT, ``REFERENCE_FILE``), the factor of
a published record is

    F = exp(mean over cations i of ln(L_ii^self,published / L_ii^self,reference)),

the geometric mean over the cations (the species K_D sums over; the anion flux follows from
charge balance), at the reference's temperature. It is applied to that composition's records
at every temperature: a time-axis error belongs to how a composition's runs were analysed, not
to a temperature (an assumption, stated in every corrected document). A composition without a
reference takes the factor of the reference composition nearest in cation fractions (recorded
as such). The spread of the per-cation log ratios is recorded as ``log_sd``.

Comparing L^self rather than D avoids the atom count the published records do not give; the
two cells' densities differ by ~10 %, far below the factors measured (1-260x). A reference
species that fails the diffusive check has an upper-bound D, so its ratio is a lower bound
(``lower_bound`` True).

Nothing here applies a factor unless asked: :func:`ionflux.transport.published.load_published`
with ``time_axis_factor="reference"`` does, recording each factor and its origin.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from importlib import resources

from ionflux.errors import DataNotFoundError, InputError
from ionflux.formula import Composition, reduced_formula
from ionflux.transport.documents import TransportDoc

#: Bundled reference documents per system folder (``ionflux/data/<system>/``).
REFERENCE_FILE = "transport_distilled_melts.json"

#: Species that are never cations here (the anion flux is fixed by charge balance).
ANIONS = frozenset({"O", "S", "Se", "Te", "N", "F", "Cl", "Br", "I"})


@dataclass(frozen=True)
class TimeAxisFactor:
    """Factor F dividing every L of one composition's published records, and its evidence."""

    formula: str
    factor: float
    temperature_K: float
    origin: str  # "measured" or "nearest reference: FORMULA"
    ratios: dict[str, float]  # published / reference L_ii^self per cation
    log_sd: float | None  # spread of ln(ratio) over the cations (None for one cation)
    lower_bound: bool  # a reference cation failed the diffusive check

    def describe(self) -> str:
        """One line: the factor, where it comes from, the per-cation ratios."""
        ratios = ", ".join(f"{el} {r:.3g}" for el, r in self.ratios.items())
        bound = "; a lower bound (reference not diffusive)" if self.lower_bound else ""
        return (f"{self.formula}: F = {self.factor:.3g} ({self.origin} at "
                f"{self.temperature_K:g} K; published/reference L_self: {ratios}{bound})")

    def as_dict(self) -> dict:
        return asdict(self)


def _reference_file(system: str):
    path = resources.files("ionflux") / "data" / system.lower() / REFERENCE_FILE
    if not path.is_file():
        raise DataNotFoundError(f"no reference transport documents for {system} "
                                f"(ionflux/data/{system.lower()}/{REFERENCE_FILE})")
    return path


def reference_sha256(system: str = "Ba-Ti-O") -> str:
    """sha256 of the bundled reference file of ``system`` (for fingerprints)."""
    return hashlib.sha256(_reference_file(system).read_bytes()).hexdigest()


def variant_file(suffix: str) -> str:
    """File name of the bundled reference variant ``suffix`` (``59ps``, ``first``, ...)."""
    return REFERENCE_FILE.replace(".json", f"_{suffix}.json")


def load_reference(system: str = "Ba-Ti-O", span_ps: float | None = None,
                   variant: str | None = None) -> list[TransportDoc]:
    """The bundled reference documents of ``system`` (DataNotFoundError if there are none).

    ``span_ps``: every run analysed over at most its first ``span_ps`` ps after equilibration
    (a bundled alternative, ``transport_distilled_melts_<span>ps.json``, holding the documents
    that the cut changes), for melts that relax as they run; ``variant``: another bundled
    alternative by its file suffix (``ordered``: runs whose cations order kept whole, the
    frames of the ordered part included); neither: the runs and frames of
    :mod:`ionflux.md.selection` (liquid, inside the potential's domain). Both at once are
    refused (InputError): each names one bundled file, and none holds both changes."""
    if span_ps is not None and variant is not None:
        raise InputError(f"pass span_ps or variant, not both (got span_ps={span_ps:g}, "
                         f"variant={variant!r}): each names one bundled alternative")
    docs = [TransportDoc.model_validate(d)
            for d in json.loads(_reference_file(system).read_text())["documents"]]
    if span_ps is None and variant is None:
        return docs
    suffix = variant if variant is not None else f"{span_ps:g}ps"
    what = f"variant {variant!r}" if variant is not None else f"cut to {span_ps:g} ps"
    name = variant_file(suffix)
    path = resources.files("ionflux") / "data" / system.lower() / name
    if not path.is_file():
        raise DataNotFoundError(f"no reference documents of {system} {what} "
                                f"(ionflux/data/{system.lower()}/{name})")
    cut = {(d.formula, d.temperature_K): d for d in
           (TransportDoc.model_validate(raw)
            for raw in json.loads(path.read_text())["documents"])}
    unknown = set(cut) - {(d.formula, d.temperature_K) for d in docs}
    if unknown:
        raise DataNotFoundError(f"{name}: documents without a whole-run document: "
                                + ", ".join(f"{f} {t:g} K" for f, t in sorted(unknown)))
    return [cut.get((d.formula, d.temperature_K), d) for d in docs]


def _cation_fractions(formula: str, anions: frozenset[str]) -> dict[str, float]:
    amounts = {el: a for el, a in Composition(formula).get_el_amt_dict().items()
               if el not in anions}
    total = sum(amounts.values())
    return {el: a / total for el, a in amounts.items()}


def _measured(published: TransportDoc, reference: TransportDoc,
              anions: frozenset[str]) -> TimeAxisFactor:
    ratios: dict[str, float] = {}
    lower_bound = False
    for el in reference.species:
        if el in anions or el not in published.species:
            continue
        ref = reference.L_self[reference.species.index(el)]
        pub = published.L_self[published.species.index(el)]
        if not (ref > 0 and pub > 0):
            raise InputError(f"{reference.formula}: L_self of {el} must be positive in both "
                             f"sets to measure a time-axis factor (published {pub:g}, "
                             f"reference {ref:g})")
        ratios[el] = pub / ref
        flag = reference.quality.get(f"diffusive_{el}")
        lower_bound |= flag is not None and not flag.passed
    if not ratios:
        raise InputError(f"{reference.formula}: no cation in common with the published record")
    logs = [math.log(r) for r in ratios.values()]
    mean = sum(logs) / len(logs)
    spread = (math.sqrt(sum((x - mean) ** 2 for x in logs) / (len(logs) - 1))
              if len(logs) > 1 else None)
    return TimeAxisFactor(formula=reduced_formula(reference.formula), factor=math.exp(mean),
                          temperature_K=float(reference.temperature_K), origin="measured",
                          ratios=ratios, log_sd=spread, lower_bound=lower_bound)


def time_axis_factors(published: Iterable[TransportDoc], reference: Iterable[TransportDoc], *,
                      anions: frozenset[str] = ANIONS,
                      tolerance_K: float = 1.0) -> dict[str, TimeAxisFactor]:
    """Factor per published composition (reduced formula), measured where a reference document
    at the same temperature (within ``tolerance_K``) exists, else borrowed from the nearest
    measured composition in cation fractions (ties: the lexically first formula)."""
    published = list(published)
    by_key = {(reduced_formula(d.formula), round(float(d.temperature_K))): d for d in published}
    measured: dict[str, TimeAxisFactor] = {}
    for ref in reference:
        formula = reduced_formula(ref.formula)
        match = next((d for (f, t), d in by_key.items()
                      if f == formula and abs(t - ref.temperature_K) <= tolerance_K), None)
        if match is None:
            continue
        if formula in measured:  # one factor per composition: say which to use
            raise InputError(f"two reference documents of {formula} match published records "
                             f"({measured[formula].temperature_K:g} and "
                             f"{ref.temperature_K:g} K); keep one")
        measured[formula] = _measured(match, ref, anions)
    if not measured:
        raise InputError("no reference document matches a published record (same formula and "
                         "temperature): no time-axis factor can be measured")
    factors = dict(measured)
    fractions = {f: _cation_fractions(f, anions) for f in measured}
    for formula in sorted({f for f, _ in by_key} - set(measured)):
        mine = _cation_fractions(formula, anions)

        def distance(other: str, mine: dict[str, float] = mine) -> tuple[float, str]:
            theirs = fractions[other]
            keys = set(mine) | set(theirs)
            return (math.dist([mine.get(k, 0.0) for k in sorted(keys)],
                              [theirs.get(k, 0.0) for k in sorted(keys)]), other)

        nearest = min(measured, key=distance)
        base = measured[nearest]
        factors[formula] = TimeAxisFactor(
            formula=formula, factor=base.factor, temperature_K=base.temperature_K,
            origin=f"nearest reference: {nearest}", ratios=base.ratios, log_sd=base.log_sd,
            lower_bound=base.lower_bound)
    return factors


def factors_by_formula(factors: Mapping[str, TimeAxisFactor]) -> dict[str, float]:
    """{reduced formula: F} for :func:`ionflux.transport.published.load_published`."""
    return {f: v.factor for f, v in factors.items()}
