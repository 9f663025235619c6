"""Fixtures of the pipeline tests: ``mongo_uri`` gives each test its own database on the
session's MongoDB-wire-protocol server (``nx_27017``, in tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from pipeline_data import TEST_SETTINGS

from ionflux.pipeline import Pipeline, PipelineSettings, SQLiteStore, StoreConfig


@pytest.fixture
def mongo_uri(nx_27017: str) -> str:
    """A fresh database on the session server, for one test."""
    return f"{nx_27017}/t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings() -> PipelineSettings:
    return PipelineSettings.model_validate(TEST_SETTINGS)


@pytest.fixture
def memory_pipeline(settings: PipelineSettings) -> Iterator[Pipeline]:
    """A pipeline on a fresh process-wide in-memory store."""
    name = f":memory:{uuid.uuid4().hex}"
    pipe = Pipeline.open(StoreConfig(backend="memory", memory_name=name), settings=settings)
    yield pipe
    pipe.close()
    SQLiteStore.drop_memory_database(name)
