"""K_D rows say why a standard error is missing, and flag K_D that falls with temperature."""

from __future__ import annotations

import pytest

from ionflux.kinetics import KDTable
from ionflux.kinetics.report import KDRow, falling_with_temperature, kd_rows

TEMPS = [1000.0, 1250.0, 1500.0, 1750.0]


def _row(phase: str, t: float, kd: float) -> KDRow:
    return KDRow(phase=phase, temperature_K=t, K_D_cm2_s=kd, K_D_self_cm2_s=kd,
                 delta_mu_eV={}, distance_eV=0.1, precursors=["BaO", "TiO2"])


def test_falling_steps_are_found_per_phase_in_temperature_order():
    rows = [_row("A", 1250, 2e-9), _row("A", 1000, 3e-9), _row("A", 1500, 4e-9),
            _row("B", 1000, 1e-9), _row("B", 1250, 1e-9)]
    found = falling_with_temperature(rows)
    assert found == [("A", 1000.0, 1250.0, 3e-9, 2e-9)]  # equal values do not fall


@pytest.fixture(scope="module")
def published_rows():
    table = KDTable.published("Ba-Ti-O")
    return kd_rows(table, ("BaO", "TiO2"), TEMPS)


def test_published_kd_rows_flag_falling_kd(published_rows):
    rows, notes = published_rows
    by = {(r.phase, r.temperature_K): r for r in rows}
    falls = {(p, a, b) for p, a, b, *_ in falling_with_temperature(rows)}
    # MP + Bartel for every solid (default); with NIST-JANAF binaries Ba3TiO5 falls from 1500
    # to 1750 K as well (next test)
    assert ("Ba2TiO4", 1000.0, 1250.0) in falls
    for phase, _t1, t2 in falls:
        assert by[(phase, t2)].falls_with_temperature
        assert any(w.startswith("K_D falls with temperature") for w in by[(phase, t2)].warnings)
        assert any(n.startswith(f"{phase}: K_D falls with temperature") for n in notes)
    assert not by[("Ba2TiO4", 1000.0)].falls_with_temperature


def test_with_nist_janaf_ba3tio5_falls_too():
    from ionflux.thermo import ThermoData

    nist = ThermoData.bundled("Ba-Ti-O", prefer_experimental=True)
    rows, _ = kd_rows(KDTable.published("Ba-Ti-O", thermo=nist), ("BaO", "TiO2"), TEMPS)
    falls = {(p, a, b) for p, a, b, *_ in falling_with_temperature(rows)}
    assert {("Ba2TiO4", 1000.0, 1250.0), ("Ba3TiO5", 1500.0, 1750.0)} <= falls


def test_published_kd_rows_say_why_there_is_no_standard_error(published_rows):
    rows, notes = published_rows
    assert all(r.K_D_stderr_cm2_s is None for r in rows)
    assert all("no standard errors" in (r.K_D_stderr_note or "") for r in rows)
    assert any("published tensors carry no standard errors" in n for n in notes)
