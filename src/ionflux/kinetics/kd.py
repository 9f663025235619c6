"""Effective diffusion rate constant K_D of a product layer (SCIENCE.md §4).

For precursors alpha, beta and product gamma at temperature T, with delta_mu the shortest
chemical-potential vector between the alpha and beta domains (:mod:`ionflux.chempot`):

    J_i   = sum_j L_ij^gamma delta_mu_j                              [1/(cm s)]
    K_D   = V_gamma * sum_{i in S} |J_i| / n_i^gamma                  [cm^2/s]

S is the set of cations (``include_anions`` adds the anions), V_gamma the volume of one reduced
formula unit of gamma (cm^3) and n_i^gamma the atoms of i in it. The self-only variant uses
L^self (diagonal) in place of L.

Why this is cm^2/s and what V_gamma is: L delta_mu / h is the number flux of species i through
a layer of thickness h (1/(cm^2 s)). Each n_i arriving atoms of i make one formula unit of gamma,
i.e. V_gamma of new layer, so dh/dt = V_gamma |J_i| / (n_i h) = K_D / h with
K_D in cm^3 * 1/(cm s) = cm^2/s. Because V_gamma / n_i = 1 / c_i (c_i: number density of species i
in gamma), K_D does not depend on which formula unit is used. V_gamma comes from the crystalline
product (Materials Project volume per atom x atoms per reduced formula unit) by default, since
that is what grows; ``volume_source="md"`` uses the MD cell instead (needs the atom count).

Standard errors: K_D is linear in the L_ij for fixed signs of J_i, so var K_D = g^T C g with
g_ij = dK_D/dL_ij and C the covariance of the L entries. MD documents carry C (jackknife over the
same blocks as the errors), which matters: entries fitted from the same blocks are strongly
correlated. Documents with standard errors only (e.g. hand-made or older ones) are treated as
independent elements (L_ij with i <= j, L symmetric), var K_D = sum_{i<=j} g_ij^2 sigma_ij^2,
and the document says so. Uncertainties of delta_mu and V_gamma are not included.

Sign: J_i is computed as written in SCIENCE.md with delta_mu = mu(beta) - mu(alpha); the
physical flux per unit thickness from the alpha side to the beta side is -J_i. K_D uses |J_i| and
is the same for either order of the precursors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from ionflux.errors import InputError
from ionflux.transport.documents import SourceRecord, TransportDoc, utcnow
from ionflux.units import A3_TO_CM3

#: Elements treated as anions (their flux is fixed by mass and charge balance).
DEFAULT_ANIONS = frozenset({"O", "S", "Se", "Te", "N", "F", "Cl", "Br", "I"})

VolumeSource = Literal["thermo", "md"]


class KDProvenance(BaseModel):
    transport_doc_key: str
    transport_sources: list[SourceRecord] = Field(default_factory=list)
    transport_fit_window_source: str | None = None
    transport_method: dict = Field(default_factory=dict)
    thermo: dict = Field(default_factory=dict)
    driving_force_notes: list[str] = Field(default_factory=list)
    ionflux_version: str
    created_at: datetime = Field(default_factory=utcnow)


class KDDoc(BaseModel):
    """K_D of one product phase at one temperature for one precursor pair."""

    doc_type: Literal["kd"] = "kd"
    phase: str = Field(description="product phase gamma (reduced formula)")
    temperature_K: float
    precursors: list[str] = Field(description="[alpha, beta]")
    K_D_cm2_s: float
    K_D_self_cm2_s: float
    K_D_stderr_cm2_s: float | None = None
    K_D_self_stderr_cm2_s: float | None = None
    K_D_stderr_note: str | None = Field(None, description="why the standard errors are None")
    delta_mu_eV: dict[str, float] = Field(description="mu(beta) - mu(alpha), eV")
    distance_eV: float
    touching: bool
    metastable_phases: list[str] = Field(default_factory=list)
    flux_per_cm_s: dict[str, float] = Field(
        description="J_i = sum_j L_ij delta_mu_j, 1/(cm s) (flux times layer thickness)")
    flux_self_per_cm_s: dict[str, float] = Field(description="L_ii^self delta_mu_i, 1/(cm s)")
    species_summed: list[str]
    include_anions: bool
    atoms_per_formula_unit: dict[str, float]
    V_gamma_cm3: float = Field(description="volume of one reduced formula unit of gamma, cm^3")
    V_gamma_source: str
    assumptions: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    provenance: KDProvenance


def _stderr_independent(matrix_err: list | None, coef: np.ndarray, symmetric: bool
                        ) -> float | None:
    """sqrt(sum coef^2 sigma^2) over independent elements; None if any needed sigma is unknown."""
    if matrix_err is None:
        return None
    sigma = np.array([[np.nan if v is None else v for v in row] for row in matrix_err],
                     dtype=float)
    if symmetric:
        # L_ij and L_ji are one estimate: combine their coefficients on the upper triangle.
        c = np.triu(coef + coef.T, k=1) + np.diag(np.diag(coef))
    else:
        c = coef
    needed = c != 0
    if np.any(~np.isfinite(sigma[needed])):
        return None
    return float(np.sqrt(np.sum((c[needed] * sigma[needed]) ** 2)))


def _slopes(volume_cm3: float, flux: np.ndarray, flux_self: np.ndarray, dmu: np.ndarray,
            inv_n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dK_D/dL_ij (n x n) and dK_D_self/dL_ii^self (n) at the mean: V sign(J_i) dmu_j / n_i
    for the summed species i (``inv_n`` is zero for the others; a zero flux has no slope)."""
    coef = volume_cm3 * (np.sign(flux) * inv_n)[:, None] * dmu[None, :]
    return coef, volume_cm3 * np.sign(flux_self) * inv_n * dmu


def kd_gradient(doc: KDDoc, species: Sequence[str], mode: str = "full") -> np.ndarray:
    """dK_D/dL of ``doc`` at its mean, laid out like the transport document's covariance:
    the n x n entries of L row-major for "full", the n entries of L_self for "self-only"
    (``species`` in the transport document's order); cm^2/s per 1/(eV cm s). With that
    covariance C, sqrt(g^T C g) is the document's standard error."""
    inv_n = np.array([1.0 / doc.atoms_per_formula_unit[s] if s in doc.species_summed else 0.0
                      for s in species])
    dmu = np.array([doc.delta_mu_eV[s] for s in species], dtype=float)
    flux = np.array([doc.flux_per_cm_s[s] for s in species], dtype=float)
    flux_self = np.array([doc.flux_self_per_cm_s[s] for s in species], dtype=float)
    coef, coef_self = _slopes(doc.V_gamma_cm3, flux, flux_self, dmu, inv_n)
    return coef.ravel() if mode == "full" else coef_self


def _stderr_correlated(covariance: list, gradient: np.ndarray) -> float:
    """sqrt(g^T C g) for a quantity linear in the entries whose covariance is C."""
    g = gradient.ravel()
    variance = float(g @ np.array(covariance, dtype=float) @ g)
    return float(np.sqrt(max(variance, 0.0)))


def compute_kd(transport: TransportDoc, driving_force, *, volume_per_formula_unit_cm3: float,
               volume_source: str, include_anions: bool = False,
               anions: frozenset[str] = DEFAULT_ANIONS, thermo_info: dict | None = None
               ) -> KDDoc:
    """K_D (full and self-only) of ``transport.formula`` for one driving force (pure).

    ``driving_force`` is a :class:`ionflux.chempot.DrivingForce` (or anything with the same
    fields) at the document's temperature.
    """
    from ionflux import __version__
    from ionflux.formula import Composition

    key = transport.key()
    comp = Composition(transport.formula).reduced_composition
    n_fu = {el.symbol: float(amt) for el, amt in comp.items()}
    if abs(float(driving_force.temperature_K) - transport.temperature_K) > 1e-6:
        raise InputError(f"transport document {key} and driving force at "
                         f"{driving_force.temperature_K:g} K are at different temperatures")
    species = list(transport.species)
    missing = sorted(set(n_fu) - set(species))
    if missing:
        raise InputError(f"transport document {key} lacks species {', '.join(missing)} of "
                         f"{transport.formula}")
    dmu_all = dict(driving_force.delta_mu_eV)
    outside = sorted(set(species) - set(dmu_all))
    if outside:
        raise InputError(f"transport document {key} has species {', '.join(outside)} outside "
                         f"the {driving_force.system} system of the driving force")
    extra = sorted(s for s in species if s not in n_fu)
    if not volume_per_formula_unit_cm3 > 0:
        raise InputError(f"V_gamma for {transport.formula} must be positive, got "
                         f"{volume_per_formula_unit_cm3}")

    L = transport.matrix("L")
    L_self = np.array(transport.L_self, dtype=float)
    if not (np.all(np.isfinite(L)) and np.all(np.isfinite(L_self))):
        raise InputError(f"transport document {key} has non-finite Onsager coefficients")
    dmu = np.array([dmu_all[s] for s in species], dtype=float)
    J = L @ dmu
    J_self = L_self * dmu
    summed = [s for s in species if s in n_fu and (include_anions or s not in anions)]
    if not summed:
        raise InputError(f"{transport.formula} has no cations to sum over; pass include_anions")
    V = float(volume_per_formula_unit_cm3)
    inv_n = np.array([1.0 / n_fu[s] if s in summed else 0.0 for s in species])
    kd = V * float(np.sum(np.abs(J) * inv_n))
    kd_self = V * float(np.sum(np.abs(J_self) * inv_n))

    coef, coef_self = _slopes(V, J, J_self, dmu, inv_n)
    if transport.L_covariance is not None:
        kd_err = _stderr_correlated(transport.L_covariance, coef)
    else:
        kd_err = _stderr_independent(transport.L_stderr, coef, symmetric=True)
    if transport.L_self_covariance is not None:
        kd_self_err = _stderr_correlated(transport.L_self_covariance, coef_self)
    else:
        self_err_vec = transport.L_self_stderr
        kd_self_err = _stderr_independent(
            None if self_err_vec is None else np.diag(self_err_vec).tolist(),
            np.diag(coef_self), symmetric=False)

    assumptions = [
        f"V_gamma = {V:.6g} cm^3 per reduced formula unit of {transport.formula} "
        f"({volume_source})",
        "sum over " + ", ".join(summed) + (" (anions included)" if include_anions
                                           else " (cations; anion flux set by balance)"),
    ]
    stderr_note = None
    if transport.L_stderr is None and transport.L_covariance is None:
        assumptions.append("transport document has no L_stderr: K_D_stderr_cm2_s is None")
        published = any("published" in (s.reader or "") or "transport_db" in (s.path or "")
                        for s in transport.provenance.sources)
        stderr_note = ("no standard errors: " + (
            "published tensors carry no standard errors" if published else
            f"transport document {key} has no L standard errors or covariance"))
    elif transport.L_covariance is None:
        assumptions.append("transport document has no L covariance: K_D_stderr_cm2_s treats "
                           "the L entries as independent")
    warnings = list(driving_force.warnings)
    if extra:
        warnings.append(f"transport document species {', '.join(extra)} are not in "
                        f"{transport.formula}; their coupling terms are used, their fluxes are "
                        "not summed")
    if driving_force.touching:
        warnings.append(f"the {driving_force.phase_alpha} and {driving_force.phase_beta} domains "
                        "touch: no driving force, K_D = 0")
    for name, flag in transport.quality.items():
        if not flag.passed:
            warnings.append(f"transport quality check {name} failed ({flag.reason})")
    return KDDoc(
        phase=transport.formula, temperature_K=transport.temperature_K,
        precursors=[driving_force.phase_alpha, driving_force.phase_beta],
        K_D_cm2_s=kd, K_D_self_cm2_s=kd_self, K_D_stderr_cm2_s=kd_err,
        K_D_self_stderr_cm2_s=kd_self_err, K_D_stderr_note=stderr_note,
        delta_mu_eV={s: float(v) for s, v in dmu_all.items()},
        distance_eV=float(driving_force.distance_eV), touching=bool(driving_force.touching),
        metastable_phases=list(driving_force.metastable_phases),
        flux_per_cm_s={s: float(v) for s, v in zip(species, J, strict=True)},
        flux_self_per_cm_s={s: float(v) for s, v in zip(species, J_self, strict=True)},
        species_summed=summed, include_anions=include_anions, atoms_per_formula_unit=n_fu,
        V_gamma_cm3=V, V_gamma_source=volume_source, assumptions=assumptions,
        warnings=warnings,
        provenance=KDProvenance(
            transport_doc_key=key, transport_sources=list(transport.provenance.sources),
            transport_fit_window_source=transport.fit_window_source,
            transport_method=dict(transport.provenance.method),
            thermo=thermo_info or dict(getattr(driving_force, "thermo", {}) or {}),
            driving_force_notes=list(getattr(driving_force, "notes", []) or []),
            ionflux_version=__version__))


def volume_per_formula_unit_cm3(formula: str, *, thermo=None, transport: TransportDoc | None = None,
                                source: VolumeSource = "thermo") -> tuple[float, str]:
    """V_gamma (cm^3 per reduced formula unit) and a description of where it came from.

    ``source="thermo"``: crystal volume per atom of the thermo data x atoms per formula unit.
    ``source="md"``: MD cell volume / formula units in the cell (needs ``transport.composition``).
    """
    from ionflux.errors import DataNotFoundError
    from ionflux.formula import Composition

    comp = Composition(formula).reduced_composition
    if source == "thermo":
        if thermo is None:
            raise InputError("volume_source 'thermo' needs thermo data")
        v_atom = thermo.volume_per_atom_A3(formula)
        entry = thermo.entry(formula)
        label = entry.material_id if entry is not None else formula
        return (v_atom * comp.num_atoms * A3_TO_CM3,
                f"crystal volume {v_atom:.4f} Å^3/atom of {label} x {comp.num_atoms:g} atoms")
    if source == "md":
        if transport is None or transport.composition is None:
            raise DataNotFoundError(f"no atom count for the MD cell of {formula}: cannot use "
                                    "volume_source 'md'")
        cell = Composition(transport.composition)
        n_cell = cell.num_atoms / comp.num_atoms
        estimated = any("estimated" in a for a in transport.assumptions)
        return (transport.volume_A3 / n_cell * A3_TO_CM3,
                f"MD cell {transport.volume_A3:.1f} Å^3 / {n_cell:g} formula units"
                + (" (estimated atom count)" if estimated else ""))
    raise InputError(f"unknown volume source {source!r} (use 'thermo' or 'md')")
