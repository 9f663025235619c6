"""Fixtures: publishable groups built from the bundled published tensors (no K_D run)."""

from __future__ import annotations

import pytest


def _curves(species):
    from ionflux.transport.documents import CorrelationCurves

    lags = [0.0, 100.0, 200.0, 300.0]
    pairs = [f"{a}|{b}" for i, a in enumerate(species) for b in species[i:]]
    return CorrelationCurves(lag_fs=lags,
                             msd_self_A2={el: [0.0, 1.0 * k, 2.0 * k, 3.0 * k]
                                          for k, el in enumerate(species, start=1)},
                             collective_A2={p: [0.0, 0.5, 1.0, 1.5] for p in pairs})


@pytest.fixture(scope="session")
def published_docs():
    from ionflux.transport.published import load_published

    return load_published("Ba-Ti-O")


@pytest.fixture
def md_like_group(published_docs):
    """A BaTiO3 MD group with standard errors, D, correlation curves, K_D, a structure and
    method metadata; O is flagged not diffusive."""
    from pymatgen.core import Lattice, Structure

    from ionflux.kinetics.kd import KDDoc, KDProvenance
    from ionflux.publish import GroupData
    from ionflux.transport.documents import PhysicsFlag

    doc = next(d for d in published_docs if d.key() == "BaTiO3@1500K")
    n = len(doc.species)
    doc = doc.model_copy(update={
        "L_stderr": [[abs(doc.L[i][j]) * 0.1 for j in range(n)] for i in range(n)],
        "D_self_cm2_s": {el: 1e-5 * (k + 1) for k, el in enumerate(doc.species)},
        "D_self_cm2_s_stderr": {el: 1e-7 for el in doc.species},
        "correlation_functions": _curves(doc.species), "estimator": "block-einstein",
        "physics_flags": [PhysicsFlag(code="not_diffusive", species="O", value=0.4, limit=1.0,
                                      ratio=0.4)]})
    kd = KDDoc(phase="BaTiO3", temperature_K=1500.0, precursors=["BaO", "TiO2"],
               K_D_cm2_s=2.5e-5, K_D_self_cm2_s=2.0e-5, K_D_stderr_cm2_s=1e-6,
               K_D_self_stderr_cm2_s=None, delta_mu_eV={"Ba": -1.0, "Ti": 1.0, "O": 0.0},
               distance_eV=1.4, touching=False, flux_per_cm_s={}, flux_self_per_cm_s={},
               species_summed=["Ba", "Ti"], include_anions=False,
               atoms_per_formula_unit={"Ba": 1, "Ti": 1, "O": 3}, V_gamma_cm3=1e-22,
               V_gamma_source="test", provenance=KDProvenance(transport_doc_key=doc.key(),
                                                               ionflux_version="test"))
    structure = Structure(Lattice.cubic(4.0), ["Ba", "Ti", "O", "O", "O"],
                          [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5],
                           [0, 0.5, 0.5]])
    method = {"potential": "ACE Ba-Ti-O v2", "engine": "LAMMPS 2024", "atoms": 100,
              "interval": 50.0, "length": 1000.0, "estimator": "block-einstein",
              "reference": "doi:10.0000/example"}
    return GroupData(key=doc.key(), transport=doc, source="md", input_fingerprint="abc",
                     kd=[kd], structure=structure, method=method, mp_id="mp-5020")


@pytest.fixture
def plain_groups(published_docs):
    """Five published groups without structures (distinct contributions)."""
    from ionflux.publish import GroupData
    from ionflux.publish.sources import published_method

    return [GroupData(key=d.key(), transport=d, source="published", input_fingerprint=d.key(),
                      method=published_method(d))
            for d in published_docs[:5]]
