"""K_D of the products of a precursor pair versus their cation ratio (for the web page)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ionflux.errors import DataNotFoundError, IonfluxError
from ionflux.pipeline.documents import finite_or_none


def cation_fraction(phase: str, precursors: list[str]) -> tuple[str, str, float | None]:
    """(A, B, n_A / (n_A + n_B)) where A and B are the elements only precursor 1, resp. 2,
    contribute (Ba and Ti for BaO + TiO2); the fraction is None when there are no such
    single elements."""
    from pymatgen.core import Composition

    a_el = {e.symbol for e in Composition(precursors[0]).elements}
    b_el = {e.symbol for e in Composition(precursors[1]).elements}
    only_a, only_b = sorted(a_el - b_el), sorted(b_el - a_el)
    if len(only_a) != 1 or len(only_b) != 1:
        return "", "", None
    comp = Composition(phase)
    n_a, n_b = comp[only_a[0]], comp[only_b[0]]
    total = n_a + n_b
    return only_a[0], only_b[0], (float(n_a / total) if total else None)


@lru_cache(maxsize=4)
def _bundled_docs(pair: tuple[str, str]) -> tuple[Any, ...]:
    """K_D documents of the bundled published Ba-Ti-O tensors (computed once per process)."""
    from ionflux.kinetics import KDTable
    from ionflux.thermo import ThermoData

    table = KDTable.published("Ba-Ti-O", thermo=ThermoData.load("Ba-Ti-O"))
    docs = []
    for product in table.products:
        for t in table.temperatures_K(product):
            try:
                docs.append(table.doc(product, t, pair))
            except IonfluxError:
                continue  # e.g. Ba4TiO6: transport data but no thermodynamics
    return tuple(docs)


def kd_ratio_rows(stores: Any, precursors: list[str], temperature_K: float) -> dict[str, Any]:
    """Rows {phase, fraction, K_D, stderr, self, self stderr} at ``temperature_K``, sorted by
    the cation fraction; ``source`` says whether they came from the store or bundled data."""
    records = [d for d in stores.kd.query({"temperature_K": temperature_K,
                                           "precursors": {"$all": precursors}})
               if sorted(d.get("precursors", [])) == sorted(precursors)]
    source = "store"
    if not records:
        source = "bundled published tensors"
        if sorted(precursors) != ["BaO", "TiO2"]:
            raise DataNotFoundError(f"no K_D documents for {'+'.join(precursors)} at "
                                    f"{temperature_K:g} K in the store")
        pair = (precursors[0], precursors[1])
        records = [d.model_dump(mode="json") for d in _bundled_docs(pair)
                   if d.temperature_K == temperature_K]
        if not records:
            temps = sorted({d.temperature_K for d in _bundled_docs(pair)})
            raise DataNotFoundError(f"no K_D at {temperature_K:g} K; the bundled data has "
                                    f"{', '.join(f'{t:g}' for t in temps)} K")
    rows = []
    a = b = ""
    for d in records:
        a, b, x = cation_fraction(d["phase"], precursors)
        rows.append(finite_or_none({
            "phase": d["phase"], "fraction": x, "K_D_cm2_s": d.get("K_D_cm2_s"),
            "K_D_stderr_cm2_s": d.get("K_D_stderr_cm2_s"),
            "K_D_self_cm2_s": d.get("K_D_self_cm2_s"),
            "K_D_self_stderr_cm2_s": d.get("K_D_self_stderr_cm2_s")}))
    rows.sort(key=lambda r: (r["fraction"] is None, r["fraction"] or 0.0, r["phase"]))
    return {"precursors": precursors, "temperature_K": temperature_K, "source": source,
            "fraction_label": f"{a}/({a}+{b})" if a else "", "rows": rows}
