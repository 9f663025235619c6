"""The persistent driving-force cache: a hit equals the computed result; any change in the data,
the settings or the code it rests on is a miss."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from ionflux.chempot import DrivingForceCalculator
from ionflux.chempot import cache as dfcache
from ionflux.chempot.cache import DrivingForceCache
from ionflux.chempot.diagram import ChempotDiagrams
from ionflux.thermo import ThermoData


@pytest.fixture(scope="module")
def thermo() -> ThermoData:
    return ThermoData.bundled("Ba-Ti-O")


def _no_diagrams():
    def boom(*_a, **_k):
        raise AssertionError("a diagram was built for a cached driving force")

    return mock.patch.object(ChempotDiagrams, "faces", boom)


def test_second_process_gets_the_same_force_without_diagrams(tmp_path: Path, thermo):
    path = tmp_path / "df.sqlite"
    first = DrivingForceCalculator(thermo, persistent=DrivingForceCache(path))
    computed = first("BaO", "TiO2", 1250.0)
    # a new calculator (as in a new process) with a fresh copy of the same data
    same = ThermoData.model_validate_json(thermo.model_dump_json())
    second = DrivingForceCalculator(same, persistent=DrivingForceCache(path))
    with _no_diagrams():
        served = second("BaO", "TiO2", 1250.0)
    assert served == computed and second.persistent.hits == 1


def test_what_the_result_rests_on_is_in_the_key(tmp_path: Path, thermo, monkeypatch):
    path = tmp_path / "df.sqlite"
    DrivingForceCalculator(thermo, persistent=DrivingForceCache(path))("BaO", "TiO2", 1250.0)
    other_source = ThermoData.bundled("Ba-Ti-O", prefer_experimental=True)
    variants = [
        (DrivingForceCalculator(other_source, persistent=DrivingForceCache(path)),
         ("BaO", "TiO2", 1250.0)),
        (DrivingForceCalculator(thermo, persistent=DrivingForceCache(path)),
         ("BaO", "TiO2", 1500.0)),
        (DrivingForceCalculator(thermo, persistent=DrivingForceCache(path)),
         ("BaO", "BaTiO3", 1250.0)),
        (DrivingForceCalculator(thermo, lower_limit_eV=-60.0,
                                persistent=DrivingForceCache(path)), ("BaO", "TiO2", 1250.0)),
        (DrivingForceCalculator(thermo, metastable_tol_eV=2e-4,
                                persistent=DrivingForceCache(path)), ("BaO", "TiO2", 1250.0)),
    ]
    for calc, args in variants:
        with _no_diagrams(), pytest.raises(AssertionError, match="diagram was built"):
            calc(*args)
    # edited thermo or chempot code: a different code digest, a miss
    monkeypatch.setattr(dfcache, "code_digest", lambda: "edited")
    calc = DrivingForceCalculator(thermo, persistent=DrivingForceCache(path))
    with _no_diagrams(), pytest.raises(AssertionError, match="diagram was built"):
        calc("BaO", "TiO2", 1250.0)


def test_cache_off_and_unwritable_locations(tmp_path: Path, thermo, monkeypatch):
    monkeypatch.setenv("IONFLUX_DRIVING_FORCE_CACHE", "off")
    assert DrivingForceCalculator(thermo).persistent is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    broken = DrivingForceCache(blocker / "df.sqlite")  # its folder is a file
    calc = DrivingForceCalculator(thermo, persistent=broken)
    assert calc("BaO", "TiO2", 1000.0).distance_eV > 0 and broken.broken
