"""An embedded, persistent maggma ``Store`` on SQLite: no server, real indexes.

The storage itself is :class:`~ionflux.storage.sqlite_collection.SQLiteCollection` (one table
per collection, BSON documents, indexed shadow columns, the MongoDB query language); this module
adds maggma's ``Store`` base, which the builders and ``mrun`` need (``updated_keys``,
``newer_in``, serialisation). Read-only queries and the predictions cache use the collection
directly and so do not import maggma or pymongo.

The path ``":memory:"`` (or ``":memory:NAME"``) gives a process-wide in-memory database that
survives ``close()`` (unlike maggma's ``MemoryStore``), for tests.
"""

from __future__ import annotations

from typing import Any

from maggma.core import Store

from ionflux.storage.sqlite_collection import SQLiteCollection


class SQLiteStore(SQLiteCollection, Store):
    """A maggma Store backed by one SQLite file (or a named process-wide in-memory database).

    Args:
        path: database file (created with its folder), or ``":memory:[NAME]"``.
        collection_name: table holding this collection.
        timeout_s: how long a writer waits for another process's lock, seconds.
        **kwargs: ``key``, ``last_updated_field``, ``validator`` (see ``maggma.core.Store``).
    """

    def __init__(self, path: str, collection_name: str, timeout_s: float = 60.0,
                 read_only: bool = False, **kwargs: Any):
        SQLiteCollection.__init__(self, path, collection_name, timeout_s, read_only, **kwargs)
        Store.__init__(self, **kwargs)

    __eq__ = SQLiteCollection.__eq__
    __hash__ = SQLiteCollection.__hash__
