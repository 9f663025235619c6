"""Publishing from a built store: an MD aggregate is its own contribution with D per element,
the L matrix with standard errors, correlation and bond-count tables, K_D, the last frame of a
replicate as structure and the run's method metadata, all within MPContribs' rules; imported
published tensors of the same composition and temperature are a second contribution."""

from __future__ import annotations

import pytest
from pipeline_data import write_run

from ionflux.publish import prepare


def test_contribution_from_md_aggregate(memory_pipeline, tmp_path):
    for k in (1, 2):
        write_run(tmp_path / "runs", f"run{k}", replicate=f"r{k}", seed=k,
                  extra={"potential": "ACE Ba-Ti-O", "md_engine": "LAMMPS"})
    memory_pipeline.ingest(tmp_path / "runs")
    memory_pipeline.build()
    aggregate = memory_pipeline.transport("BaTiO3", 1500)
    prepared = prepare("ionflux_test", store=memory_pipeline.stores.config, source="store",
                       reference="doi:10.0000/example")
    assert prepared.validation.ok, prepared.validation.errors
    (c,) = prepared.contributions
    assert c.key == "BaTiO3@1500K:md" and c.identifier == "BaTiO3"
    assert c.data["source"] == "md" and c.data["mpid"] == "mp-5020"
    for el in ("Ba", "Ti", "O"):
        value, unit = c.data[f"D.{el}"].split()
        assert unit == "cm**2/s"
        assert float(value) == pytest.approx(aggregate["D_self_cm2_s"][el], rel=1e-5)
    tables = {t.attrs["name"]: t for t in c.tables}
    elements = tables["transport per element"]
    assert elements.loc["Ti", "D stderr [cm**2/s]"] == pytest.approx(
        aggregate["D_self_cm2_s_stderr"]["Ti"])
    assert tables["Onsager coefficients"].loc["Ti.O", "L stderr [1/(eV*cm*s)]"] == \
        pytest.approx(aggregate["L_stderr"][1][2])
    assert "Ti.O" in tables["bond counts"].index and "Ti.*" in tables["bond counts"].index
    assert c.data["Kd.precursors"] == "BaO + TiO2" and "K_D" in tables
    assert len(tables["correlation functions"]) == len(
        aggregate["correlation_functions"]["lag_fs"])
    # the run's method: two replicates of 20 atoms, 300 frames 50 fs apart
    assert c.data["method.potential"] == "ACE Ba-Ti-O (version 1)"
    assert c.data["method.engine"] == "LAMMPS"
    assert c.data["method.atoms"] == "20" and c.data["method.interval"] == "50 fs"
    assert c.data["method.length"] == "14.95 ps"
    assert c.data["method.reference"] == "doi:10.0000/example"
    (structure,) = c.structures
    assert structure.composition.reduced_formula == "BaTiO3" and len(structure) == 20

    # published tensors of the same composition and temperature: their own contribution
    memory_pipeline.import_published("Ba-Ti-O")
    both = prepare("ionflux_test", store=memory_pipeline.stores.config, source="store",
                   formulas=["BaTiO3"], structures=False)
    assert both.validation.ok, both.validation.errors
    keys = [c.key for c in both.contributions]
    assert "BaTiO3@1500K:md" in keys and "BaTiO3@1500K:published" in keys
    published = next(c for c in both.contributions if c.key == "BaTiO3@1500K:published")
    assert published.data["source"] == "published" and "rxn-ca" in published.data[
        "method.reference"]
    assert not published.structures  # the MD cell is never attached to published tensors
