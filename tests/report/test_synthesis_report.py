"""The main job end to end on a local store in a temporary folder."""

from __future__ import annotations

import pytest

from ionflux.cli import main
from ionflux.synthesis_report import ReportSettings, run_synthesis_report

SMALL = ReportSettings(recipes=("R4",), realisations=2, grid=10)


@pytest.mark.slow
def test_report_runs_end_to_end_and_a_rerun_recomputes_nothing(tmp_path):
    data, out = tmp_path / "data", tmp_path / "report"
    ticks: dict[str, tuple[int, int]] = {}
    first = run_synthesis_report(out, store="local", data_dir=data, settings=SMALL,
                                 progress=lambda step, done, total: ticks.__setitem__(
                                     step, (done, total)))
    assert first.store_location.startswith(str(data))
    # every slow step reports progress, to the end
    assert ticks["kd"] == (55, 55) and ticks["figures"][0] == ticks["figures"][1] > 6
    # 11 published phases x 5 temperatures; Ba4TiO6 has no thermodynamic data (5 failures).
    assert first.kd_built == 50 and len(first.kd_failures) == 5
    assert all("Ba4TiO6" in f["item_key"] for f in first.kd_failures)
    text = first.markdown.read_text()
    assert "| BaTiO3 |" in text and "### R4" in text and "| largest product" in text
    # every literature statement of each recipe, with its verdict (ionflux.ca.fidelity)
    assert text.count("(full): ") == 3 and text.count("(thermo-only): ") == 3
    assert "(full): BaTiO3 is the majority product after the first anneal" in text
    # and what those verdicts rest on (2 realisations, not a multiple of 4: own draws each)
    assert "PASS/fail from this one seed (0) and 2 independent input draws" in text
    assert "MP + Bartel for every solid" in text and "- s: value_per_s: 130000000.0" in text
    for figure in first.figures:
        assert figure.exists() and figure.stat().st_size > 10_000, figure
    assert {d.inputs.mode for d in first.predictions} == {"full", "thermo-only"}
    for doc in first.predictions:
        assert doc.element_drift_max_rel < 1e-12  # exact mass balance
        assert abs(sum(doc.final_mol_fraction.values()) - 1.0) < 1e-9

    second = run_synthesis_report(out, store="local", data_dir=data, settings=SMALL)
    assert all(d.from_cache for d in second.predictions)
    assert [d.final_mol_fraction for d in second.predictions] == [
        d.final_mol_fraction for d in first.predictions]


def test_cli_reports_bad_store_in_one_line(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path), "--store", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1
