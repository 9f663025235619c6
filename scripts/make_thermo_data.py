"""Rebuild the bundled Ba-Ti-O thermo data's observed-polymorph entries and experimental cells.

SCIENCE.md §4: each composition is represented by its observed polymorph, with that polymorph's
own computed enthalpy AND volume, in G_f(T) and in the automaton's cell counts. This script
applies that rule to ``src/ionflux/data/ba-ti-o/thermo.json`` (idempotent) and records every
replaced value with its provenance in the file itself (``replaced_entries``) and in
``src/ionflux/data/PROVENANCE.md``.

TiO2. The source files held mp-2420244, a computed polymorph of 17.08 Å^3/atom that is not
observed (rutile ~10.4, anatase ~11.4 Å^3/atom from their lattices). It is replaced by rutile,
mp-2657, the polymorph stable over the whole 1000-1700 K range of the recipes:

* volume: 10.711 Å^3/atom, the relaxed GGA cell of mp-2657 (materialsproject/pymatgen
  ``test_files/TiO2_entries.json``, commit 6b94b25e; 2.9 % above the experimental cell);
* formation enthalpy on the bundled MP2020 GGA(+U) scale: -3.4650 eV/atom, from that entry's
  uncorrected PBE energy (-8.936632 eV/atom), the 2023 MP GGA elemental references (Ti mp-72
  -7.895492, O mp-723285 -4.946689 eV/atom; janosh/matbench-discovery
  ``data/mp/2023-02-07-mp-elemental-reference-entries.json.gz``) and the MP2020 oxide
  correction (-0.687 eV per O, pymatgen's ``MP2020Compatibility.yaml``). No public record gives
  mp-2657 on exactly this scale; a second estimate, anatase's API value (-3.5081) plus the
  rutile - anatase PBE difference of the same legacy calculations (+0.0307 eV/atom), gives
  -3.4774. Both give the same hull at every temperature (TiO2 is an end member of the
  BaO-TiO2 line); scripts/bench_fidelity.py shows the recipes with both.

Experimental cells (``experimental_cells``): lattice, Z and reference of each observed compound,
so that ``ionflux thermo audit`` can compare every entry's volume with its cell. ``status`` says
whether the numbers were read from a source ("found") or are literature values not yet checked
against the original paper ("unverified"); unverified cells are audited but named as such.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "src/ionflux/data/ba-ti-o/thermo.json"

RUTILE = {
    "formula": "TiO2", "material_id": "mp-2657", "composition": {"Ti": 2.0, "O": 4.0},
    "formation_enthalpy_per_atom": -3.4650, "volume_per_atom": 10.711,
    "e_above_hull_300K": None, "polymorph": "rutile, P4_2/mnm (136)", "observed": True,
    "source": "mp-2657 relaxed GGA cell (materialsproject/pymatgen test file TiO2_entries.json, "
              "commit 6b94b25e); enthalpy on the MP2020 GGA(+U) scale from its uncorrected "
              "energy, 2023 MP elemental references and the MP2020 oxide correction "
              "(scripts/make_thermo_data.py)",
}

REPLACED = [{
    "material_id": "mp-2420244", "formula": "TiO2", "formation_enthalpy_per_atom": -3.4915613,
    "volume_per_atom": 17.0789, "replaced_by": "mp-2657 (rutile)",
    "why": "not an observed polymorph; 64 % above rutile's experimental cell; kept by a 300 K "
           "Gibbs filter because Bartel's descriptor rewards its open volume (SCIENCE.md §4)",
    "source": "rxn-ca tests/integration/batio_enumeration.json",
}]


def cell_volume(a: float, b: float, c: float, alpha: float, beta: float, gamma: float) -> float:
    """Volume (Å^3) of a cell from its lattice parameters (Å, degrees)."""
    ca, cb, cg = (math.cos(math.radians(x)) for x in (alpha, beta, gamma))
    return a * b * c * math.sqrt(1 - ca ** 2 - cb ** 2 - cg ** 2 + 2 * ca * cb * cg)


# formula: (polymorph, space group, (a, b, c, alpha, beta, gamma), Z, reference, status)
CELLS = {
    "BaO": ("rock salt", "Fm-3m (225)", (5.523, 5.523, 5.523, 90, 90, 90), 4,
            "Wyckoff, Crystal Structures, 2nd ed. (1963); COD 9008599", "found"),
    "TiO2": ("rutile", "P4_2/mnm (136)", (4.5937, 4.5937, 2.9587, 90, 90, 90), 2,
             "Abrahams & Bernstein, J. Chem. Phys. 55, 3206 (1971); Meagher & Lager, Can. "
             "Mineral. 17, 77 (1979), COD 9004141, agrees to 0.02 %", "found"),
    "Ba2Ti9O20": ("triclinic", "P-1 (2)", (7.471, 14.081, 14.344, 89.94, 79.43, 84.45), 4,
                  "Hofmeister, Baur & Tillmanns (1983), doi:10.1002/chin.198328003 "
                  "(V = 1.476 nm^3, Z = 4)", "found"),
    "BaTiO3": ("tetragonal (room temperature)", "P4mm (99)",
               (3.9925, 3.9925, 4.0365, 90, 90, 90), 1,
               "Kwei, Lawson, Billinge & Cheong, J. Phys. Chem. 97, 2368 (1993)", "unverified"),
    "Ba2TiO4": ("beta (room temperature)", "P2_1/n (14)", (6.12, 7.70, 10.54, 90, 92.99, 90), 4,
                "Wu & Brown, Acta Cryst. B29, 2009 (1973)", "unverified"),
    "BaTi2O5": ("monoclinic", "C2 (5)", (16.9, 3.933, 9.412, 90, 103.11, 90), 6,
                "Kimura et al., Acta Cryst. C59, i128 (2003)", "unverified"),
    "BaTi4O9": ("orthorhombic", "Pmmn (59)", (14.53, 3.79, 6.29, 90, 90, 90), 2,
                "Templeton & Dauben, J. Chem. Phys. 32, 1515 (1960)", "unverified"),
    "BaTi5O11": ("monoclinic", "P2_1/n (14)", (7.652, 14.007, 7.522, 90, 98.53, 90), 4,
                 "Tillmanns, Acta Cryst. B30, 2894 (1974)", "unverified"),
    "Ba4Ti13O30": ("orthorhombic", "Cmca (64)", (17.06, 9.86, 14.05, 90, 90, 90), 4,
                   "Tillmanns, Inorg. Nucl. Chem. Lett. 7, 1169 (1971)", "unverified"),
    "Ba6Ti17O40": ("monoclinic", "C2/c (15)", (9.89, 17.117, 18.933, 90, 98.66, 90), 4,
                   "Tillmanns et al.", "unverified"),
    "Ti2O3": ("corundum", "R-3c (167)", (5.157, 5.157, 13.613, 90, 90, 120), 6,
              "Rice & Robinson, Acta Cryst. B33, 1342 (1977)", "unverified"),
    "Ti3O5": ("beta (room temperature)", "C2/m (12)", (9.752, 3.802, 9.442, 90, 91.55, 90), 4,
              "Onoda, J. Solid State Chem. 136, 67 (1998)", "unverified"),
    "Ti5O9": ("Magneli n = 5", "P-1 (2)", (5.569, 7.12, 8.865, 97.55, 112.34, 108.5), 2,
              "Marezio, Tranqui, Lakkis & Schlenker, Phys. Rev. B 16, 2811 (1977)",
              "unverified"),
    "TiO": ("monoclinic ordered (Ti5O5 type)", "C2/m (12)", (5.855, 9.34, 4.142, 90, 107.53, 90),
            10, "Watanabe, Castles, Jostsons & Malin, Acta Cryst. 23, 307 (1967)", "unverified"),
}

ATOMS_PER_FU = {"BaO": 2, "TiO2": 3, "Ba2Ti9O20": 31, "BaTiO3": 5, "Ba2TiO4": 7, "BaTi2O5": 8,
                "BaTi4O9": 14, "BaTi5O11": 17, "Ba4Ti13O30": 47, "Ba6Ti17O40": 63,
                "Ti2O3": 5, "Ti3O5": 8, "Ti5O9": 14, "TiO": 2}


def experimental_cells() -> dict[str, dict]:
    out = {}
    for formula, (polymorph, group, lattice, z, reference, status) in CELLS.items():
        volume = cell_volume(*lattice)
        out[formula] = {"polymorph": polymorph, "space_group": group,
                        "lattice_A_deg": list(lattice), "Z": z,
                        "volume_per_atom_A3": round(volume / z / ATOMS_PER_FU[formula], 4),
                        "reference": reference, "status": status}
    return out


def main() -> None:
    data = json.loads(DATA.read_text())
    data["entries"] = [e for e in data["entries"] if e["formula"] != "TiO2"] + [RUTILE]
    data["entries"].sort(key=lambda e: e["formula"])
    data["replaced_entries"] = REPLACED
    data.pop("powder_molar_volumes_A3_per_formula_unit", None)
    data["experimental_cells"] = experimental_cells()
    DATA.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {DATA}")


if __name__ == "__main__":
    main()
