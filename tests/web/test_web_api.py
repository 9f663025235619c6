"""The HTTP API against the seeded store: filters and pages give exactly the expected documents,
bad input gives one-line 4xx JSON, nothing gives a stack trace, predictions are budgeted and
time-limited, and the real automaton behind POST /api/predict matches a direct call."""

from __future__ import annotations

import threading
import time

import pytest
from web_fakes import canned_prediction, fake_predictor


def test_transport_filters_and_pages(client, published_docs_by_key):
    body = client.get("/api/transport", params={"source": "published", "limit": 500}).json()
    assert body["total"] == len(published_docs_by_key) == 55
    keys = [d["group_id"] for d in body["items"]]
    assert keys == sorted(published_docs_by_key)
    # pages concatenate to the full, ordered list
    pages = []
    for offset in range(0, 55, 20):
        page = client.get("/api/transport", params={"source": "published", "limit": 20,
                                                    "offset": offset}).json()
        assert page["total"] == 55
        pages += [d["group_id"] for d in page["items"]]
    assert pages == keys
    one = client.get("/api/transport", params={"source": "published", "formula": "Ti1Ba1O3",
                                               "tmin": 1000, "tmax": 1500}).json()
    assert [d["group_id"] for d in one["items"]] == ["BaTiO3@1000K", "BaTiO3@1250K",
                                                     "BaTiO3@1500K"]
    assert client.get("/api/transport", params={"source": "published",
                                                "system": "Ba-O"}).json()["total"] == 0
    assert client.get("/api/transport", params={"source": "published",
                                                "system": "O-Ti-Ba"}).json()["total"] == 55
    doc = client.get("/api/transport/BaTiO3@1500K").json()
    assert doc["L"] == published_docs_by_key["BaTiO3@1500K"].L
    assert client.get("/api/transport", params={"source": "md"}).json()["total"] == 0


@pytest.fixture(scope="module")
def published_docs_by_key():
    from ionflux.transport.published import load_published

    return {d.key(): d for d in load_published("Ba-Ti-O")}


@pytest.mark.parametrize("params,status,message", [
    ({"limit": 501}, 422, "limit"),
    ({"limit": 0}, 422, "limit"),
    ({"offset": -1}, 422, "offset"),
    ({"tmin": 1500, "tmax": 1000}, 422, "temperature range is empty"),
    ({"formula": "Xx2O"}, 422, "not a chemical formula"),
    ({"formula": "Ba Ti"}, 422, "formula"),
    ({"system": "Ba-Qq"}, 422, "chemical system"),
    ({"source": "nowhere"}, 422, "source"),
])
def test_bad_queries_are_one_line_422(client, params, status, message):
    response = client.get("/api/transport", params=params)
    assert response.status_code == status
    detail = response.json()["detail"]
    assert message in detail and "\n" not in detail and "Traceback" not in response.text


def test_kd_bonds_and_ratio(client):
    kd = client.get("/api/kd", params={"precursors": "TiO2,BaO", "system": "Ba-Ti-O"}).json()
    assert kd["total"] == 4
    assert client.get("/api/kd", params={"formula": "BaTiO3"}).json()["total"] == 1
    assert client.get("/api/kd", params={"precursors": "BaO,BaO"}).status_code == 422
    ratio = client.get("/api/kd/ratio", params={"precursors": "BaO,TiO2",
                                                "temperature": 1500}).json()
    assert ratio["source"] == "store" and ratio["fraction_label"] == "Ba/(Ba+Ti)"
    assert [(r["phase"], round(r["fraction"], 4)) for r in ratio["rows"]] == [
        ("BaTi4O9", 0.2), ("BaTi2O5", 0.3333), ("BaTiO3", 0.5), ("Ba2TiO4", 0.6667)]
    assert ratio["rows"][2]["K_D_cm2_s"] == 3e-6
    assert client.get("/api/kd/ratio", params={"precursors": "BaO"}).status_code == 422
    bonds = client.get("/api/bonds", params={"formula": "BaTiO3", "tmin": 1400}).json()
    assert [b["traj_id"] for b in bonds["items"]] == ["BaTiO3@1500K#r1"]


def test_predictions_read(client):
    listing = client.get("/api/predictions", params={"precursors": "BaO,TiO2",
                                                     "system": "Ti-Ba-O"}).json()
    assert listing["total"] == 1
    item = listing["items"][0]
    assert item["prediction"]["final_mol_fraction"]["BaTiO3"] == pytest.approx(0.5)
    assert "series" not in item["prediction"]  # summaries only
    full = client.get(f"/api/predictions/{item['prediction_id']}").json()
    assert len(full["series"]) == 5
    assert client.get("/api/predictions", params={"mode": "full"}).json()["total"] == 0
    assert client.get("/api/predictions/0123").status_code == 404


def test_predict_validation_and_budget(client):
    good = {"precursors": {"BaO": 1, "TiO2": 1}, "mode": "thermo-only",
            "profile": [{"temperature_K": 1300, "hours": 2}], "realisations": 2, "grid": 8}
    response = client.post("/api/predict", json=good)
    assert response.status_code == 200
    assert response.json()["final_mol_fraction"]["BaTiO3"] == pytest.approx(0.5)
    cases = [
        ({**good, "precursors": {"BaO": 1}}, "precursors"),
        ({**good, "precursors": {"BaO": 1, "TiO2": -1}}, "must be > 0"),
        ({**good, "precursors": {"BaO": 1, "Zz": 1}}, "Zz"),
        # no grid gives the smaller precursor a cell
        ({**good, "precursors": {"BaO": 1e5, "TiO2": 1e-3}}, "BaO:TiO2 = 1e+08 is too large"),
        ({**good, "profile": []}, "profile"),
        ({**good, "profile": [{"temperature_K": -5, "hours": 1}]}, "temperature_K"),
        ({**good, "mode": "fast"}, "mode"),
        ({**good, "surprise": 1}, "surprise"),
        # 60^3 cells x 16 realisations x 1000 h: refused before running
        ({**good, "grid": 60, "realisations": 16, "profile": [{"temperature_K": 1300,
                                                               "hours": 1000}]},
         "server's limit"),
    ]
    for body, message in cases:
        response = client.post("/api/predict", json=body)
        assert response.status_code == 422, body
        assert message in response.json()["detail"], (message, response.json())
    broken = client.post("/api/predict", content=b"{not json",
                         headers={"Content-Type": "application/json"})
    assert broken.status_code == 422


def _app(web_config, predictor, **limits):
    from fastapi.testclient import TestClient

    from ionflux.web import ServeSettings, create_app

    app = create_app(ServeSettings(store=web_config, **limits), predictor=predictor)
    return TestClient(app, raise_server_exceptions=False)


def test_slow_prediction_times_out_then_is_served(web_config):
    gate = threading.Event()

    def slow(request, store, data_dir):
        gate.wait(10)
        return canned_prediction(dict(request.precursors))

    client = _app(web_config, slow, predict_timeout_s=0.3)
    body = {"precursors": {"BaO": 1, "TiO2": 2}, "profile": [{"temperature_K": 1300,
                                                              "hours": 1}]}
    first = client.post("/api/predict", json=body)
    assert first.status_code == 504 and "retry later" in first.json()["detail"]
    gate.set()
    time.sleep(0.2)
    second = client.post("/api/predict", json=body)
    assert second.status_code == 200 and "BaTiO3" in second.json()["final_mol_fraction"]


def test_unexpected_errors_hide_their_details(web_config):
    def broken(request, store, data_dir):
        raise RuntimeError("secret path /srv/ionflux/internal")

    client = _app(web_config, broken)
    response = client.post("/api/predict", json={
        "precursors": {"BaO": 1, "TiO2": 2}, "profile": [{"temperature_K": 1300, "hours": 1}]})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; see the server log"}
    assert "secret" not in response.text and "Traceback" not in response.text


def test_page_and_vendored_chart_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/vendor/uPlot.iife.min.js" in page.text
    assert client.get("/static/vendor/uPlot.iife.min.js").status_code == 200
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/openapi.json").json()["paths"]["/api/predict"]["post"]


def test_real_automaton_behind_the_api_matches_a_direct_call(web_config, monkeypatch):
    """hours -> sweeps conversion and inputs: the API's document equals predict()'s."""
    from ionflux.ca.predict import predict
    from ionflux.web.app import run_prediction

    client = _app(web_config, run_prediction)
    body = {"precursors": {"BaO": 1, "TiO2": 1}, "mode": "thermo-only", "seed": 3,
            "profile": [{"temperature_K": 1400, "hours": 1.5}], "realisations": 2, "grid": 8}
    first = client.post("/api/predict", json=body).json()
    direct = predict({"BaO": 1, "TiO2": 1}, [(1400.0, 15.0)], mode="thermo-only",
                     realisations=2, seed=3, grid=8, cache=False)
    assert first["final_mol_fraction"] == pytest.approx(direct.final_mol_fraction, abs=0)
    assert first["inputs"]["profile"] == [[1400.0, 15.0]]
    again = client.post("/api/predict", json=body).json()
    assert again["from_cache"] is True and again["key"] == first["key"]


def test_fake_predictor_rejects_unknown_pairs():
    from ionflux.errors import InputError
    from ionflux.web import PredictRequest

    with pytest.raises(InputError):
        fake_predictor(PredictRequest(precursors={"Li2O": 1, "TiO2": 1},
                                      profile=[{"temperature_K": 1000, "hours": 1}]),
                       None, None)


@pytest.mark.slow
def test_kd_ratio_falls_back_to_the_bundled_tensors():
    """An empty store: the page's K_D table comes from the bundled published tensors and
    agrees with the K_D table's own interpolation-free look-up."""
    from ionflux.kinetics import KDTable
    from ionflux.pipeline.stores import StoreConfig, StoreSet
    from ionflux.thermo import ThermoData
    from ionflux.web.kd_ratio import kd_ratio_rows

    stores = StoreSet.open(StoreConfig(backend="memory",
                                       memory_name=":memory:ionflux-web-empty")).connect()
    body = kd_ratio_rows(stores, ["BaO", "TiO2"], 1500.0)
    assert body["source"] == "bundled published tensors"
    fractions = [r["fraction"] for r in body["rows"]]
    assert fractions == sorted(fractions) and len(fractions) == 10  # Ba4TiO6 has no thermo
    table = KDTable.published("Ba-Ti-O", thermo=ThermoData.load("Ba-Ti-O"))
    row = next(r for r in body["rows"] if r["phase"] == "BaTiO3")
    assert row["fraction"] == 0.5
    assert row["K_D_cm2_s"] == pytest.approx(table.kd_cm2_s("BaTiO3", 1500.0, ("BaO", "TiO2")),
                                             rel=1e-12)
    with pytest.raises(Exception, match="1500, 1750"):
        kd_ratio_rows(stores, ["BaO", "TiO2"], 1600.0)


def test_large_bodies_are_refused_with_413_before_parsing(client):
    """A 38 MB JSON body took 7 s and +500 MB before its 422: now 413 from its length."""
    huge = b'{"precursors": {"BaO": 1, "TiO2": 1}, "pad": "' + b"x" * 38_000_000 + b'"}'
    response = client.post("/api/predict", content=huge,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "larger than the server's limit of 65536 bytes" in response.json()["detail"]
    # a streamed body without Content-Length is cut off once it passes the limit
    chunks = iter([b'{"pad": "', *([b"x" * 8192] * 100), b'"}'])
    response = client.post("/api/predict", content=chunks,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "more than 65536 bytes" in response.json()["detail"]


def test_body_limit_refuses_without_reading_the_body():
    import asyncio

    from ionflux.web.app import BodyLimit

    called = []

    async def app(scope, receive, send):
        called.append(scope)

    async def receive():
        raise AssertionError("the body must not be read")

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/predict",
             "headers": [(b"content-length", b"38000000")]}
    asyncio.run(BodyLimit(app, 1024)(scope, receive, send))
    assert not called and sent[0]["status"] == 413
    asyncio.run(BodyLimit(app, 1024)({**scope, "headers": [(b"content-length", b"-1")]},
                                     receive, send))
    assert not called and sent[2]["status"] == 400
