"""The project's column count: one column per element plus a fixed set, whatever the number
of systems, pairs or temperatures; all bundled data plus a synthetic 20-system database of 45
elements stays well under MPContribs' 160-column limit (the amorphous diffusivity database it
is meant for spans 79 elements)."""

from __future__ import annotations

import pytest

from ionflux.publish import GroupData, build_contribution, project_columns, validate

#: 40 cations (none of the bundled Ba, Ti, Li) and 5 anions: 20 ternary systems.
CATIONS = ["Na", "K", "Rb", "Cs", "Be", "Mg", "Ca", "Sr", "Sc", "Y", "La", "Ce", "Zr", "Hf",
           "V", "Nb", "Ta", "Cr", "Mo", "W", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Cd", "Al",
           "Ga", "In", "Ge", "Sn", "Pb", "Bi", "Sb", "B", "Si", "Ag", "Nd", "Gd"]
ANIONS = ["O", "S", "F", "Cl", "N"]
#: Data columns every transport contribution can have besides D per element: T, source,
#: mpid, 4 quality, 2 K_D, 8 method, 3 bookkeeping; plus the tables and structures columns.
FIXED_COLUMNS = 20 + 2


def synthetic_groups(template) -> list[GroupData]:
    """20 MD groups A B X3 at 1500 K (no pair of systems shares an element but the anion)."""
    groups = []
    for k in range(20):
        species = [CATIONS[2 * k], CATIONS[2 * k + 1], ANIONS[k % len(ANIONS)]]
        formula = f"{species[0]}{species[1]}{species[2]}3"
        doc = template.model_copy(update={
            "formula": formula, "species": species, "composition": None,
            "D_self_cm2_s": {el: 1e-5 * (i + 1) for i, el in enumerate(species)},
            "D_self_cm2_s_stderr": {el: 1e-7 for el in species},
            "correlation_factor": {el: 0.1 for el in species},
            "correlation_factor_stderr": None, "physics_flags": [], "quality": {}})
        groups.append(GroupData(key=f"{formula}@1500K", transport=doc, source="md",
                                input_fingerprint=formula,
                                method={"potential": "synthetic", "engine": "none",
                                        "atoms": 100, "interval": 10.0, "length": 100.0,
                                        "estimator": "synthetic", "reference": "none"}))
    return groups


def test_columns_of_all_bundled_data_and_20_more_systems(published_docs):
    from mpcontribs.client import MAX_COLUMNS

    from ionflux.publish.sources import bundled_groups

    # the cells are not read (slow); their structures column is counted below
    bundled = [build_contribution(g) for g in bundled_groups(bonds=False, structures=False)]
    assert {c.source for c in bundled} == {"published", "meltquench"}
    assert len(bundled) == 55 + 28 + 11  # Ba-Ti-O and Li-Ti-O tensors, 11 cells
    synthetic = [build_contribution(g) for g in synthetic_groups(published_docs[0])]
    columns = project_columns(bundled + synthetic)
    columns["structures"] = None
    elements = {p[2:] for p in columns if p.startswith("D.")}
    # Li has a D only where Li-Ti-O thermo data gives the atom count (fetched or bundled)
    assert elements - {"Li"} == {"Ba", "Ti", "O"} | set(CATIONS) | set(ANIONS)
    # nothing but D grows with the database: one column per element, a fixed set besides
    assert len(columns) == FIXED_COLUMNS + len(elements) <= 22 + 48
    assert len(project_columns(bundled)) == FIXED_COLUMNS - 1 + len(elements - set(CATIONS)
                                                                    - set(ANIONS) | {"O"})
    # the 79 elements of the amorphous diffusivity database would need 101 of 160
    assert FIXED_COLUMNS + 79 <= 0.65 * MAX_COLUMNS
    report = validate(synthetic, "ionflux_test")
    assert report.ok, report.errors
    # no structures, mpid or K_D in the synthetic systems
    assert report.n_columns == FIXED_COLUMNS - 4 + len(set(CATIONS) | set(ANIONS))


@pytest.mark.parametrize("n_temperatures", [1, 5])
def test_columns_do_not_grow_with_temperatures(published_docs, n_temperatures):
    docs = [d for d in published_docs if d.formula == "BaTiO3"][:n_temperatures]
    groups = [GroupData(key=d.key(), transport=d, source="published", input_fingerprint="x")
              for d in docs]
    columns = project_columns([build_contribution(g) for g in groups])
    assert sorted(p for p in columns if p.startswith("D.")) == ["D.Ba", "D.O", "D.Ti"]
    assert sorted(columns) == sorted([
        "T", "source", "D.Ba", "D.Ti", "D.O", "quality.status", "quality.nondiffusive",
        "quality.flags", "quality.checks", "method.D", "ionflux.key", "ionflux.version",
        "ionflux.fingerprint", "tables"])
