"""Published tensor sets as pipeline inputs: import, K_D stage, store-backed queries."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pipeline_data import all_documents

from ionflux.cli import main
from ionflux.errors import DataNotFoundError
from ionflux.kinetics import KDTable
from ionflux.kinetics.report import load_transport_docs
from ionflux.pipeline import Pipeline
from ionflux.transport.published import load_published


def test_import_is_incremental_and_matches_the_file(memory_pipeline: Pipeline):
    published = {d.key(): d for d in load_published("Ba-Ti-O")}
    first = memory_pipeline.import_published("Ba-Ti-O")
    assert sorted(first.new) == sorted(published) and len(published) == 55
    before = all_documents(memory_pipeline, ("published_transport",))
    second = memory_pipeline.import_published("Ba-Ti-O")
    assert second.new == [] and second.changed == [] and len(second.unchanged) == 55
    assert all_documents(memory_pipeline, ("published_transport",)) == before
    docs = {d.key(): d for d in memory_pipeline.transport_docs("Ba-Ti-O", source="published")}
    for key, doc in published.items():
        assert np.array_equal(docs[key].matrix("L"), doc.matrix("L")), key
        assert docs[key].assumptions == doc.assumptions
    assert memory_pipeline.transport_docs("Ba-Ti-O", source="md") == []


def test_kd_stage_builds_from_published_records_like_a_direct_call(memory_pipeline: Pipeline):
    memory_pipeline.import_published("Ba-Ti-O")
    keys = ["BaTiO3@1500K:BaO+TiO2@published", "BaTi2O5@1250K:BaO+TiO2@published"]
    builder = memory_pipeline.builder("kd", keys=keys)
    from ionflux.stages.runner import run_builder

    assert run_builder(builder).succeeded == 2
    memory_pipeline.stores.connect()
    table = KDTable.published("Ba-Ti-O")
    for key in keys:
        record = memory_pipeline.stores.kd.query_one({"kd_id": key})
        assert record["transport_source"] == "published"
        phase, temperature = record["phase"], record["temperature_K"]
        direct = table.doc(phase, temperature, ("BaO", "TiO2"))
        assert record["K_D_cm2_s"] == pytest.approx(direct.K_D_cm2_s, rel=1e-12)
        assert record["K_D_self_cm2_s"] == pytest.approx(direct.K_D_self_cm2_s, rel=1e-12)
        # each failed quality check is stated once (the K_D document restates the transport
        # document's own warning), and the missing standard error is explained
        for check in ("mass_weighted_rows_vanish",):
            assert sum(check in w for w in record["warnings"]) == 1, record["warnings"]
        assert record["K_D_stderr_cm2_s"] is None
        assert "published tensors carry no standard errors" in record["K_D_stderr_note"]
    assert run_builder(memory_pipeline.builder("kd", keys=keys)).processed == 0


def test_md_aggregate_wins_over_published_for_the_same_phase(memory_pipeline: Pipeline):
    memory_pipeline.import_published("Ba-Ti-O")
    stores = memory_pipeline.stores
    record = stores.published_transport.query_one({"group_id": "BaTiO3@1500K"})
    record.pop("_id", None)
    record["L"] = [[2 * v for v in row] for row in record["L"]]
    stores.transport_aggregate.update([record])
    docs = {d.key(): d for d in memory_pipeline.transport_docs("Ba-Ti-O", source="all")}
    assert len(docs) == 55
    published = memory_pipeline.transport_docs("Ba-Ti-O", source="published")
    original = next(d for d in published if d.key() == "BaTiO3@1500K")
    assert np.allclose(docs["BaTiO3@1500K"].matrix("L"), 2 * original.matrix("L"))


def test_store_source_errors_when_the_store_is_empty(tmp_path):
    with pytest.raises(DataNotFoundError, match="no Ba-Ti-O transport documents in "):
        load_transport_docs("store", "Ba-Ti-O", "local", str(tmp_path))


def test_cli_imports_into_a_local_store_and_kd_reads_it(tmp_path, capsys):
    args = ["--store", "local", "--data-dir", str(tmp_path)]
    assert main(["transport", "import", "Li-Ti-O", *args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["new"]) == 28 and report["store"].startswith(str(tmp_path))
    assert main(["transport", "import", "Li-Ti-O", *args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["new"] == []
    # K_D from the store with the bundled Li-Ti-O thermodynamics; the three tensor phases
    # without thermo data are skipped, each named on one line.
    assert main(["kd", "--system", "Li-Ti-O", "--precursors", "Li2O,TiO2", "--source", "store",
                 *args]) == 0
    captured = capsys.readouterr()
    assert "Li4Ti5O12" in captured.out
    skipped = [line for line in (captured.out + captured.err).splitlines() if "skipped" in line]
    assert sorted(line.split()[2].rstrip(":") for line in skipped) == [
        "Li2Ti6O13", "Li6Ti2O7", "Li8TiO6"]
