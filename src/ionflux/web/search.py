"""One search over the documents of one or more stores: filter, sort, page, project.

The store is asked for whole top-level fields only and dotted ``_fields`` paths are cut out in
Python (:func:`project`), with MongoDB's documented semantics (``prediction.inputs`` returns
``{"prediction": {"inputs": ...}}``): a server whose projection of dotted paths differs (the
MongoDB-wire test server returns a literal ``"prediction.inputs"`` key) then serves the same
documents as MongoDB and SQLite do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ionflux.storage.documents import upgraded
from ionflux.web.data import clean
from ionflux.web.operators import sort_key

#: Returned with every document whatever ``_fields`` asks for (as MongoDB returns ``_id``).
ID_FIELD = "ionflux_id"


@dataclass(frozen=True)
class Collection:
    """One store an endpoint serves: its role in the ``StoreSet``, natural key, the
    ``id_kind`` its writer gives ids (``DerivedFields.id_kind``), how a record's ``source`` is
    told, and the top-level fields the filters of its endpoint read."""

    role: str
    key: str
    id_kind: str
    source: str | None = None  # a fixed label; None: the record's transport_source
    head_fields: tuple[str, ...] = ()
    #: called on the page's full documents with the store (e.g. read-time physics flags)
    finish: Callable[[list[dict], Any], list[dict]] | None = None
    #: the fields ``finish`` reads, fetched for every match when a filter needs its output
    finish_fields: tuple[str, ...] = ()
    has_source: bool = True  # False: not transport-derived (predictions), no source field

    def label(self, record: dict) -> dict:
        """``record`` with its ``source`` (md or published) when it has one."""
        if self.has_source:
            record["source"] = self.source or str(record.get("transport_source") or "md")
        return record


def project(doc: dict, paths: Sequence[str] | None) -> dict:
    """``doc`` cut to ``paths`` (dotted paths nest: ``a.b`` -> ``{"a": {"b": ...}}``; through a
    list, each element is cut); None: the whole document."""
    if paths is None:
        return doc
    out: dict[str, Any] = {}
    for path in (ID_FIELD, *paths):
        _copy(doc, path.split("."), out)
    return out


def _copy(source: Any, parts: list[str], target: dict) -> None:
    head, rest = parts[0], parts[1:]
    if not isinstance(source, dict) or head not in source:
        return
    value = source[head]
    if not rest:
        target[head] = value
    elif isinstance(value, dict):
        _copy(value, rest, target.setdefault(head, {}))
    elif isinstance(value, list):
        items = target.setdefault(head, [{} for _ in value])
        for item, part in zip(value, items, strict=False):
            _copy(item, rest, part)


def _sorted(heads: list[tuple[Collection, dict]], order: dict[str, int]
            ) -> list[tuple[Collection, dict]]:
    for name, direction in reversed(list(order.items())):  # stable: last key first
        present = [h for h in heads if h[1].get(name) is not None]
        missing = [h for h in heads if h[1].get(name) is None]
        present.sort(key=lambda h, n=name: sort_key(h[1][n]), reverse=direction < 0)
        heads = present + missing  # missing values last in either direction
    return heads


def search(stores: Any, collections: Sequence[Collection], query: dict[str, Any]
           ) -> tuple[list[dict], int]:
    """(one page of documents, how many match) for a merged operator query."""
    sources = query.get("sources")
    order: dict[str, int] = query.get("sort") or {}
    fields = query.get("fields")
    heads: list[tuple[Collection, dict]] = []
    for coll in collections:
        if (sources is not None and coll.has_source and coll.source is not None
                and coll.source not in sources):
            continue
        criteria = dict(query["criteria"])
        if sources is not None and coll.has_source and coll.source is None:
            criteria["transport_source"] = {"$in": list(sources)}
        store = getattr(stores, coll.role)
        wanted = {coll.key, *coll.head_fields, *query.get("head_fields", ()),
                  *(n for n in order if n != "source")}
        judge = query.get("judge_flags", False)
        if judge:  # a flag filter reads the flags as a whole document would show them
            wanted |= {"physics_flags", *coll.finish_fields}
        records = [clean(r) for r in store.query(criteria, properties=sorted(wanted))]
        if judge and coll.finish is not None:
            records = coll.finish(records, store)
        for record in records:
            head = coll.label(upgraded(record, coll.id_kind))
            if all(test(head) for test in query["keep"]):
                heads.append((coll, head))
    heads = _sorted(heads, order)
    skip, limit = query.get("skip", 0), query.get("limit", 100)
    page = heads[skip:skip + limit]
    top = None if fields is None else sorted({ID_FIELD, *(p.split(".")[0] for p in fields)})
    docs: dict[tuple[str, str], dict] = {}
    for coll in collections:
        keys = [h[coll.key] for c, h in page if c is coll]
        if not keys:
            continue
        store = getattr(stores, coll.role)
        # physics flags are judged on whole documents; everything else reads what it returns
        properties = None if coll.finish is not None else top
        if properties is not None:  # and what the emmet-style fields of old records need
            properties = sorted({*properties, coll.key, *coll.head_fields})
        found = [clean(r) for r in store.query({coll.key: {"$in": keys}},
                                               properties=properties)]
        if coll.finish is not None:
            found = coll.finish(found, store)
        for record in found:
            docs[(coll.role, record[coll.key])] = coll.label(upgraded(record, coll.id_kind))
    out = [project(docs[(c.role, h[c.key])], fields) for c, h in page
           if (c.role, h[c.key]) in docs]
    return out, len(heads)
