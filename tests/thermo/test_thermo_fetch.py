"""`ionflux thermo fetch` with the Materials Project client stubbed: cache written atomically,
usable offline; missing key, network failure and write failure leave nothing behind."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.entries.computed_entries import ComputedStructureEntry

from ionflux.cli import main
from ionflux.errors import InputError, StoreError
from ionflux.thermo import ThermoData, thermo_cache_path
from ionflux.thermo import fetch as fetch_module
from ionflux.thermo.fetch import fetch_thermo

# Total energies per atom (eV): Ba -1.9, O -4.9, BaO -5.8 (primary), BaO -5.7 (polymorph).
# Formation enthalpy of the BaO ground state by hand: -5.8 - (-1.9 - 4.9) / 2 = -2.4 eV/atom.


def _entry(species, a, energy_per_atom, material_id):
    coords = [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0], [0, 0.5, 0]][: len(species)]
    structure = Structure(Lattice.cubic(a), species, coords)
    return ComputedStructureEntry(structure, energy_per_atom * len(species),
                                  data={"material_id": material_id})


def _entries():
    return [_entry(["Ba", "Ba"], 5.0, -1.9, "mp-ba"), _entry(["O", "O"], 4.0, -4.9, "mp-o2"),
            _entry(["Ba", "O"], 3.5, -5.8, "mp-bao"), _entry(["Ba", "O"], 3.8, -5.7, "mp-bao2")]


class FakeRester:
    calls: ClassVar[list] = []

    def __init__(self, api_key, fail: Exception | None = None):
        self.api_key = api_key
        self.fail = fail

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def get_entries_in_chemsys(self, elements, **kwargs):
        FakeRester.calls.append((tuple(elements), kwargs))
        if self.fail is not None:
            raise self.fail
        return _entries()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IONFLUX_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("MP_API_KEY", raising=False)
    FakeRester.calls = []
    return tmp_path


def test_fetch_writes_a_cache_that_loads_offline(cache):
    _, path = fetch_thermo("Ba-O", api_key="k" * 32, rester_factory=FakeRester)
    assert path == thermo_cache_path("Ba-O") and path.is_file()
    assert FakeRester.calls[0][1]["additional_criteria"] == {"thermo_types": ["GGA_GGA+U"]}
    offline = ThermoData.cached("O-Ba", prefer_experimental=True)  # element order is free
    assert offline.entry("BaO").material_id == "mp-bao"
    assert offline.entry("BaO").formation_enthalpy_per_atom == pytest.approx(-2.4, abs=1e-12)
    assert offline.volume_per_atom_A3("BaO") == pytest.approx(3.5 ** 3 / 2, rel=1e-12)
    # one entry per formula (SCIENCE.md §4): BaO's cell-matched entry; the other is recorded
    assert not offline.polymorph_notes and not offline.audit_findings
    assert offline.entry("BaO").observed
    dropped = json.loads(path.read_text())["replaced_entries"]
    assert [d["material_id"] for d in dropped] == ["mp-bao2"]
    # NIST-JANAF BaO from the bundled tables still wins for G_f; elements come from g_els.json.
    bundled = ThermoData.bundled("Ba-Ti-O", prefer_experimental=True)
    assert offline.gibbs_formation_energy_per_atom("BaO", 1000.0) == (
        bundled.gibbs_formation_energy_per_atom("BaO", 1000.0))
    assert ThermoData.load("Ba-O").source.path == str(path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_missing_key_is_a_one_line_input_error(cache, capsys):
    with pytest.raises(InputError, match="MP_API_KEY is not set"):
        fetch_thermo("Ba-O", rester_factory=FakeRester)
    assert FakeRester.calls == []
    assert main(["thermo", "fetch", "Ba-O"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: MP_API_KEY is not set") and err.count("\n") == 1
    assert not any(cache.rglob("*"))


def test_network_failure_caches_nothing(cache, monkeypatch):
    monkeypatch.setenv("MP_API_KEY", "k" * 32)

    def offline(key):
        return FakeRester(key, fail=ConnectionError("Max retries exceeded\nmore detail"))

    with pytest.raises(StoreError) as info:
        fetch_thermo("Ba-O", rester_factory=offline)
    assert "ConnectionError: Max retries exceeded" in str(info.value)
    assert "\n" not in str(info.value)
    assert not any(cache.rglob("*"))


def test_failed_rename_leaves_no_partial_file(cache, monkeypatch):
    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fetch_module.os, "replace", broken_replace)
    with pytest.raises(StoreError, match="cannot write the thermo cache"):
        fetch_thermo("Ba-O", api_key="k" * 32, rester_factory=FakeRester)
    assert [p for p in cache.rglob("*") if p.is_file()] == []


def test_fetch_keeps_the_cell_matched_polymorph_not_the_lowest_enthalpy():
    """An open polymorph with the lower enthalpy (37 Å^3/atom against BaO's 21.1 Å^3/atom cell)
    is dropped for the entry that matches the observed cell; without a cell, the 0 K ground
    state is kept."""
    from ionflux.thermo.fetch import entries_to_thermo_dict

    entries = [_entry(["Ba", "Ba"], 5.0, -1.9, "mp-ba"), _entry(["O", "O"], 4.0, -4.9, "mp-o2"),
               _entry(["Ba", "O"], 3.5, -5.8, "mp-bao"),
               _entry(["Ba", "O"], 4.2, -5.9, "mp-bao-open")]
    data = entries_to_thermo_dict(entries, ["Ba", "O"])
    kept = {r["formula"]: r for r in data["entries"]}
    assert kept["BaO"]["material_id"] == "mp-bao" and kept["BaO"]["observed"]
    assert data["replaced_entries"][0]["material_id"] == "mp-bao-open"
    assert "observed rock salt cell" in data["replaced_entries"][0]["why"]
    two_o = [_entry(["O", "O"], 4.0, -4.9, "mp-o2"), _entry(["O", "O"], 4.5, -4.8, "mp-o2b"),
             _entry(["Ba", "Ba"], 5.0, -1.9, "mp-ba")]
    data = entries_to_thermo_dict(two_o, ["Ba", "O"])
    assert [r["material_id"] for r in data["entries"] if r["formula"] == "O2"] == ["mp-o2"]
    assert "0 K ground state" in data["replaced_entries"][0]["why"]
