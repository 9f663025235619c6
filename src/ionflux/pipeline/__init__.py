"""The maggma pipeline: trajectories -> transport, bond counts, aggregates and K_D documents.

The code lives in two packages on two floors (docs/ARCHITECTURE.md): :mod:`ionflux.storage`
(stores, blobs, claims, ingest; below the science) and :mod:`ionflux.stages` (the builders and
``Pipeline``; above it). ``ionflux.pipeline`` keeps the names users import, loaded on first use.

Stores come from a configuration (``local``: embedded SQLite, the default; ``mongo``: shared
MongoDB from ``$IONFLUX_MONGO_URI``; ``memory``: tests). Builders are incremental and
idempotent (see :mod:`ionflux.stages.builders`).

    from ionflux.pipeline import Pipeline, open_store
    pipe = Pipeline.open("local")
    pipe.ingest("runs/"); pipe.build(); pipe.status()
    store = open_store("local", "predictions")  # any role or collection, unconnected

The names below are imported on first use (module ``__getattr__``): the builders load maggma
and pymongo, which a query or a store of predictions does not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Where each exported name lives.
_SOURCES = {
    "ionflux.stages.builders": ("BondsBuilder", "IncrementalBuilder", "KDBuilder",
                                  "TransportAggregateBuilder", "TransportBuilder"),
    "ionflux.storage.documents": ("BUILD_STAGES", "STAGES", "FailureDoc", "RawTrajectoryDoc",
                                   "TrajectoryMetadata"),
    "ionflux.storage.ingest": ("IngestReport", "ingest_directory"),
    "ionflux.stages.runner": ("Pipeline", "StageReport", "StatusReport", "run_builder"),
    "ionflux.stages.settings": ("PipelineSettings",),
    "ionflux.storage.sqlite_store": ("SQLiteStore",),
    "ionflux.storage.stores": ("ROLES", "StoreConfig", "StoreSet", "load_store_config",
                                "open_store"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'ionflux.pipeline' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
