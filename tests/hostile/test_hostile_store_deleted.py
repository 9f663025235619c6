"""A store deleted or replaced under a running server is a one-line 503, never a split store
(reads from the deleted file, writes to a new one); serving a data folder that does not exist
fails at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from ionflux.cli import main


@pytest.fixture
def served(tmp_path: Path):
    from fastapi.testclient import TestClient

    from ionflux.web import ServeSettings, create_app

    calls = []
    store = tmp_path / "store"
    store.mkdir()
    app = create_app(ServeSettings(store="local", data_dir=str(store)),
                     predictor=lambda *a: calls.append(a) or {})
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/api/transport").status_code == 200
    assert client.get("/api/health").json()["status"] == "ok"
    return store, client, calls


PREDICT = {"precursors": {"BaO": 1, "TiO2": 1}, "grid": 6, "realisations": 1,
           "profile": [{"temperature_K": 1300, "hours": 0.1}]}


def _delete(store: Path) -> None:
    for path in store.glob("ionflux.sqlite*"):
        path.unlink()


def test_deleted_store_is_503_and_never_recreated(served):
    store, client, calls = served
    _delete(store)
    for method, url in (("get", "/api/health"), ("get", "/api/transport"),
                        ("get", "/api/kd"), ("post", "/api/predict")):
        response = getattr(client, method)(url, **({"json": PREDICT} if method == "post"
                                                   else {}))
        assert response.status_code == 503, (url, response.text)
        detail = response.json()["detail"]
        assert detail == ("the store's database file ionflux.sqlite was deleted while the "
                          "server was running; restore it and restart ionflux serve"), detail
    assert not calls and list(store.iterdir()) == []


def test_replaced_store_is_503(served):
    from ionflux.storage.stores import StoreSet

    store, client, _ = served
    _delete(store)
    StoreSet.open("local", data_dir=store).connect().close()  # someone makes a new store
    response = client.get("/api/bonds")
    assert response.status_code == 503
    assert "was replaced while the server was running" in response.json()["detail"]


def test_serve_refuses_a_data_folder_that_does_not_exist(tmp_path: Path, capsys, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server started"))
    typo = tmp_path / "nonexistent" / "typo"
    assert main(["serve", "--data-dir", str(typo)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert f"data folder {typo} does not exist" in err
    assert not (tmp_path / "nonexistent").exists()
