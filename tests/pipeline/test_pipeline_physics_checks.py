"""Physics checks (issue 23 item 1) through the pipeline: the sidecar's thermostat friction
reaches the MD documents, D monotonic in T is judged where documents are read (query, API,
publish), and an explicit time-axis factor is recorded in the published documents and their
fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pipeline_data import write_run

from ionflux.cli import main
from ionflux.kinetics import KDTable
from ionflux.pipeline import Pipeline
from ionflux.thermo.data import ThermoData
from ionflux.transport.published import load_published


def _codes(record: dict) -> set[tuple[str, str | None]]:
    return {(f["code"], f.get("species")) for f in record.get("physics_flags") or []}


def test_md_documents_carry_the_bound_from_the_sidecar_friction(
        tmp_path: Path, memory_pipeline: Pipeline, capsys: pytest.CaptureFixture):
    runs = tmp_path / "runs"
    # synthetic D_Ba ~ 5e-5 cm^2/s: ~5x the free-particle bound at gamma = 0.1 1/fs
    # (9.1e-6 cm^2/s at 1500 K), ~0.05x the bound at gamma = 1e-3 1/fs
    write_run(runs, "bto_1500", replicate="a", seed=0,
              extra={"thermostat_gamma_per_fs": 0.1})
    write_run(runs, "bto_1750", replicate="a", seed=1, temperature_K=1750.0,
              extra={"thermostat_gamma_per_fs": 1e-3})
    write_run(runs, "b2to_1500", replicate="a", seed=2, formula="Ba2TiO4", formula_units=3)
    pipe = memory_pipeline
    pipe.ingest(runs)
    pipe.build(["transport", "aggregate"])
    hot_bath = pipe.transport("BaTiO3", 1500.0)
    assert ("above_free_particle_bound", "Ba") in _codes(hot_bath)
    evidence = hot_bath["provenance"]["physics_checks"]
    assert evidence["thermostat_gamma_per_fs"] == 0.1
    assert evidence["D_bound_cm2_s"]["Ba"] == pytest.approx(9.08e-6, rel=1e-3)
    weak_bath = pipe.transport("BaTiO3", 1750.0)
    assert not {c for c in _codes(weak_bath) if c[0] == "above_free_particle_bound"}
    unknown = pipe.transport("Ba2TiO4", 1500.0)
    assert "not checked" in unknown["provenance"]["physics_checks"]["free_particle_bound"]
    replica = pipe.transport("BaTiO3", 1500.0, replicates=True)[0]
    assert ("above_free_particle_bound", "Ba") in _codes(replica)
    # COM-frame analysis: the centre-of-mass constraint holds
    assert not {c for c in _codes(hot_bath) if c[0] == "com_constraint_violated"}

    # D falling with T across two MD documents: judged at query time
    stores = pipe.stores
    record = stores.transport_aggregate.query_one({"group_id": "BaTiO3@1750K"})
    record.pop("_id", None)
    cold = hot_bath["D_self_cm2_s"]["Ba"]
    record["D_self_cm2_s"] = {**record["D_self_cm2_s"], "Ba": 0.5 * cold}
    record["D_self_cm2_s_stderr"] = {**record["D_self_cm2_s_stderr"], "Ba": 1e-3 * cold}
    stores.transport_aggregate.update([record])
    fallen = pipe.transport("BaTiO3", 1750.0)
    flag = next(f for f in fallen["physics_flags"] if f["code"] == "D_falls_with_T")
    assert flag["species"] == "Ba" and flag["ratio"] == pytest.approx(0.5, rel=0.05)
    assert "D_falls_with_T" not in {c for c, _ in _codes(pipe.transport("BaTiO3", 1500.0))}

    # the API and publish show the same flags
    from fastapi.testclient import TestClient

    from ionflux.publish.payload import build_contribution
    from ionflux.publish.sources import store_groups
    from ionflux.web import ServeSettings, create_app

    client = TestClient(create_app(ServeSettings(store=pipe.stores.config)),
                        raise_server_exceptions=False)
    [one] = client.get("/api/transport/BaTiO3@1750K").json()["data"]
    assert ("D_falls_with_T", "Ba") in _codes(one)
    items = client.get("/api/transport", params={"formula": "BaTiO3"}).json()["data"]
    assert [("D_falls_with_T", "Ba") in _codes(i) for i in items] == [False, True]
    assert ("above_free_particle_bound", "Ba") in _codes(items[0])
    # the flag filter sees the read-time flag, which the stored record does not hold
    assert "D_falls_with_T" not in {c for c, _ in _codes(record)}

    def filtered(codes: str) -> list[str]:
        reply = client.get("/api/transport", params={"physics_flag": codes})
        assert reply.status_code == 200, reply.text
        return [d["group_id"] for d in reply.json()["data"]]

    assert filtered("D_falls_with_T") == ["BaTiO3@1750K"]
    assert filtered("above_free_particle_bound") == ["BaTiO3@1500K"]
    assert filtered("any") == ["BaTiO3@1500K", "BaTiO3@1750K"]
    bad = client.get("/api/transport", params={"physics_flag": "too_fast"})
    assert bad.status_code == 422 and "too_fast" in bad.json()["detail"]
    flagged, seen = pipe.flagged(("D_falls_with_T",))
    assert [r["group_id"] for r in flagged] == ["BaTiO3@1750K"] and seen == 3
    assert [f["code"] for f in flagged[0]["physics_flags"]] == ["D_falls_with_T"]
    groups = {g.key: g for g in store_groups(stores)}
    contribution = build_contribution(groups["BaTiO3@1750K"])
    assert "D_falls_with_T Ba 0.5" in contribution.data["quality.flags"]
    assert contribution.data["quality.status"] == "flagged"


def test_sidecar_friction_is_typed(tmp_path: Path, memory_pipeline: Pipeline):
    runs = tmp_path / "runs"
    write_run(runs, "bad", extra={"thermostat_gamma_per_fs": "0.01"})
    report = memory_pipeline.ingest(runs)
    assert report.failed and "thermostat_gamma_per_fs" in str(report.failed)


def test_time_axis_factor_is_explicit_recorded_and_hashed(memory_pipeline: Pipeline):
    pipe = memory_pipeline
    assert len(pipe.import_published("Ba-Ti-O").new) == 55
    plain = pipe.transport("BaTiO3", 1750.0, source="published")
    assert "time_axis_factor" not in plain["provenance"]["method"]
    corrected_report = pipe.import_published("Ba-Ti-O", time_axis_factor=10.0)
    assert len(corrected_report.changed) == 55
    corrected = pipe.transport("BaTiO3", 1750.0, source="published")
    assert np.allclose(np.array(corrected["L"]), np.array(plain["L"]) / 10.0)
    assert corrected["provenance"]["method"]["time_axis_factor"] == 10.0
    assert corrected["input_fingerprint"] != plain["input_fingerprint"]
    # a tenth of the published D is below every bound
    assert not {c for c in _codes(corrected) if c[0] == "above_free_particle_bound"}
    assert ("above_free_particle_bound", "Ba") in _codes(plain)
    # the K_D tables' data hash follows the numbers
    thermo = ThermoData.bundled("Ba-Ti-O")
    versions = {KDTable.from_transport_docs(load_published("Ba-Ti-O", thermo=thermo,
                                                          time_axis_factor=f),
                                            thermo).data_version for f in (None, 10.0)}
    assert len(versions) == 2
    # per composition, against the bundled reference melts: each its own factor, recorded
    assert len(pipe.import_published("Ba-Ti-O", time_axis_factor="reference").changed) == 55
    for formula in ("BaTiO3", "Ba2TiO4"):
        before = load_published("Ba-Ti-O", thermo=thermo)
        doc = pipe.transport(formula, 1500.0, source="published")
        factor = doc["provenance"]["method"]["time_axis_factor"]
        record = next(d for d in before if d.formula == formula and d.temperature_K == 1500.0)
        assert np.allclose(np.array(doc["L"]) * factor, record.L, rtol=1e-12)
        assert doc["provenance"]["method"]["time_axis_origin"].startswith(f"{formula}: F = ")
    assert (pipe.transport("BaTiO3", 1500.0, source="published")["provenance"]["method"]
            ["time_axis_factor"] > 30 > pipe.transport("Ba2TiO4", 1500.0, source="published")
            ["provenance"]["method"]["time_axis_factor"])
    # back to the published numbers
    assert len(pipe.import_published("Ba-Ti-O").changed) == 55
    assert pipe.transport("BaTiO3", 1750.0, source="published")["L"] == plain["L"]


def test_cli_import_prints_the_physics_summary(capsys: pytest.CaptureFixture):
    assert main(["transport", "import", "Ba-Ti-O"]) == 0
    out = capsys.readouterr().out
    assert "physics checks on 55 documents (free-particle bound checked on 50)" in out
    assert "above_free_particle_bound: 23 flag(s) on 15 document(s)" in out
    assert "median 0.37" in out
    assert main(["transport", "import", "Ba-Ti-O", "--time-axis-factor", "10"]) == 0
    out = capsys.readouterr().out
    assert "time-axis factor 10 applied on request" in out
    assert "above_free_particle_bound" not in out.split("physics checks on")[1]
    assert main(["transport", "import", "Ba-Ti-O", "--time-axis-factor", "0"]) != 0


def test_cli_query_shows_the_flags_of_an_imported_record(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture):
    args = ["--store", "local", "--data-dir", str(tmp_path)]
    assert main(["transport", "import", "Ba-Ti-O", *args]) == 0
    assert "above_free_particle_bound: 23 flag(s)" in capsys.readouterr().out
    assert main(["query", "transport", "--formula", "Ba4Ti13O30", "--temperature", "1750",
                 *args]) == 0
    out = capsys.readouterr().out
    assert "physics flag above_free_particle_bound (Ba): D_Ba = 0.000577 cm^2/s is 5.45x" in out
    assert "physics flag com_constraint_violated" in out


def test_query_flags_lists_what_the_documents_carry(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture):
    """``ionflux query flags`` over an imported published set: the same documents as the
    flags on each document, the count the import measured (module docstring of
    physics_checks: 15 Ba-Ti-O records above the free-particle bound), and --formula."""
    data = tmp_path / "data"
    assert main(["transport", "import", "Ba-Ti-O", "--store", "local",
                 "--data-dir", str(data)]) == 0
    capsys.readouterr()
    thermo = ThermoData.bundled("Ba-Ti-O")
    above = {d.key() for d in load_published("Ba-Ti-O", thermo=thermo)
             if any(f.code == "above_free_particle_bound" for f in d.physics_flags)}
    assert len(above) == 15
    assert main(["query", "flags", "--flag", "above_free_particle_bound",
                 "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "15 of 55 transport documents carry above_free_particle_bound"
    assert {line.split(" ")[0] for line in out[:-1]} == above
    assert main(["query", "flags", "--formula", "BaTi2O5", "--json",
                 "--data-dir", str(data)]) == 0
    listed = {r["group_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(listed) <= {f"BaTi2O5@{t}K" for t in (750, 1000, 1250, 1500, 1750)}
    assert ("above_free_particle_bound", "Ba") in _codes(listed["BaTi2O5@1750K"])
    assert main(["query", "flags", "--flag", "too_fast", "--data-dir", str(data)]) == 2
    assert "unknown physics flag too_fast" in capsys.readouterr().err
