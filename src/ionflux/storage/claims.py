"""Item claims, so that builders running at the same time on one store divide the work.

Before computing an item a builder claims ``stage:item_key`` with an atomic insert-if-absent
(SQLite: one immediate transaction; MongoDB: a document whose ``_id`` is the claim id). A claim
is released when the item's result is written. A claim whose owner process is gone (same host,
pid not alive) or that is older than ``ttl_s`` is taken over, so a build killed with SIGKILL and
rerun still ends complete. Claims live next to the failures store (SQLite table or MongoDB
collection ``build_claims``); other store types do not divide work (every builder computes
every item, as before; results are identical either way).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
import uuid
from typing import Any

from maggma.core import Store

CLAIMS_COLLECTION = "build_claims"
HOST = socket.gethostname()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Claims:
    """Claims of one builder run (owner = host, pid and a random id)."""

    def __init__(self, store: Store, ttl_s: float = 6 * 3600.0):
        self.kind, self.where = _backend(store)
        self.ttl_s = ttl_s
        self.owner = uuid.uuid4().hex
        self.pid = os.getpid()
        self._conn: Any = None
        self.held: set[str] = set()

    def __getstate__(self) -> dict:
        # picklable for process pools; connections are reopened where used
        return {**self.__dict__, "_conn": None}

    @property
    def enabled(self) -> bool:
        return self.kind != "none"

    def _stale(self, doc: dict, now: float) -> bool:
        if now - float(doc.get("claimed_at", 0.0)) > self.ttl_s:
            return True
        return doc.get("host") == HOST and not _alive(int(doc.get("pid", -1)))

    def _record(self, claim_id: str, now: float) -> dict:
        return {"claim_id": claim_id, "owner": self.owner, "host": HOST, "pid": self.pid,
                "claimed_at": now}

    # -- SQLite ---------------------------------------------------------------------------
    def _sqlite(self) -> sqlite3.Connection:
        if self._conn is None:
            from ionflux.storage.sqlite_store import SQLiteStore

            probe = SQLiteStore(self.where, CLAIMS_COLLECTION, key="claim_id")
            conn = probe._open()
            conn.execute(f"CREATE TABLE IF NOT EXISTS {CLAIMS_COLLECTION} (claim_id TEXT "
                         "PRIMARY KEY, owner TEXT, host TEXT, pid INTEGER, claimed_at REAL)")
            self._conn = conn
        return self._conn

    def _acquire_sqlite(self, claim_id: str) -> bool:
        conn = self._sqlite()
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(f"SELECT owner, host, pid, claimed_at FROM {CLAIMS_COLLECTION} "
                               "WHERE claim_id = ?", (claim_id,)).fetchone()
            if row is not None:
                doc = dict(zip(("owner", "host", "pid", "claimed_at"), row, strict=True))
                if doc["owner"] != self.owner and not self._stale(doc, now):
                    conn.execute("COMMIT")
                    return False
            rec = self._record(claim_id, now)
            conn.execute(f"INSERT OR REPLACE INTO {CLAIMS_COLLECTION} VALUES (?, ?, ?, ?, ?)",
                         (rec["claim_id"], rec["owner"], rec["host"], rec["pid"],
                          rec["claimed_at"]))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return True

    # -- MongoDB --------------------------------------------------------------------------
    def _mongo(self) -> Any:
        if self._conn is None:
            from pymongo import MongoClient

            uri, database = self.where
            self._conn = MongoClient(uri)[database][CLAIMS_COLLECTION]
        return self._conn

    def _acquire_mongo(self, claim_id: str) -> bool:
        from pymongo.errors import DuplicateKeyError

        coll = self._mongo()
        for _ in range(3):
            now = time.time()
            try:
                coll.insert_one({"_id": claim_id, **self._record(claim_id, now)})
                return True
            except DuplicateKeyError:
                doc = coll.find_one({"_id": claim_id})
                if doc is None:
                    continue
                if doc.get("owner") == self.owner:
                    return True
                if not self._stale(doc, now):
                    return False
                coll.delete_one({"_id": claim_id, "owner": doc.get("owner")})
        return False

    # -- interface ------------------------------------------------------------------------
    def acquire(self, claim_id: str) -> bool:
        """True if this owner now holds ``claim_id`` (always True without a claims backend)."""
        if self.kind == "sqlite":
            ok = self._acquire_sqlite(claim_id)
        elif self.kind == "mongo":
            ok = self._acquire_mongo(claim_id)
        else:
            return True
        if ok:
            self.held.add(claim_id)
        return ok

    def release(self, claim_ids: list[str] | None = None) -> None:
        """Release some claims of this owner (all of them by default)."""
        ids = sorted(self.held if claim_ids is None else set(claim_ids) & self.held)
        if not ids or not self.enabled:
            return
        if self.kind == "sqlite":
            conn = self._sqlite()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(f"DELETE FROM {CLAIMS_COLLECTION} WHERE claim_id = ? AND owner = ?",
                             [(i, self.owner) for i in ids])
            conn.execute("COMMIT")
        else:
            self._mongo().delete_many({"_id": {"$in": ids}, "owner": self.owner})
        self.held -= set(ids)

    def close(self) -> None:
        if self._conn is not None and self.kind == "sqlite":
            self._conn.close()
        elif self._conn is not None and self.kind == "mongo":
            self._conn.database.client.close()
        self._conn = None


def _backend(store: Store) -> tuple[str, Any]:
    from ionflux.storage.sqlite_store import SQLiteStore

    if isinstance(store, SQLiteStore) and not store.is_memory:
        # (in-memory stores live in one process and share one connection: nothing to divide)
        return "sqlite", store.path
    uri = getattr(store, "uri", None)
    database = getattr(store, "database", None)
    if uri and database and type(store).__name__ == "MongoStore":
        return "mongo", (uri, database)
    return "none", None
