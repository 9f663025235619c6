"""K_D from hand-made Onsager tensors: units, magnitude, self-only limit, standard errors."""

from __future__ import annotations

import pint
import pytest

from ionflux.chempot import DrivingForce
from ionflux.errors import InputError
from ionflux.kinetics import compute_kd
from ionflux.transport.documents import Provenance, TransportDoc
from ionflux.units import KB_EV_PER_K

SPECIES = ["Ba", "Ti", "O"]
DMU = {"Ba": -2.0, "Ti": 1.0, "O": -0.25}  # eV
V_FU = 6.8e-23  # cm^3 per BaTiO3


def _force(t=1500.0, dmu=DMU, touching=False) -> DrivingForce:
    return DrivingForce(system="Ba-Ti-O", temperature_K=t, phase_alpha="BaO", phase_beta="TiO2",
                        elements=list(dmu), delta_mu_eV=dict(dmu),
                        distance_eV=sum(v * v for v in dmu.values()) ** 0.5, touching=touching,
                        mu_alpha_eV=dict.fromkeys(dmu, 0.0), mu_beta_eV=dict(dmu),
                        lower_limit_eV=-50.0)


def _doc(L, L_self, *, formula="BaTiO3", species=SPECIES, t=1500.0, **extra) -> TransportDoc:
    n = len(species)
    distinct = [[L[i][j] - (L_self[i] if i == j else 0.0) for j in range(n)] for i in range(n)]
    return TransportDoc(
        formula=formula, species=species, temperature_K=t, volume_A3=1000.0, L=L, L_self=L_self,
        L_distinct=distinct,
        correlation_factor={s: distinct[i][i] / L_self[i] for i, s in enumerate(species)},
        D_self_cm2_s=dict.fromkeys(species), provenance=Provenance(ionflux_version="test"),
        **extra)


L_HAND = [[4.0e18, -1.0e18, 2.0e18],
          [-1.0e18, 6.0e18, 3.0e18],
          [2.0e18, 3.0e18, 9.0e18]]
L_SELF_HAND = [5.0e18, 7.0e18, 1.0e19]


def test_hand_tensor_units_and_value():
    kd = compute_kd(_doc(L_HAND, L_SELF_HAND), _force(), volume_per_formula_unit_cm3=V_FU,
                    volume_source="test")
    # J_Ba = 4e18*(-2) + (-1e18)*1 + 2e18*(-0.25) = -9.5e18;  J_Ti = 2e18 + 6e18 - 0.75e18 = 7.25e18
    assert kd.flux_per_cm_s["Ba"] == pytest.approx(-9.5e18)
    assert kd.flux_per_cm_s["Ti"] == pytest.approx(7.25e18)
    # K_D = V (|J_Ba|/1 + |J_Ti|/1) = 6.8e-23 * 16.75e18 = 1.139e-3 cm^2/s
    assert kd.K_D_cm2_s == pytest.approx(1.139e-3, rel=1e-12)
    # Self-only: V (5e18*2 + 7e18*1) = 6.8e-23 * 1.7e19 = 1.156e-3
    assert kd.K_D_self_cm2_s == pytest.approx(1.156e-3, rel=1e-12)
    # The O flux enters only with include_anions: + V |J_O| / 3, J_O = -4e18 + 3e18 - 2.25e18
    with_o = compute_kd(_doc(L_HAND, L_SELF_HAND), _force(), volume_per_formula_unit_cm3=V_FU,
                        volume_source="test", include_anions=True)
    assert with_o.K_D_cm2_s == pytest.approx(kd.K_D_cm2_s + V_FU * 3.25e18 / 3, rel=1e-12)
    assert kd.species_summed == ["Ba", "Ti"] and with_o.species_summed == SPECIES

    ureg = pint.UnitRegistry()
    quantity = (ureg.Quantity(4.0e18, "1/(eV*cm*s)") * ureg.Quantity(2.0, "eV")
                * ureg.Quantity(V_FU, "cm**3"))
    assert quantity.dimensionality == ureg.Quantity(1, "cm**2/s").dimensionality


def test_magnitude_equals_d_times_driving_force_over_kt():
    """With L_self = c D / kT and c = n / V_gamma, the self-only K_D is sum_i D_i |dmu_i| / kT:
    a liquid-like D = 1e-5 cm^2/s and |dmu| = 1 eV at 1500 K give ~7.7e-5 cm^2/s."""
    t = 1500.0
    kt = KB_EV_PER_K * t
    d = {"Ba": 1.0e-5, "Ti": 3.0e-6, "O": 2.0e-5}
    n = {"Ba": 1, "Ti": 1, "O": 3}
    c = {s: n[s] / V_FU for s in SPECIES}  # 1/cm^3
    L_self = [c[s] * d[s] / kt for s in SPECIES]
    L = [[L_self[i] if i == j else 0.0 for j in range(3)] for i in range(3)]
    dmu = {"Ba": -1.0, "Ti": 1.0, "O": -0.5}
    kd = compute_kd(_doc(L, L_self, t=t), _force(t, dmu), volume_per_formula_unit_cm3=V_FU,
                    volume_source="test")
    expected = (d["Ba"] * 1.0 + d["Ti"] * 1.0) / kt
    assert kd.K_D_self_cm2_s == pytest.approx(expected, rel=1e-12)
    assert 5e-5 < kd.K_D_self_cm2_s < 2e-4
    # No distinct terms: the full K_D equals the self-only one exactly.
    assert kd.K_D_cm2_s == kd.K_D_self_cm2_s


def test_kd_is_independent_of_precursor_order():
    flipped = {k: -v for k, v in DMU.items()}
    a = compute_kd(_doc(L_HAND, L_SELF_HAND), _force(), volume_per_formula_unit_cm3=V_FU,
                   volume_source="test")
    b = compute_kd(_doc(L_HAND, L_SELF_HAND), _force(dmu=flipped),
                   volume_per_formula_unit_cm3=V_FU, volume_source="test")
    assert a.K_D_cm2_s == b.K_D_cm2_s and a.K_D_self_cm2_s == b.K_D_self_cm2_s


def test_standard_errors_propagate_by_hand():
    zero = [[0.0] * 3 for _ in range(3)]
    err = [row[:] for row in zero]
    err[0][1] = err[1][0] = 1.0e17  # sigma of L_BaTi (one estimate, stored twice)
    err[0][0] = 2.0e17
    doc = _doc(L_HAND, L_SELF_HAND, L_stderr=err, L_self_stderr=[1.0e17, 0.0, 0.0])
    kd = compute_kd(doc, _force(), volume_per_formula_unit_cm3=V_FU, volume_source="test")
    # dK/dL_BaBa = V sign(J_Ba) dmu_Ba = V * (-1)(-2) = 2V
    # dK/dL_BaTi = V [sign(J_Ba) dmu_Ti + sign(J_Ti) dmu_Ba] = V [(-1)(1) + (1)(-2)] = -3V
    expected = V_FU * ((2 * 2.0e17) ** 2 + (3 * 1.0e17) ** 2) ** 0.5
    assert kd.K_D_stderr_cm2_s == pytest.approx(expected, rel=1e-12)
    assert any("independent" in a for a in kd.assumptions)
    assert kd.K_D_self_stderr_cm2_s == pytest.approx(V_FU * 2 * 1.0e17, rel=1e-12)
    no_err = compute_kd(_doc(L_HAND, L_SELF_HAND), _force(), volume_per_formula_unit_cm3=V_FU,
                        volume_source="test")
    assert no_err.K_D_stderr_cm2_s is None and no_err.K_D_self_stderr_cm2_s is None



def test_covariance_propagation_by_hand():
    """With a covariance, correlated entries combine as g^T C g: perfectly anticorrelated
    entries with equal gradients cancel, uncorrelated ones add in quadrature."""
    L = [[4.0e18, 0.0, 0.0], [0.0, 6.0e18, 0.0], [0.0, 0.0, 9.0e18]]
    dmu = {"Ba": 1.0, "Ti": 1.0, "O": 0.0}  # J_Ba = L_BaBa, J_Ti = L_TiTi: both gradients V
    sigma = 1.0e17
    cov = [[0.0] * 9 for _ in range(9)]
    ba_ba, ti_ti = 0, 4  # row-major positions of L_BaBa and L_TiTi
    cov[ba_ba][ba_ba] = cov[ti_ti][ti_ti] = sigma**2
    kd = compute_kd(_doc(L, [4.0e18, 6.0e18, 9.0e18], L_covariance=cov), _force(dmu=dmu),
                    volume_per_formula_unit_cm3=V_FU, volume_source="test")
    assert kd.K_D_stderr_cm2_s == pytest.approx(V_FU * sigma * 2**0.5, rel=1e-12)
    assert not any("independent" in a for a in kd.assumptions)
    cov[ba_ba][ti_ti] = cov[ti_ti][ba_ba] = -(sigma**2)
    kd = compute_kd(_doc(L, [4.0e18, 6.0e18, 9.0e18], L_covariance=cov), _force(dmu=dmu),
                    volume_per_formula_unit_cm3=V_FU, volume_source="test")
    assert kd.K_D_stderr_cm2_s == pytest.approx(0.0, abs=1e-9 * V_FU * sigma)
    assert kd.K_D_self_stderr_cm2_s is None
    with pytest.raises(ValueError, match="L_covariance must be 9x9"):
        _doc(L, [4.0e18, 6.0e18, 9.0e18], L_covariance=[[1.0] * 3] * 3)

def test_touching_domains_give_zero():
    zero = dict.fromkeys(SPECIES, 0.0)
    kd = compute_kd(_doc(L_HAND, L_SELF_HAND), _force(dmu=zero, touching=True),
                    volume_per_formula_unit_cm3=V_FU, volume_source="test")
    assert kd.K_D_cm2_s == 0.0 and kd.K_D_self_cm2_s == 0.0
    assert any("touch" in w for w in kd.warnings)


def test_missing_species_and_mismatches_are_one_line_errors():
    two = _doc([[1.0, 0.0], [0.0, 1.0]], [1.0, 1.0], species=["Ba", "O"])
    with pytest.raises(InputError, match="lacks species Ti of BaTiO3"):
        compute_kd(two, _force(), volume_per_formula_unit_cm3=V_FU, volume_source="test")
    with pytest.raises(InputError, match="different temperatures"):
        compute_kd(_doc(L_HAND, L_SELF_HAND, t=1000.0), _force(),
                   volume_per_formula_unit_cm3=V_FU, volume_source="test")
    li = _doc(L_HAND, L_SELF_HAND, formula="Li2TiO3", species=["Li", "Ti", "O"])
    with pytest.raises(InputError, match="outside the Ba-Ti-O system"):
        compute_kd(li, _force(), volume_per_formula_unit_cm3=V_FU, volume_source="test")
