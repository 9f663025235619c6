"""K_D per product phase, temperature and precursor pair, computed lazily and interpolated.

A :class:`KDTable` holds TransportDocs (from the published tensors, the store, or anywhere else)
and computes :class:`~ionflux.kinetics.kd.KDDoc` objects on demand at the tabulated temperatures
of each product, caching driving forces (one chemical-potential diagram per temperature) and
results. Between tabulated temperatures log K_D is interpolated linearly in 1/T; outside the range
of a product's data the lookup raises DataNotFoundError.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Literal

from ionflux.errors import DataNotFoundError, InputError
from ionflux.kinetics.interpolation import interpolate_tabulated
from ionflux.kinetics.kd import (
    DEFAULT_ANIONS,
    KDDoc,
    VolumeSource,
    compute_kd,
    volume_per_formula_unit_cm3,
)
from ionflux.thermo.system import reduced_formula
from ionflux.transport.documents import TransportDoc

Mode = Literal["full", "self-only"]


class KDTable:
    """Lazily computed K_D for the products that have transport documents.

    ``driving_force(alpha, beta, T)`` returns a DrivingForce; ``volume(doc)`` returns
    (V_gamma in cm^3 per reduced formula unit, description). Use :meth:`from_transport_docs`
    or :meth:`published` to wire them to thermodynamic data.
    """

    def __init__(self, docs: Iterable[TransportDoc], *,
                 driving_force: Callable[[str, str, float], object],
                 volume: Callable[[TransportDoc], tuple[float, str]],
                 include_anions: bool = False, anions: frozenset[str] = DEFAULT_ANIONS,
                 thermo_info: dict | None = None) -> None:
        self._driving_force = driving_force
        self._volume = volume
        self.include_anions = include_anions
        self.anions = anions
        self.thermo_info = thermo_info
        self.warnings: list[str] = []
        self._docs: dict[tuple[str, float], TransportDoc] = {}
        for doc in docs:
            key = (reduced_formula(doc.formula), float(doc.temperature_K))
            old = self._docs.get(key)
            if old is not None:
                keep = max(old, doc, key=lambda d: d.last_updated)
                self.warnings.append(f"two transport documents for {key[0]} at {key[1]:g} K; "
                                     f"using the one updated {keep.last_updated.isoformat()}")
                doc = keep
            self._docs[key] = doc
        self._cache: dict[tuple[str, float, tuple[str, str]], KDDoc] = {}

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_transport_docs(cls, docs: Iterable[TransportDoc], thermo, *,
                            include_anions: bool = False,
                            volume_source: VolumeSource = "thermo",
                            anions: frozenset[str] = DEFAULT_ANIONS,
                            lower_limit_eV: float = -50.0,
                            metastable_tol_eV: float = 1e-4,
                            calculator=None) -> KDTable:
        """Table whose driving forces and V_gamma come from ``thermo`` (a ThermoData).

        ``calculator``: a DrivingForceCalculator of the same ``thermo`` to share (its diagrams
        and driving forces are cached), instead of a new one with the two limits given here.
        """
        from ionflux.chempot.driving_force import DrivingForceCalculator

        if calculator is None:
            calculator = DrivingForceCalculator(thermo, lower_limit_eV, metastable_tol_eV)
        elif calculator.thermo is not thermo:
            raise InputError("the shared driving-force calculator belongs to other thermo data")

        def volume(doc: TransportDoc) -> tuple[float, str]:
            return volume_per_formula_unit_cm3(doc.formula, thermo=thermo, transport=doc,
                                               source=volume_source)

        return cls(docs, driving_force=calculator, volume=volume, include_anions=include_anions,
                   anions=anions, thermo_info=thermo.describe())

    @classmethod
    def published(cls, system: str = "Ba-Ti-O", thermo=None, **kwargs) -> KDTable:
        """Table of the bundled published tensors and bundled thermo data of ``system``."""
        from ionflux.thermo.data import ThermoData
        from ionflux.transport.published import load_published

        thermo = thermo or ThermoData.bundled(system)
        return cls.from_transport_docs(load_published(system, thermo=thermo), thermo, **kwargs)

    # ------------------------------------------------------------------ lookups
    @property
    def data_version(self) -> str:
        """Hash of everything K_D depends on: the transport numbers, the thermodynamic source
        and the summation settings (time stamps excluded), so caches keyed by it stay valid
        exactly as long as the data does."""
        numbers = ("formula", "temperature_K", "species", "composition", "volume_A3", "L",
                   "L_stderr", "L_covariance", "L_self", "L_self_stderr", "L_self_covariance")
        payload = {
            "docs": [self._docs[key].model_dump(mode="json", include=set(numbers))
                     for key in sorted(self._docs)],
            "thermo": self.thermo_info,
            "include_anions": self.include_anions,
            "anions": sorted(self.anions),
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def time_axis_corrections(self) -> dict[str, str]:
        """{product: how its transport numbers were rescaled} for documents carrying a time-axis
        factor (``provenance.method['time_axis_factor']``); empty for numbers as published."""
        out = {}
        for (formula, _), doc in sorted(self._docs.items()):
            method = doc.provenance.method
            if method.get("time_axis_factor") is not None and formula not in out:
                out[formula] = str(method.get("time_axis_origin")
                                   or f"F = {method['time_axis_factor']:g}")
        return out

    def arrhenius_shifts(self) -> dict[str, str]:
        """{product: how its documents below the simulated temperatures were made} for
        documents shifted by :func:`ionflux.transport.extrapolation.arrhenius_shifted`; empty
        when every document was simulated at its temperature."""
        shifted: dict[str, list[float]] = {}
        method_of: dict[str, dict] = {}
        for (formula, temperature), doc in sorted(self._docs.items()):
            method = doc.provenance.method
            if method.get("activation_energy_eV") is not None:
                shifted.setdefault(formula, []).append(float(temperature))
                method_of[formula] = method
        return {f: (f"{', '.join(f'{t:g}' for t in temps)} K shifted from "
                    f"{method_of[f]['arrhenius_from_K']:g} K with "
                    f"{_activation(method_of[f])}")
                for f, temps in shifted.items()}

    def arrhenius_energies(self) -> list[str]:
        """The distinct activation energies (with their origin) behind
        :meth:`arrhenius_shifts`: one line for a set shifted with one pooled energy."""
        return sorted({_activation(doc.provenance.method) for doc in self._docs.values()
                       if doc.provenance.method.get("activation_energy_eV") is not None})

    @property
    def products(self) -> list[str]:
        """Reduced formulas with at least one transport document."""
        return sorted({f for f, _ in self._docs})

    def _product(self, product: str) -> str:
        key = reduced_formula(product)
        if key not in self.products:
            raise DataNotFoundError(f"no transport data for product {product!r} (available: "
                                    f"{', '.join(self.products) or 'none'})")
        return key

    def temperatures_K(self, product: str) -> list[float]:
        """Tabulated temperatures (K) of ``product``, ascending."""
        key = self._product(product)
        return sorted(t for f, t in self._docs if f == key)

    def transport_doc(self, product: str, temperature_K: float) -> TransportDoc:
        key = self._product(product)
        doc = self._docs.get((key, float(temperature_K)))
        if doc is None:
            raise DataNotFoundError(f"no transport document for {key} at {temperature_K:g} K "
                                    f"(tabulated: {self.temperatures_K(key)})")
        return doc

    def driving_force(self, alpha: str, beta: str, temperature_K: float):
        """The DrivingForce between ``alpha`` and ``beta`` at any temperature of the thermo data."""
        a, b = self._pair((alpha, beta))
        return self._driving_force(a, b, float(temperature_K))

    def doc(self, product: str, temperature_K: float, reactants: tuple[str, str]) -> KDDoc:
        """KDDoc at a tabulated temperature of ``product`` (computed once, then cached)."""
        pair = self._pair(reactants)
        transport = self.transport_doc(product, temperature_K)
        cache_key = (reduced_formula(transport.formula), float(temperature_K), pair)
        if cache_key not in self._cache:
            force = self._driving_force(pair[0], pair[1], float(temperature_K))
            volume, description = self._volume(transport)
            self._cache[cache_key] = compute_kd(
                transport, force, volume_per_formula_unit_cm3=volume,
                volume_source=description, include_anions=self.include_anions,
                anions=self.anions, thermo_info=self.thermo_info)
        return self._cache[cache_key]

    def docs(self, reactants: tuple[str, str], products: Iterable[str] | None = None
             ) -> list[KDDoc]:
        """KDDocs at every tabulated temperature of ``products`` (default: all products)."""
        names = list(products) if products is not None else self.products
        return [self.doc(p, t, reactants) for p in names for t in self.temperatures_K(p)]

    def kd_cm2_s(self, product: str, temperature_K: float, reactants: tuple[str, str],
                 mode: Mode = "full") -> float:
        """K_D (cm^2/s) of ``product`` at any T inside its tabulated range (Arrhenius interp.)."""
        if mode not in ("full", "self-only"):
            raise InputError(f"mode must be 'full' or 'self-only', got {mode!r}")
        field = "K_D_cm2_s" if mode == "full" else "K_D_self_cm2_s"
        return interpolate_tabulated(
            self.temperatures_K(product),
            lambda t: getattr(self.doc(product, t, reactants), field), temperature_K,
            f"K_D of {reduced_formula(product)}")

    @staticmethod
    def _pair(reactants: tuple[str, str]) -> tuple[str, str]:
        if isinstance(reactants, str) or len(tuple(reactants)) != 2:
            raise InputError(f"reactants must be a pair of phases, got {reactants!r}")
        a, b = (reduced_formula(r) for r in reactants)
        return a, b


def _activation(method: dict) -> str:
    """'E_a = X eV (origin)' of a shifted document's ``provenance.method``."""
    return (f"E_a = {method['activation_energy_eV']:.3g} eV "
            f"({method.get('activation_origin')})")
