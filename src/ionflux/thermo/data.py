"""Gibbs formation energies G_f(T) of the phases of a chemical system (SCIENCE.md §4).

For a solid with reduced formula of ``n`` atoms and atom fractions ``x_el``:

    G_f(T)/n = dH_f + G_delta(v, m_red, T) - sum_el x_el mu_el(T)        [eV/atom]

``dH_f`` is the Materials Project phase-diagram formation enthalpy per atom, ``G_delta`` is
Bartel's descriptor (:mod:`ionflux.thermo.bartel`) and ``mu_el(T)`` the FactSage elemental
reference energies. Elements have G_f = 0.

One consistent source for every solid by default (SCIENCE.md §4): mixing experimental NIST-JANAF
binaries with computed ternaries shifts every reaction energy by the binaries' DFT error (TiO2:
0.12-0.18 eV/atom here), more than the differences between competing ternaries. With
``prefer_experimental=True`` (opt-in, ``--nist`` in the CLI) compounds with NIST-JANAF data
(BaO, TiO2, TiO, Ti2O3, Ti3O5 in Ba-Ti-O) use the experimental G_f(T) instead; documents record
which source was used.

Temperatures: the tables are on a 100 K grid (300-2000 K). Between grid points ``mu_el(T)`` and
the NIST-JANAF G_f(T) are interpolated linearly in T (the same rule as pymatgen's
``GibbsComputedStructureEntry``; G(T) has slope -S and small curvature -Cp/T, so the error over
100 K is below ~1 meV/atom). Bartel's G_delta is analytic in T (fitted on 300-1800 K data).
Above the grid, ``mu_el(T)`` alone is continued linearly from its last two grid points, at most
``MU_EXTRAPOLATION_K`` (250 K) beyond them, so that the shipped demo melts (2250 K) reach K_D:
the linear continuation keeps the last segment's slope -S and drops the curvature -Cp/T; on the
FactSage table that costs at most 10 meV/atom at +250 K (Ti 29 meV/atom: it melts at 1941 K,
inside the last segment), and the references cancel in every reaction between condensed phases
and in every chemical-potential difference. NIST-JANAF tables are never extrapolated. Further
out, or below the grid: :class:`~ionflux.errors.DataNotFoundError`.

Polymorphs (SCIENCE.md §4): each composition is represented by its observed polymorph, with
that polymorph's own enthalpy and volume, in G_f(T) and in the automaton's cell counts. When a
file has several entries for a formula, an entry marked ``observed`` is used, else the one with
the lowest formation enthalpy per atom (the 0 K ground state), never the lowest G at some
temperature (Bartel's descriptor rewards open computed structures); ``polymorph_notes`` says
which. Loading a file audits it (:mod:`ionflux.thermo.audit`): duplicates, entries that are not
the observed polymorph and volumes more than 15 % off the experimental cell are warned about
(:class:`~ionflux.thermo.audit.ThermoDataWarning`) and listed in :meth:`ThermoData.describe`.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import warnings
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ionflux.errors import DataNotFoundError, InputError
from ionflux.formula import Composition
from ionflux.thermo.audit import ExperimentalCell, ThermoDataWarning, audit_thermo
from ionflux.thermo.bartel import bartel_g_delta_eV_per_atom, bartel_reduced_mass_amu
from ionflux.thermo.system import parse_system, reduced_formula, system_key

#: Keys of the bundled/cached JSON files (see src/ionflux/data/PROVENANCE.md).
NIST_KEY = "nist_janaf_gibbs_formation_eV_per_formula_unit"
ELEMENTS_KEY = "factsage_elemental_chemical_potentials_eV_per_atom"
MELTING_KEY = "melting_points_K_ml_estimates_reactca"
#: Measured (or stated-rule) melting points, used where a file has them (Li-Ti-O).
MELTING_LITERATURE_KEY = "melting_points_K_literature"
POWDER_VOLUME_KEY = "powder_molar_volumes_A3_per_formula_unit"
CELLS_KEY = "experimental_cells"

#: How far (K) above its last grid point mu_el(T) is continued linearly (module docstring).
MU_EXTRAPOLATION_K = 250.0

#: Environment variable that overrides the cache directory (default ~/.cache/ionflux).
CACHE_ENV = "IONFLUX_CACHE_DIR"


class ThermoEntry(BaseModel):
    """One computed phase: MP formation enthalpy and volume (per atom)."""

    model_config = ConfigDict(extra="ignore")

    formula: str
    material_id: str | None = None
    composition: dict[str, float]
    formation_enthalpy_per_atom: float = Field(description="eV/atom")
    volume_per_atom: float | None = Field(None, description="Å^3/atom")
    e_above_hull_300K: float | None = None
    polymorph: str | None = Field(None, description="structure name and space group")
    observed: bool | None = Field(None, description="whether this is the observed polymorph "
                                                    "(None: not stated)")
    source: str | None = None

    @property
    def reduced_formula(self) -> str:
        return Composition(self.composition).reduced_formula


class PowderVolume(BaseModel):
    """Molar volume (Å^3 per reduced formula unit) of the polymorph used in practice."""

    value_A3: float = Field(gt=0)
    source: str


class ThermoSource(BaseModel):
    """Where a thermodynamic data set came from."""

    label: str
    path: str | None = None
    sha256: str | None = None


class ThermoData(BaseModel):
    """Thermodynamic data of one chemical system and the G_f(T) it implies.

    Construct with :meth:`bundled`, :meth:`cached`, :meth:`load` or :meth:`from_file`.
    """

    model_config = ConfigDict(frozen=True)

    system: str
    elements: list[str]
    entries: list[ThermoEntry]
    nist_janaf_G_eV_per_fu: dict[str, dict[str, float]] = Field(default_factory=dict)
    elemental_mu_eV_per_atom: dict[str, dict[str, float]] = Field(
        description="temperature (K, as string) -> element -> mu_el(T), eV/atom")
    melting_points_K: dict[str, float] = Field(default_factory=dict)
    powder_molar_volumes: dict[str, PowderVolume] = Field(
        default_factory=dict, description="molar volumes of the polymorph used as a powder in "
                                          "practice, where the computed entry is another one")
    experimental_cells: dict[str, ExperimentalCell] = Field(
        default_factory=dict, description="published cell of each composition's observed "
                                          "polymorph (for the volume audit)")
    prefer_experimental: bool = False
    source: ThermoSource

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_dict(cls, data: dict[str, Any], system: str | None = None,
                  source: ThermoSource | None = None,
                  prefer_experimental: bool = False) -> ThermoData:
        """Build from the JSON layout of ``data/<system>/thermo.json`` (also used by the cache).

        With ``system``, entries outside that system are dropped (a bundled Ba-Ti-O file can serve
        Ba-O). Without it, the system is the set of elements of the entries.
        """
        try:
            raw_entries = [ThermoEntry.model_validate(e) for e in data["entries"]]
            elemental = {str(int(float(t))): {str(k): float(v) for k, v in row.items()}
                         for t, row in data[ELEMENTS_KEY].items()}
        except (KeyError, TypeError, ValueError) as exc:
            where = source.path if source and source.path else "thermo data"
            raise InputError(f"{where}: not a thermo data file ({exc.__class__.__name__}: "
                             f"{str(exc).splitlines()[0]})") from None
        all_elements = sorted({el for e in raw_entries for el in e.composition})
        elements = parse_system(system) if system else all_elements
        keep = set(elements)
        if not keep <= set(all_elements):
            missing = sorted(keep - set(all_elements))
            raise DataNotFoundError(f"thermo data has no entries containing {', '.join(missing)} "
                                    f"(needed for {system})")
        entries = [e for e in raw_entries if set(e.composition) <= keep]

        def in_system(formula: str) -> bool:
            try:
                return {el.symbol for el in Composition(formula).elements} <= keep
            except Exception:
                return False

        nist = {reduced_formula(f): {str(int(float(t))): float(g) for t, g in table.items()}
                for f, table in data.get(NIST_KEY, {}).items() if in_system(f)}
        melting_tables = {**data.get(MELTING_KEY, {}), **data.get(MELTING_LITERATURE_KEY, {})}
        melting = {reduced_formula(f): float(tm) for f, tm in melting_tables.items()
                   if in_system(f)}
        try:
            powder = {reduced_formula(f): PowderVolume.model_validate(v)
                      for f, v in data.get(POWDER_VOLUME_KEY, {}).items() if in_system(f)}
            cells = {reduced_formula(f): ExperimentalCell.model_validate(v)
                     for f, v in data.get(CELLS_KEY, {}).items() if in_system(f)}
        except ValueError as exc:
            raise InputError(f"thermo data: bad {POWDER_VOLUME_KEY} or {CELLS_KEY} "
                             f"({str(exc).splitlines()[0]})") from None
        name = system if system else "-".join(elements)
        thermo = cls(system=name, elements=elements, entries=entries,
                     nist_janaf_G_eV_per_fu=nist, elemental_mu_eV_per_atom=elemental,
                     melting_points_K=melting, powder_molar_volumes=powder,
                     experimental_cells=cells, prefer_experimental=prefer_experimental,
                     source=source or ThermoSource(label="python"))
        where = thermo.source.path or thermo.source.label
        for finding in thermo.audit_findings:
            warnings.warn(f"{where}: {finding.message}", ThermoDataWarning, stacklevel=2)
        return thermo

    @classmethod
    def from_file(cls, path: str | Path, system: str | None = None,
                  prefer_experimental: bool = False) -> ThermoData:
        """Load a thermo JSON file (bundled layout or a cache written by ``thermo fetch``)."""
        path = Path(path)
        try:
            raw = path.read_bytes()
            data = json.loads(raw)
        except FileNotFoundError:
            raise DataNotFoundError(f"thermo data file {path} does not exist") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: cannot read thermo data ({exc})") from None
        label = data.get("source_label", "thermo file") if isinstance(data, dict) else "file"
        source = ThermoSource(label=label, path=str(path),
                              sha256=hashlib.sha256(raw).hexdigest())
        return cls.from_dict(data, system=system or data.get("system"), source=source,
                             prefer_experimental=prefer_experimental)

    @classmethod
    def bundled(cls, system: str = "Ba-Ti-O", prefer_experimental: bool = False) -> ThermoData:
        """Thermo data shipped with ionflux for ``system`` (or a bundled superset of it)."""
        wanted = set(parse_system(system))
        root = resources.files("ionflux") / "data"
        for folder in sorted(root.iterdir(), key=lambda p: p.name):
            if not folder.is_dir():
                continue
            try:
                folder_elements = set(parse_system(folder.name.title()))
            except InputError:
                continue
            thermo = folder / "thermo.json"
            if wanted <= folder_elements and thermo.is_file():
                raw = thermo.read_bytes()
                source = ThermoSource(
                    label="bundled: Materials Project GGA(+U) + Bartel SISSO, NIST-JANAF, "
                          "FactSage elemental references",
                    path=f"ionflux/data/{folder.name}/thermo.json",
                    sha256=hashlib.sha256(raw).hexdigest())
                return cls.from_dict(json.loads(raw), system=system, source=source,
                                     prefer_experimental=prefer_experimental)
        raise DataNotFoundError(f"no bundled thermo data for {system}; fetch it with "
                                f"`ionflux thermo fetch {system}` (needs MP_API_KEY)")

    @classmethod
    def cached(cls, system: str, prefer_experimental: bool = False) -> ThermoData:
        """Thermo data written by ``ionflux thermo fetch SYSTEM``."""
        path = thermo_cache_path(system)
        if not path.is_file():
            raise DataNotFoundError(f"no cached thermo data for {system} at {path}; run "
                                    f"`ionflux thermo fetch {system}` first")
        return cls.from_file(path, system=system, prefer_experimental=prefer_experimental)

    @classmethod
    def load(cls, system: str, prefer_experimental: bool = False) -> ThermoData:
        """Cached (fetched) data for ``system`` if present, else the bundled data."""
        if thermo_cache_path(system).is_file():
            return cls.cached(system, prefer_experimental=prefer_experimental)
        return cls.bundled(system, prefer_experimental=prefer_experimental)

    # ---------------------------------------------------------------- lookups
    @cached_property
    def _selected(self) -> dict[str, ThermoEntry]:
        groups: dict[str, list[ThermoEntry]] = {}
        for entry in self.entries:
            groups.setdefault(entry.reduced_formula, []).append(entry)
        # observed polymorph first, then the 0 K ground state; never the lowest G(T)
        return {f: min(g, key=lambda e: (e.observed is not True, e.formation_enthalpy_per_atom))
                for f, g in groups.items()}

    @cached_property
    def _audit(self) -> tuple[list, list]:
        return audit_thermo(self.entries, self.experimental_cells, self.powder_molar_volumes)

    @property
    def volume_audit(self) -> list:
        """Each entry's volume against its experimental cell (``VolumeCheck`` rows)."""
        return self._audit[0]

    @property
    def audit_findings(self) -> list:
        """Breaches of the observed-polymorph rule (``ThermoFinding`` rows, naming the entry)."""
        return self._audit[1]

    @cached_property
    def polymorph_notes(self) -> list[str]:
        """One line per formula with several entries: which one is used and why."""
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.reduced_formula] = counts.get(entry.reduced_formula, 0) + 1
        return [f"{f}: {n} entries, using {self._selected[f].material_id} ("
                + ("marked observed" if self._selected[f].observed else
                   "lowest formation enthalpy per atom") + ") at every temperature"
                for f, n in sorted(counts.items()) if n > 1]

    @cached_property
    def _grid_K(self) -> list[float]:
        return sorted(float(t) for t in self.elemental_mu_eV_per_atom)

    @property
    def temperature_range_K(self) -> tuple[float, float]:
        """Lowest and highest temperature (K) with G_f(T): the elemental reference table's grid,
        its top extended by ``MU_EXTRAPOLATION_K`` (module docstring)."""
        return self._grid_K[0], self._grid_K[-1] + MU_EXTRAPOLATION_K

    @property
    def formulas(self) -> list[str]:
        """Reduced formulas of every phase with data (computed entries and NIST-JANAF)."""
        names = set(self._selected)
        if self.prefer_experimental:
            names |= set(self.nist_janaf_G_eV_per_fu)
        return sorted(names, key=lambda f: (len(Composition(f).elements), f))

    def _key(self, formula: str) -> str:
        key = reduced_formula(formula, self.elements, self.system)
        if key not in self._selected and not (
                self.prefer_experimental and key in self.nist_janaf_G_eV_per_fu):
            raise DataNotFoundError(f"no thermodynamic data for phase {formula!r} in the "
                                    f"{self.system} data ({self.source.label.split(':')[0]})")
        return key

    def composition(self, formula: str) -> Composition:
        """Composition of one reduced formula unit of ``formula``."""
        return Composition(self._key(formula)).reduced_composition

    def entry(self, formula: str) -> ThermoEntry | None:
        """The computed (MP) entry used for ``formula``; None for NIST-only phases."""
        return self._selected.get(self._key(formula))

    def gibbs_source(self, formula: str) -> str:
        """'element', 'NIST-JANAF' or 'MP+Bartel': where G_f(T) of ``formula`` comes from."""
        key = self._key(formula)
        if Composition(key).is_element:
            return "element"
        if self.prefer_experimental and key in self.nist_janaf_G_eV_per_fu:
            return "NIST-JANAF"
        return "MP+Bartel"

    def volume_per_atom_A3(self, formula: str) -> float:
        """Volume per atom (Å^3) of the computed entry used for ``formula``."""
        entry = self.entry(formula)
        if entry is None or entry.volume_per_atom is None:
            raise DataNotFoundError(f"no volume for phase {formula!r} in the {self.system} "
                                    "thermo data")
        return float(entry.volume_per_atom)

    def powder_molar_volume_A3(self, formula: str) -> tuple[float, str]:
        """Volume per reduced formula unit (Å^3) of ``formula`` as a powder, and its source.

        The polymorph used in practice where the data names one (TiO2: rutile), else the
        computed entry's volume. Only the automaton's cell counts use it: Bartel's G_delta keeps
        the computed entry's own volume, the structure its energy belongs to.
        """
        key = self._key(formula)
        if key in self.powder_molar_volumes:
            item = self.powder_molar_volumes[key]
            return item.value_A3, item.source
        entry = self.entry(key)
        atoms = Composition(key).num_atoms
        where = entry.material_id if entry is not None and entry.material_id else "entry"
        if entry is not None and entry.polymorph:
            where += f", {entry.polymorph}"
        return self.volume_per_atom_A3(key) * atoms, f"computed entry {where}"

    def melting_point_K(self, formula: str) -> float | None:
        """Melting-point estimate (K), or None when the data set has none for ``formula``."""
        key = self._key(formula)
        value = self.melting_points_K.get(key)
        return None if value is None else float(value)

    # ---------------------------------------------------------------- energies
    def check_temperature(self, temperature_K: float) -> float:
        """Return ``temperature_K`` as float, or raise if it is outside the tabulated range."""
        t = float(temperature_K)
        lo, hi = self.temperature_range_K
        if not lo <= t <= hi:
            raise DataNotFoundError(f"temperature {t:g} K is outside the thermodynamic data "
                                    f"range {lo:g}-{hi:g} K of {self.system}")
        return t

    def _interp(self, table: dict[str, float], temperature_K: float, what: str,
                extrapolate_K: float = 0.0) -> float:
        """``table`` at ``temperature_K``, linear between grid points; linear beyond the last
        one for at most ``extrapolate_K``."""
        grid = sorted((float(t), v) for t, v in table.items())
        temps = [t for t, _ in grid]
        t = temperature_K
        if not temps[0] <= t <= temps[-1] + extrapolate_K:
            raise DataNotFoundError(f"temperature {t:g} K is outside the {what} table "
                                    f"({temps[0]:g}-{temps[-1]:g} K)")
        if t > temps[-1]:
            (t0, v0), (t1, v1) = grid[-2], grid[-1]
            return float(v1 + (v1 - v0) * (t - t1) / (t1 - t0))
        i = bisect.bisect_left(temps, t)
        if temps[i] == t:
            return float(grid[i][1])
        (t0, v0), (t1, v1) = grid[i - 1], grid[i]
        return float(v0 + (v1 - v0) * (t - t0) / (t1 - t0))

    def elemental_mu_eV(self, element: str, temperature_K: float) -> float:
        """FactSage reference energy mu_el(T) of ``element`` (eV/atom), interpolated in T."""
        t = self.check_temperature(temperature_K)
        table = {k: row[element] for k, row in self.elemental_mu_eV_per_atom.items()
                 if element in row}
        if len(table) != len(self.elemental_mu_eV_per_atom):
            raise DataNotFoundError(f"no elemental reference energy for {element} in the "
                                    f"{self.system} thermo data")
        return self._interp(table, t, f"{element} reference-energy",
                            extrapolate_K=MU_EXTRAPOLATION_K)

    def g_delta_eV_per_atom(self, formula: str, temperature_K: float) -> float:
        """Bartel's G_delta(T) (eV/atom) for the computed entry of ``formula``."""
        t = self.check_temperature(temperature_K)
        comp = self.composition(formula)
        return bartel_g_delta_eV_per_atom(self.volume_per_atom_A3(formula),
                                          bartel_reduced_mass_amu(comp), t)

    def gibbs_formation_energy_per_atom(self, formula: str, temperature_K: float) -> float:
        """G_f(T) of ``formula`` in eV/atom (see the module docstring for the recipe)."""
        t = self.check_temperature(temperature_K)
        key = self._key(formula)
        comp = Composition(key)
        source = self.gibbs_source(key)
        if source == "element":
            return 0.0
        if source == "NIST-JANAF":
            g_fu = self._interp(self.nist_janaf_G_eV_per_fu[key], t, f"NIST-JANAF {key}")
            return g_fu / comp.num_atoms
        entry = self._selected[key]
        mu_sum = sum(comp.get_atomic_fraction(el) * self.elemental_mu_eV(el.symbol, t)
                     for el in comp.elements)
        return entry.formation_enthalpy_per_atom + self.g_delta_eV_per_atom(key, t) - mu_sum

    def entries_at(self, temperature_K: float) -> list:
        """pymatgen ``ComputedEntry`` per phase at T: one reduced formula unit, energy G_f (eV).

        Elements have energy 0, so the entries are directly usable in ``PhaseDiagram`` and
        ``ChemicalPotentialDiagram`` (formal chemical potentials relative to the elements at T).
        """
        from pymatgen.core import Composition as PmgComposition
        from pymatgen.entries.computed_entries import ComputedEntry

        t = self.check_temperature(temperature_K)
        out = []
        for formula in self.formulas:
            comp = PmgComposition(formula).reduced_composition
            g = self.gibbs_formation_energy_per_atom(formula, t)
            source = self.gibbs_source(formula)
            selected = self._selected.get(formula)
            entry_id = (f"NIST-JANAF:{formula}" if source == "NIST-JANAF" or selected is None
                        else selected.material_id or formula)
            out.append(ComputedEntry(comp, g * comp.num_atoms, entry_id=entry_id,
                                     data={"formula": formula, "gibbs_source": source,
                                           "temperature_K": t}))
        return out

    def describe(self) -> dict[str, Any]:
        """Provenance summary for documents that used this data."""
        return {"system": self.system, "source": self.source.model_dump(),
                "prefer_experimental": self.prefer_experimental,
                "gibbs_source": ("NIST-JANAF where available, MP + Bartel otherwise"
                                 if self.prefer_experimental else "MP + Bartel for every solid"),
                "powder_molar_volumes": {f: v.model_dump()
                                         for f, v in self.powder_molar_volumes.items()},
                "polymorph_notes": self.polymorph_notes,
                "audit_findings": [f.message for f in self.audit_findings]}

    def to_json_dict(self) -> dict[str, Any]:
        """The file layout read by :meth:`from_dict` (used for the fetch cache)."""
        return {
            "system": self.system,
            "source_label": self.source.label,
            "entries": [e.model_dump() for e in self.entries],
            NIST_KEY: self.nist_janaf_G_eV_per_fu,
            ELEMENTS_KEY: self.elemental_mu_eV_per_atom,
            MELTING_KEY: self.melting_points_K,
            POWDER_VOLUME_KEY: {f: v.model_dump() for f, v in self.powder_molar_volumes.items()},
            CELLS_KEY: {f: v.model_dump() for f, v in self.experimental_cells.items()},
        }


def cache_dir() -> Path:
    """Directory for downloaded data: $IONFLUX_CACHE_DIR or ~/.cache/ionflux."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "ionflux"


def thermo_cache_path(system: str) -> Path:
    """Where ``ionflux thermo fetch SYSTEM`` stores its data (elements sorted in the name)."""
    return cache_dir() / "thermo" / f"{system_key(parse_system(system))}.json"
