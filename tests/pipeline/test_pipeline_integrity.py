"""Ingest integrity: links out of the folder are not followed, bytes that do not parse are never
uploaded, failure records never quote file contents, concurrent uploads store one copy."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml
from pipeline_data import write_run
from pymongo import MongoClient

from ionflux.pipeline import Pipeline, PipelineSettings
from ionflux.storage.blobs import GridFSBlobs

SECRET = "s3cret-root-line: do not leak"


def _sidecar(path: Path) -> None:
    path.with_name(path.name + ".yaml").write_text(yaml.safe_dump(
        {"formula": "BaTiO3", "temperature_K": 1500, "replicate": path.stem,
         "frame_interval_fs": 50}))


def test_links_out_of_the_folder_are_not_followed(tmp_path: Path, memory_pipeline: Pipeline):
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "passwd").write_text(SECRET + "\n")
    runs = tmp_path / "runs"
    write_run(runs, "good", replicate="g")
    (runs / "evil.extxyz").symlink_to(outside / "passwd")
    _sidecar(runs / "evil.extxyz")
    inside = write_run(runs / "sub", "target", replicate="t", seed=1)
    (runs / "alias.extxyz").symlink_to(inside)  # a link inside the folder is fine
    _sidecar(runs / "alias.extxyz")
    report = memory_pipeline.ingest(runs)
    failed = dict(report.failed)
    assert list(failed) == [str(runs / "evil.extxyz")]
    assert "symbolic link to a file outside" in failed[str(runs / "evil.extxyz")]
    assert len(report.new) == 3
    status = memory_pipeline.status()
    assert all(SECRET not in f["error"] for f in status.failures)
    # the user may allow it explicitly (then it is an unreadable trajectory at build time)
    report = memory_pipeline.ingest(runs, follow_links=True)
    assert not report.failed


@pytest.mark.mongo
def test_shared_store_uploads_only_parsed_bytes_and_quotes_nothing(
        tmp_path: Path, mongo_uri: str, settings: PipelineSettings):
    runs = tmp_path / "runs"
    write_run(runs, "good", replicate="g")
    bad = runs / "bad.extxyz"
    bad.write_text(SECRET + "\nmore private text\n")
    _sidecar(bad)
    pipe = Pipeline.open("mongo", uri=mongo_uri, settings=settings)
    report = pipe.ingest(runs)
    assert len(report.new) == 1
    (path, error), = report.failed
    assert path == str(bad) and "not a readable trajectory" in error
    assert SECRET not in error and "private" not in error
    with MongoClient(mongo_uri) as client:  # closed: no heartbeats after the server stops
        files = client.get_default_database()["trajectory_files.files"]
        assert len(list(files.find({}))) == 1
    pipe.close()


@pytest.mark.mongo
def test_concurrent_uploads_store_one_copy(tmp_path: Path, mongo_uri: str):
    path = write_run(tmp_path, "x")
    from ionflux.io.trajectory import file_sha256

    sha = file_sha256(path)
    with MongoClient(mongo_uri) as client:
        name = client.get_default_database().name
    blobs = [GridFSBlobs(mongo_uri, name) for _ in range(4)]
    start = threading.Barrier(4)
    results = []

    def upload(b: GridFSBlobs) -> None:
        start.wait()
        results.append(b.put(path, sha))

    threads = [threading.Thread(target=upload, args=(b,)) for b in blobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with MongoClient(mongo_uri) as client:
        files = client.get_default_database()["trajectory_files.files"]
        assert len(list(files.find({"filename": sha}))) == 1
    assert sorted(results) == [False, False, False, True]
    out = tmp_path / "back.extxyz"
    blobs[0].fetch(sha, out)
    assert out.read_bytes() == path.read_bytes()
    for b in blobs:
        b.close()


def test_concurrent_builds_divide_the_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from pipeline_data import TEST_SETTINGS

    log = tmp_path / "calls.log"
    monkeypatch.setenv("IONFLUX_TEST_CALL_LOG", str(log))
    runs = tmp_path / "runs"
    for i in range(8):
        write_run(runs, f"r{i}", replicate=f"r{i}", seed=i, n_frames=200)
    settings = PipelineSettings.model_validate(
        {**TEST_SETTINGS, "chunk_size": 1,
         "transport": {"n_blocks": 5, "analysis": "pipeline_data:slow_counting_analysis"}})
    first = Pipeline.open("local", data_dir=tmp_path / "data", settings=settings)
    first.ingest(runs)
    first.close()
    reports: dict[str, object] = {}
    start = threading.Barrier(2)

    def build(name: str) -> None:
        # two builders, each with its own connections, as two `ionflux build` would be
        pipe = Pipeline.open("local", data_dir=tmp_path / "data", settings=settings)
        start.wait()
        (reports[name],) = pipe.build(["transport"])
        pipe.close()

    threads = [threading.Thread(target=build, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls = log.read_text().splitlines()
    assert len(calls) == len(set(calls)) == 8  # every item computed once, by one of them
    a, b = reports["a"], reports["b"]
    assert a.processed > 0 and b.processed > 0 and a.processed + b.processed == 8
    assert a.claimed_elsewhere + b.claimed_elsewhere >= 8
    first = Pipeline.open("local", data_dir=tmp_path / "data", settings=settings)
    status = {s.stage: s for s in first.status().stages}
    assert status["transport"].up_to_date == 8
    first.close()
