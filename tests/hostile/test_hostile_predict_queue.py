"""POST /api/predict under load: a bounded queue (429 with Retry-After), queued work of a client
that has gone is never started, and the thermodynamics of every profile step counts in the
cost limit."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest

from ionflux.storage.stores import StoreConfig

BODY = {"precursors": {"BaO": 1, "TiO2": 1}, "grid": 6, "realisations": 1,
        "profile": [{"temperature_K": 1300, "hours": 0.1}]}


def _body(seed: int) -> dict:
    return {**BODY, "seed": seed}


class Blocking:
    """A predictor that records its requests and waits until released."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, request, store, data_dir) -> dict:
        self.calls.append(request.seed)
        self.started.set()
        assert self.release.wait(30)
        return {"seed": request.seed}


def _app(predictor, **limits):
    from ionflux.web import ServeSettings, create_app

    config = StoreConfig(backend="memory", memory_name=":memory:ionflux-queue")
    return create_app(ServeSettings(store=config, **limits), predictor=predictor)


def _post_in_thread(app, body: dict, out: list) -> threading.Thread:
    from fastapi.testclient import TestClient

    def run() -> None:
        out.append(TestClient(app, raise_server_exceptions=False).post("/api/predict",
                                                                        json=body))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_full_queue_is_429_with_retry_after():
    from fastapi.testclient import TestClient

    predictor = Blocking()
    app = _app(predictor, max_queue=1)
    first: list = []
    thread = _post_in_thread(app, _body(1), first)
    assert predictor.started.wait(10)
    response = TestClient(app).post("/api/predict", json=_body(2))
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "the server is busy: 1 predictions are queued or running (at most 1)" in \
        response.json()["detail"]
    predictor.release.set()
    thread.join(10)
    assert first[0].status_code == 200 and predictor.calls == [1]
    # the queue has room again
    assert TestClient(app).post("/api/predict", json=_body(3)).status_code == 200


async def _post_and_disconnect(app, body: dict) -> int:
    """POST as a client that goes away right after sending its body."""
    raw = json.dumps(body).encode()
    messages = [{"type": "http.request", "body": raw, "more_body": False}]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/predict",
             "raw_path": b"/api/predict", "root_path": "", "query_string": b"",
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", str(len(raw)).encode())],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    await asyncio.wait_for(app(scope, receive, send), 10)
    return sent[0]["status"]


def test_queued_work_of_a_client_that_has_gone_never_starts():
    predictor = Blocking()
    app = _app(predictor, max_queue=4, predict_timeout_s=3)
    first: list = []
    thread = _post_in_thread(app, _body(1), first)
    assert predictor.started.wait(10)
    t0 = time.perf_counter()
    assert asyncio.run(_post_and_disconnect(app, _body(2))) == 499
    assert time.perf_counter() - t0 < 2  # noticed at once, not after the timeout
    predictor.release.set()
    thread.join(10)
    time.sleep(0.5)  # a queued run would start now
    assert predictor.calls == [1]


def test_every_profile_step_counts_in_the_cost():
    """50 steps of 0.1 h on a 6^3 grid: 10800 cell updates, but ~2 s of thermodynamics."""
    from fastapi.testclient import TestClient

    from ionflux.web.app import STEP_COST, PredictRequest, _cost

    steps = [{"temperature_K": 1000 + 10 * i, "hours": 0.1} for i in range(50)]
    request = PredictRequest.model_validate({**BODY, "profile": steps})
    assert _cost(request) >= 50 * STEP_COST
    calls: list = []
    client = TestClient(_app(lambda *a: calls.append(a) or {}, max_cell_updates=5e6),
                        raise_server_exceptions=False)
    response = client.post("/api/predict", json={**BODY, "profile": steps})
    assert response.status_code == 422 and not calls
    assert "per profile step for its thermodynamics" in response.json()["detail"]
    assert client.post("/api/predict", json=BODY).status_code == 200


@pytest.fixture(autouse=True)
def _fresh_memory_store():
    from ionflux.storage.sqlite_store import SQLiteStore

    SQLiteStore.drop_memory_database(":memory:ionflux-queue")
    yield
    SQLiteStore.drop_memory_database(":memory:ionflux-queue")


class Cancellable:
    """A predictor that runs until its ``cancel`` callback says stop (or 30 s)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped = threading.Event()

    def __call__(self, request, store, data_dir, cancel) -> dict:
        self.started.set()
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline:
            if cancel():
                self.stopped.set()
                raise RuntimeError("cancelled")
            time.sleep(0.02)
        return {"seed": request.seed}


def test_a_running_prediction_whose_client_has_gone_stops():
    predictor = Cancellable()
    app = _app(predictor, max_queue=4, predict_timeout_s=10)
    assert asyncio.run(_post_and_disconnect(app, _body(3))) == 499
    assert predictor.started.is_set()
    assert predictor.stopped.wait(5)  # not after the 30 s it would otherwise run


def test_predict_stops_when_cancel_says_so():
    """The hook inside ionflux.ca.predict: asked before scoring and between automaton chunks;
    never asked to stop, the result is the one without a hook."""
    from ionflux.ca.predict import PredictionCancelled, predict

    kwargs = {"mode": "thermo-only", "grid": 8, "realisations": 2, "cache": False}
    with pytest.raises(PredictionCancelled):
        predict({"BaO": 1, "TiO2": 1}, [(1300.0, 2.0)], cancel=lambda: True, **kwargs)
    asked: list[int] = []

    def after_three() -> bool:
        asked.append(1)
        return len(asked) > 3

    with pytest.raises(PredictionCancelled):
        predict({"BaO": 1, "TiO2": 1}, [(1300.0, 2.0)], cancel=after_three, **kwargs)
    plain = predict({"BaO": 1, "TiO2": 1}, [(1300.0, 2.0)], **kwargs)
    hooked = predict({"BaO": 1, "TiO2": 1}, [(1300.0, 2.0)], cancel=lambda: False, **kwargs)
    assert hooked.final_mol_fraction == plain.final_mol_fraction
