"""Batch predictions: requests filed once, the builder fills ``predictions`` incrementally with
exactly what ``predict()`` gives for the same inputs, reuses cached runs, records failures, and
runs under ``mrun``; the CLI files a grid and reports progress and status.

Tiny runs (thermo-only, 8^3 cells, two realisations, one short step) keep this fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ionflux.ca.cache import StoreCache
from ionflux.ca.predict import predict
from ionflux.cli import main
from ionflux.stages.predictions import (
    PredictionRequest,
    file_requests,
    prediction_builder,
    prediction_stores,
    request_grid,
    request_status,
)
from ionflux.stages.runner import run_builder

REPO = Path(__file__).resolve().parents[2]
TINY = {"realisations": 2, "seed": 1, "grid": 8}


def _grid(ratios=((1, 1), (1, 2))):
    return request_grid(["BaO", "TiO2"], ratios, [[(1300.0, 10.0)]], ["thermo-only"], **TINY)


def _stores(tmp_path):
    stores = prediction_stores("local", tmp_path)
    for s in stores:
        s.connect()
    return stores


def test_request_ids_are_content_hashes():
    a = PredictionRequest(precursors={"BaO": 1, "TiO2": 2}, profile=[(1300, 10)], **TINY)
    b = PredictionRequest(precursors={"TiO2": 2.0, "Ba1O1": 1.0}, profile=[(1300.0, 10.0)],
                          label="another name", **TINY)
    c = PredictionRequest(precursors={"BaO": 1, "TiO2": 2}, profile=[(1300, 11)], **TINY)
    assert a.request_id == b.request_id != c.request_id
    grid = request_grid(["BaO", "TiO2"], [[1, 1], [1, 2]], [[(1300, 10)], [(1400, 5)]],
                        ["full", "thermo-only"])
    assert len({r.request_id for r in grid}) == 8
    with pytest.raises(ValueError, match="3 numbers for 2 precursors"):
        request_grid(["BaO", "TiO2"], [[1, 1, 1]], [[(1300, 10)]], ["full"])


def test_builder_fills_predictions_incrementally(tmp_path):
    requests, predictions, failures = _stores(tmp_path)
    assert file_requests(requests, _grid()) == (2, 0)
    assert file_requests(requests, _grid()) == (0, 2)  # filing twice adds nothing
    report = run_builder(prediction_builder("local", tmp_path))
    assert (report.processed, report.succeeded, report.failed) == (2, 2, 0)
    for s in (requests, predictions, failures):
        s.connect()
    records = {r["request_id"]: r for r in predictions.query({"request_id": {"$exists": True}})}
    assert len(records) == 2
    # each stored prediction is exactly what predict() gives for the same inputs
    for request in _grid():
        direct = predict(request.precursors, request.profile, mode="thermo-only", cache=False,
                         **TINY)
        stored = records[request.request_id]
        assert stored["prediction_id"] == direct.key
        assert stored["prediction"]["final_mol_fraction"] == pytest.approx(
            direct.final_mol_fraction, abs=0)
        # and predict() with the store as cache is served from it
        cached = predict(request.precursors, request.profile, mode="thermo-only",
                         cache=StoreCache(predictions), **TINY)
        assert cached.from_cache
    # nothing new: nothing runs; one new ratio: only it runs
    assert run_builder(prediction_builder("local", tmp_path)).processed == 0
    for s in (requests, predictions, failures):
        s.connect()
    assert file_requests(requests, _grid(((1, 1), (1, 2), (2, 1)))) == (1, 2)
    assert run_builder(prediction_builder("local", tmp_path)).processed == 1
    for s in (requests, predictions, failures):
        s.connect()
    assert request_status(requests, predictions, failures) == {
        "requests": 3, "done": 3, "pending": 0, "failed": {}}


def test_cached_prediction_is_reused_not_rerun(tmp_path):
    requests, predictions, _ = _stores(tmp_path)
    (request,) = _grid(((1, 3),))
    first = predict(request.precursors, request.profile, mode="thermo-only",
                    cache=StoreCache(predictions), **TINY)
    file_requests(requests, [request])
    assert run_builder(prediction_builder("local", tmp_path)).succeeded == 1
    predictions.connect()
    record = predictions.query_one({"request_id": request.request_id})
    # the same document (same creation time and run time), not a new run
    assert record["prediction"]["created_at"] == first.model_dump(mode="json")["created_at"]
    assert record["prediction"]["runtime_s"] == first.runtime_s


def test_failures_are_recorded_and_not_retried(tmp_path):
    requests, predictions, failures = _stores(tmp_path)
    # 1:200 on 4^3 cells leaves BaO less than one cell: predict() refuses the mixture
    bad = request_grid(["BaO", "TiO2"], [[1, 200]], [[(1300.0, 10.0)]], ["thermo-only"],
                       realisations=1, grid=4)
    good = _grid(((1, 1),))
    file_requests(requests, bad + good)
    report = run_builder(prediction_builder("local", tmp_path))
    assert (report.succeeded, report.failed) == (1, 1)
    for s in (requests, predictions, failures):
        s.connect()
    status = request_status(requests, predictions, failures)
    assert status["done"] == 1 and list(status["failed"]) == [bad[0].request_id]
    assert "too small for this mixture" in status["failed"][bad[0].request_id]
    assert run_builder(prediction_builder("local", tmp_path)).processed == 0
    assert run_builder(prediction_builder("local", tmp_path, retry_failed=True)).failed == 1


def test_cli_files_a_grid_runs_it_and_reports(tmp_path, capsys):
    args = ["batch", "request", "--precursors", "BaO,TiO2", "--ratios", "1:1,1:2",
            "--profiles", "1300K:1h;1400K:0.5h", "--modes", "thermo-only",
            "--realisations", "2", "--grid", "8", "--data-dir", str(tmp_path)]
    assert main([*args, "--run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["new"] == 4 and out["run"]["succeeded"] == 4
    assert main(["batch", "status", "--json", "--data-dir", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"requests": 4, "done": 4, "pending": 0,
                                                   "failed": {}}
    assert main([*args[:5], "1:x", *args[6:]]) == 2
    assert "--ratios" in capsys.readouterr().err
    assert main([*args[:9], "fast", *args[10:]]) == 2
    assert "--modes" in capsys.readouterr().err


@pytest.mark.slow
def test_mrun_runs_the_builder(tmp_path):
    _, predictions, _ = _stores(tmp_path)
    requests = prediction_stores("local", tmp_path)[0]
    requests.connect()
    file_requests(requests, _grid())
    env = {k: v for k, v in os.environ.items() if not k.startswith("IONFLUX_")}
    env["IONFLUX_DATA_DIR"] = str(tmp_path)
    mrun = Path(sys.executable).parent / "mrun"
    done = subprocess.run([str(mrun), "--no_bars", "builders/predictions.py"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    predictions.connect()
    assert predictions.count({"request_id": {"$exists": True}}) == 2
