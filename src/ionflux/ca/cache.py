"""Predictions cache: a tiny get/put protocol and its implementation on the pipeline store.

Predictions live in the ``predictions`` role of a store configuration (the embedded ``local``
store by default, so repeated queries are served from ``./ionflux-data``; ``mongo`` shares them),
keyed by ``prediction_id`` = hash of the inputs and the data version. Anything with
``get(key) -> dict | None`` and ``put(key, dict)`` can stand in.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ionflux.errors import StoreError

_KEY = re.compile(r"^[0-9a-f]{16,128}$")

logger = logging.getLogger("ionflux.predictions")


@runtime_checkable
class PredictionCache(Protocol):
    def get(self, key: str) -> dict | None:
        ...

    def put(self, key: str, doc: dict) -> None:
        ...


class StoreCache:
    """Predictions in a maggma Store, one record per key: the prediction under ``prediction``
    and a few top-level fields (system, recipe, mode, data version) to query by."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._connected = False

    @classmethod
    def open(cls, store: str | None = None, data_dir: str | Path | None = None) -> StoreCache:
        """The ``predictions`` store of configuration ``store`` (default ``$IONFLUX_STORE`` or
        ``local``)."""
        import os

        from ionflux.storage.stores import STORE_ENV, open_store

        name = store or os.environ.get(STORE_ENV) or "local"
        # a plain SQLite collection: the cache only queries and updates, and maggma's Store
        # base would import maggma and pymongo on every prediction
        return cls(open_store(name, "predictions", data_dir=data_dir, plain=True))

    def _connect(self) -> None:
        if not self._connected:
            self.store.connect()
            self._connected = True

    @staticmethod
    def _check(key: str) -> None:
        if not _KEY.match(key):
            raise StoreError(f"predictions cache: invalid key {key!r} (expected hex digest)")

    def get(self, key: str) -> dict | None:
        self._check(key)
        self._connect()
        record = self.store.query_one({"prediction_id": key})
        if record is None or not isinstance(record.get("prediction"), dict):
            return None
        doc = record["prediction"]
        return doc if doc.get("key") == key else None

    def put(self, key: str, doc: dict) -> None:
        from ionflux.storage.documents import (
            SCHEMA_VERSION,
            builder_meta,
            document_fields,
            finite_or_none,
            now_ms,
        )

        self._check(key)
        self._connect()
        inputs = doc.get("inputs", {})
        stamp = now_ms()
        record = {"prediction_id": key, "system": inputs.get("system"),
                  "recipe": inputs.get("recipe"), "mode": inputs.get("mode"),
                  "data_version": doc.get("data_version"), "last_updated": stamp,
                  "prediction": finite_or_none(doc)}
        # emmet-style fields: id, chemical system, and what the automaton ran with
        record.update(document_fields(record, "prediction"), schema_version=SCHEMA_VERSION,
                      builder_meta=builder_meta({k: inputs.get(k) for k in (
                          "scoring", "automaton", "thermo_source", "engine_version")}, stamp))
        self.store.update([record], key="prediction_id")


class BestEffortCache:
    """A predictions cache whose writes never cost a computed prediction.

    Wraps a cache (``get``/``put``, e.g. :class:`ionflux.ca.cache.StoreCache`). A write that
    another writer blocks (SQLite's lock, a lost server: any StoreError) is tried ``attempts``
    times, each waiting at most ``busy_timeout_s`` for the lock (the store's own wait is 60 s),
    with short pauses between; then it is skipped and recorded in ``skipped`` (and the log),
    and the prediction is returned all the same. Reads pass through.
    """

    def __init__(self, cache: Any, *, attempts: int = 3, busy_timeout_s: float = 2.0,
                 pause_s: float = 0.5, sleep: Callable[[float], Any] = time.sleep) -> None:
        self.cache = cache
        self.attempts = attempts
        self.pause_s = pause_s
        self.sleep = sleep
        self.skipped: list[str] = []
        store = getattr(cache, "store", None)
        if isinstance(getattr(store, "timeout_s", None), int | float):
            store.timeout_s = min(store.timeout_s, busy_timeout_s)  # before it connects

    def get(self, key: str) -> dict | None:
        return self.cache.get(key)

    def put(self, key: str, doc: dict) -> None:
        from ionflux.storage.documents import one_line

        for attempt in range(self.attempts):
            try:
                self.cache.put(key, doc)
                return
            except StoreError as exc:
                problem = one_line(exc)
                if attempt < self.attempts - 1:
                    self.sleep(self.pause_s * 2 ** attempt)
        note = (f"prediction {key[:12]} not cached ({problem}; {self.attempts} attempts): "
                "it is returned all the same, and computed again next time")
        self.skipped.append(note)
        logger.warning(note)
