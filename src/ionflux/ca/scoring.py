"""Reaction scores of SCIENCE.md §5, in three modes.

    S = sigma1( K_D / (r0^2 s) * dG* / (kB T) ) * sigma2( T / T_m,reactant )      ("full")
    S = sigma1( dG* ) * sigma2( T / T_m,reactant )                                 ("thermo-only")

"self-only" is "full" with K_D from the self (tracer) part of the Onsager matrix. K_D is in
cm^2/s and is converted to m^2/s to match r0 in m; s is in 1/s, so K_D/(r0^2 s) is a pure number
and kB T is in eV. T_m,reactant is the lowest melting point among the reactants (Tammann).

Every enumerated reaction is scored; how thermodynamics gates the score is ``thermo_gate``:

* ``"second-law"`` (default). A reaction with dG_rxn >= 0 does not run: per particle the free
  energy change is dG_rxn times ~1e9 atoms, so the reverse direction always wins. Rates fall
  continuously to zero as the affinity does (linear irreversible thermodynamics: J ~ L dmu), so
  the score must be continuous at dG_rxn = 0. The minimal change of SCIENCE.md §5 that does both
  rescales the erf window so that it vanishes at dG = 0,

      g(dG) = max(0, (dG*(dG) - dG*(0)) / (2 - dG*(0)))      (0 at dG >= 0, -> 1 downhill)

  uses 2g in place of dG* and gates sigma1's floor with the same factor:

      S = [sigma1(x) - sigma1(0) (1 - g)] sigma2,   x = K_D/(r0^2 s) 2g/(kB T)   (thermo-only:
      x = 2g).

  Far downhill (dG_rxn < -0.08 eV/atom, g > 0.99) this is the score of SCIENCE.md §5 to within
  1 %; inside the erf window it goes smoothly to zero; there is no threshold, so no jump. The
  reference's rule has one: at its 0.01 eV/atom threshold a decomposition's score drops from
  sigma1's floor, ln(2)/3, to (dG*/2) = 0.024 (10x), and between 0 and 0.01 eV/atom uphill
  reactions run at the floor as often as downhill ones. Near-degenerate reactions are thus
  slow, not frozen; whether they are downhill at all is left to the thermodynamic uncertainty
  (``ionflux.thermo.uncertainty``), which draws each realisation's energies.
* ``"reference"``: the reference CA (rxn-ca ``DiffusionScorer``). Uphill reactions, dG_rxn >
  ``uphill_threshold_eV_per_atom`` (0.01 eV/atom), are scored by the thermodynamic factor alone,
  (dG*/2) sigma2 (its ``erf(dG) * onset``); below it the plain score, sigma1's floor included.

Single-phase reactions (decompositions) have no pair of reactant domains, so Delta_mu = 0 and
K_D = 0: x = 0 in the transport modes (the gated floor under ``second-law``), x = dG* (or 2g) in
thermo-only mode. A reaction with several products uses the reference's K_D, the largest of the
products' K_D weighted by their share of product formula units.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field

from ionflux.ca.reactions import PhaseInfo, Reaction
from ionflux.ca.settings import SCORE_MODES, ScoringSettings
from ionflux.errors import DataNotFoundError, InputError
from ionflux.kinetics.kd import kd_gradient
from ionflux.units import KB_EV_PER_K

CM2_TO_M2 = 1e-4

# math.erf element-wise: scipy.special costs ~0.2 s to import, most of a cached prediction's
# answer time, for a few hundred values
_ERF = np.frompyfunc(math.erf, 1, 1)


def erf(x: np.ndarray | float) -> np.ndarray:
    """The error function, element-wise."""
    return np.asarray(_ERF(np.asarray(x, float)), float)


@runtime_checkable
class KDSource(Protocol):
    """What the CA needs from transport data (``ionflux.kinetics.KDTable`` fits)."""

    def kd_cm2_s(self, product: str, temperature_K: float, reactants: tuple[str, str],
                 mode: str = "full") -> float:
        ...

    def temperatures_K(self, product: str) -> Sequence[float]:
        ...


def sigma1(x: np.ndarray | float, settings: ScoringSettings) -> np.ndarray:
    """p1 ln(1 + exp(a x)), evaluated without overflow."""
    return settings.sigma1_prefactor * np.logaddexp(0.0, settings.a * np.asarray(x, float))


def sigma2(x: np.ndarray | float, settings: ScoringSettings) -> np.ndarray:
    """p2 ln(1 + exp(b x - c)) of x = T / T_m."""
    return settings.sigma2_prefactor * np.logaddexp(
        0.0, settings.b * np.asarray(x, float) - settings.c)


def dg_star(dg_eV_per_atom: np.ndarray | float, settings: ScoringSettings) -> np.ndarray:
    """1 + erf(-d (dG_rxn + e)); between 0 (uphill) and 2 (strongly downhill)."""
    return 1.0 + erf(-settings.d * (np.asarray(dg_eV_per_atom, float) + settings.e))


def gate(dg_eV_per_atom: np.ndarray | float, settings: ScoringSettings) -> np.ndarray:
    """g = max(0, (dG*(dG) - dG*(0)) / (2 - dG*(0))): 0 for dG >= 0, -> 1 far downhill."""
    zero = dg_star(0.0, settings)
    return np.clip((dg_star(dg_eV_per_atom, settings) - zero) / (2.0 - zero), 0.0, 1.0)


def thermo_factor(dg_eV_per_atom: np.ndarray | float, settings: ScoringSettings) -> np.ndarray:
    """The thermodynamic factor inside sigma1: dG* ('reference') or 2g ('second-law')."""
    if settings.thermo_gate == "reference":
        return dg_star(dg_eV_per_atom, settings)
    return 2.0 * gate(dg_eV_per_atom, settings)


def kd_argument(kd_cm2_s: np.ndarray | float, dg_eV_per_atom: np.ndarray | float,
                temperature_K: float, settings: ScoringSettings) -> np.ndarray:
    """x = K_D / (r0^2 s) * dG* / (kB T), the argument of sigma1 in the transport modes
    (2g in place of dG* under ``thermo_gate='second-law'``)."""
    rate = np.asarray(kd_cm2_s, float) * CM2_TO_M2 / (settings.r0_m ** 2 * settings.s)
    return rate * thermo_factor(dg_eV_per_atom, settings) / (KB_EV_PER_K * temperature_K)


def needs_kd(dg_eV_per_atom: float, settings: ScoringSettings) -> bool:
    """Whether the score of a pair reaction with this dG_rxn uses K_D."""
    if settings.thermo_gate == "reference":
        return dg_eV_per_atom <= settings.uphill_threshold_eV_per_atom
    return dg_eV_per_atom < 0.0


def score_value(dg_eV_per_atom: float, temperature_K: float, tm_reactant_K: float,
                settings: ScoringSettings, kd_cm2_s: float | None) -> float:
    """Score of one reaction; ``kd_cm2_s=None`` gives the thermodynamics-only score.

    ``kd_cm2_s=0`` (no flux: a decomposition, or touching domains) puts sigma1 at its floor
    (gated by g under ``second-law``). See the module docstring for the two gates.
    """
    dg = float(dg_eV_per_atom)
    tammann = sigma2(temperature_K / tm_reactant_K, settings)
    if settings.thermo_gate == "reference":
        if dg > settings.uphill_threshold_eV_per_atom:
            first = 0.5 * dg_star(dg, settings)
        elif kd_cm2_s is None:
            first = sigma1(dg_star(dg, settings), settings)
        else:
            first = sigma1(kd_argument(kd_cm2_s, dg, temperature_K, settings), settings)
        return float(first * tammann)
    if dg >= 0.0:
        return 0.0
    g = gate(dg, settings)
    x = 2.0 * g if kd_cm2_s is None else kd_argument(kd_cm2_s, dg, temperature_K, settings)
    first = sigma1(x, settings) - sigma1(0.0, settings) * (1.0 - g)
    return float(max(first, 0.0) * tammann)


def score_rule(dg_eV_per_atom: float, kind: str, mode: str, settings: ScoringSettings) -> str:
    """Which branch of :func:`score_value` a reaction takes (for tables and documents)."""
    if settings.thermo_gate == "reference":
        if dg_eV_per_atom > settings.uphill_threshold_eV_per_atom:
            return "uphill: (dG*/2) sigma2"
        if mode == "thermo-only":
            return "sigma1(dG*) sigma2"
        if kind == "decomposition":
            return "no flux: sigma1 floor x sigma2"
        return "sigma1(K_D dG*/(r0^2 s kB T)) sigma2"
    if dg_eV_per_atom >= 0:
        return "not offered: dG_rxn >= 0 (second law)"
    if mode == "thermo-only":
        return "[sigma1(2g) - floor (1 - g)] sigma2"
    if kind == "decomposition":
        return "no flux: floor g sigma2"
    return "[sigma1(K_D 2g/(r0^2 s kB T)) - floor (1 - g)] sigma2"


class ScoredReactions(BaseModel):
    """Energies, K_D and scores of a reaction list at the temperatures of a profile."""

    mode: str
    temperatures_K: list[float]
    energies_eV_per_atom: list[list[float]] = Field(description="[temperature][reaction]")
    kd_cm2_s: list[list[float | None]] = Field(description="[temperature][reaction]")
    scores: list[list[float]] = Field(description="[temperature][reaction]; 0 = not offered")
    warnings: list[str] = Field(default_factory=list)


def _kd_range(kd: KDSource, product: str, temperature_K: float,
              settings: ScoringSettings) -> tuple[float, float]:
    """Tabulated K_D range of ``product``; raises if T is outside it and the policy is 'error'."""
    try:
        temps = sorted(float(t) for t in kd.temperatures_K(product))
    except DataNotFoundError as exc:
        raise DataNotFoundError(f"K_D for product {product}: {exc}") from None
    lo, hi = temps[0], temps[-1]
    t = float(temperature_K)
    if not lo <= t <= hi and settings.kd_out_of_range == "error":
        raise DataNotFoundError(
            f"profile temperature {t:g} K is outside the K_D data of {product} "
            f"({lo:g}-{hi:g} K); use temperatures in that range, mode thermo-only, or "
            "kd_out_of_range='clamp'")
    return lo, hi


def _kd_at(kd: KDSource, product: str, temperature_K: float, reactants: tuple[str, str],
           mode: str, settings: ScoringSettings, warnings: list[str]) -> float:
    kd_mode = "self-only" if mode == "self-only" else "full"
    lo, hi = _kd_range(kd, product, temperature_K, settings)
    t = float(temperature_K)
    if not lo <= t <= hi:
        clamped = min(max(t, lo), hi)
        note = (f"K_D of {product} at {t:g} K taken at the nearest tabulated {clamped:g} K "
                "(kd_out_of_range='clamp')")
        if note not in warnings:
            warnings.append(note)
        t = clamped
    if kd_mode == "full" and t < settings.kd_reliable_from_K:
        note = (f"full-mode K_D below {settings.kd_reliable_from_K:g} K rests on 750 K cross "
                "terms, which are unreliable")
        if note not in warnings:
            warnings.append(note)
    value = float(kd.kd_cm2_s(product, t, reactants, mode=kd_mode))
    if not np.isfinite(value) or value < 0:
        raise DataNotFoundError(f"K_D of {product} from {reactants[0]} + {reactants[1]} at "
                                f"{t:g} K is {value!r}; cannot score the reaction")
    return value


def reaction_kd(reaction: Reaction, temperature_K: float, kd: KDSource, mode: str,
                settings: ScoringSettings, warnings: list[str]) -> float:
    """K_D (cm^2/s) of a pair reaction; several products: max_p K_D(p) * nu_p / sum(nu)."""
    reactants = tuple(reaction.reactants)
    if len(reactants) != 2:
        raise InputError(f"{reaction.label}: K_D needs exactly two reactants")
    total = sum(reaction.products.values())
    return max(_kd_at(kd, p, temperature_K, (reactants[0], reactants[1]), mode, settings,
                      warnings) * nu / total
               for p, nu in reaction.products.items())


def score_reactions(reactions: Sequence[Reaction], phases: Mapping[str, PhaseInfo],
                    energies: Mapping[float, Sequence[float]], mode: str,
                    settings: ScoringSettings, kd: KDSource | None = None) -> ScoredReactions:
    """Score every reaction at every temperature of ``energies`` (K -> dG per reaction).

    K_D is looked up only for pair reactions whose score uses it (:func:`needs_kd`);
    decompositions get K_D = 0 in the transport modes.
    """
    if mode not in SCORE_MODES:
        raise InputError(f"unknown scoring mode {mode!r}; use one of {', '.join(SCORE_MODES)}")
    if mode != "thermo-only" and kd is None:
        raise InputError(f"scoring mode {mode!r} needs K_D data")
    warnings: list[str] = []
    temps = [float(t) for t in energies]
    if mode != "thermo-only":  # fail fast, before any (slow) K_D computation
        for product in sorted({p for r in reactions if r.kind == "pair" for p in r.products}):
            for t in temps:
                _kd_range(kd, product, t, settings)
    all_kd, all_dg = [], []
    for t in temps:
        dgs = [float(v) for v in energies[t]]
        row_kd = []
        for reaction, dg in zip(reactions, dgs, strict=True):
            value = None
            if mode != "thermo-only" and needs_kd(dg, settings):
                value = (0.0 if reaction.kind == "decomposition"
                         else reaction_kd(reaction, t, kd, mode, settings, warnings))
            row_kd.append(value)
        all_kd.append(row_kd)
        all_dg.append(dgs)
    scored = ScoredReactions(mode=mode, temperatures_K=temps, energies_eV_per_atom=all_dg,
                             kd_cm2_s=all_kd, scores=[], warnings=warnings)
    return rescore(scored, reactions, phases, settings)


def rescore(scored: ScoredReactions, reactions: Sequence[Reaction],
            phases: Mapping[str, PhaseInfo], settings: ScoringSettings) -> ScoredReactions:
    """Scores from the stored energies and K_D under new constants (no K_D look-ups).

    Used to scan ``s`` cheaply (scripts/calibrate_s.py).
    """
    rows = []
    for t, dgs, kds in zip(scored.temperatures_K, scored.energies_eV_per_atom,
                           scored.kd_cm2_s, strict=True):
        row = []
        for reaction, dg, value in zip(reactions, dgs, kds, strict=True):
            if (value is None and scored.mode != "thermo-only" and reaction.kind == "pair"
                    and needs_kd(dg, settings)):
                raise InputError(f"{reaction.label} at {t:g} K has no stored K_D; score it with "
                                 "score_reactions instead")
            if reaction.kind == "decomposition" and scored.mode != "thermo-only":
                value = 0.0  # no pair of domains: no flux, whatever was stored
            tm = min(phases[f].melting_point_K for f in reaction.reactants)
            row.append(score_value(dg, t, tm, settings, value))
        rows.append(row)
    return scored.model_copy(update={"scores": rows})


class SampledKD:
    """A K_D source whose values are drawn once from their standard errors (one realisation).

    Every K_D is mean x exp(sigma z - sigma^2 / 2), log-normal with its document's mean and
    standard error (K_D stays positive), z standard normal; between tabulated temperatures
    the drawn values are interpolated like the means (log K_D linear in 1/T). What is drawn is
    the error of the Onsager matrix behind the documents, once per measurement (product, set
    of MD runs, mode): dL ~ N(0, C) with C the covariance of that measurement's L entries,
    and each K_D gets z = g . dL / sqrt(g^T C g), g = dK_D/dL at the mean
    (:func:`ionflux.kinetics.kd.kd_gradient`). So z is standard normal and two K_D correlate
    as their linearised errors do, g1^T C g2 / (sigma1 sigma2): between the reactant pairs
    that offer one product (a median of 0.96-1.00, minimum 0.73 on our melts) and between a
    document and those shifted from it. A measurement is one set of MD runs: each simulated
    temperature is its own, and a document shifted from another temperature
    (``provenance.method['arrhenius_from_K']``, :mod:`ionflux.transport.extrapolation`) is the
    same runs rescaled, its covariance the same matrix times a factor that cancels in z, so it
    takes the draw of the runs it was shifted from (the shift's own E_a error is a separate
    sensitivity). Sources without the transport documents' covariance (``transport_doc``)
    draw one z per measurement for all its K_D (correlation one). Needs
    ``kd.doc(product, T, reactants)`` (``ionflux.kinetics.KDTable``); documents without a
    standard error (published tensors) keep their mean, and ``sampled`` says whether
    anything was drawn.
    """

    def __init__(self, kd: KDSource, rng: np.random.Generator) -> None:
        self.kd = kd
        self.rng = rng
        self.sampled = False
        self._draws: dict[tuple, float] = {}
        # per measurement: dL drawn from its covariance, or one z where there is none
        self._errors: dict[tuple, tuple[np.ndarray, np.ndarray] | float] = {}

    def temperatures_K(self, product: str) -> Sequence[float]:
        return self.kd.temperatures_K(product)

    def _normal(self, product: str, temperature_K: float, doc, mode: str) -> float:
        """The standard normal z of ``doc`` (class docstring)."""
        lookup = getattr(self.kd, "transport_doc", None)
        transport = None if lookup is None else lookup(product, temperature_K)
        origin = (None if transport is None
                  else transport.provenance.method.get("arrhenius_from_K"))
        measured = float(temperature_K if origin is None else origin)
        measurement = (product, measured, mode)
        if measurement not in self._errors:
            cov = (None if transport is None
                   else self._covariance(product, transport, measured, mode))
            if cov is None:
                self._errors[measurement] = float(self.rng.standard_normal())
            else:
                # a factor of C from its eigen-decomposition: C is positive semi-definite but
                # often singular (a jackknife over few blocks), so no Cholesky
                values, vectors = np.linalg.eigh(cov)
                root = vectors * np.sqrt(np.clip(values, 0.0, None))
                self._errors[measurement] = (cov, root @ self.rng.standard_normal(len(values)))
        drawn = self._errors[measurement]
        if isinstance(drawn, float):
            return drawn
        cov, deviation = drawn
        gradient = kd_gradient(doc, transport.species, mode)
        variance = float(gradient @ cov @ gradient)
        return float(gradient @ deviation) / np.sqrt(variance) if variance > 0 else 0.0

    def _covariance(self, product: str, transport, measured_K: float,
                    mode: str) -> np.ndarray | None:
        """Covariance of the L (or L_self) entries of the measurement: the document of the runs
        at ``measured_K`` where the table has it, else ``transport``'s (the same up to a
        factor)."""
        if measured_K != transport.temperature_K:
            try:
                transport = self.kd.transport_doc(product, measured_K)
            except DataNotFoundError:
                pass
        cov = transport.L_self_covariance if mode == "self-only" else transport.L_covariance
        return None if cov is None else np.asarray(cov, dtype=float)

    def _draw(self, product: str, temperature_K: float, reactants: tuple[str, str],
              mode: str) -> float:
        key = (product, float(temperature_K), tuple(reactants), mode)
        if key not in self._draws:
            doc = self.kd.doc(product, temperature_K, reactants)
            self_only = mode == "self-only"
            mean = doc.K_D_self_cm2_s if self_only else doc.K_D_cm2_s
            err = doc.K_D_self_stderr_cm2_s if self_only else doc.K_D_stderr_cm2_s
            value = float(mean)
            if err is not None and np.isfinite(err) and err > 0 and value > 0:
                sigma = float(np.sqrt(np.log1p((err / value) ** 2)))
                z = self._normal(product, temperature_K, doc, mode)
                value *= float(np.exp(sigma * z - 0.5 * sigma ** 2))
                self.sampled = True
            self._draws[key] = value
        return self._draws[key]

    def kd_cm2_s(self, product: str, temperature_K: float, reactants: tuple[str, str],
                 mode: str = "full") -> float:
        from ionflux.kinetics.interpolation import interpolate_tabulated

        return interpolate_tabulated(self.kd.temperatures_K(product),
                                     lambda t: self._draw(product, t, reactants, mode),
                                     temperature_K, f"K_D of {product}")


def can_sample(kd: KDSource | None) -> bool:
    """Whether ``kd`` exposes the per-temperature documents :class:`SampledKD` draws from."""
    return kd is not None and callable(getattr(kd, "doc", None))
