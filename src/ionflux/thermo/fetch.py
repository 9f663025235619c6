"""Download Materials Project thermodynamics for a chemical system into the local cache.

``fetch_thermo("Ba-Ti-O")`` asks the Materials Project (mp-api, needs ``MP_API_KEY``) for the
GGA/GGA+U entries of the system, turns them into the bundled file layout (phase-diagram formation
enthalpy per atom, volume per atom, energy above hull) and writes
``$IONFLUX_CACHE_DIR/thermo/<elements>.json`` atomically: the file is written under a temporary
name in the same directory and renamed into place only after everything succeeded, so an
interrupted or failed fetch never leaves a half-written cache.

Elemental reference energies come from pymatgen's ``g_els.json`` (FactSage; identical to the
bundled Ba-Ti-O table), NIST-JANAF G_f(T) from the bundled tables for the compounds they cover,
melting points from the bundled data of the same system when there is one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from pymatgen.core import Composition

from ionflux.errors import DataNotFoundError, InputError, StoreError
from ionflux.thermo.data import (
    CELLS_KEY,
    ELEMENTS_KEY,
    MELTING_KEY,
    NIST_KEY,
    POWDER_VOLUME_KEY,
    ThermoData,
    ThermoSource,
    thermo_cache_path,
)
from ionflux.thermo.system import parse_system

#: Environment variable holding the Materials Project API key.
API_KEY_ENV = "MP_API_KEY"


def _default_rester(api_key: str) -> Any:
    try:
        from mp_api.client import MPRester
    except ImportError:
        raise InputError("`ionflux thermo fetch` needs the mp-api package "
                         "(pip install 'ionflux[mp]')") from None
    return MPRester(api_key=api_key, mute_progress_bars=True)


def _bundled_tables() -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]],
                              dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """NIST-JANAF, melting-point, powder-volume and experimental-cell tables of every bundled
    thermo file."""
    nist: dict[str, dict[str, float]] = {}
    melting: dict[str, dict[str, float]] = {}
    powder: dict[str, dict[str, Any]] = {}
    cells: dict[str, dict[str, Any]] = {}
    root = resources.files("ionflux") / "data"
    for folder in root.iterdir():
        thermo = folder / "thermo.json"
        if folder.is_dir() and thermo.is_file():
            data = json.loads(thermo.read_bytes())
            nist.update(data.get(NIST_KEY, {}))
            melting[folder.name] = data.get(MELTING_KEY, {})
            powder.update(data.get(POWDER_VOLUME_KEY, {}))
            cells.update(data.get(CELLS_KEY, {}))
    return nist, melting, powder, cells


def _elemental_references() -> dict[str, dict[str, float]]:
    path = resources.files("pymatgen.analysis.compatibility") / "data" / "g_els.json"
    return json.loads(path.read_bytes())


def entries_to_thermo_dict(entries: list, elements: list[str]) -> dict[str, Any]:
    """Bundled-layout dict from pymatgen ComputedStructureEntry objects of one system.

    Formation enthalpies are taken from a pymatgen PhaseDiagram of exactly these entries
    (MP's "phase-diagram formation enthalpy").
    """
    from pymatgen.analysis.phase_diagram import PhaseDiagram

    system = "-".join(elements)
    entries = [e for e in entries if {el.symbol for el in e.composition.elements} <= set(elements)]
    present = {e.composition.elements[0].symbol for e in entries if e.composition.is_element}
    missing = sorted(set(elements) - present)
    if missing:
        raise DataNotFoundError(f"the Materials Project returned no elemental entry for "
                                f"{', '.join(missing)} in {system}")
    pd = PhaseDiagram(entries)
    rows = []
    for entry in entries:
        structure = getattr(entry, "structure", None)
        volume = (structure.volume / len(structure)) if structure is not None else None
        material_id = (entry.data or {}).get("material_id") or entry.entry_id
        rows.append({
            "formula": entry.composition.reduced_formula,
            "material_id": str(material_id) if material_id is not None else None,
            "composition": {el.symbol: float(n) for el, n in entry.composition.items()},
            "formation_enthalpy_per_atom": float(pd.get_form_energy_per_atom(entry)),
            "volume_per_atom": volume,
            "e_above_hull_300K": None,
            "e_above_hull_0K": float(pd.get_e_above_hull(entry)),
            "source": "Materials Project (mp-api), GGA/GGA+U",
        })
    nist, melting_by_folder, powder, cells = _bundled_tables()
    rows, dropped = one_entry_per_formula(rows, cells)
    folder = "-".join(sorted(e.lower() for e in elements))
    melting = next((table for name, table in melting_by_folder.items()
                    if sorted(name.split("-")) == folder.split("-")), {})
    return {
        "system": system,
        "source_label": "Materials Project GGA(+U) via mp-api + Bartel SISSO; FactSage elemental "
                        "references (pymatgen g_els.json); NIST-JANAF (bundled)",
        "fetched_at": datetime.now(UTC).isoformat(),
        "entries": rows,
        NIST_KEY: nist,
        ELEMENTS_KEY: _elemental_references(),
        MELTING_KEY: melting,
        POWDER_VOLUME_KEY: {f: v for f, v in powder.items()
                            if {el.symbol for el in Composition(f).elements} <= set(elements)},
        CELLS_KEY: {f: v for f, v in cells.items()
                    if {el.symbol for el in Composition(f).elements} <= set(elements)},
        "replaced_entries": dropped,
    }


#: A computed entry matches an experimental cell when its volume is within this fraction of
#: the cell's volume times the median GGA/experiment ratio (1.038 on the bundled data).
MATCH_TOLERANCE = 0.15
GGA_VOLUME_RATIO = 1.038


def one_entry_per_formula(rows: list[dict[str, Any]], cells: dict[str, dict[str, Any]]
                          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Keep one entry per reduced formula (SCIENCE.md §4), and list the dropped ones.

    Where a bundled experimental cell exists, the observed polymorph is taken to be the
    lowest-enthalpy entry whose volume is within MATCH_TOLERANCE of the cell (times the GGA
    ratio), marked ``observed``; otherwise, or when none matches, the 0 K ground state (never
    the lowest G at some temperature: Bartel's descriptor rewards open structures).
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["formula"], []).append(row)
    kept, dropped = [], []
    for formula, group in groups.items():
        cell = cells.get(formula)
        matching = []
        if cell is not None:
            target = cell["volume_per_atom_A3"] * GGA_VOLUME_RATIO
            matching = [r for r in group if r["volume_per_atom"] is not None
                        and abs(r["volume_per_atom"] / target - 1) <= MATCH_TOLERANCE]
        chosen = min(matching or group, key=lambda r: r["formation_enthalpy_per_atom"])
        kept.append({**chosen, "observed": True, "polymorph": f"matches the "
                     f"{cell['polymorph']} cell ({cell['space_group']})"} if matching else chosen)
        why = (f"not the entry matching the observed {cell['polymorph']} cell" if matching
               else "not the 0 K ground state of its formula")
        dropped += [{"material_id": r["material_id"], "formula": formula,
                     "formation_enthalpy_per_atom": r["formation_enthalpy_per_atom"],
                     "volume_per_atom": r["volume_per_atom"],
                     "replaced_by": chosen["material_id"], "why": why}
                    for r in group if r is not chosen]
    return kept, dropped


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp", delete=False, encoding="utf-8")
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def fetch_thermo(system: str, api_key: str | None = None, *,
                 rester_factory: Callable[[str], Any] | None = None,
                 path: Path | None = None) -> tuple[ThermoData, Path]:
    """Fetch ``system`` from the Materials Project and cache it; returns the data and the path.

    ``rester_factory(api_key)`` must return a context manager with ``get_entries_in_chemsys``
    (mp-api's ``MPRester``; tests pass a stub). Missing key -> InputError, network or API failure
    -> StoreError; in both cases nothing is written.
    """
    elements = parse_system(system)
    key = api_key or os.environ.get(API_KEY_ENV)
    if not key:
        raise InputError(f"{API_KEY_ENV} is not set: `ionflux thermo fetch` needs a Materials "
                         "Project API key (https://next-gen.materialsproject.org/api)")
    factory = rester_factory or _default_rester
    try:
        with factory(key) as rester:
            entries = list(rester.get_entries_in_chemsys(
                elements, additional_criteria={"thermo_types": ["GGA_GGA+U"]}))
    except InputError:
        raise
    except Exception as exc:  # network, HTTP and API errors all mean "could not fetch"
        first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        raise StoreError(f"cannot fetch {system} from the Materials Project: "
                         f"{exc.__class__.__name__}: {first[:200]}") from None
    if not entries:
        raise DataNotFoundError(f"the Materials Project returned no entries for {system}")
    data = entries_to_thermo_dict(entries, elements)
    target = path or thermo_cache_path(system)
    # Validate before writing so a cache file is always loadable.
    ThermoData.from_dict(data, system=system,
                         source=ThermoSource(label=data["source_label"], path=str(target)))
    try:
        write_atomically(target, json.dumps(data, indent=1))
    except OSError as exc:
        raise StoreError(f"cannot write the thermo cache {target}: {exc.strerror or exc}") from None
    return ThermoData.from_file(target, system=system), target
