"""The HTTP API against the seeded store: filters and pages give exactly the expected documents,
bad input gives one-line 4xx JSON, nothing gives a stack trace, predictions are budgeted and
time-limited, and the real automaton behind POST /api/predict matches a direct call."""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime

import pytest
from web_fakes import canned_prediction, fake_predictor

from ionflux.errors import InputError


def _get(client, url, **params):
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _order(docs):
    """Group ids in the API's default order: formula, then temperature by value."""
    return [d.key() for d in sorted(docs, key=lambda d: (d.formula, d.temperature_K))]


def test_transport_envelope_filters_and_pages(client, published_docs_by_key):
    from ionflux import __version__

    body = _get(client, "/api/transport", source="published", _limit=500)
    assert body["meta"]["total_doc"] == len(published_docs_by_key) == 55
    assert body["meta"]["max_limit"] == 500 and body["meta"]["api_version"] == __version__
    assert datetime.fromisoformat(body["meta"]["time_stamp"])
    keys = [d["group_id"] for d in body["data"]]
    assert keys == _order(published_docs_by_key.values())
    # by number: 750 K before 1000 K before 1750 K (a string sort puts 1750 first)
    temps = [d["temperature_K"] for d in body["data"] if d["formula"] == "BaTiO3"]
    assert temps == sorted(temps) and temps[0] == 750.0
    assert {d["source"] for d in body["data"]} == {"published"}
    # pages concatenate to the full, ordered list, by _skip/_limit and by _page/_per_page
    by_skip = [d["group_id"] for skip in range(0, 55, 20)
               for d in _get(client, "/api/transport", _limit=20, _skip=skip)["data"]]
    by_page = [d["group_id"] for page in range(1, 4)
               for d in _get(client, "/api/transport", _per_page=20, _page=page)["data"]]
    assert by_skip == by_page == keys  # source=all: the seeded store has no MD documents
    one = _get(client, "/api/transport", formula="Ti1Ba1O3", temperature_min=1000,
               temperature_max=1500)
    assert [d["group_id"] for d in one["data"]] == ["BaTiO3@1000K", "BaTiO3@1250K",
                                                   "BaTiO3@1500K"]
    two = _get(client, "/api/transport", formula="BaTiO3,Ba2TiO4", temperature_min=1750)
    assert [d["group_id"] for d in two["data"]] == ["Ba2TiO4@1750K", "BaTiO3@1750K"]
    for params, total in (({"chemsys": "Ba-O"}, 0), ({"chemsys": "O-Ti-Ba"}, 55),
                          ({"chemsys": "Ba-O,Ba-O-Ti"}, 55), ({"elements": "Ti,Ba"}, 55),
                          ({"elements": "Li"}, 0), ({"exclude_elements": "Ti"}, 0),
                          ({"source": "md"}, 0)):
        assert _get(client, "/api/transport", **params)["meta"]["total_doc"] == total, params
    newest_first = _get(client, "/api/transport", formula="BaTiO3", _sort_fields="-temperature_K")
    assert [d["temperature_K"] for d in newest_first["data"]] == sorted(temps, reverse=True)
    doc = _get(client, "/api/transport/BaTiO3@1500K")["data"]
    assert [d["L"] for d in doc] == [published_docs_by_key["BaTiO3@1500K"].L]
    by_id = _get(client, f"/api/transport/{doc[0]['ionflux_id']}", _fields="group_id")
    assert by_id["data"] == [{"ionflux_id": doc[0]["ionflux_id"], "group_id": "BaTiO3@1500K"}]
    assert client.get("/api/transport/BaTiO3@1600K").status_code == 404
    past_the_end = _get(client, "/api/transport", _skip=1000)  # out of range: empty, not 404
    assert past_the_end["data"] == [] and past_the_end["meta"]["total_doc"] == 55


@pytest.mark.parametrize("url,params,message", [
    ("/api/transport/BaTiO3@1500K", {"colour": "red"}, "takes _fields, source"),
    ("/api/kd/ratio", {"tmin": 1000}, "tmin (now temperature_min)"),
    ("/api/predictions", {"system": "Ba-Ti-O"}, "system (now chemsys)"),
    ("/api/health", {"verbose": 1}, "takes no query parameters"),
])
def test_every_api_route_refuses_unknown_parameters(client, url, params, message):
    response = client.get(url, params=params)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_fields_project_nested_paths_as_mongodb_does(client, published_docs_by_key):
    body = _get(client, "/api/transport", formula="BaTiO3", temperature_min=1500,
                temperature_max=1500, _fields="formula_pretty,provenance.ionflux_version,"
                                              "D_self_cm2_s.Ba,quality.symmetric.passed,"
                                              "quality.no_such_check.passed")
    [doc] = body["data"]
    truth = published_docs_by_key["BaTiO3@1500K"]
    # MongoDB: a path into an object that lacks it adds nothing to that object
    assert doc == {"ionflux_id": doc["ionflux_id"], "formula_pretty": "BaTiO3",
                   "provenance": {"ionflux_version": truth.provenance.ionflux_version},
                   "D_self_cm2_s": {"Ba": truth.D_self_cm2_s["Ba"]},
                   "quality": {"symmetric": {"passed": truth.quality["symmetric"].passed}}}
    assert _get(client, "/api/transport", _all_fields=True, _limit=1)["data"][0]["L"]


@pytest.fixture(scope="module")
def published_docs_by_key():
    from ionflux.transport.published import load_published

    return {d.key(): d for d in load_published("Ba-Ti-O")}


@pytest.mark.parametrize("params,message", [
    ({"_limit": 501}, "_limit"),
    ({"_limit": 0}, "_limit"),
    ({"_skip": -1}, "_skip"),
    ({"_page": 0}, "_page"),
    ({"_page": 2, "_limit": 5}, "not both"),
    ({"temperature_min": 1500, "temperature_max": 1000}, "temperature range is empty"),
    ({"temperature_min": -1}, "temperature_min"),
    ({"formula": "Xx2O"}, "not a chemical formula"),
    ({"formula": "Ba Ti"}, "formula"),
    ({"chemsys": "Ba-Qq"}, "chemical system"),
    ({"elements": "Ba,Qq"}, "chemical system"),
    ({"source": "nowhere"}, "source"),
    ({"_fields": "formula,nonsense"}, "unknown field(s) nonsense"),
    ({"_sort_fields": "L"}, "cannot sort by L"),
    ({"colour": "red"}, "unknown query parameter(s) colour"),
    ({"limit": 5}, "limit (now _limit)"),
    ({"system": "Ba-Ti-O"}, "system (now chemsys)"),
    ({"tmin": 1000}, "tmin (now temperature_min)"),
])
def test_bad_queries_are_one_line_422(client, params, message):
    response = client.get("/api/transport", params=params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert message in detail and "\n" not in detail and "Traceback" not in response.text


def test_kd_bonds_and_ratio(client):
    kd = _get(client, "/api/kd", precursors="TiO2,BaO", chemsys="Ba-Ti-O")
    assert kd["meta"]["total_doc"] == 4
    assert [d["phase"] for d in kd["data"]] == ["Ba2TiO4", "BaTi2O5", "BaTi4O9", "BaTiO3"]
    assert {d["source"] for d in kd["data"]} == {"md"}
    assert _get(client, "/api/kd", formula="BaTiO3")["meta"]["total_doc"] == 1
    assert _get(client, "/api/kd", source="published")["meta"]["total_doc"] == 0
    ranked = _get(client, "/api/kd", _sort_fields="-K_D_cm2_s", _fields="K_D_cm2_s")
    assert [d["K_D_cm2_s"] for d in ranked["data"]] == [3e-6, 2e-6, 1e-6, 5e-7]
    assert client.get("/api/kd", params={"precursors": "BaO,BaO"}).status_code == 422
    ratio = _get(client, "/api/kd/ratio", precursors="BaO,TiO2", temperature=1500)
    assert ratio["meta"]["data_from"] == "store"
    assert ratio["meta"]["fraction_label"] == "Ba/(Ba+Ti)"
    assert [(r["phase"], round(r["fraction"], 4)) for r in ratio["data"]] == [
        ("BaTi4O9", 0.2), ("BaTi2O5", 0.3333), ("BaTiO3", 0.5), ("Ba2TiO4", 0.6667)]
    assert ratio["data"][2]["K_D_cm2_s"] == 3e-6 and not ratio["data"][2]["interpolated"]
    assert client.get("/api/kd/ratio", params={"precursors": "BaO"}).status_code == 422
    # outside the store's data (1500 K only): 422 with the range, never 404
    outside = client.get("/api/kd/ratio", params={"temperature": 1400})
    assert outside.status_code == 422 and "1500-1500 K" in outside.json()["detail"]
    bonds = _get(client, "/api/bonds", formula="BaTiO3", temperature_min=1400)
    assert [b["traj_id"] for b in bonds["data"]] == ["BaTiO3@1500K#r1"]


def test_kd_ratio_interpolates_store_documents_in_log_k_versus_1_over_t():
    """log K_D linear in 1/T between the store's temperatures, as ``ionflux kd`` does."""
    from ionflux.storage.stores import StoreConfig, StoreSet
    from ionflux.web.kd_ratio import kd_ratio_rows

    stores = StoreSet.open(StoreConfig(backend="memory",
                                       memory_name=":memory:ionflux-web-interp")).connect()
    stores.kd.update([{"kd_id": f"BaTiO3@{t:g}K:BaO+TiO2", "group_id": f"BaTiO3@{t:g}K",
                       "phase": "BaTiO3", "temperature_K": t, "precursors": ["BaO", "TiO2"],
                       "K_D_cm2_s": k, "K_D_self_cm2_s": k / 2, "K_D_stderr_cm2_s": k / 10,
                       "transport_source": "md"} for t, k in ((1250.0, 1e-6), (1500.0, 4e-6))])
    w = (1 / 1400 - 1 / 1250) / (1 / 1500 - 1 / 1250)
    expected = math.exp(math.log(1e-6) + w * (math.log(4e-6) - math.log(1e-6)))
    [row] = kd_ratio_rows(stores, ["BaO", "TiO2"], 1400.0)["rows"]
    assert row["K_D_cm2_s"] == pytest.approx(expected, rel=1e-12)
    assert row["K_D_self_cm2_s"] == pytest.approx(expected / 2, rel=1e-12)
    assert row["interpolated"] and row["K_D_stderr_cm2_s"] is None
    [exact] = kd_ratio_rows(stores, ["BaO", "TiO2"], 1250.0)["rows"]
    assert exact["K_D_cm2_s"] == 1e-6 and exact["K_D_stderr_cm2_s"] == 1e-7
    with pytest.raises(InputError, match="1250-1500 K"):
        kd_ratio_rows(stores, ["BaO", "TiO2"], 1600.0)


def test_predictions_read_by_ratio_and_product(client):
    listing = _get(client, "/api/predictions", precursors="BaO,TiO2", chemsys="Ti-Ba-O")
    assert listing["meta"]["total_doc"] == 1
    item = listing["data"][0]
    assert item["prediction"]["final_mol_fraction"]["BaTiO3"] == pytest.approx(0.5)
    assert item["chemsys"] == "Ba-O-Ti" and item["nelements"] == 3 and "source" not in item
    for params, total in (({"precursors": "BaO,TiO2", "ratio": "1:1"}, 1),
                          ({"precursors": "TiO2,BaO", "ratio": "2.5:2.5"}, 1),
                          ({"precursors": "BaO,TiO2", "ratio": "1:2"}, 0),
                          ({"product": "BaTiO3"}, 1),
                          ({"product": "BaTiO3", "product_fraction_min": 0.5}, 1),
                          ({"product": "BaTiO3", "product_fraction_min": 0.6}, 0),
                          ({"product": "Ba2TiO4"}, 0), ({"mode": "full"}, 0),
                          ({"elements": "Ba"}, 1), ({"chemsys": "Ba-O"}, 0)):
        assert _get(client, "/api/predictions", **params)["meta"]["total_doc"] == total, params
    for params, message in (({"ratio": "1:2"}, "needs precursors"),
                            ({"precursors": "BaO,TiO2", "ratio": "1:2:3"}, "one number each"),
                            ({"product_fraction_min": 0.1}, "needs product"),
                            ({"formula": "BaTiO3"}, "no formula")):
        response = client.get("/api/predictions", params=params)
        assert response.status_code == 422 and message in response.json()["detail"], params
    summary = _get(client, "/api/predictions",
                   _fields="prediction.inputs.precursors,prediction.final_mol_fraction")
    assert summary["data"][0]["prediction"] == {
        "inputs": {"precursors": {"BaO": 1.0, "TiO2": 1.0}},
        "final_mol_fraction": item["prediction"]["final_mol_fraction"]}
    full = _get(client, f"/api/predictions/{item['prediction_id']}")["data"][0]
    assert len(full["prediction"]["series"]) == 5
    assert _get(client, f"/api/predictions/{item['ionflux_id']}")["data"][0] == full
    assert client.get("/api/predictions/0123").status_code == 404


def test_documents_carry_emmet_fields_and_schema_1_records_still_load(web_config):
    """New records: schema 2 with the emmet-style fields and builder_meta. A record written
    before them (tests/web/data/transport_schema1.json, stored by the previous schema) still
    loads as a TransportDoc and is served with the fields derived, under the same id."""
    import json
    import platform
    from pathlib import Path

    from fastapi.testclient import TestClient

    from ionflux.storage.documents import fingerprint, from_record
    from ionflux.storage.sqlite_store import SQLiteStore
    from ionflux.storage.stores import StoreConfig, StoreSet
    from ionflux.transport.documents import TransportDoc
    from ionflux.web import ServeSettings, create_app

    new = StoreSet.open(web_config).connect().published_transport.query_one(
        {"group_id": "BaTi2O5@1500K"})
    assert (new["formula_pretty"], new["chemsys"], new["elements"], new["nelements"]) == (
        "BaTi2O5", "Ba-O-Ti", ["Ba", "O", "Ti"], 3)
    assert new["schema_version"] == 2 and new["ionflux_id"].startswith("ionflux-")
    meta = new["builder_meta"]
    assert meta["python_version"] == platform.python_version()
    assert meta["settings_hash"] == fingerprint(new["pipeline"]["settings"])
    assert meta["build_date"] == new["last_updated"]

    old = json.loads((Path(__file__).parent / "data" / "transport_schema1.json").read_text())
    assert "schema_version" not in old and "formula_pretty" not in old
    old["last_updated"] = datetime.fromisoformat(old["last_updated"])
    assert from_record(old, TransportDoc).formula == "BaTi2O5"
    name = ":memory:ionflux-web-schema1"
    SQLiteStore.drop_memory_database(name)
    config = StoreConfig(backend="memory", memory_name=name)
    StoreSet.open(config).connect().published_transport.update([old])
    client = TestClient(create_app(ServeSettings(store=config)))
    [served] = _get(client, "/api/transport", chemsys="Ba-O-Ti")["data"]
    assert (served["formula_pretty"], served["chemsys"], served["nelements"]) == (
        "BaTi2O5", "Ba-O-Ti", 3)
    assert served["schema_version"] == 1 and served["builder_meta"] is None
    assert served["ionflux_id"] == new["ionflux_id"]  # the id depends on what it describes
    assert served["L"] == new["L"]


def test_predictions_nest_dotted_fields_under_the_mongodb_wire_server(nx_27017, monkeypatch):
    """MongoDB projects ``prediction.inputs`` as ``{"prediction": {"inputs": ...}}``; the
    MongoDB-wire test server returns a literal "prediction.inputs" key for such a projection.
    The API asks stores for top-level fields only and cuts paths itself: nested here too."""
    import uuid

    from fastapi.testclient import TestClient
    from web_fakes import seed_store

    from ionflux.storage.stores import StoreConfig
    from ionflux.web import ServeSettings, create_app

    monkeypatch.setenv("IONFLUX_MONGO_URI", f"{nx_27017}/w{uuid.uuid4().hex[:12]}")
    config = StoreConfig(backend="mongo")
    seed_store(config)
    client = TestClient(create_app(ServeSettings(store=config)))
    body = _get(client, "/api/predictions", precursors="BaO,TiO2",
                _fields="prediction.inputs,prediction.final_mol_fraction,system")
    [item] = body["data"]
    assert not [k for k in item if "." in k]
    assert set(item) == {"ionflux_id", "prediction", "system"}
    assert set(item["prediction"]) == {"inputs", "final_mol_fraction"}
    assert item["prediction"]["inputs"]["precursors"] == {"BaO": 1.0, "TiO2": 1.0}
    kd = _get(client, "/api/kd", formula="BaTiO3", _fields="provenance.ionflux_version,phase")
    assert kd["data"][0]["phase"] == "BaTiO3"


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
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text and "swagger" in docs.text
    # offline: Swagger UI comes from the package, never from a CDN
    assert "cdn" not in docs.text.lower() and "/static/vendor/swagger-ui-bundle.js" in docs.text
    assert client.get("/static/vendor/swagger-ui-bundle.js").status_code == 200


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
def test_kd_ratio_falls_back_to_the_bundled_tensors_as_the_cli_computes_them():
    """An empty store: the page's K_D table comes from the bundled published tensors, at a
    tabulated temperature and between two (1400 K), equal to ``ionflux kd``'s rows."""
    from ionflux.cli.kd import compute_rows
    from ionflux.storage.stores import StoreConfig, StoreSet
    from ionflux.web.kd_ratio import kd_ratio_rows

    stores = StoreSet.open(StoreConfig(backend="memory",
                                       memory_name=":memory:ionflux-web-empty")).connect()
    for temperature in (1500.0, 1400.0):
        body = kd_ratio_rows(stores, ["BaO", "TiO2"], temperature)
        assert body["data_from"] == "bundled published tensors"
        fractions = [r["fraction"] for r in body["rows"]]
        assert fractions == sorted(fractions) and len(fractions) == 10  # Ba4TiO6: no thermo
        cli, _, _ = compute_rows("Ba-Ti-O", "BaO,TiO2", f"{temperature:g}", "published", None,
                                 False, False)
        assert {r["phase"]: r["K_D_cm2_s"] for r in body["rows"]} == pytest.approx(
            {r.phase: r.K_D_cm2_s for r in cli}, rel=1e-12)
        assert all(r["interpolated"] is (temperature == 1400.0) for r in body["rows"])
    assert next(r for r in body["rows"] if r["phase"] == "BaTiO3")["fraction"] == 0.5
    with pytest.raises(InputError, match="never extrapolated"):
        kd_ratio_rows(stores, ["BaO", "TiO2"], 2500.0)


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
