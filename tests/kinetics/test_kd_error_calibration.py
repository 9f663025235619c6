"""K_D standard errors against the exactly known K_D of synthetic trajectories."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Element

from ionflux.chempot import DrivingForce
from ionflux.kinetics import compute_kd
from ionflux.kinetics.kd import KDDoc
from ionflux.transport import analyze_trajectories
from ionflux.transport.synthetic import barium_titanate_like

V_FU = 6.8e-23  # cm^3 per BaTiO3
MASSES = {el: float(Element(el).atomic_mass) for el in ("Ba", "Ti", "O")}
# A generic driving force, and one close to the mass vector: in the centre-of-mass frame
# sum_i m_i L_ij = 0 in every block, so L dmu nearly cancels and the L entries' errors cancel
# with it; treating them as independent would overstate the error several times.
DRIVING_FORCES = {
    "generic": {"Ba": -2.0, "Ti": 1.0, "O": -0.25},
    "near_mass_vector": {el: 0.01 * m + d for (el, m), d in zip(MASSES.items(),
                                                                 (0.3, -0.2, 0.05), strict=True)},
}


def _force(dmu: dict[str, float], temperature: float) -> DrivingForce:
    return DrivingForce(system="Ba-Ti-O", temperature_K=temperature, phase_alpha="BaO",
                        phase_beta="TiO2", elements=list(dmu), delta_mu_eV=dict(dmu),
                        distance_eV=float(np.linalg.norm(list(dmu.values()))), touching=False,
                        mu_alpha_eV=dict.fromkeys(dmu, 0.0), mu_beta_eV=dict(dmu),
                        lower_limit_eV=-50.0)


@pytest.mark.slow
def test_kd_errors_are_calibrated_and_use_the_covariance():
    """z = (K_D - truth) / stderr over 40 seeds must have an rms near 1 (t with 9 degrees of
    freedom: 1.13) for the full and self-only K_D, for either driving force."""
    system = barium_titanate_like(n_formula_units=8)
    truth = system.truth()
    docs = [analyze_trajectories([system.generate(4000, seed=100 + seed)]) for seed in range(40)]
    exact = docs[0].model_copy(update={"L": np.asarray(truth.L).tolist(),
                                       "L_self": np.asarray(truth.L_self).tolist()})
    for name, dmu in DRIVING_FORCES.items():
        force = _force(dmu, exact.temperature_K)
        target = compute_kd(exact, force, volume_per_formula_unit_cm3=V_FU, volume_source="t")
        z_full, z_self, ratio_independent = [], [], []
        for doc in docs:
            kd = compute_kd(doc, force, volume_per_formula_unit_cm3=V_FU, volume_source="t")
            z_full.append((kd.K_D_cm2_s - target.K_D_cm2_s) / kd.K_D_stderr_cm2_s)
            z_self.append((kd.K_D_self_cm2_s - target.K_D_self_cm2_s) / kd.K_D_self_stderr_cm2_s)
            independent = compute_kd(doc.model_copy(update={"L_covariance": None}), force,
                                     volume_per_formula_unit_cm3=V_FU, volume_source="t")
            ratio_independent.append(independent.K_D_stderr_cm2_s / kd.K_D_stderr_cm2_s)
        for z in (np.array(z_full), np.array(z_self)):
            assert 0.7 < np.sqrt(np.mean(z**2)) < 1.6, (name, z)
            assert np.mean(np.abs(z) > 3.0) < 0.08, (name, z)
        if name == "near_mass_vector":
            assert np.median(ratio_independent) > 2.0, ratio_independent



def test_kd_gradient_is_the_slope_of_k_d_and_gives_its_standard_error(distilled_melt_kd_table):
    """kd_gradient (what SampledKD draws K_D errors with) against finite differences of
    compute_kd in every L and L_self entry, and sqrt(g^T C g) against the document's error."""
    from ionflux.kinetics.kd import kd_gradient

    table = distilled_melt_kd_table
    transport = table.transport_doc("BaTi2O5", 1750.0)
    force = table.driving_force("BaTiO3", "TiO2", 1750.0)
    doc = table.doc("BaTi2O5", 1750.0, ("BaTiO3", "TiO2"))
    species, n = transport.species, len(transport.species)

    def kd_with(field: str, index: int, step: float) -> KDDoc:
        values = np.array(getattr(transport, field), dtype=float)
        flat = values.reshape(-1)
        flat[index] += step
        moved = transport.model_copy(update={field: values.tolist()})
        return compute_kd(moved, force, volume_per_formula_unit_cm3=doc.V_gamma_cm3,
                          volume_source=doc.V_gamma_source)

    for mode, field, size, value in (("full", "L", n * n, "K_D_cm2_s"),
                                     ("self-only", "L_self", n, "K_D_self_cm2_s")):
        gradient = kd_gradient(doc, species, mode)
        step = 1e-6 * float(np.max(np.abs(getattr(transport, field))))
        slopes = [(getattr(kd_with(field, k, step), value)
                   - getattr(kd_with(field, k, -step), value)) / (2 * step)
                  for k in range(size)]
        assert gradient == pytest.approx(slopes, rel=1e-6, abs=1e-12 * np.max(np.abs(slopes)))
        cov = np.array(transport.L_covariance if mode == "full" else transport.L_self_covariance)
        err = doc.K_D_stderr_cm2_s if mode == "full" else doc.K_D_self_stderr_cm2_s
        assert np.sqrt(gradient @ cov @ gradient) == pytest.approx(err, rel=1e-10)
