"""``ingest``: sidecar conventions, content hashing, duplicates and bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from pipeline_data import write_run

from ionflux.io.trajectory import file_sha256
from ionflux.pipeline import Pipeline
from ionflux.storage.ingest import find_sidecar, read_sidecar


def _raw(pipe: Pipeline) -> dict[str, dict]:
    return {d["traj_id"]: d for d in pipe.stores.raw_trajectories.query()}


def _failures(pipe: Pipeline, stage: str = "ingest") -> dict[str, str]:
    return {d["item_key"]: d["error"] for d in pipe.stores.failures.query({"stage": stage})}


def test_sidecar_conventions_and_no_arrays(tmp_path: Path, memory_pipeline: Pipeline):
    runs = tmp_path / "runs"
    a = write_run(runs, "a", replicate="r1", sidecar="yaml")
    b = write_run(runs / "sub", "b", replicate=2, sidecar="json", seed=1)
    c = write_run(runs, "c", replicate="r3", sidecar="stem", seed=2,
                  formula="Ba2TiO4", sidecar_formula="Ba4Ti2O8", formula_units=2)
    report = memory_pipeline.ingest(runs)
    assert sorted(report.new) == sorted(str(p) for p in (a, b, c)) and not report.failed
    raw = _raw(memory_pipeline)
    assert set(raw) == {"BaTiO3@1500K#r1", "BaTiO3@1500K#2", "Ba2TiO4@1500K#r3"}
    doc = raw["Ba2TiO4@1500K#r3"]
    # formula reduced, hash of the bytes, path and sidecar recorded; no arrays copied
    assert doc["formula"] == "Ba2TiO4" and doc["group_id"] == "Ba2TiO4@1500K"
    assert doc["sha256"] == file_sha256(c) and doc["path"] == str(c)
    assert doc["sidecar_path"] == str(c.with_name("c.yml"))
    assert doc["metadata"]["potential"] == "synthetic correlated Brownian"
    assert not {"positions", "cells", "species"} & set(doc)
    assert len(str(doc)) < 3000 < c.stat().st_size


def test_second_ingest_unchanged_then_changed_content(tmp_path: Path, memory_pipeline: Pipeline):
    runs = tmp_path / "runs"
    path = write_run(runs, "a", seed=0)
    write_run(runs, "b", replicate="r2", seed=1)
    memory_pipeline.ingest(runs)
    before = _raw(memory_pipeline)
    again = memory_pipeline.ingest(runs, rehash=True)
    assert len(again.unchanged) == 2 and not again.new and not again.changed
    assert _raw(memory_pipeline) == before
    # same bytes, new modification time: hash recomputed, document unchanged
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert len(memory_pipeline.ingest(runs).unchanged) == 2
    assert _raw(memory_pipeline)["BaTiO3@1500K#r1"]["last_updated"] == \
        before["BaTiO3@1500K#r1"]["last_updated"]
    # new content under the same name: changed, new hash and fingerprint
    write_run(runs, "a", seed=99)
    report = memory_pipeline.ingest(runs)
    assert report.changed == [str(path)] and len(report.unchanged) == 1
    after = _raw(memory_pipeline)["BaTiO3@1500K#r1"]
    assert after["sha256"] == file_sha256(path) != before["BaTiO3@1500K#r1"]["sha256"]
    assert after["fingerprint"] != before["BaTiO3@1500K#r1"]["fingerprint"]
    assert after["last_updated"] > before["BaTiO3@1500K#r1"]["last_updated"]
    # a metadata-only edit is a change too (documents carry the metadata)
    sidecar = path.with_name(path.name + ".yaml")
    meta = yaml.safe_load(sidecar.read_text())
    sidecar.write_text(yaml.safe_dump({**meta, "notes": "re-equilibrated"}))
    assert memory_pipeline.ingest(runs).changed == [str(path)]


def test_missing_and_invalid_sidecars_are_failures(tmp_path: Path, memory_pipeline: Pipeline):
    runs = tmp_path / "runs"
    good = write_run(runs, "good")
    lonely = write_run(runs, "lonely", replicate="r2", sidecar=None)
    typo = write_run(runs, "typo", replicate="r3", extra={"temperture_K": 1500})
    cold = write_run(runs, "cold", replicate="r4")
    cold.with_name("cold.extxyz.yaml").write_text(
        "formula: BaTiO3\ntemperature_K: -5\nreplicate: r4\n")
    notaformula = write_run(runs, "nf", replicate="r5")
    notaformula.with_name("nf.extxyz.yaml").write_text(
        "formula: Unobtainium\ntemperature_K: 1500\nreplicate: r5\n")
    (runs / "stray.yaml").write_text("formula: BaTiO3\n")
    report = memory_pipeline.ingest(runs)
    assert report.new == [str(good)]
    failed = dict(report.failed)
    assert "no metadata sidecar (expected e.g. lonely.extxyz.yaml, lonely.yaml)" in failed[
        str(lonely)]
    assert "temperture_K: Extra inputs are not permitted" in failed[str(typo)]
    assert "temperature_K: Input should be greater than 0" in failed[str(cold)]
    assert "not a chemical formula: 'Unobtainium'" in failed[str(notaformula)]
    assert all("\n" not in e for e in failed.values())
    assert any("stray.yaml: sidecar without a trajectory" in n for n in report.notes)
    assert _failures(memory_pipeline) == {p: e for p, e in report.failed}
    # fixing the sidecar resolves the failure record
    write_run(runs, "lonely", replicate="r2")
    memory_pipeline.ingest(runs)
    assert str(lonely) not in _failures(memory_pipeline)
    assert "BaTiO3@1500K#r2" in _raw(memory_pipeline)


def test_duplicate_replicate_ids(tmp_path: Path, memory_pipeline: Pipeline):
    runs = tmp_path / "runs"
    first = write_run(runs, "a", replicate="r1", seed=0)
    second = write_run(runs, "b", replicate="r1", seed=1)
    report = memory_pipeline.ingest(runs)
    assert report.new == [str(first)]
    assert dict(report.failed)[str(second)] == (
        f"{second}: duplicate replicate 'r1' of BaTiO3 at 1500 K: also claimed by {first}; "
        "give each run its own replicate id")
    # a later ingest of another folder cannot steal the id of a registered, existing file
    other = write_run(tmp_path / "more", "c", replicate="r1", seed=2)
    report = memory_pipeline.ingest(tmp_path / "more")
    assert "already registered for" in dict(report.failed)[str(other)]
    assert _raw(memory_pipeline)["BaTiO3@1500K#r1"]["path"] == str(first)
    # ... but takes over when the registered file is gone (moved)
    first.unlink()
    assert memory_pipeline.ingest(tmp_path / "more").changed == [str(other)]
    assert _raw(memory_pipeline)["BaTiO3@1500K#r1"]["path"] == str(other)


def test_relabelled_file_replaces_its_old_registration(tmp_path: Path,
                                                       memory_pipeline: Pipeline):
    runs = tmp_path / "runs"
    path = write_run(runs, "a", replicate="r1")
    memory_pipeline.ingest(runs)
    write_run(runs, "a", replicate="r9")  # same file, new replicate id
    report = memory_pipeline.ingest(runs)
    assert report.removed == ["BaTiO3@1500K#r1"] and report.new == [str(path)]
    assert set(_raw(memory_pipeline)) == {"BaTiO3@1500K#r9"}


def test_sidecar_helpers(tmp_path: Path):
    path = write_run(tmp_path, "x", sidecar="yaml")
    path.with_name("x.json").write_text("{}")
    with pytest.raises(Exception, match="several metadata sidecars"):
        find_sidecar(path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("formula: [unclosed\n")
    with pytest.raises(Exception, match="sidecar is not valid YAML"):
        read_sidecar(bad)
    lammps = tmp_path / "lmp.yaml"
    lammps.write_text("formula: BaTiO3\ntemperature_K: 1500\nreplicate: 1\n"
                      "type_map: {1: Ba, 2: Ti, 3: O}\n")
    meta = read_sidecar(lammps)
    assert meta.replicate == "1" and meta.type_map == ["Ba", "Ti", "O"]
    assert meta.reader_type_map() == {1: "Ba", 2: "Ti", 3: "O"}


def test_reingest_of_unchanged_files_reads_neither_file(tmp_path: Path,
                                                       memory_pipeline: Pipeline):
    from unittest import mock

    from ionflux.storage import ingest as ingest_module

    runs = tmp_path / "runs"
    paths = [write_run(runs, f"r{i}", replicate=f"r{i}", seed=i) for i in range(3)]
    assert len(memory_pipeline.ingest(runs).new) == 3

    def boom(*_a, **_k):
        raise AssertionError("an unchanged file was read again")

    with mock.patch.object(ingest_module, "read_sidecar", boom), \
            mock.patch("ionflux.io.trajectory.file_sha256", boom):
        report = memory_pipeline.ingest(runs)
    assert sorted(report.unchanged) == sorted(map(str, paths)) and not report.failed
    # a sidecar edited in place (new time stamp) is read again
    sidecar = paths[0].with_name(paths[0].name + ".yaml")
    sidecar.write_text(sidecar.read_text().replace("md_engine:", "notes: edited\nmd_engine:"))
    report = memory_pipeline.ingest(runs)
    assert report.changed == [str(paths[0])]
