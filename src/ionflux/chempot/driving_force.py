"""Driving force between two phases: the shortest vector between their chemical-potential domains.

SCIENCE.md §4. At temperature T the domains of the precursors alpha and beta are faces of the
chemical-potential polytope (see :mod:`ionflux.chempot.diagram`). Their closest points p (in the
alpha domain) and q (in the beta domain) give

    delta_mu = q - p = mu(beta side) - mu(alpha side)          [eV, per element]

and distance = |delta_mu|. If the domains touch (share a point) the phases are in equilibrium and
delta_mu is exactly zero. Swapping alpha and beta flips the sign of delta_mu; K_D uses |J_i|, so it
does not depend on the order.

Artificial limits: every domain that is unbounded in chemical-potential space is cut off at
``lower_limit_eV`` (pymatgen's ``default_min_limit``). When a reported closest point lies on that
cut, the calculation is repeated with the limit doubled: if delta_mu does not change, the cut only
made the closest pair non-unique (reported in ``notes``); if it changes, delta_mu is set by the
artificial limit, ``depends_on_artificial_limit`` is True and a warning says so.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from ionflux.chempot.cache import DrivingForceCache, data_digest
from ionflux.chempot.diagram import (
    DEFAULT_LOWER_LIMIT_EV,
    DEFAULT_METASTABLE_TOL_EV,
    ChempotDiagrams,
    Faces,
)
from ionflux.chempot.geometry import closest_points, share_a_point
from ionflux.errors import InputError
from ionflux.thermo.data import ThermoData
from ionflux.thermo.system import reduced_formula

SIGN_CONVENTION = ("delta_mu_eV = mu(beta) - mu(alpha): closest point of the beta domain minus "
                   "closest point of the alpha domain, formal chemical potentials (elements at T "
                   "have mu = 0), eV")

#: Vertices closer than this (eV) count as shared (touching domains).
TOUCH_ATOL_EV = 1e-8
#: delta_mu changes below this (eV) when the artificial limit moves count as "unchanged".
LIMIT_CHECK_ATOL_EV = 1e-6


class DrivingForce(BaseModel):
    """Shortest chemical-potential vector between the domains of two phases at one temperature."""

    doc_type: str = "driving_force"
    system: str
    temperature_K: float
    phase_alpha: str
    phase_beta: str
    elements: list[str]
    delta_mu_eV: dict[str, float] = Field(description="mu(beta) - mu(alpha) per element, eV")
    distance_eV: float = Field(description="|delta_mu|, eV")
    touching: bool
    mu_alpha_eV: dict[str, float] = Field(description="closest point of the alpha domain")
    mu_beta_eV: dict[str, float] = Field(description="closest point of the beta domain")
    metastable_phases: list[str] = Field(
        default_factory=list, description="phases off the hull at T; their metastable domain "
                                          "was used")
    e_above_hull_eV_per_atom: dict[str, float] = Field(default_factory=dict)
    stabilization_eV_per_atom: dict[str, float] = Field(
        default_factory=dict, description="energy lowering used to build metastable domains")
    lower_limit_eV: float
    on_artificial_limit: bool = Field(
        False, description="a reported closest point lies on the artificial lower limit")
    depends_on_artificial_limit: bool = Field(
        False, description="delta_mu changes when the artificial lower limit is moved")
    sign_convention: str = SIGN_CONVENTION
    thermo: dict = Field(default_factory=dict, description="provenance of the thermo data")
    notes: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


def _as_dict(elements: tuple[str, ...], vector: np.ndarray, order: list[str]) -> dict[str, float]:
    values = dict(zip(elements, (float(v) for v in vector), strict=True))
    return {el: values[el] for el in order}


def _solve(faces: Faces, alpha: str, beta: str) -> tuple[np.ndarray, np.ndarray, bool]:
    va, vb = faces.vertices[alpha], faces.vertices[beta]
    if faces.same_polytope and share_a_point(va, vb, TOUCH_ATOL_EV):
        zero = np.zeros(len(faces.elements))
        # A shared vertex is a closest pair; report it as both points.
        gaps = np.max(np.abs(va[:, None, :] - vb[None, :, :]), axis=2)
        i, _ = np.unravel_index(int(np.argmin(gaps)), gaps.shape)
        return va[i] + zero, va[i] + zero, True
    p, q = closest_points(va, vb)
    touching = (not faces.same_polytope) and float(np.linalg.norm(q - p)) <= TOUCH_ATOL_EV
    if touching:
        q = p.copy()
    return p, q, touching


def driving_force_from_faces(faces: Faces, alpha: str, beta: str, *, system: str,
                             temperature_K: float, element_order: list[str],
                             e_above_hull: dict[str, float] | None = None,
                             wider_faces: Faces | None = None,
                             thermo_info: dict | None = None) -> DrivingForce:
    """Closest points of the alpha and beta domains in ``faces`` (pure; see module docstring).

    ``wider_faces`` holds the same domains built with a lower artificial limit; it is used only
    when a closest point lies on the artificial limit of ``faces``.
    """
    p, q, touching = _solve(faces, alpha, beta)
    delta = np.zeros_like(p) if touching else q - p
    lower = faces.lower_limit_eV
    limit_tol = 1e-6 * max(1.0, abs(lower))
    on_limit = bool(np.any(np.abs(p - lower) <= limit_tol)
                    or np.any(np.abs(q - lower) <= limit_tol))
    notes: list[str] = []
    warnings: list[str] = []
    depends = False
    if faces.note:
        notes.append(faces.note)
    if not faces.same_polytope:
        notes.append("domains come from different diagrams; touching judged by distance "
                     f"<= {TOUCH_ATOL_EV:g} eV")
    if on_limit and not touching:
        if wider_faces is None:
            warnings.append(f"a closest point lies on the artificial lower limit {lower:g} eV; "
                            "delta_mu may depend on it (not checked)")
        else:
            p2, q2, touching2 = _solve(wider_faces, alpha, beta)
            delta2 = np.zeros_like(p2) if touching2 else q2 - p2
            if float(np.max(np.abs(delta2 - delta))) <= LIMIT_CHECK_ATOL_EV:
                notes.append(f"closest pair touches the artificial lower limit {lower:g} eV but "
                             f"delta_mu is unchanged with the limit at "
                             f"{wider_faces.lower_limit_eV:g} eV (closest pair not unique)")
            else:
                depends = True
                warnings.append(
                    f"delta_mu between {alpha} and {beta} at {temperature_K:g} K is set by the "
                    f"artificial lower chemical-potential limit: distance "
                    f"{np.linalg.norm(delta):.4g} eV at {lower:g} eV, "
                    f"{np.linalg.norm(delta2):.4g} eV at {wider_faces.lower_limit_eV:g} eV")
    hull = e_above_hull or {}
    metastable = [ph for ph in (alpha, beta) if ph in faces.stabilized]
    for ph in metastable:
        warnings.append(f"{ph} is not on the hull at {temperature_K:g} K "
                        f"(E_above_hull = {hull.get(ph, float('nan')):.4g} eV/atom): its "
                        "metastable domain was used")
    return DrivingForce(
        system=system, temperature_K=float(temperature_K), phase_alpha=alpha, phase_beta=beta,
        elements=list(element_order),
        delta_mu_eV=_as_dict(faces.elements, delta, element_order),
        distance_eV=float(np.linalg.norm(delta)), touching=touching,
        mu_alpha_eV=_as_dict(faces.elements, p, element_order),
        mu_beta_eV=_as_dict(faces.elements, q, element_order),
        metastable_phases=sorted(set(metastable)),
        e_above_hull_eV_per_atom={ph: float(hull[ph]) for ph in (alpha, beta) if ph in hull},
        stabilization_eV_per_atom={k: float(v) for k, v in faces.stabilized.items()},
        lower_limit_eV=lower, on_artificial_limit=on_limit, depends_on_artificial_limit=depends,
        thermo=thermo_info or {}, notes=notes, warnings=warnings)


class DrivingForceCalculator:
    """Driving forces of one thermo data set; diagrams and results cached per temperature.

    ``persistent``: a :class:`~ionflux.chempot.cache.DrivingForceCache` that keeps results
    across processes, keyed by the data, code and settings they rest on; ``"default"`` (the
    default) uses the user cache file (``IONFLUX_DRIVING_FORCE_CACHE=off`` disables it), None
    keeps results in this object only.
    """

    def __init__(self, thermo: ThermoData, lower_limit_eV: float = DEFAULT_LOWER_LIMIT_EV,
                 metastable_tol_eV: float = DEFAULT_METASTABLE_TOL_EV,
                 persistent: DrivingForceCache | str | None = "default") -> None:
        self.thermo = thermo
        self.diagrams = ChempotDiagrams(thermo, lower_limit_eV, metastable_tol_eV)
        self.lower_limit_eV = lower_limit_eV
        self.metastable_tol_eV = metastable_tol_eV
        self._cache: dict[tuple[str, str, float], DrivingForce] = {}
        self.persistent = (DrivingForceCache.default() if persistent == "default"
                           else persistent)
        self._data_digest: str | None = None

    def _stored_key(self, a: str, b: str, t: float) -> str:
        if self._data_digest is None:
            self._data_digest = data_digest(self.thermo)
        return DrivingForceCache.key(self._data_digest, a, b, t, self.lower_limit_eV,
                                     self.metastable_tol_eV)

    def __call__(self, alpha: str, beta: str, temperature_K: float) -> DrivingForce:
        """Driving force between phases ``alpha`` and ``beta`` at ``temperature_K``."""
        thermo = self.thermo
        t = thermo.check_temperature(temperature_K)
        a = reduced_formula(alpha, thermo.elements, thermo.system)
        b = reduced_formula(beta, thermo.elements, thermo.system)
        if a == b:
            raise InputError(f"the two phases must differ, got {alpha!r} and {beta!r}")
        key = (a, b, t)
        if key not in self._cache and self.persistent is not None:
            stored = self.persistent.get(self._stored_key(a, b, t))
            if stored is not None:
                self._cache[key] = DrivingForce.model_validate_json(stored)
        if key not in self._cache:
            faces = self.diagrams.faces([a, b], t)
            p, q, touching = _solve(faces, a, b)
            lower = faces.lower_limit_eV
            tol = 1e-6 * max(1.0, abs(lower))
            wider = None
            if not touching and (np.any(np.abs(p - lower) <= tol)
                                 or np.any(np.abs(q - lower) <= tol)):
                wider = self.diagrams.faces([a, b], t, 2.0 * lower)
            hull = self.diagrams.e_above_hull(t) if faces.stabilized else {}
            self._cache[key] = driving_force_from_faces(
                faces, a, b, system=thermo.system, temperature_K=t,
                element_order=list(thermo.elements), e_above_hull=hull, wider_faces=wider,
                thermo_info=thermo.describe())
            if self.persistent is not None:
                self.persistent.put(self._stored_key(a, b, t),
                                    self._cache[key].model_dump_json())
        return self._cache[key]
