"""Publishing from a built store: MD aggregates carry standard errors, correlation tables,
bond counts, K_D and the last frame of a replicate as structure, all within MPContribs' rules."""

from __future__ import annotations

import pytest
from pipeline_data import write_run

from ionflux.publish import prepare


def test_contribution_from_md_aggregate(memory_pipeline, tmp_path):
    for k in (1, 2):
        write_run(tmp_path / "runs", f"run{k}", replicate=f"r{k}", seed=k)
    memory_pipeline.ingest(tmp_path / "runs")
    memory_pipeline.build()
    aggregate = memory_pipeline.transport("BaTiO3", 1500)
    prepared = prepare("ionflux_test", store=memory_pipeline.stores.config, source="store")
    assert prepared.validation.ok, prepared.validation.errors
    (c,) = prepared.contributions
    assert c.key == "BaTiO3@1500K" and c.identifier == "BaTiO3"
    for el in ("Ba", "Ti", "O"):
        value, unit = c.data[f"D.{el}.mean"].split()
        assert unit == "cm**2/s"
        assert float(value) == pytest.approx(aggregate["D_self_cm2_s"][el], rel=1e-5)
        assert float(c.data[f"D.{el}.stderr"].split()[0]) == pytest.approx(
            aggregate["D_self_cm2_s_stderr"][el], rel=1e-5)
    assert float(c.data["L.TiO.stderr"].split()[0]) == pytest.approx(
        aggregate["L_stderr"][1][2], rel=1e-5)
    assert "bonds.TiO.mean" in c.data and "KD.BaOTiO2.full.mean" in c.data
    (table,) = c.tables
    assert len(table) == len(aggregate["correlation_functions"]["lag_fs"])
    (structure,) = c.structures
    assert structure.composition.reduced_formula == "BaTiO3" and len(structure) == 20
