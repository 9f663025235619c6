"""Where transport documents come from, and K_D rows for tables, JSON output and plots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, Field

from ionflux.errors import DataNotFoundError, InputError
from ionflux.kinetics.table import KDTable, Mode
from ionflux.thermo.system import reduced_formula
from ionflux.transport.documents import TransportDoc

SOURCES = ("published", "store", "distilled-melts")

#: Temperatures (K) the distilled melts are shifted to below their own: the published set's
#: grid, so that both sources cover the same range of recipes.
SHIFTED_TEMPERATURES_K = (750.0, 1000.0, 1250.0, 1500.0)


def distilled_melt_docs(system: str, activation_eV: float | None = None,
                        variant: str | None = None) -> list[TransportDoc]:
    """Our bundled melts of ``system`` (distilled universal potential,
    :func:`ionflux.transport.time_axis.load_reference`; whole runs, or a bundled ``variant``
    by its file suffix, e.g. ``59ps`` or ``ordered``: sensitivities) and, below each
    composition's lowest simulated temperature,
    its Arrhenius shift to ``SHIFTED_TEMPERATURES_K`` with the activation energy pooled over
    the melts (or ``activation_eV`` when given: a sensitivity)."""
    from ionflux.transport.extrapolation import extended_below, pooled_activation_energy
    from ionflux.transport.time_axis import load_reference

    melts = load_reference(system, variant=variant)
    if activation_eV is None:
        pooled = pooled_activation_energy(melts)
        activation_eV, origin = pooled.energy_eV, f"pooled over the melts: {pooled.describe()}"
    else:
        origin = "given"
    return extended_below(melts, SHIFTED_TEMPERATURES_K, activation_eV, origin)


def load_transport_docs(source: str, system: str, store: str | None = None,
                        data_dir: str | None = None) -> list[TransportDoc]:
    """TransportDocs of ``system``: the bundled published set, everything in a store
    (MD aggregates and imported published sets; ``store`` names the configuration, default
    ``$IONFLUX_STORE`` or ``local``), or our bundled melts (:func:`distilled_melt_docs`)."""
    if source == "published":
        from ionflux.transport.published import load_published

        return load_published(system)
    if source == "store":
        import os

        from ionflux.storage.documents import from_record
        from ionflux.storage.stores import STORE_ENV, StoreSet
        from ionflux.storage.transport_records import transport_records
        from ionflux.thermo.system import parse_system

        name = store or os.environ.get(STORE_ENV) or "local"
        with StoreSet.open(name, data_dir=data_dir) as stores:
            records = transport_records(stores, "all", set(parse_system(system)))
            location = stores.location
        docs = [from_record(record, TransportDoc) for record in records]
        if not docs:
            raise DataNotFoundError(
                f"no {system} transport documents in {location}; run `ionflux ingest` and "
                f"`ionflux build`, or `ionflux transport import {system} --store ...`")
        return docs
    if source == "distilled-melts":
        return distilled_melt_docs(system)
    raise InputError(f"unknown transport source {source!r} (choose from {', '.join(SOURCES)})")


class KDRow(BaseModel):
    """One product at one temperature: the flat object printed by ``ionflux kd --json``."""

    phase: str
    temperature_K: float
    K_D_cm2_s: float
    K_D_self_cm2_s: float
    K_D_stderr_cm2_s: float | None = None
    K_D_self_stderr_cm2_s: float | None = None
    delta_mu_eV: dict[str, float]
    distance_eV: float
    precursors: list[str]
    cation_ratio: float | None = Field(None, description="n_A / n_B of the precursors' cations")
    cation_ratio_label: str | None = None
    interpolated: bool = False
    arrhenius_shifted: bool = Field(
        False, description="rests on a document not simulated at its temperature but "
                           "Arrhenius-shifted from a higher one (transport/extrapolation)")
    V_gamma_cm3: float | None = None
    metastable_phases: list[str] = Field(default_factory=list)
    K_D_stderr_note: str | None = Field(None, description="why K_D_stderr_cm2_s is None")
    falls_with_temperature: bool = Field(
        False, description="K_D is below its value at the next lower temperature listed "
                           "(not Arrhenius-like: check the transport data)")
    warnings: list[str] = Field(default_factory=list)


def falling_with_temperature(rows: Sequence[KDRow]
                             ) -> list[tuple[str, float, float, float, float]]:
    """(phase, T_low, T_high, K_D(T_low), K_D(T_high)) for every step between listed
    temperatures of a phase where the full K_D decreases."""
    by_phase: dict[str, list[KDRow]] = {}
    for row in rows:
        by_phase.setdefault(row.phase, []).append(row)
    out = []
    for phase, group in by_phase.items():
        group = sorted(group, key=lambda r: r.temperature_K)
        for low, high in pairwise(group):
            if high.K_D_cm2_s < low.K_D_cm2_s:
                out.append((phase, low.temperature_K, high.temperature_K, low.K_D_cm2_s,
                            high.K_D_cm2_s))
    return out


def _flag(rows: list[KDRow], notes: list[str]) -> None:
    """Mark K_D that falls with temperature, and say why standard errors are missing."""
    by = {(r.phase, r.temperature_K): r for r in rows}
    for phase, t1, t2, v1, v2 in falling_with_temperature(rows):
        text = (f"K_D falls with temperature from {t1:g} K to {t2:g} K ({v1:.2e} -> {v2:.2e} "
                "cm^2/s): not Arrhenius-like; check the transport data")
        row = by[(phase, t2)]
        row.falls_with_temperature = True
        row.warnings = [*row.warnings, text]
        notes.append(f"{phase}: {text}")
    missing = [r for r in rows if r.K_D_stderr_cm2_s is None and not r.interpolated]
    if missing:
        reasons = sorted({(r.K_D_stderr_note or "").removeprefix("no standard errors: ")
                          for r in missing})
        notes.append(f"{len(missing)} of {len(rows)} K_D values have no standard error ("
                     + "; ".join(reasons) + ")")


def distinctive_cations(alpha: str, beta: str) -> tuple[str | None, str | None]:
    """Element only in ``alpha`` and element only in ``beta`` (e.g. Ba and Ti for BaO, TiO2)."""
    from ionflux.formula import Composition

    a = {el.symbol for el in Composition(alpha).elements}
    b = {el.symbol for el in Composition(beta).elements}
    only_a, only_b = sorted(a - b), sorted(b - a)
    return (only_a[0] if len(only_a) == 1 else None, only_b[0] if len(only_b) == 1 else None)


def cation_ratio(formula: str, el_a: str | None, el_b: str | None) -> float | None:
    from ionflux.formula import Composition

    if el_a is None or el_b is None:
        return None
    comp = Composition(formula)
    n_b = comp[el_b]
    return math.inf if n_b == 0 else float(comp[el_a] / n_b)


def kd_rows(table: KDTable, precursors: tuple[str, str], temperatures_K: Sequence[float],
            products: Sequence[str] | None = None) -> tuple[list[KDRow], list[str]]:
    """K_D rows ordered by cation ratio, then temperature; plus warnings for skipped products.

    With ``products`` None every product of the table is tried and those lacking data (e.g. no
    crystal volume) are skipped with a warning; named products must work or raise. A temperature
    outside a product's transport data always raises.
    """
    alpha, beta = (reduced_formula(p) for p in precursors)
    el_a, el_b = distinctive_cations(alpha, beta)
    label = f"{el_a}:{el_b}" if el_a and el_b else None
    names = list(products) if products is not None else table.products
    rows: list[KDRow] = []
    skipped: list[str] = []
    for product in names:
        temps = table.temperatures_K(product)
        outside = [t for t in temperatures_K if not temps[0] <= float(t) <= temps[-1]]
        if outside:
            raise DataNotFoundError(
                f"{', '.join(f'{t:g}' for t in outside)} K outside the transport data of "
                f"{reduced_formula(product)} ({temps[0]:g}-{temps[-1]:g} K); K_D is never "
                "extrapolated")
        try:
            product_rows = [_row(table, product, float(t), (alpha, beta), el_a, el_b, label)
                            for t in temperatures_K]
        except DataNotFoundError as exc:
            if products is not None:
                raise
            skipped.append(f"skipped {product}: {exc}")
            continue
        rows.extend(product_rows)
    if not rows:
        raise DataNotFoundError("no product has the data needed for K_D: "
                                + "; ".join(skipped))
    rows.sort(key=lambda r: (math.inf if r.cation_ratio is None else r.cation_ratio, r.phase,
                             r.temperature_K))
    _flag(rows, skipped)
    return rows, skipped


def _row(table: KDTable, product: str, t: float, pair: tuple[str, str], el_a, el_b,
         label) -> KDRow:
    temps = table.temperatures_K(product)
    near = [t] if t in temps else [max(x for x in temps if x < t), min(x for x in temps if x > t)]
    shifted = any(table.transport_doc(product, x).provenance.method.get("activation_energy_eV")
                  is not None for x in near)
    if t in temps:
        doc = table.doc(product, t, pair)
        return KDRow(phase=doc.phase, temperature_K=t, K_D_cm2_s=doc.K_D_cm2_s,
                     K_D_self_cm2_s=doc.K_D_self_cm2_s, K_D_stderr_cm2_s=doc.K_D_stderr_cm2_s,
                     K_D_self_stderr_cm2_s=doc.K_D_self_stderr_cm2_s,
                     delta_mu_eV=doc.delta_mu_eV, distance_eV=doc.distance_eV,
                     precursors=list(pair), cation_ratio=cation_ratio(doc.phase, el_a, el_b),
                     cation_ratio_label=label, V_gamma_cm3=doc.V_gamma_cm3,
                     metastable_phases=doc.metastable_phases, warnings=doc.warnings,
                     K_D_stderr_note=doc.K_D_stderr_note, arrhenius_shifted=shifted)
    kd = table.kd_cm2_s(product, t, pair, "full")
    kd_self = table.kd_cm2_s(product, t, pair, "self-only")
    force: Any = table.driving_force(pair[0], pair[1], t)
    phase = reduced_formula(product)
    return KDRow(phase=phase, temperature_K=t, K_D_cm2_s=kd, K_D_self_cm2_s=kd_self,
                 delta_mu_eV=force.delta_mu_eV, distance_eV=force.distance_eV,
                 precursors=list(pair), cation_ratio=cation_ratio(phase, el_a, el_b),
                 cation_ratio_label=label, interpolated=True, arrhenius_shifted=shifted,
                 metastable_phases=list(force.metastable_phases),
                 K_D_stderr_note="no standard errors for interpolated K_D",
                 warnings=[*force.warnings, "K_D interpolated (log K_D linear in 1/T); "
                           "delta_mu is the one at this temperature; stderr not interpolated"])


def rows_mode_value(row: KDRow, mode: Mode) -> float:
    return row.K_D_cm2_s if mode == "full" else row.K_D_self_cm2_s
