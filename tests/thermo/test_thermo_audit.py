"""The observed-polymorph rule of SCIENCE.md §4 checked on thermo data files."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from ionflux.cli import main
from ionflux.thermo import ThermoData
from ionflux.thermo.audit import VOLUME_TOLERANCE, ThermoDataWarning


def _bundled() -> dict:
    return json.loads((resources.files("ionflux") / "data/ba-ti-o/thermo.json").read_text())


def _load(data: dict) -> ThermoData:
    return ThermoData.from_dict(data, system="Ba-Ti-O")


def test_bundled_data_hold_the_rule():
    thermo = ThermoData.bundled()
    ratios = {c.formula: c.ratio for c in thermo.volume_audit}
    assert not thermo.audit_findings
    assert all(abs(r - 1) <= VOLUME_TOLERANCE for r in ratios.values())
    # every recipe phase with a published cell is audited; BaTi2O5 (mp-3943, no published
    # volume) is its cell times the median ratio of the others
    assert {"BaO", "TiO2", "BaTiO3", "Ba2TiO4", "BaTi2O5", "Ba2Ti9O20"} <= set(ratios)
    others = sorted(r for f, r in ratios.items() if f != "BaTi2O5")
    assert ratios["BaTi2O5"] == pytest.approx(others[len(others) // 2], abs=1e-4)
    assert ratios["BaTi2O5"] == pytest.approx(1.038, abs=0.002)
    assert thermo.entry("BaTi2O5").material_id == "mp-3943"


def test_the_unobserved_tio2_entry_is_named():
    data = _bundled()
    tio2 = next(e for e in data["entries"] if e["formula"] == "TiO2")
    tio2.update(material_id="mp-2420244", volume_per_atom=17.0789, polymorph=None,
                observed=None)
    with pytest.warns(ThermoDataWarning, match=r"TiO2 \(mp-2420244\): volume 17.08 .* \+64 %"):
        thermo = _load(data)
    assert [f.kind for f in thermo.audit_findings] == ["volume"]


def test_a_wrong_space_group_or_an_unobserved_flag_is_named():
    data = _bundled()
    tio2 = next(e for e in data["entries"] if e["formula"] == "TiO2")
    tio2["polymorph"] = "anatase, I4_1/amd (141)"
    with pytest.warns(ThermoDataWarning, match=r"TiO2 \(mp-2657\) is not the observed polymorph"):
        _load(data)
    tio2.update(polymorph=None, observed=False)
    with pytest.warns(ThermoDataWarning, match="not the observed polymorph"):
        _load(data)


def test_two_entries_for_one_formula_are_named_and_the_observed_one_is_used():
    data = _bundled()
    data["entries"].append({"formula": "TiO2", "material_id": "mp-390",
                            "composition": {"Ti": 4, "O": 8},
                            "formation_enthalpy_per_atom": -3.4957, "volume_per_atom": 11.74})
    with pytest.warns(ThermoDataWarning, match=r"TiO2: 2 entries \(mp-2657, mp-390\)"):
        thermo = _load(data)
    # mp-390 has the lower enthalpy, but mp-2657 is marked observed
    assert thermo.entry("TiO2").material_id == "mp-2657"
    assert "marked observed" in thermo.polymorph_notes[0]


def test_cli_audit_exits_1_on_a_broken_file(tmp_path, capsys):
    data = _bundled()
    next(e for e in data["entries"] if e["formula"] == "BaTiO3")["volume_per_atom"] = 16.0
    path = tmp_path / "thermo.json"
    path.write_text(json.dumps(data))
    assert main(["thermo", "audit", "--file", str(path)]) == 1
    out = capsys.readouterr().out
    assert "warning: BaTiO3 (mp-5020): volume 16.00" in out and "+24 %" in out
    assert main(["thermo", "audit"]) == 0
