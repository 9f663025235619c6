"""Commands import what their work needs: no maggma/pymongo for queries and the predictions
cache, no pymatgen entries or scipy.optimize for driving forces and the hull (each run in a
fresh interpreter, as a command runs)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest


def _modules_after(code: str) -> set[str]:
    """Top-level names of the modules a fresh interpreter holds after running ``code``."""
    script = textwrap.dedent(code) + textwrap.dedent("""
        import json, sys
        print(json.dumps(sorted(sys.modules)))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_driving_forces_and_hull_without_pymatgen_entries_or_scipy_optimize():
    loaded = _modules_after("""
        from ionflux.chempot.driving_force import DrivingForceCalculator
        from ionflux.thermo import ThermoData
        from ionflux.thermo.hull import hull_at
        thermo = ThermoData.bundled("Ba-Ti-O", prefer_experimental=True)
        force = DrivingForceCalculator(thermo, persistent=None)("BaO", "TiO2", 1250.0)
        assert force.distance_eV > 0 and force.metastable_phases == ["TiO2"]
        hull_at(thermo, 1250.0)
    """)
    assert not {m for m in loaded if m.startswith(("pymatgen.entries", "pymatgen.analysis"))}
    assert "scipy.optimize" not in loaded and "scipy.spatial" not in loaded


@pytest.mark.parametrize("plain", [True, False])
def test_read_only_store_and_predictions_cache_without_maggma(tmp_path, plain):
    """A read-only local store (query, status) and the predictions cache (plain) are
    SQLiteCollections; the builders' stores stay maggma Stores."""
    loaded = _modules_after(f"""
        from ionflux.ca.cache import StoreCache
        from ionflux.storage.stores import StoreSet, open_store
        from ionflux.storage.sqlite_collection import SQLiteCollection
        cache = StoreCache.open("local", {str(tmp_path)!r})
        cache.put("ab" * 16, {{"key": "ab" * 16, "inputs": {{"system": "Ba-Ti-O"}}}})
        assert cache.get("ab" * 16)["inputs"] == {{"system": "Ba-Ti-O"}}
        stores = StoreSet.open("local", {str(tmp_path)!r}, read_only=True)
        assert all(type(s) is SQLiteCollection for s in stores.stores.values())
        stores.connect()
        assert not list(stores.transport_aggregate.query())
        if not {plain}:
            store = open_store("local", "transport", {str(tmp_path)!r})
            assert type(store).__name__ == "SQLiteStore"
    """)
    assert ("maggma" in loaded) is (not plain)
    assert ("pymongo" in loaded) is (not plain)
