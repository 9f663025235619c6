"""The maggma pipeline: trajectories -> transport, bond counts, aggregates and K_D documents.

Stores come from a configuration (``local``: embedded SQLite, the default; ``mongo``: shared
MongoDB from ``$IONFLUX_MONGO_URI``; ``memory``: tests). Builders are incremental and
idempotent (see :mod:`ionflux.pipeline.builders`).

    from ionflux.pipeline import Pipeline, open_store
    pipe = Pipeline.open("local")
    pipe.ingest("runs/"); pipe.build(); pipe.status()
    store = open_store("local", "predictions")  # any role or collection, unconnected
"""

from __future__ import annotations

from ionflux.pipeline.builders import (
    BondsBuilder,
    IncrementalBuilder,
    KDBuilder,
    TransportAggregateBuilder,
    TransportBuilder,
)
from ionflux.pipeline.documents import (
    BUILD_STAGES,
    STAGES,
    FailureDoc,
    RawTrajectoryDoc,
    TrajectoryMetadata,
)
from ionflux.pipeline.ingest import IngestReport, ingest_directory
from ionflux.pipeline.runner import Pipeline, StageReport, StatusReport, run_builder
from ionflux.pipeline.settings import PipelineSettings
from ionflux.pipeline.sqlite_store import SQLiteStore
from ionflux.pipeline.stores import ROLES, StoreConfig, StoreSet, load_store_config, open_store

__all__ = [
    "BUILD_STAGES",
    "ROLES",
    "STAGES",
    "BondsBuilder",
    "FailureDoc",
    "IncrementalBuilder",
    "IngestReport",
    "KDBuilder",
    "Pipeline",
    "PipelineSettings",
    "RawTrajectoryDoc",
    "SQLiteStore",
    "StageReport",
    "StatusReport",
    "StoreConfig",
    "StoreSet",
    "TrajectoryMetadata",
    "TransportAggregateBuilder",
    "TransportBuilder",
    "ingest_directory",
    "load_store_config",
    "open_store",
    "run_builder",
]
