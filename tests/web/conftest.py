"""A web app over an in-memory store seeded with the bundled published tensors, a few K_D and
bond-count records, and a fast stand-in for the automaton (the real one is tested separately);
``server``: the app with the real automaton behind uvicorn on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from web_fakes import MEMORY, fake_predictor, seed_store


@pytest.fixture(scope="session")
def web_config():
    from ionflux.storage.sqlite_store import SQLiteStore
    from ionflux.storage.stores import StoreConfig

    SQLiteStore.drop_memory_database(MEMORY)
    config = StoreConfig(backend="memory", memory_name=MEMORY)
    seed_store(config)
    return config


@pytest.fixture(scope="session")
def web_app(web_config):
    from ionflux.web import ServeSettings, create_app

    return create_app(ServeSettings(store=web_config, max_cell_updates=2e6,
                                    predict_timeout_s=30), predictor=fake_predictor)


@pytest.fixture(scope="session")
def client(web_app):
    from fastapi.testclient import TestClient

    return TestClient(web_app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def server(web_config):
    import uvicorn

    from ionflux.web import ServeSettings, create_app

    app = create_app(ServeSettings(store=web_config, max_cell_updates=5e6,
                                   predict_timeout_s=120))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
