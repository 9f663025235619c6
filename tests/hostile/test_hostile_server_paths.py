"""Nothing the web API serves names a server path: /api/health, documents (provenance sources,
excluded replicates, warnings) and error bodies give paths relative to the ingest root or the
store's data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile_data import write_runs

from ionflux.errors import StoreError


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """An ingested and built local store whose third replicate changed after ingest."""
    from fastapi.testclient import TestClient

    from ionflux.pipeline import Pipeline
    from ionflux.web import ServeSettings, create_app

    root = tmp_path_factory.mktemp("server paths")  # a space in the path, too
    data = write_runs(root / "md" / "BaTiO3", ["r1", "r2", "r3"])
    store = root / "store"
    with Pipeline.open("local", data_dir=store) as pipe:
        pipe.ingest(root / "md")
        (data / "r3.extxyz").write_text("changed\n")
        pipe.build()
    app = create_app(ServeSettings(store="local", data_dir=str(store)))
    return root, TestClient(app, raise_server_exceptions=False)


def _paths(obj, key=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, k)
    elif isinstance(obj, list):
        for v in obj:
            yield from _paths(v, key)
    elif key == "path":
        yield obj


@pytest.mark.parametrize("url", ["/api/health", "/api/transport", "/api/transport/BaTiO3@1500K",
                                 "/api/bonds", "/api/kd"])
def test_no_absolute_server_path_is_served(served, url: str):
    root, client = served
    response = client.get(url)
    assert response.status_code == 200
    text = response.text
    assert str(root) not in text and json.dumps(str(root))[1:-1] not in text
    body = response.json()
    for path in _paths(body):
        assert not Path(path).is_absolute(), path


def test_documents_keep_their_relative_paths_and_reasons(served):
    _, client = served
    [doc] = client.get("/api/transport/BaTiO3@1500K").json()["data"]
    assert sorted(s["path"] for s in doc["provenance"]["sources"]) == ["r1.extxyz",
                                                                       "r2.extxyz"]
    (excluded,) = doc["excluded"]
    assert excluded["reason"].startswith("r3.extxyz: file changed since it was ingested")
    assert client.get("/api/health").json()["store"] == "ionflux.sqlite"


def test_error_bodies_name_no_server_path(served, monkeypatch):
    root, client = served
    from ionflux.web.data import StoreAccess

    def broken(self):
        raise StoreError(f"cannot read {root / 'store' / 'ionflux.sqlite'}: disk I/O error; "
                         "also /etc/ionflux/secret.yaml")

    monkeypatch.setattr(StoreAccess, "stores", broken)
    response = client.get("/api/bonds")
    assert response.status_code == 503
    assert response.json()["detail"] == ("cannot read ionflux.sqlite: disk I/O error; also "
                                         "secret.yaml")
