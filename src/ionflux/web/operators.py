"""Query operators of the HTTP API, after the Materials Project API's (maggma's API layer, now
emmet-api): each operator's ``query`` declares its query parameters (FastAPI reads them from its
signature) and returns its part of the store query; ``meta`` adds to the response's ``meta``.
maggma's own ``maggma.api`` is deprecated (it says so on import) and emmet-api pins its own
emmet-core, so the pattern is mirrored here rather than imported.

Parameter names follow the MP API: ``_limit``/``_skip`` or ``_page``/``_per_page``,
``_fields``/``_all_fields``, ``_sort_fields``, ``formula``, ``chemsys``, ``elements``,
``exclude_elements`` and ``<quantity>_min``/``<quantity>_max``. Two differences, both
documented in docs/api.md: bad input is a 422 (maggma answers some with 400), and without
``_fields`` every field is returned.

A query part is a dict with any of ``criteria`` (a store filter, merged), ``keep`` (tests of
one document's head that the store cannot express, e.g. an exact chemical system of a formula;
all must pass), ``head_fields`` (top-level fields those tests read), ``sort``, ``skip``,
``limit``, ``fields`` (dotted paths to return) and ``sources``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from fastapi import Depends, Query

from ionflux.errors import InputError
from ionflux.web.data import parse_formula, parse_system

FORMULA = r"^([A-Z][a-z]?[0-9.]*)+$"
FORMULAS = r"^([A-Z][a-z]?[0-9.]*)+(,([A-Z][a-z]?[0-9.]*)+)*$"
SYSTEMS = r"^[A-Z][a-z]?(-[A-Z][a-z]?)*(,[A-Z][a-z]?(-[A-Z][a-z]?)*)*$"
ELEMENTS = r"^[A-Z][a-z]?(,[A-Z][a-z]?)*$"
FIELD_PATHS = r"^[A-Za-z_][A-Za-z0-9_]*(\.[^,.]+)*(,[A-Za-z_][A-Za-z0-9_]*(\.[^,.]+)*)*$"
SORT_FIELDS = r"^-?[A-Za-z_][A-Za-z0-9_]*(,-?[A-Za-z_][A-Za-z0-9_]*)*$"
RATIO = r"^[0-9]+(\.[0-9]+)?(:[0-9]+(\.[0-9]+)?)+$"
SOURCES = ("all", "md", "published")

#: Old parameter names (before the MP conventions) -> the new ones, for a one-line hint.
RENAMED = {"limit": "_limit", "offset": "_skip", "skip": "_skip", "fields": "_fields",
           "system": "chemsys", "tmin": "temperature_min", "tmax": "temperature_max"}


class QueryOperator:
    """One group of query parameters (maggma's ``QueryOperator``): ``query(**params)`` -> its
    part of the store query; ``meta()`` -> entries of the response's ``meta``."""

    def query(self) -> dict[str, Any]:
        return {}

    def meta(self) -> dict[str, Any]:
        return {}


def with_operators(endpoint: Callable[..., Any], operators: Sequence[QueryOperator]
                   ) -> Callable[..., Any]:
    """``endpoint(**parts)`` given the signature FastAPI reads: one dependency per operator
    (``op0``, ``op1``, ...), each resolved to that operator's query part."""
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"op{i}", inspect.Parameter.KEYWORD_ONLY, default=Depends(op.query),
                           annotation=dict) for i, op in enumerate(operators)])
    return endpoint


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _elements(head: dict) -> set[str]:
    return set(head.get("elements") or ())


class PaginationQuery(QueryOperator):
    """``_skip``/``_limit``, or ``_page``/``_per_page`` (pages count from 1); not both."""

    def __init__(self, default_limit: int = 100, max_limit: int = 500) -> None:
        self.default_limit = default_limit
        self.max_limit = max_limit
        def query(_skip: int | None = Query(None, ge=0, le=10**9,
                                            description="documents to skip"),
                  _limit: int | None = Query(None, ge=1, le=max_limit, description=(
                      f"documents per response (default {default_limit}, at most "
                      f"{max_limit})")),
                  _page: int | None = Query(None, ge=1, le=10**7, description=(
                      "page number, from 1 (with _per_page; not with _skip/_limit)")),
                  _per_page: int | None = Query(None, ge=1, le=max_limit, description=(
                      f"documents per page (default {default_limit})"))) -> dict[str, Any]:
            if (_page is not None or _per_page is not None) and (_skip is not None
                                                                  or _limit is not None):
                raise InputError("give _skip/_limit or _page/_per_page, not both")
            if _page is not None or _per_page is not None:
                per_page = _per_page or default_limit
                return {"skip": ((_page or 1) - 1) * per_page, "limit": per_page}
            return {"skip": _skip or 0, "limit": _limit or default_limit}

        self.query = query  # type: ignore[method-assign]

    def query(self) -> dict[str, Any]:  # type: ignore[override]
        """Replaced per instance (its limits are in the signature)."""
        return {}

    def meta(self) -> dict[str, Any]:
        return {"max_limit": self.max_limit}


class SparseFieldsQuery(QueryOperator):
    """``_fields``: comma-separated fields to return; a dotted path (``prediction.inputs``)
    returns that part, nested as MongoDB projects it. Without ``_fields`` (or with
    ``_all_fields=true``) every field."""

    def __init__(self, known: Sequence[str]) -> None:
        self.known = sorted(set(known))

        def query(_fields: str | None = Query(
                      None, max_length=1000, pattern=FIELD_PATHS,
                      description="comma-separated fields, e.g. formula_pretty,temperature_K; "
                                  "fields: " + ", ".join(self.known)),
                  _all_fields: bool = Query(False, description="every field (the default "
                                                               "without _fields)")
                  ) -> dict[str, Any]:
            if _all_fields or not _fields:
                return {"fields": None}
            paths = list(dict.fromkeys(_split(_fields)))
            unknown = [p for p in paths if p.split(".")[0] not in self.known]
            if unknown:
                raise InputError(f"_fields: unknown field(s) {', '.join(unknown)}; fields are "
                                 f"{', '.join(self.known)}")
            return {"fields": paths}

        self.query = query  # type: ignore[method-assign]

    def query(self) -> dict[str, Any]:  # type: ignore[override]
        """Replaced per instance (the known fields are in its description)."""
        return {}


def sort_key(value: Any) -> tuple:
    """Order of one sort field's values: numbers by value (750 before 1750), then text, then
    anything else; missing values last."""
    if isinstance(value, bool) or value is None:
        return (3, 0, "")
    if isinstance(value, int | float):
        return (0, value if math.isfinite(value) else math.inf, "")
    if isinstance(value, str):
        return (1, 0, value)
    return (2, 0, str(value))


class SortQuery(QueryOperator):
    """``_sort_fields``: comma-separated fields, ``-`` before a field sorts descending; numbers
    sort by value. Without it, the endpoint's own order (e.g. formula, then temperature)."""

    def __init__(self, fields: Sequence[str], default: Sequence[str]) -> None:
        self.fields = list(fields)
        self.default = list(default)

        def query(_sort_fields: str | None = Query(
                      None, max_length=300, pattern=SORT_FIELDS,
                      description="e.g. -temperature_K; sortable: " + ", ".join(self.fields))
                  ) -> dict[str, Any]:
            names = _split(_sort_fields)
            unknown = [n for n in names if n.lstrip("-") not in self.fields]
            if unknown:
                raise InputError(f"_sort_fields: cannot sort by {', '.join(unknown)}; sortable "
                                 f"fields are {', '.join(self.fields)}")
            order = {n.lstrip("-"): -1 if n.startswith("-") else 1 for n in names}
            for name in self.default:  # ties broken by the default order
                order.setdefault(name, 1)
            return {"sort": order}

        self.query = query  # type: ignore[method-assign]

    def query(self) -> dict[str, Any]:  # type: ignore[override]
        """Replaced per instance (the sortable fields are in its description)."""
        return {}


class FormulaQuery(QueryOperator):
    """``formula`` (one or more, comma-separated; any formula of the same reduced formula
    matches), ``chemsys`` (exact chemical systems, e.g. ``Ba-O-Ti``, any element order),
    ``elements`` (documents holding all of them) and ``exclude_elements``.
    ``formula_field`` is the stored field of the reduced formula; None: no ``formula``."""

    def __init__(self, formula_field: str | None = "formula") -> None:
        self.formula_field = formula_field

    def query(self, formula: Annotated[str | None, Query(
                  max_length=300, pattern=FORMULAS,
                  description="reduced formulas, comma-separated, e.g. BaTiO3,Ba2TiO4")] = None,
              chemsys: Annotated[str | None, Query(
                  max_length=300, pattern=SYSTEMS,
                  description="chemical systems, comma-separated, e.g. Ba-O-Ti")] = None,
              elements: Annotated[str | None, Query(
                  max_length=300, pattern=ELEMENTS,
                  description="elements every document must hold, e.g. Ba,Ti")] = None,
              exclude_elements: Annotated[str | None, Query(
                  max_length=300, pattern=ELEMENTS,
                  description="elements no document may hold")] = None) -> dict[str, Any]:
        out: dict[str, Any] = {"keep": []}
        if formula:
            if self.formula_field is None:
                raise InputError("formula: these documents have no formula; use chemsys")
            names = list(dict.fromkeys(parse_formula(f) for f in _split(formula)))
            out["criteria"] = {self.formula_field: {"$in": names}}
        if chemsys:
            systems = {frozenset(parse_system(s)) for s in _split(chemsys)}
            out["keep"].append(lambda head: frozenset(_elements(head)) in systems)
        if elements:
            wanted = parse_system("-".join(_split(elements)))
            out["keep"].append(lambda head: wanted <= _elements(head))
        if exclude_elements:
            banned = parse_system("-".join(_split(exclude_elements)))
            out["keep"].append(lambda head: not banned & _elements(head))
        return out


class TemperatureQuery(QueryOperator):
    """``temperature_min``/``temperature_max``, K (inclusive)."""

    def query(self, temperature_min: Annotated[float | None, Query(
                  ge=0, le=1e5, description="lowest temperature, K")] = None,
              temperature_max: Annotated[float | None, Query(
                  ge=0, le=1e5, description="highest temperature, K")] = None
              ) -> dict[str, Any]:
        if (temperature_min is not None and temperature_max is not None
                and temperature_min > temperature_max):
            raise InputError(f"temperature range is empty: temperature_min {temperature_min:g} "
                             f"K > temperature_max {temperature_max:g} K")
        cond = {op: v for op, v in (("$gte", temperature_min), ("$lte", temperature_max))
                if v is not None}
        return {"criteria": {"temperature_K": cond}} if cond else {}


class SourceQuery(QueryOperator):
    """``source``: ``all`` (default: MD documents and imported published sets together, each
    labelled by its ``source`` field), ``md`` or ``published``. The one rule of every endpoint
    that serves transport-derived data."""

    def query(self, source: Annotated[Literal["all", "md", "published"], Query(
                  description="all (default), md or published")] = "all") -> dict[str, Any]:
        return {"sources": ["md", "published"] if source == "all" else [source]}


class PhysicsFlagQuery(QueryOperator):
    """``physics_flag``: transport documents carrying one of these flag codes (comma-separated;
    ``any`` for every code). Flags judged at read time (``D_falls_with_T`` of MD aggregates)
    count: the search judges them on every matching document before it filters."""

    def query(self, physics_flag: Annotated[str | None, Query(
                  max_length=200, description="any, or comma-separated codes: "
                  "above_free_particle_bound, com_constraint_violated, D_falls_with_T, "
                  "not_diffusive")] = None) -> dict[str, Any]:
        from ionflux.transport.physics_checks import flag_codes

        codes = flag_codes(physics_flag)
        if codes is None:
            return {}
        wanted = set(codes)
        return {"keep": [lambda head: any(f.get("code") in wanted
                                          for f in head.get("physics_flags") or ())],
                "judge_flags": True}


def precursor_names(text: str | None) -> list[str]:
    """Comma-separated precursor formulas, reduced; a phase named twice is an error."""
    names = [parse_formula(p, "precursor") for p in _split(text)]
    if len(set(names)) != len(names):
        raise InputError(f"precursors {text!r} name one phase twice")
    return names


class KDPrecursorQuery(QueryOperator):
    """``precursors``: K_D documents of a precursor pair (either order)."""

    def query(self, precursors: Annotated[str | None, Query(
                  max_length=128, pattern=FORMULAS, description="e.g. BaO,TiO2")] = None
              ) -> dict[str, Any]:
        names = precursor_names(precursors)
        return {"criteria": {"precursors": {"$all": names}}} if names else {}


def _inputs(head: dict) -> dict:
    prediction = head.get("prediction")
    inputs = prediction.get("inputs") if isinstance(prediction, dict) else None
    return inputs if isinstance(inputs, dict) else {}


def _finals(head: dict) -> dict:
    prediction = head.get("prediction")
    finals = prediction.get("final_mol_fraction") if isinstance(prediction, dict) else None
    return finals if isinstance(finals, dict) else {}


def _has_product(head: dict, phase: str, floor: float | None) -> bool:
    """True when ``phase`` ends with a mole fraction above 0 (at least ``floor`` if given)."""
    value = _finals(head).get(phase)
    if not isinstance(value, int | float):
        return False
    return value >= floor if floor is not None else value > 0


def _same_ratio(have: dict, names: list[str], ratio: list[float]) -> bool:
    """True when precursors ``have`` are exactly ``names`` in proportion ``ratio``."""
    if sorted(have) != sorted(names):
        return False
    scale = float(have[names[0]]) / ratio[0]
    return all(math.isclose(float(have[n]), r * scale, rel_tol=1e-6)
               for n, r in zip(names, ratio, strict=True))


class PredictionQuery(QueryOperator):
    """Predictions by precursors (and their ratio), product phase, mode and recipe."""

    def query(self, precursors: Annotated[str | None, Query(
                  max_length=128, pattern=FORMULAS,
                  description="predictions using all of these precursors, e.g. BaO,TiO2")
              ] = None,
              ratio: Annotated[str | None, Query(
                  max_length=100, pattern=RATIO,
                  description="molar ratio of the precursors in their order, e.g. 1:2 "
                              "(needs precursors; exactly these precursors)")] = None,
              product: Annotated[str | None, Query(
                  max_length=64, pattern=FORMULA,
                  description="a phase present at the end, e.g. BaTiO3")] = None,
              product_fraction_min: Annotated[float | None, Query(
                  ge=0, le=1, description="lowest final mole fraction of product (default: "
                                          "any amount above 0)")] = None,
              mode: Literal["full", "self-only", "thermo-only"] | None = None,
              recipe: Annotated[str | None, Query(max_length=16, pattern=r"^[A-Za-z0-9_-]+$",
                                                  description="e.g. R4")] = None
              ) -> dict[str, Any]:
        criteria: dict[str, Any] = {}
        keep: list[Callable[[dict], bool]] = []
        if mode:
            criteria["mode"] = mode
        if recipe:
            criteria["recipe"] = recipe.upper()
        names = precursor_names(precursors)
        if names:
            keep.append(lambda head: set(names) <= set(_inputs(head).get("precursors") or {}))
        if ratio is not None:
            parts = [float(x) for x in ratio.split(":")]
            if not names or len(parts) != len(names):
                raise InputError(f"ratio {ratio!r} needs precursors with one number each, e.g. "
                                 "precursors=BaO,TiO2&ratio=1:2")
            if not all(math.isfinite(x) and x > 0 for x in parts):
                raise InputError(f"ratio {ratio!r}: every number must be > 0")
            keep.append(lambda head: _same_ratio(_inputs(head).get("precursors") or {}, names,
                                                 parts))
        if product_fraction_min is not None and not product:
            raise InputError("product_fraction_min needs product")
        if product:
            phase = parse_formula(product, "product")
            keep.append(lambda head: _has_product(head, phase, product_fraction_min))
        # the tests read the prediction itself: fetched with the heads only when there are any
        return {"criteria": criteria, "keep": keep, "head_fields": ["prediction"] if keep else []}


def refuse_unknown(params: Any, allowed: set[str]) -> None:
    """InputError naming every query parameter the endpoint does not take (a misspelt filter
    would otherwise be ignored and return everything)."""
    unknown = [name for name in params if name not in allowed]
    if unknown:
        hints = [f"{n} (now {RENAMED[n]})" if n in RENAMED else n for n in unknown]
        takes = ", ".join(sorted(allowed)) or "no query parameters"
        raise InputError(f"unknown query parameter(s) {', '.join(hints)}; this endpoint takes "
                         f"{takes}")


def merge(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One store query from the operators' parts: criteria merged, ``keep`` tests joined."""
    out: dict[str, Any] = {"criteria": {}, "keep": []}
    for part in parts:
        out["criteria"].update(part.get("criteria") or {})
        out["keep"].extend(part.get("keep") or [])
        out.update({k: v for k, v in part.items() if k not in ("criteria", "keep")})
    return out
