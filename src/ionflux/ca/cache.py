"""Predictions cache: a tiny get/put protocol and its implementation on the pipeline store.

Predictions live in the ``predictions`` role of a store configuration (the embedded ``local``
store by default, so repeated queries are served from ``./ionflux-data``; ``mongo`` shares them),
keyed by ``prediction_id`` = hash of the inputs and the data version. Anything with
``get(key) -> dict | None`` and ``put(key, dict)`` can stand in.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ionflux.errors import StoreError

_KEY = re.compile(r"^[0-9a-f]{16,128}$")


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

        from ionflux.pipeline.stores import STORE_ENV, open_store

        name = store or os.environ.get(STORE_ENV) or "local"
        return cls(open_store(name, "predictions", data_dir=data_dir))

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
        from ionflux.pipeline.documents import (
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
