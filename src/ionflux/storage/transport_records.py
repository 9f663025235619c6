"""Transport records of a store as plain dicts: MD aggregates and imported published sets.

Storage-level, so a science floor (``kinetics.report``) can read a store without the stages'
``Pipeline``; validation into ``TransportDoc`` and the physics checks stay with the caller.
"""

from __future__ import annotations

from collections.abc import Collection

from ionflux.errors import InputError
from ionflux.storage.stores import StoreSet

#: Roles read for each source; later roles win where both cover a (phase, temperature) group.
SOURCE_ROLES = {"md": ("transport_aggregate",), "published": ("published_transport",),
                "all": ("published_transport", "transport_aggregate")}


def transport_records(stores: StoreSet, source: str = "all",
                      elements: Collection[str] | None = None) -> list[dict]:
    """Records of ``source`` (``md``, ``published`` or ``all``: the MD aggregate wins where
    both cover a group), sorted by group id; with ``elements``, only records whose formula's
    elements all lie in it."""
    from ionflux.formula import Composition

    if source not in SOURCE_ROLES:
        raise InputError(f"unknown transport source {source!r}; use md, published or all")
    stores.connect()
    allowed = set(elements) if elements is not None else None
    by_group: dict[str, dict] = {}
    for role in SOURCE_ROLES[source]:
        for record in stores.stores[role].query(sort={"group_id": 1}):
            present = {el.symbol for el in Composition(record["formula"]).elements}
            if allowed is None or present <= allowed:
                by_group[record["group_id"]] = record
    return [by_group[g] for g in sorted(by_group)]
