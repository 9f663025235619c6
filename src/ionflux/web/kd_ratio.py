"""K_D of the products of a precursor pair versus their cation fraction, at any temperature
inside the data (for ``GET /api/kd/ratio`` and the web page).

Between tabulated temperatures log K_D is linear in 1/T (:mod:`ionflux.kinetics.interpolation`,
what ``ionflux kd --temperatures`` does); an interpolated row has no standard errors. A
temperature outside the data is refused (InputError, a 422), never extrapolated.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Any

from ionflux.errors import DataNotFoundError, InputError
from ionflux.storage.documents import finite_or_none


def cation_fraction(phase: str, precursors: list[str]) -> tuple[str, str, float | None]:
    """(A, B, n_A / (n_A + n_B)) where A and B are the elements only precursor 1, resp. 2,
    contribute (Ba and Ti for BaO + TiO2); the fraction is None when there are no such
    single elements."""
    from pymatgen.core import Composition

    from ionflux.kinetics.report import distinctive_cations

    a, b = distinctive_cations(precursors[0], precursors[1])
    if a is None or b is None:
        return "", "", None
    comp = Composition(phase)
    total = comp[a] + comp[b]
    return a, b, (float(comp[a] / total) if total else None)


@lru_cache(maxsize=1)
def _bundled_table() -> Any:
    """K_D table of the bundled published Ba-Ti-O tensors (built once per process; it caches
    the documents it computes)."""
    from ionflux.kinetics import KDTable
    from ionflux.thermo import ThermoData

    return KDTable.published("Ba-Ti-O", thermo=ThermoData.load("Ba-Ti-O"))


def _bundled_rows(precursors: list[str], temperature_K: float) -> list[dict[str, Any]]:
    from ionflux.kinetics.report import kd_rows

    try:
        rows, _ = kd_rows(_bundled_table(), (precursors[0], precursors[1]), [temperature_K])
    except DataNotFoundError as exc:
        raise InputError(str(exc)) from None
    return [{"phase": r.phase, "K_D_cm2_s": r.K_D_cm2_s, "K_D_stderr_cm2_s": r.K_D_stderr_cm2_s,
             "K_D_self_cm2_s": r.K_D_self_cm2_s,
             "K_D_self_stderr_cm2_s": r.K_D_self_stderr_cm2_s, "interpolated": r.interpolated,
             "source": "published"} for r in rows]


def _interpolated(docs: list[dict], temperature_K: float) -> dict[str, Any]:
    """One row from the K_D documents of one phase and source at every temperature."""
    from ionflux.kinetics.interpolation import interpolate_tabulated

    by_t = {float(d["temperature_K"]): d for d in docs}
    exact = by_t.get(float(temperature_K))
    if exact is not None:
        return {k: exact.get(k) for k in ("K_D_cm2_s", "K_D_stderr_cm2_s", "K_D_self_cm2_s",
                                          "K_D_self_stderr_cm2_s")} | {"interpolated": False}
    phase = docs[0]["phase"]
    row: dict[str, Any] = {"interpolated": True, "K_D_stderr_cm2_s": None,
                           "K_D_self_stderr_cm2_s": None}
    for name in ("K_D_cm2_s", "K_D_self_cm2_s"):
        row[name] = interpolate_tabulated(list(by_t), lambda t, n=name: by_t[t][n],
                                          temperature_K, f"K_D of {phase}")
    return row


def _store_rows(stores: Any, precursors: list[str], temperature_K: float,
                sources: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows from the store's K_D documents of the pair, and the phases whose data do not
    reach ``temperature_K``; ([], []) when the store has none."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for d in stores.kd.query({"precursors": {"$all": precursors},
                              "transport_source": {"$in": sources}}):
        if sorted(d.get("precursors", [])) == sorted(precursors) and d.get("K_D_cm2_s"):
            groups[(d["phase"], d.get("transport_source") or "md")].append(d)
    rows, outside = [], []
    for (phase, source), docs in sorted(groups.items()):
        try:
            rows.append({"phase": phase, **_interpolated(docs, temperature_K),
                         "source": source})
        except DataNotFoundError as exc:
            outside.append(str(exc))
    return rows, outside


def kd_ratio_rows(stores: Any, precursors: list[str], temperature_K: float,
                  source: str = "all") -> dict[str, Any]:
    """Rows {phase, fraction, K_D, stderr, self, self stderr, interpolated, source} at
    ``temperature_K``, sorted by cation fraction; ``data_from`` says whether they came from the
    store or the bundled published tensors (BaO + TiO2 only, when the store has none)."""
    sources = ["md", "published"] if source == "all" else [source]
    rows, outside = _store_rows(stores, precursors, temperature_K, sources)
    data_from = "store"
    if not rows and outside:
        raise InputError(f"{temperature_K:g} K is outside the K_D data of every product: "
                         + "; ".join(outside))
    if not rows and "published" in sources and sorted(precursors) == ["BaO", "TiO2"]:
        rows, data_from = _bundled_rows(precursors, temperature_K), "bundled published tensors"
    a = b = ""
    for row in rows:
        a, b, row["fraction"] = cation_fraction(row["phase"], precursors)
    rows = [finite_or_none(r) for r in rows]
    rows.sort(key=lambda r: (r["fraction"] is None, r["fraction"] or 0.0, r["phase"],
                             r["source"]))
    return {"precursors": precursors, "temperature_K": temperature_K, "source": source,
            "data_from": data_from if rows else "none", "fraction_label":
            f"{a}/({a}+{b})" if a else "", "skipped": outside, "rows": rows}
