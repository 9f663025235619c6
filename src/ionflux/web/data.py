"""Read access to the pipeline store for the HTTP API (one connection set per thread).

File-backed SQLite connections must stay in the thread that opened them, and FastAPI serves
plain endpoints from a thread pool, so every worker thread opens its own ``StoreSet``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ionflux.errors import InputError
from ionflux.pipeline.documents import finite_or_none, reduced_formula


def parse_formula(value: str, what: str = "formula") -> str:
    try:
        return reduced_formula(value)
    except ValueError:
        raise InputError(f"{what} {value!r} is not a chemical formula") from None


def parse_system(value: str) -> set[str]:
    """'Ba-Ti-O' -> {'Ba', 'Ti', 'O'} (each a real element)."""
    from pymatgen.core import Element

    parts = [p.strip() for p in value.split("-") if p.strip()]
    if not parts or not all(Element.is_valid_symbol(p) for p in parts):
        raise InputError(f"chemical system {value!r} must be elements joined by '-', "
                         "e.g. Ba-Ti-O")
    return set(parts)


def elements_of(formula: str) -> set[str]:
    from pymatgen.core import Composition

    return {el.symbol for el in Composition(formula).elements}


def clean(doc: dict) -> dict:
    doc.pop("_id", None)
    return finite_or_none(doc)


class StoreAccess:
    """Per-thread connected stores of one configuration."""

    def __init__(self, store: str = "local", data_dir: str | Path | None = None) -> None:
        from ionflux.pipeline.stores import StoreSet

        self.store = store
        self.data_dir = data_dir
        # opened once here so a bad configuration fails at start-up, not on the first request
        first = StoreSet.open(store, data_dir=data_dir).connect()
        self.location = first.location
        self._local = threading.local()
        self._local.stores = first

    def stores(self) -> Any:
        stores = getattr(self._local, "stores", None)
        if stores is None:
            from ionflux.pipeline.stores import StoreSet

            stores = StoreSet.open(self.store, data_dir=self.data_dir).connect()
            self._local.stores = stores
        return stores


def page(records: Iterable[dict], limit: int, offset: int, total: int) -> dict[str, Any]:
    return {"total": total, "limit": limit, "offset": offset,
            "items": [clean(r) for r in records]}


def filtered_page(store: Any, criteria: dict, key: str, limit: int, offset: int,
                  keep: Callable[[dict], bool] | None = None,
                  properties: Sequence[str] | None = None, formula_field: str = "formula"
                  ) -> dict[str, Any]:
    """One page of ``store`` documents matching ``criteria`` (and ``keep``, which sees
    ``{"formula": doc[formula_field]}``), sorted by key."""
    if keep is None:
        total = store.count(criteria)
        docs = store.query(criteria, properties=list(properties) if properties else None,
                           sort={key: 1}, skip=offset, limit=limit)
        return page(docs, limit, offset, total)
    heads = [d for d in store.query(criteria, properties=[key, formula_field], sort={key: 1})
             if formula_field in d and keep({"formula": d[formula_field]})]
    wanted = [d[key] for d in heads[offset:offset + limit]]
    docs = {d[key]: d for d in store.query(
        {key: {"$in": wanted}}, properties=list(properties) if properties else None)}
    return page([docs[k] for k in wanted if k in docs], limit, offset, len(heads))
