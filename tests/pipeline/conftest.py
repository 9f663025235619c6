"""Fixtures of the pipeline tests, including a real MongoDB-wire-protocol server.

``nx_27017`` (session scope) starts ``nx-27017`` (MongoDB wire protocol over SQLite, installed
by the ``test`` extra) on a free loopback port and yields its URI; ``mongo_uri`` gives each test
its own database on it. A server that cannot start fails the test loudly; nothing is skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_data import TEST_SETTINGS, free_port

from ionflux.pipeline import Pipeline, PipelineSettings, SQLiteStore, StoreConfig


def _nx_executable() -> str:
    found = shutil.which("nx-27017") or str(Path(sys.executable).parent / "nx-27017")
    if not Path(found).exists():
        pytest.fail("nx-27017 is not installed (it comes with `pip install -e .[test]`)")
    return found


@pytest.fixture(scope="session")
def nx_27017(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URI of a session-wide nx-27017 server on 127.0.0.1 (isolated in-memory databases)."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    folder = tmp_path_factory.mktemp("nx27017")
    port = free_port()
    log = folder / "server.log"
    cmd = [_nx_executable(), "--data-dir", "memory", "--host", "127.0.0.1", "-p", str(port),
           "--pid-file", str(folder / "nx.pid"), "--log-file", str(log)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    uri = f"mongodb://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"nx-27017 exited with code {proc.returncode}: "
                            f"{log.read_text()[-2000:] if log.exists() else ''}")
            try:
                with MongoClient(uri, serverSelectionTimeoutMS=500) as client:
                    client.admin.command("ping")
                break
            except PyMongoError:
                if time.monotonic() > deadline:
                    pytest.fail(f"nx-27017 did not answer on port {port} within 60 s")
                time.sleep(0.2)
        yield uri
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
