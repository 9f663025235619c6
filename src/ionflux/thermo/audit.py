"""Checks of a thermodynamic data set against the rule of SCIENCE.md §4 (pure functions).

Each composition must be represented by its observed polymorph with that polymorph's own
computed enthalpy and volume, in G_f(T) (Bartel's descriptor turns volume into free energy) and
in the automaton's cell counts. A data file breaks the rule when, for a composition,

* it has two or more entries (which one is meant is then a guess),
* its entry is marked as not observed, or names a space group other than the experimental
  cell's,
* its volume per atom is more than ``VOLUME_TOLERANCE`` (15 %) off the experimental cell: GGA
  overestimates oxide volumes by a few per cent (median 3.8 % over the bundled Ba-Ti-O cells),
  so 15 % means another structure or a broken calculation,
* or its cell counts use a different structure (a powder molar volume) than its G_f(T).

:func:`audit_thermo` returns the volume table and the findings; ``ThermoData`` warns with each
finding when a file is loaded, naming the entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

#: Largest accepted |V_entry / V_experiment - 1|.
VOLUME_TOLERANCE = 0.15


class ThermoDataWarning(UserWarning):
    """A thermodynamic data file breaks the observed-polymorph rule of SCIENCE.md §4."""


class ExperimentalCell(BaseModel):
    """A published crystal cell of the observed polymorph of one composition."""

    polymorph: str
    space_group: str | None = None
    lattice_A_deg: list[float] | None = Field(None, description="a, b, c (Å), alpha, beta, "
                                                                "gamma (degrees)")
    Z: int | None = Field(None, description="formula units per cell")
    volume_per_atom_A3: float = Field(gt=0)
    reference: str
    status: Literal["found", "unverified"] = Field(
        "found", description="'found': read from a source; 'unverified': literature value not yet "
                             "checked against the original paper")


class VolumeCheck(BaseModel):
    """One entry's volume against the experimental cell of its composition."""

    formula: str
    material_id: str | None
    volume_per_atom_A3: float
    experimental_volume_per_atom_A3: float
    ratio: float = Field(description="V_entry / V_experiment")
    cell_status: str
    reference: str


class ThermoFinding(BaseModel):
    """One breach of the rule, naming the entry."""

    formula: str
    material_id: str | None = None
    kind: Literal["duplicate", "not-observed", "volume", "powder-volume"]
    message: str


def audit_thermo(entries: Sequence, cells: Mapping[str, ExperimentalCell],
                 powder_volumes: Mapping[str, object] | None = None
                 ) -> tuple[list[VolumeCheck], list[ThermoFinding]]:
    """Volume table and rule breaches of ``entries`` (``ThermoEntry`` objects) given ``cells``.

    Only compounds are audited (elements have no polymorph question here).
    """
    groups: dict[str, list] = {}
    for entry in entries:
        if len(entry.composition) > 1:
            groups.setdefault(entry.reduced_formula, []).append(entry)
    checks: list[VolumeCheck] = []
    findings: list[ThermoFinding] = []
    for formula, group in sorted(groups.items()):
        if len(group) > 1:
            ids = ", ".join(str(e.material_id) for e in group)
            findings.append(ThermoFinding(
                formula=formula, kind="duplicate",
                message=f"{formula}: {len(group)} entries ({ids}); a composition needs exactly "
                        "one, its observed polymorph (SCIENCE.md §4)"))
        cell = cells.get(formula)
        for entry in group:
            name = f"{formula} ({entry.material_id or 'no id'})"
            sg = getattr(entry, "polymorph", None)
            if getattr(entry, "observed", None) is False or (
                    cell is not None and cell.space_group and sg
                    and cell.space_group.split()[0] not in sg):
                findings.append(ThermoFinding(
                    formula=formula, material_id=entry.material_id, kind="not-observed",
                    message=f"{name} is not the observed polymorph"
                            + (f" ({cell.polymorph}, {cell.space_group})" if cell else "")))
            if cell is None or entry.volume_per_atom is None:
                continue
            ratio = entry.volume_per_atom / cell.volume_per_atom_A3
            checks.append(VolumeCheck(
                formula=formula, material_id=entry.material_id,
                volume_per_atom_A3=entry.volume_per_atom,
                experimental_volume_per_atom_A3=cell.volume_per_atom_A3, ratio=ratio,
                cell_status=cell.status, reference=cell.reference))
            if abs(ratio - 1) > VOLUME_TOLERANCE:
                findings.append(ThermoFinding(
                    formula=formula, material_id=entry.material_id, kind="volume",
                    message=f"{name}: volume {entry.volume_per_atom:.2f} Å^3/atom is "
                            f"{100 * (ratio - 1):+.0f} % off the experimental {cell.polymorph} "
                            f"cell ({cell.volume_per_atom_A3:.2f}); more than "
                            f"{100 * VOLUME_TOLERANCE:.0f} % means another structure"))
    for formula in sorted(powder_volumes or {}):
        findings.append(ThermoFinding(
            formula=formula, kind="powder-volume",
            message=f"{formula}: the cell counts use a powder molar volume while G_f(T) uses the "
                    "computed entry's volume; one structure should serve both (SCIENCE.md §4)"))
    return checks, findings
