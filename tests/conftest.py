"""Shared pytest fixtures, including a real MongoDB-wire-protocol server.

``nx_27017`` (session scope) starts ``nx-27017`` (MongoDB wire protocol over SQLite, installed
by the ``test`` extra) on a free loopback port and yields its URI (the pipeline and web tests
use it). A server that cannot start fails the test loudly; nothing is skipped.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _root_logger_restored() -> Iterator[None]:
    """maggma's Builder.run() sets the root logger to DEBUG and adds a handler; without this,
    one test calling it made every later library log (e.g. pymongo heartbeats after the test
    server stopped) print for the rest of the session."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261122)


@pytest.fixture(scope="session")
def distilled_melt_kd_table():
    """K_D table of the bundled distilled-potential melts (Ba-Ti-O, Arrhenius-shifted below
    1750 K) on the bundled thermodynamics; read-only, so one per session."""
    from ionflux.kinetics.report import distilled_melt_docs
    from ionflux.kinetics.table import KDTable
    from ionflux.thermo.data import ThermoData

    return KDTable.from_transport_docs(distilled_melt_docs("Ba-Ti-O"),
                                       ThermoData.bundled("Ba-Ti-O"))


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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
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


def pytest_configure(config: pytest.Config) -> None:
    """Persistent caches of the test run live in a folder of their own, never in the user's
    ~/.cache (results are keyed by data and code, so sharing them within a run is safe)."""
    import os
    import tempfile

    caches = {"IONFLUX_DRIVING_FORCE_CACHE": "driving_forces.sqlite",
              "IONFLUX_REACTION_TABLE_CACHE": "reaction_tables.sqlite"}
    if all(name in os.environ for name in caches):
        return
    folder = tempfile.mkdtemp(prefix="ionflux-test-cache-")
    config._ionflux_cache_folder = folder  # removed in pytest_unconfigure
    for name, file in caches.items():
        os.environ.setdefault(name, os.path.join(folder, file))


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    folder = getattr(config, "_ionflux_cache_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
