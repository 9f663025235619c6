"""Physics checks on transport documents (issue 23 item 1): analytic cases that violate each
bound and cases that do not, and the numbers measured on the bundled published sets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pymatgen.core import Element

from ionflux.errors import DataNotFoundError
from ionflux.transport.documents import Provenance, QualityFlag, TransportDoc
from ionflux.transport.physics_checks import (
    ASSUMED_RUN_LENGTH_FS,
    COM_MAX_RESIDUAL,
    apply_time_axis_factor,
    atom_counts_from_density,
    check_md_document,
    check_published_documents,
    com_residuals,
    diffusion_from_L_self,
    free_particle_bound_cm2_s,
    monotonic_flags,
    monotonic_flags_for_records,
    summary,
    summary_lines,
)
from ionflux.units import KB_EV_PER_K

M = {el: float(Element(el).atomic_mass) for el in ("Ba", "O")}
V_ATOM = 10.0  # Å^3 per atom of the fake crystal
VOLUME = 1000.0  # Å^3: 100 atoms of BaO at the crystal density, 50 Ba and 50 O


class FakeThermo:
    """Crystal volume per atom of BaO only."""

    def volume_per_atom_A3(self, formula: str) -> float:
        if formula != "BaO":
            raise DataNotFoundError(f"no volume for {formula}")
        return V_ATOM

    def entry(self, formula: str):
        return None


def com_free_L(scale: float) -> np.ndarray:
    """A two-species L whose mass-weighted columns vanish exactly (m^T L = 0)."""
    m1, m2 = M["Ba"], M["O"]
    return scale * np.array([[m2 * m2, -m1 * m2], [-m1 * m2, m1 * m1]])


def make_doc(L: np.ndarray, L_self: list[float], temperature_K: float = 1750.0, *,
             D: dict | None = None, D_se: dict | None = None, L_se=None,
             quality: dict | None = None, formula: str = "BaO") -> TransportDoc:
    L = np.asarray(L, dtype=float)
    species = ["Ba", "O"]
    distinct = L - np.diag(L_self)
    return TransportDoc(
        formula=formula, species=species, temperature_K=temperature_K, volume_A3=VOLUME,
        L=L.tolist(), L_self=list(L_self), L_distinct=distinct.tolist(),
        L_stderr=None if L_se is None else np.asarray(L_se).tolist(),
        correlation_factor={s: 0.0 for s in species},
        D_self_cm2_s=D or {s: None for s in species}, D_self_cm2_s_stderr=D_se,
        quality=quality or {}, provenance=Provenance(ionflux_version="test"))


def L_self_for(D_cm2_s: float, temperature_K: float, n_atoms: float = 50.0) -> float:
    """The L_self that gives D for n_atoms in VOLUME (inverse of diffusion_from_L_self)."""
    c = n_atoms / (VOLUME * 1e-24)
    return D_cm2_s * c / (KB_EV_PER_K * temperature_K)


def codes(doc: TransportDoc) -> list[tuple[str, str | None]]:
    return sorted((f.code, f.species) for f in doc.physics_flags)


# -- the formulas ------------------------------------------------------------------------------
def test_free_particle_bound_of_ba_at_1750_k_is_the_issues_number():
    # kB T/(m gamma) with gamma = 0.01 1/fs: 1.06e-4 cm^2/s (issue 23)
    bound = free_particle_bound_cm2_s(M["Ba"], 1750.0, 0.01)
    assert bound == pytest.approx(1.0596e-4, rel=1e-3)
    # scales as T / (m gamma)
    assert free_particle_bound_cm2_s(M["Ba"], 3500.0, 0.02) == pytest.approx(bound)
    with pytest.raises(ValueError):
        free_particle_bound_cm2_s(M["Ba"], 1750.0, 0.0)


def test_d_from_l_self_and_crystal_atom_counts():
    counts = atom_counts_from_density("BaO", VOLUME, V_ATOM)
    assert counts == pytest.approx({"Ba": 50.0, "O": 50.0})
    L_self = L_self_for(2e-5, 1500.0)
    assert diffusion_from_L_self(L_self, 1500.0, 50.0, VOLUME) == pytest.approx(2e-5)
    # SCIENCE.md §2 units: L in 1/(eV cm s), D in cm^2/s; 1e22 atoms per cm^3 at 1 eV...
    assert diffusion_from_L_self(1e22, 1.0 / KB_EV_PER_K, 1e-2, 1.0) == pytest.approx(1.0)


def test_com_residual_is_zero_for_a_com_frame_tensor_and_relative_otherwise():
    L = com_free_L(1e18)
    assert com_residuals(["Ba", "O"], L) == pytest.approx([0.0, 0.0], abs=1e-12)
    broken = L.copy()
    broken[0, 0] *= 1.5  # column 0: sum = 0.5 m1 L00, largest term 1.5 m1 L00
    assert com_residuals(["Ba", "O"], broken)[0] == pytest.approx(1 / 3)


# -- published records (no errors) ---------------------------------------------------------------
def published_pair(D_ba: float, *, com_break: float = 1.0, temperature_K: float = 1750.0):
    L_self = [L_self_for(D_ba, temperature_K), L_self_for(1e-6, temperature_K)]
    L = com_free_L(L_self[0] / M["O"] ** 2)  # L_BaBa = L_self_Ba
    L[0, 0] *= com_break
    return make_doc(L, L_self, temperature_K)


def test_published_record_above_the_bound_is_flagged_and_one_below_is_not():
    bound = free_particle_bound_cm2_s(M["Ba"], 1750.0, 0.01)
    above, below = check_published_documents(
        [published_pair(3.0 * bound), published_pair(0.5 * bound, temperature_K=1500.0)],
        FakeThermo())
    flag = next(f for f in above.physics_flags if f.code == "above_free_particle_bound")
    assert flag.species == "Ba" and flag.ratio == pytest.approx(3.0, rel=1e-9)
    assert flag.limit == pytest.approx(bound)
    assert codes(below) == []
    evidence = above.provenance.physics_checks
    assert evidence["thermostat_gamma_per_fs"] == 0.01
    assert evidence["N_atoms"] == pytest.approx(100.0)
    assert "crystal density" in evidence["atom_count"]
    assert evidence["D_cm2_s"]["Ba"] == pytest.approx(3.0 * bound)
    # the numbers themselves are untouched, and D_self stays as published (None)
    assert above.L_self == published_pair(3.0 * bound).L_self
    assert above.D_self_cm2_s == {"Ba": None, "O": None}


def test_published_com_residual_above_the_threshold_is_flagged():
    good, bad = check_published_documents(
        [published_pair(1e-5, temperature_K=1500.0), published_pair(2e-5, com_break=1.5)],
        FakeThermo())
    assert codes(good) == []
    flag = next(f for f in bad.physics_flags if f.code == "com_constraint_violated")
    assert flag.value == pytest.approx(1 / 3) and flag.limit == COM_MAX_RESIDUAL
    assert good.provenance.physics_checks["com_residual"] == pytest.approx(0.0, abs=1e-12)


def test_published_d_falling_with_t_is_flagged_without_errors():
    docs = check_published_documents(
        [published_pair(2e-5, temperature_K=1000.0), published_pair(1.9e-5, temperature_K=1250),
         published_pair(4e-5, temperature_K=1500.0)], FakeThermo())
    assert [codes(d) for d in docs] == [[], [("D_falls_with_T", "Ba")], []]
    flag = docs[1].physics_flags[0]
    assert flag.ratio == pytest.approx(0.95) and flag.z is None
    rising = check_published_documents(
        [published_pair(1e-5, temperature_K=t) for t in (1000.0, 1250.0)], FakeThermo())
    assert all(codes(d) == [] for d in rising)


def test_published_d_below_the_msd_floor_is_not_diffusive():
    floor = 1.0 / (6 * ASSUMED_RUN_LENGTH_FS * 10.0)  # cm^2/s: 1 Å^2 over the run
    slow, fast = check_published_documents(
        [published_pair(0.5 * floor, temperature_K=1000.0),
         published_pair(2 * floor, temperature_K=1250.0)], FakeThermo())
    assert ("not_diffusive", "Ba") in codes(slow)
    assert ("not_diffusive", "Ba") not in codes(fast)
    assert slow.provenance.physics_checks["assumed_run_length_fs"] == ASSUMED_RUN_LENGTH_FS


def test_without_a_crystal_volume_the_bound_is_not_checked_and_said_so():
    doc = published_pair(1.0)  # far above any bound, but no atom count for the phase
    doc = doc.model_copy(update={"formula": "Ba2O2"})  # FakeThermo knows BaO only
    [checked] = check_published_documents([doc], FakeThermo())
    assert codes(checked) == []
    assert "not checked" in checked.provenance.physics_checks["free_particle_bound"]


def test_unknown_thermostat_skips_the_bound_only():
    [checked] = check_published_documents([published_pair(1.0)], FakeThermo(), gamma_per_fs=None)
    assert codes(checked) == []
    assert "thermostat friction is unknown" in checked.provenance.physics_checks[
        "free_particle_bound"]


# -- MD documents (with errors) ------------------------------------------------------------------
def md_doc(D_ba: float, D_se: float, temperature_K: float = 1500.0, *, com_break: float = 1.0,
           L_se_frac: float = 0.0, diffusive: bool = True) -> TransportDoc:
    L = com_free_L(1e18)
    L[0, 0] *= com_break
    L_se = None if not L_se_frac else np.abs(L) * L_se_frac
    quality = {f"diffusive_{el}": QualityFlag(passed=diffusive or el == "O", value=0.4,
                                              threshold=1.0, reason=f"{el}: MSD")
               for el in ("Ba", "O")}
    return make_doc(L, [L[0, 0], L[1, 1]], temperature_K, D={"Ba": D_ba, "O": 1e-5},
                    D_se={"Ba": D_se, "O": 1e-7}, L_se=L_se, quality=quality)


def test_md_bound_uses_the_sidecar_friction_and_the_errors():
    bound = free_particle_bound_cm2_s(M["Ba"], 1500.0, 0.01)
    assert ("above_free_particle_bound", "Ba") in codes(
        check_md_document(md_doc(2 * bound, 0.1 * bound), 0.01))
    # above the bound, but within 3 standard errors of it: not flagged
    assert codes(check_md_document(md_doc(1.2 * bound, 0.1 * bound), 0.01)) == []
    # friction unknown: not checked
    unknown = check_md_document(md_doc(2 * bound, 0.1 * bound), None)
    assert codes(unknown) == []
    assert "not checked" in unknown.provenance.physics_checks["free_particle_bound"]


def test_md_com_residual_is_judged_against_its_standard_errors():
    # a 2 % break with 10 % errors is noise; with 0.1 % errors it is 20 sigma
    noisy = check_md_document(md_doc(1e-6, 1e-8, com_break=1.02, L_se_frac=0.1))
    assert codes(noisy) == []
    exact = check_md_document(md_doc(1e-6, 1e-8, com_break=1.02, L_se_frac=0.001))
    flag = next(f for f in exact.physics_flags if f.code == "com_constraint_violated")
    assert flag.z > 3
    # without errors, the published 0.2 rule applies
    assert codes(check_md_document(md_doc(1e-6, 1e-8, com_break=1.02))) == []
    assert ("com_constraint_violated", None) in codes(
        check_md_document(md_doc(1e-6, 1e-8, com_break=1.5)))


def test_md_msd_floor_reuses_the_analysis_diffusive_check():
    assert codes(check_md_document(md_doc(1e-6, 1e-8))) == []
    flags = check_md_document(md_doc(1e-6, 1e-8, diffusive=False)).physics_flags
    assert [(f.code, f.species, f.ratio) for f in flags] == [("not_diffusive", "Ba", 0.4)]


def test_md_d_falling_with_t_is_flagged_beyond_three_combined_errors():
    cold, hot = md_doc(2e-5, 1e-7, 1500.0), md_doc(1e-5, 1e-7, 1750.0)
    flags = monotonic_flags([cold, hot])
    assert list(flags) == [1]
    assert flags[1][0].code == "D_falls_with_T" and flags[1][0].z > 3
    # the same fall with errors of 5e-6: 1.4 combined sigma, not flagged
    assert monotonic_flags([md_doc(2e-5, 5e-6, 1500.0), md_doc(1e-5, 5e-6, 1750.0)]) == {}
    # the read-time variant on stored records
    records = [{**d.model_dump(mode="json"), "group_id": d.key()} for d in (cold, hot)]
    assert monotonic_flags_for_records(records[1:], records)[0][0]["species"] == "Ba"
    assert monotonic_flags_for_records(records[:1], records) == [[]]


# -- the explicit correction ---------------------------------------------------------------------
def test_time_axis_factor_divides_every_coefficient_and_is_recorded():
    doc = md_doc(1e-5, 1e-7)
    corrected = apply_time_axis_factor(doc, 8.0)
    assert np.allclose(corrected.matrix("L"), doc.matrix("L") / 8.0)
    assert corrected.L_self == pytest.approx([v / 8.0 for v in doc.L_self])
    assert corrected.D_self_cm2_s["Ba"] == pytest.approx(1e-5 / 8.0)
    assert corrected.correlation_factor == doc.correlation_factor
    assert corrected.provenance.method["time_axis_factor"] == 8.0
    assert any("time-axis correction" in a for a in corrected.assumptions)
    from ionflux.errors import InputError

    for bad in (0.0, -2.0, math.inf):
        with pytest.raises(InputError):
            apply_time_axis_factor(doc, bad)


# -- the bundled published sets ------------------------------------------------------------------
@pytest.fixture(scope="module")
def ba_ti_o():
    from ionflux.thermo.data import ThermoData
    from ionflux.transport.published import load_published

    # the bundled thermo data, whatever a fetched cache may hold
    return load_published("Ba-Ti-O", thermo=ThermoData.bundled("Ba-Ti-O"))


def test_bundled_ba_ti_o_numbers_the_issue_reports(ba_ti_o):
    by_key = {d.key(): d for d in ba_ti_o}
    ti_rich = ["BaTiO3", "BaTi2O5", "BaTi4O9", "BaTi5O11", "BaTi6O13", "Ba2Ti9O20",
               "Ba4Ti13O30", "Ba6Ti17O40"]
    ratios = []
    for phase in ti_rich:
        doc = by_key[f"{phase}@1750K"]
        flag = next(f for f in doc.physics_flags
                    if f.code == "above_free_particle_bound" and f.species == "Ba")
        ratios.append(flag.ratio)
        assert flag.limit == pytest.approx(1.06e-4, rel=2e-3)
    # unrounded crystal-density atom counts: 1.79-5.45x (whole formula units: 1.9-6.0x)
    assert min(ratios) == pytest.approx(1.79, abs=0.01)
    assert max(ratios) == pytest.approx(5.45, abs=0.01)
    # no Ba-rich melt at 1750 K is above the bound
    for phase in ("Ba2TiO4", "Ba3TiO5"):
        assert not [f for f in by_key[f"{phase}@1750K"].physics_flags
                    if f.code == "above_free_particle_bound"]
    s = summary(ba_ti_o)
    assert s["n_documents"] == 55 and s["n_bound_checked"] == 50  # Ba4TiO6: no crystal volume
    assert s["com_residual_median"] == pytest.approx(0.37, abs=0.005)
    assert s["flags"]["above_free_particle_bound"]["documents"] == 15
    assert s["flags"]["above_free_particle_bound"]["count"] == 23
    assert s["flags"]["com_constraint_violated"]["documents"] == 50
    # D falls with T only where it sits at a noise floor: Ba-rich melts
    falls = {(d.formula, f.species) for d in ba_ti_o for f in d.physics_flags
             if f.code == "D_falls_with_T"}
    assert len([f for d in ba_ti_o for f in d.physics_flags if f.code == "D_falls_with_T"]) == 6
    assert {formula for formula, _ in falls} == {"Ba2TiO4", "Ba3TiO5"}
    assert "not_diffusive" not in s["flags"]
    # the evidence of the issue is in every record's provenance
    notes = ba_ti_o[0].provenance.physics_checks["notes"]
    assert any("XDATCAR" in n for n in notes)
    text = "\n".join(summary_lines(ba_ti_o))
    assert "above_free_particle_bound" in text and "median 0.37" in text


def test_bundled_numbers_are_unchanged_by_the_checks(ba_ti_o):
    import json
    from importlib import resources

    raw = json.loads((resources.files("ionflux") / "data" / "ba-ti-o"
                      / "transport_tensors_ace_md.json").read_text())
    first = raw[0]
    doc = next(d for d in ba_ti_o if d.provenance.method["record_index"] == 0)
    order = [first["mapping"][s] for s in doc.species]
    L = np.array(first["L_tensor"])[np.ix_(order, order)]
    assert np.array_equal(doc.matrix("L"), L)
    assert "time_axis_factor" not in doc.provenance.method


def test_bundled_li_ti_o_com_residual_and_falls_without_an_atom_count():
    from ionflux.transport.published import load_published

    docs = load_published("Li-Ti-O")
    s = summary(docs)
    assert s["n_documents"] == 28
    assert s["com_residual_median"] == pytest.approx(0.48, abs=0.005)
    # D proportional to L_self x T at a fixed crystal density: the same falls either way
    li4tio4 = next(d for d in docs if d.key() == "Li4TiO4@1750K")
    assert {f.species for f in li4tio4.physics_flags if f.code == "D_falls_with_T"} == \
        {"Ti", "O"}
