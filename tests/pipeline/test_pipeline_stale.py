"""Replicates that fail analysis are excluded with a reason; documents kept while a newer
input failed are served marked stale; published tensor sets count and answer queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pipeline_data import TEST_SETTINGS, write_run

from ionflux.cli import main
from ionflux.pipeline import Pipeline


def test_replicate_failing_analysis_is_excluded_not_failing_its_group(
        tmp_path: Path, memory_pipeline: Pipeline):
    pipe = memory_pipeline
    runs = tmp_path / "runs"
    write_run(runs, "a", replicate="a", seed=0)
    write_run(runs, "b", replicate="b", seed=1)
    pipe.ingest(runs)
    pipe.build(["aggregate"])
    # b now reads fine but is too short for the blocks: an analysis failure, not a read one
    write_run(runs, "b", replicate="b", seed=1, n_frames=20)
    pipe.ingest(runs)
    (report,) = pipe.build(["aggregate"])
    assert (report.succeeded, report.failed) == (1, 0)
    doc = pipe.transport("BaTiO3", 1500)
    assert doc["replicates"] == ["BaTiO3@1500K#a"] and doc["n_replicates"] == 1
    assert [e["traj_id"] for e in doc["excluded"]] == ["BaTiO3@1500K#b"]
    assert "fewer blocks" in doc["excluded"][0]["reason"]
    assert any("replicate BaTiO3@1500K#b excluded" in w for w in doc["warnings"])
    assert "stale" not in doc


def _local(workspace: Path) -> list[str]:
    return ["--data-dir", str(workspace / "data"), "--settings", str(workspace / "s.yaml")]


def test_document_kept_after_a_failed_rebuild_is_served_as_stale(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    monkeypatch.delenv("IONFLUX_STORE", raising=False)
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(TEST_SETTINGS))
    runs = tmp_path / "runs"
    write_run(runs, "a", replicate="a", seed=0)
    args = _local(tmp_path)
    assert main(["ingest", str(runs), "--data-dir", str(tmp_path / "data")]) == 0
    assert main(["build", *args, "--stage", "transport", "--stage", "aggregate"]) == 0
    assert main(["status", *args, "--check", "--json"]) == 1  # bonds and kd are pending
    query = ["query", "transport", "--formula", "BaTiO3", "--temperature", "1500",
             "--data-dir", str(tmp_path / "data")]
    capsys.readouterr()
    assert main([*query, "--json"]) == 0
    assert "stale" not in json.loads(capsys.readouterr().out)
    write_run(runs, "a", replicate="a", seed=0, n_frames=20)  # the only replicate now fails
    assert main(["ingest", str(runs), "--data-dir", str(tmp_path / "data")]) == 0
    assert main(["build", *args, "--stage", "transport", "--stage", "aggregate"]) == 1
    capsys.readouterr()
    assert main([*query, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["stale"]["stage"] == "aggregate" and "fewer blocks" in doc["stale"]["error"]
    assert main(query) == 0
    out = capsys.readouterr().out
    assert "STALE" in out and "fewer blocks" in out
    # status reports failures; --check makes them the exit code (for scripts and CI)
    assert main(["status", *args]) == 0
    assert main(["status", *args, "--check"]) == 1
    assert "failed aggregate" in capsys.readouterr().out
    assert main([*query, "--replicates", "--json"]) == 0
    (rep,) = json.loads(capsys.readouterr().out)
    assert rep["stale"]["stage"] == "transport"


def test_published_tensors_are_counted_and_queried(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    from ionflux.transport.published import load_published

    monkeypatch.delenv("IONFLUX_STORE", raising=False)
    data = ["--data-dir", str(tmp_path / "data")]
    pipe = Pipeline.open("local", data_dir=tmp_path / "data")
    pipe.import_published("Ba-Ti-O")
    pipe.close()
    published = {d.key(): d for d in load_published("Ba-Ti-O")}
    assert main(["status", *data, "--json"]) == 0
    stages = {s["stage"]: s for s in json.loads(capsys.readouterr().out)["stages"]}
    assert stages["published"]["total"] == stages["published"]["up_to_date"] == len(published)
    assert main(["query", "transport", "--formula", "BaTiO3", "--temperature", "1500",
                 *data, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["transport_source"] == "published" and doc["published_source"] == "Ba-Ti-O"
    assert doc["L"] == published["BaTiO3@1500K"].L
    assert main(["query", "transport", "--formula", "BaTiO3", "--temperature", "1500",
                 *data]) == 0
    out = capsys.readouterr().out
    assert out.startswith("BaTiO3@1500K (published tensors, Ba-Ti-O)")
    # MD aggregates win where both exist; --source chooses
    assert main(["query", "transport", "--formula", "BaTiO3", "--temperature", "1500",
                 *data, "--source", "md"]) == 2
    assert "no transport document for BaTiO3@1500K" in capsys.readouterr().err


def test_query_kd_prints_each_failed_check_once():
    from ionflux.cli.pipeline import _format_kd

    # a K_D document built before the K_D stage stopped copying the transport warnings
    doc = {"kd_id": "BaTiO3@1500K:BaO+TiO2@published", "K_D_cm2_s": 1e-3,
           "K_D_self_cm2_s": 2e-3, "K_D_stderr_cm2_s": None,
           "K_D_stderr_note": "no standard errors: published tensors carry no standard errors",
           "warnings": ["transport quality check mass_weighted_rows_vanish failed (rows)",
                        "quality check mass_weighted_rows_vanish failed: rows = 0.12",
                        "TiO2 is not on the hull"]}
    text = _format_kd(doc)
    assert text.count("mass_weighted_rows_vanish") == 1
    assert "TiO2 is not on the hull" in text and "published tensors carry no" in text
