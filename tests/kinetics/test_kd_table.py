"""Arrhenius interpolation and the KDTable: exact at tabulated T, exact for Arrhenius input,
errors outside the data; the published Ba-Ti-O table end to end."""

from __future__ import annotations

import json
import math

import pytest

from ionflux.chempot import DrivingForce
from ionflux.cli import main
from ionflux.errors import DataNotFoundError
from ionflux.kinetics import KDTable, arrhenius_interpolate
from ionflux.transport.documents import Provenance, TransportDoc
from ionflux.units import KB_EV_PER_K

TEMPS = [1000.0, 1250.0, 1500.0, 1750.0]


def _arrhenius(t, prefactor=3.0e-2, energy=1.3):
    return prefactor * math.exp(-energy / (KB_EV_PER_K * t))


def test_interpolation_exact_on_grid_and_for_arrhenius_input():
    values = [_arrhenius(t) for t in TEMPS]
    for t, v in zip(TEMPS, values, strict=True):
        assert arrhenius_interpolate(TEMPS, values, t) == v  # the tabulated number itself
    for t in (1001.0, 1111.1, 1400.0, 1749.0):
        assert arrhenius_interpolate(TEMPS, values, t) == pytest.approx(_arrhenius(t), rel=1e-12)
    assert arrhenius_interpolate([1000.0, 1250.0], [0.0, 1.0], 1100.0) == 0.0


@pytest.mark.parametrize("t", [999.9, 1750.1, 300.0])
def test_interpolation_never_extrapolates(t):
    with pytest.raises(DataNotFoundError, match="never extrapolated"):
        arrhenius_interpolate(TEMPS, [1.0] * 4, t)


def _diag_doc(t: float, scale: float) -> TransportDoc:
    species = ["Ba", "Ti", "O"]
    L_self = [scale, 2 * scale, 3 * scale]
    L = [[L_self[i] if i == j else 0.0 for j in range(3)] for i in range(3)]
    return TransportDoc(formula="BaTiO3", species=species, temperature_K=t, volume_A3=1000.0,
                        L=L, L_self=L_self, L_distinct=[[0.0] * 3 for _ in range(3)],
                        correlation_factor=dict.fromkeys(species, 0.0),
                        D_self_cm2_s=dict.fromkeys(species),
                        provenance=Provenance(ionflux_version="test"))


def _constant_force(alpha, beta, t):
    dmu = {"Ba": -1.0, "Ti": 0.5, "O": 0.0}
    return DrivingForce(system="Ba-Ti-O", temperature_K=t, phase_alpha=alpha, phase_beta=beta,
                        elements=list(dmu), delta_mu_eV=dmu, distance_eV=1.118, touching=False,
                        mu_alpha_eV=dict.fromkeys(dmu, 0.0), mu_beta_eV=dmu,
                        lower_limit_eV=-50.0)


def test_table_interpolates_arrhenius_transport_exactly():
    calls = []

    def force(a, b, t):
        calls.append(t)
        return _constant_force(a, b, t)

    docs = [_diag_doc(t, _arrhenius(t) * 1e20) for t in TEMPS]
    table = KDTable(docs, driving_force=force, volume=lambda doc: (1.0e-22, "test"))
    # K_D = V (L_Ba |dmu_Ba| + L_Ti |dmu_Ti|) = 1e-22 * 1e20 * (1 + 2*0.5) * arrhenius(T)
    for t in (1000.0, 1100.0, 1333.0, 1750.0):
        assert table.kd_cm2_s("BaTiO3", t, ("BaO", "TiO2")) == pytest.approx(
            2.0e-2 * _arrhenius(t), rel=1e-12)
    assert table.kd_cm2_s("BaTiO3", 1000.0, ("BaO", "TiO2"), mode="self-only") == (
        table.kd_cm2_s("BaTiO3", 1000.0, ("BaO", "TiO2")))
    assert table.temperatures_K("BaTiO3") == TEMPS
    assert sorted(set(calls)) == TEMPS  # driving forces only at tabulated temperatures
    n_calls = len(calls)
    table.kd_cm2_s("BaTiO3", 1100.0, ("BaO", "TiO2"))
    assert len(calls) == n_calls  # cached

    with pytest.raises(DataNotFoundError, match="never extrapolated"):
        table.kd_cm2_s("BaTiO3", 1800.0, ("BaO", "TiO2"))
    with pytest.raises(DataNotFoundError, match="no transport data for product 'BaTi2O5'"):
        table.kd_cm2_s("BaTi2O5", 1500.0, ("BaO", "TiO2"))


@pytest.fixture(scope="module")
def published() -> KDTable:
    return KDTable.published("Ba-Ti-O")


PRODUCTS = ["BaTiO3", "Ba2TiO4", "BaTi2O5", "BaTi4O9", "BaTi5O11", "Ba2Ti9O20", "Ba4Ti13O30",
            "Ba6Ti17O40", "Ba3TiO5"]


def test_published_table_all_products(published):
    for product in PRODUCTS:
        assert published.temperatures_K(product) == [750.0, *TEMPS]
        for t in TEMPS:
            kd = published.kd_cm2_s(product, t, ("BaO", "TiO2"))
            assert 1e-7 < kd < 1.0
    doc = published.doc("BaTiO3", 1500.0, ("BaO", "TiO2"))
    # V_gamma = 5 atoms x MP volume per atom of BaTiO3 (mp-5020)
    assert doc.V_gamma_cm3 == pytest.approx(5 * 13.594065403846523e-24, rel=1e-12)
    assert doc.provenance.transport_doc_key == "BaTiO3@1500K"
    assert doc.metastable_phases == []  # MP + Bartel for every solid: TiO2 on the hull
    with pytest.raises(DataNotFoundError, match="Ba4TiO6"):
        published.kd_cm2_s("Ba4TiO6", 1500.0, ("BaO", "TiO2"))


def test_cli_json_rows(capsys):
    assert main(["kd", "--system", "Ba-Ti-O", "--precursors", "BaO,TiO2",
                 "--temperatures", "1000,1250,1500,1750", "--json"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert {r["phase"] for r in rows} >= set(PRODUCTS)
    ratios = [r["cation_ratio"] for r in rows]
    assert ratios == sorted(ratios)
    for key in ("phase", "temperature_K", "K_D_cm2_s", "K_D_self_cm2_s", "K_D_stderr_cm2_s",
                "delta_mu_eV"):
        assert key in rows[0]
    assert rows[0]["K_D_stderr_cm2_s"] is None
    assert "skipped Ba4TiO6" in captured.err


@pytest.mark.parametrize(("argv", "message"), [
    (["kd", "--temperatures", "2000"], "never extrapolated"),
    (["kd", "--source", "store", "--store", "memory"], "no Ba-Ti-O transport documents"),
    (["kd", "--precursors", "BaO"], "exactly two phases"),
    (["kd", "--precursors", "BaO,Li2O"], "outside the Ba-Ti-O system"),
])
def test_cli_errors_are_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
