"""Transport documents below the temperatures that were simulated, by an explicit Arrhenius shift.

Our melts with the distilled potential are converged only at 1750-2000 K; the recipes run at
1000-1700 K. K_D is never extrapolated silently (:mod:`ionflux.kinetics.interpolation`), so
this module makes the extrapolation a visible, recorded modelling choice:

* one **pooled activation energy** E_a for the whole set (every composition with two
  temperatures, every cation: the species K_D sums over,
  :func:`ionflux.transport.arrhenius.activation_energies`),
  leaving out a species that fails the diffusive check in either document (its slope is not
  yet a diffusion coefficient, and such runs gave the negative energies seen at 1750 K);
  the inverse-variance weighted mean; its standard error is scaled up by the Birge ratio
  sqrt(chi^2 / (n - 1)) when the per-composition values scatter more than their errors say.
  One value rather than one per composition because each two-temperature estimate carries
  0.1-0.6 eV of error, several times the spread expected between melts of one system;
* each composition's document at its **lowest simulated temperature** T_0 shifted to T < T_0:
  D(T) = D(T_0) exp(-E_a / k_B (1/T - 1/T_0)) and, as L = c D / (k_B T) at fixed volume,
  L(T) = L(T_0) (T_0 / T) exp(-E_a / k_B (1/T - 1/T_0)). Correlation factors are kept.

The shifted documents record E_a, its origin, T_0 and the source document in
``provenance.method`` and carry a warning. The error of E_a is not folded into each document's
L errors: it is one number shared by every composition (it moves all K_D together), so it is
shown as a sensitivity (E_a +- 2 standard errors) rather than sampled per product.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from ionflux.errors import InputError
from ionflux.formula import reduced_formula
from ionflux.transport.arrhenius import activation_energies
from ionflux.transport.documents import TransportDoc
from ionflux.transport.scaling import scaled_document
from ionflux.transport.time_axis import ANIONS
from ionflux.units import KB_EV_PER_K


@dataclass(frozen=True)
class PooledActivation:
    """One activation energy for a set of melts (eV) and the evidence behind it."""

    energy_eV: float
    stderr_eV: float
    n_values: int
    birge_ratio: float  # sqrt(chi^2 / (n - 1)); > 1: the values scatter beyond their errors
    per_composition: dict[str, dict[str, tuple[float, float]]]  # formula -> species -> (E, se)
    temperatures_K: dict[str, tuple[float, float]]  # formula -> (T1, T2) used
    excluded: dict[str, list[str]] = field(default_factory=dict)  # formula -> "El: why"

    def describe(self) -> str:
        """One line: the value, its error and how it was pooled."""
        left_out = sum(len(v) for v in self.excluded.values())
        return (f"E_a = {self.energy_eV:.3g} +- {self.stderr_eV:.2g} eV, inverse-variance mean "
                f"of {self.n_values} species x composition values between "
                f"{_span(self.temperatures_K)} (Birge ratio {self.birge_ratio:.2g}"
                + (f"; {left_out} not diffusive left out" if left_out else "") + ")")

    def as_dict(self) -> dict:
        return asdict(self)


def _span(temperatures: dict[str, tuple[float, float]]) -> str:
    pairs = sorted(set(temperatures.values()))
    return ", ".join(f"{a:g}-{b:g} K" for a, b in pairs)


def pooled_activation_energy(docs: Iterable[TransportDoc],
                             species: Sequence[str] | None = None) -> PooledActivation:
    """Pool E_a over every composition of ``docs`` simulated at two or more temperatures (its
    two lowest) and every cation (or only ``species``); values without a standard error are
    left out. InputError when nothing can be pooled or the pooled value is not positive (an
    Arrhenius shift with E_a <= 0 would make the melt faster on cooling)."""
    by_formula: dict[str, dict[float, TransportDoc]] = {}
    for doc in docs:
        by_formula.setdefault(reduced_formula(doc.formula), {})[float(doc.temperature_K)] = doc
    per_composition: dict[str, dict[str, tuple[float, float]]] = {}
    used: dict[str, tuple[float, float]] = {}
    excluded: dict[str, list[str]] = {}
    values: list[tuple[float, float]] = []
    for formula, at in sorted(by_formula.items()):
        if len(at) < 2:
            continue
        t1, t2 = sorted(at)[:2]
        kept = {}
        for el, (e, se) in activation_energies(at[t1], at[t2]).items():
            if se is None or se <= 0 or (el in ANIONS if species is None else el not in species):
                continue
            stuck = [f"{t:g} K" for t in (t1, t2) if not _diffusive(at[t], el)]
            if stuck:
                excluded.setdefault(formula, []).append(
                    f"{el}: not diffusive at {' and '.join(stuck)}")
                continue
            kept[el] = (e, se)
        if kept:
            per_composition[formula], used[formula] = kept, (t1, t2)
            values.extend(kept.values())
    if len(values) < 2:
        raise InputError("a pooled activation energy needs at least two values with errors "
                         f"(compositions at two temperatures), got {len(values)}")
    weights = [1.0 / se ** 2 for _, se in values]
    mean = sum(w * e for w, (e, _) in zip(weights, values, strict=True)) / sum(weights)
    chi2 = sum(w * (e - mean) ** 2 for w, (e, _) in zip(weights, values, strict=True))
    birge = math.sqrt(chi2 / (len(values) - 1))
    stderr = max(1.0, birge) / math.sqrt(sum(weights))
    if mean <= 0:
        raise InputError(f"pooled activation energy {mean:.3g} +- {stderr:.2g} eV is not "
                         "positive: the melts do not slow down on cooling, so no Arrhenius "
                         "shift can be made from them")
    return PooledActivation(mean, stderr, len(values), birge, per_composition, used, excluded)


def _diffusive(doc: TransportDoc, element: str) -> bool:
    """False when the document's diffusive check failed for ``element`` (True if not run)."""
    flag = doc.quality.get(f"diffusive_{element}")
    return flag is None or bool(flag.passed)


def arrhenius_shifted(doc: TransportDoc, temperature_K: float, activation_eV: float,
                      origin: str) -> TransportDoc:
    """``doc`` moved to ``temperature_K`` with activation energy ``activation_eV`` (module
    docstring); ``origin`` says where E_a comes from and is recorded with it."""
    t0, t = float(doc.temperature_K), float(temperature_K)
    if not (math.isfinite(t) and t > 0):
        raise InputError(f"temperature must be a positive number of kelvin, got {temperature_K!r}")
    if not (math.isfinite(activation_eV) and activation_eV > 0):
        raise InputError(f"activation energy must be positive (eV), got {activation_eV!r}")
    d_scale = math.exp(-activation_eV / KB_EV_PER_K * (1.0 / t - 1.0 / t0))
    method = {**doc.provenance.method, "arrhenius_from_K": t0,
              "activation_energy_eV": float(activation_eV), "activation_origin": origin}
    note = (f"not simulated at {t:g} K: Arrhenius shift of the {t0:g} K document with E_a = "
            f"{activation_eV:.3g} eV ({origin}); D x {d_scale:.3g}, L x {d_scale * t0 / t:.3g}")
    return scaled_document(
        doc, d_scale * t0 / t, d_scale, temperature_K=t, correlation_functions=None,
        provenance=doc.provenance.model_copy(update={"method": method}),
        assumptions=[*doc.assumptions, note], warnings=[*doc.warnings, note])


def extended_below(docs: Iterable[TransportDoc], temperatures_K: Iterable[float],
                   activation_eV: float, origin: str) -> list[TransportDoc]:
    """``docs`` plus, for each composition, its lowest-temperature document shifted to every
    temperature of ``temperatures_K`` below it (simulated documents are never replaced)."""
    docs = list(docs)
    lowest: dict[str, TransportDoc] = {}
    for doc in docs:
        key = reduced_formula(doc.formula)
        if key not in lowest or doc.temperature_K < lowest[key].temperature_K:
            lowest[key] = doc
    shifted = [arrhenius_shifted(ref, t, activation_eV, origin)
               for _, ref in sorted(lowest.items())
               for t in sorted(set(float(x) for x in temperatures_K))
               if t < ref.temperature_K]
    return [*docs, *shifted]


@dataclass(frozen=True)
class ShiftCheck:
    """A simulated document against the shift predicting it, per cation: the ratio
    simulated / predicted L_ii^self and its distance from 1 in combined standard errors."""

    formula: str
    temperature_K: float
    from_K: float
    ratios: dict[str, float]
    sigmas: dict[str, float | None]  # ln(ratio) / combined error (None without errors)


def check_shift(simulated: TransportDoc, reference: TransportDoc,
                pooled: PooledActivation) -> ShiftCheck:
    """How well the Arrhenius shift of ``reference`` with ``pooled`` predicts ``simulated`` (same
    composition, lower temperature). The combined error of ln(ratio) adds the two documents'
    relative errors and the pooled energy's, stderr(E_a) / k_B |1/T - 1/T_0|, in quadrature."""
    if reduced_formula(simulated.formula) != reduced_formula(reference.formula):
        raise InputError(f"shift check needs one composition, got {simulated.formula} and "
                         f"{reference.formula}")
    predicted = arrhenius_shifted(reference, simulated.temperature_K, pooled.energy_eV,
                                  "pooled")
    lever = abs(1.0 / simulated.temperature_K - 1.0 / reference.temperature_K) / KB_EV_PER_K
    ratios, sigmas = {}, {}
    for el in simulated.species:
        if el in ANIONS or el not in reference.species:
            continue
        i, j = simulated.species.index(el), predicted.species.index(el)
        sim, pred = simulated.L_self[i], predicted.L_self[j]
        if not (sim > 0 and pred > 0):
            raise InputError(f"{simulated.formula} {el}: L_self must be positive ({sim:g}, "
                             f"{pred:g})")
        ratios[el] = sim / pred
        errs = [None if d.L_self_stderr is None else d.L_self_stderr[k] / d.L_self[k]
                for d, k in ((simulated, i), (predicted, j))]
        sigmas[el] = (None if None in errs else
                      math.log(ratios[el]) / math.hypot(*errs, pooled.stderr_eV * lever))
    return ShiftCheck(reduced_formula(simulated.formula), float(simulated.temperature_K),
                      float(reference.temperature_K), ratios, sigmas)
