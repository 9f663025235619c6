"""MPContribs contributions: one per (composition, temperature, data source).

Layout (docs/publishing.md):

- ``identifier``: the reduced formula (the phase is amorphous: it is a composition, not the
  crystal an mp-id stands for); ``mpid`` names the Materials Project material of that
  composition where the bundled thermo data has one, as a link.
- ``data``: flat scalar columns only for what people filter on: ``T``, ``source``, ``D.<El>``
  per diffusive element, ``Kd.value`` (K_D) with ``Kd.precursors``, the ``quality.*`` flags, the
  ``method.*`` metadata, and our bookkeeping ``ionflux.*`` (key and fingerprint for updates).
  Nothing scales with element pairs, so the project's column count grows by one per element.
  No key reads as a formula: ``Kd`` (K_D), not ``KD`` (potassium deuteride); element pairs
  appear only as table rows ``Ba.O``.
- ``tables`` (:mod:`ionflux.publish.tables`): the L matrix with its errors, D and correlation
  factors per element, bond counts, K_D per precursor pair, correlation functions.
- ``structures``: a representative cell of the same source (never one from another source).

Quantities are strings ``"<value> <unit>"`` (MPContribs parses them with pint). Keys use
letters and digits only: the MPContribs server refuses punctuation other than ``*`` in keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ionflux.publish import tables as tbl
from ionflux.storage.documents import fingerprint as hash_parts

#: Units of the data columns (pint syntax that MPContribs' registry accepts).
UNIT_D = tbl.UNIT_D
UNIT_KD = tbl.UNIT_KD
UNIT_T = "K"
UNIT_INTERVAL = "fs"
UNIT_LENGTH = "ps"
UNIT_NONE = ""  # dimensionless quantity

#: Data sources a contribution can hold (one each): MD runs analysed by ionflux, imported
#: published tensors, and the bundled classical melt-quenched cells (structure only).
SOURCES = {"md": "MD trajectories analysed by ionflux",
           "published": "published Onsager tensors",
           "meltquench": "classical melt-quenched cells bundled with ionflux"}

#: The ``method.*`` metadata: key -> unit (None for text).
METHOD_FIELDS: dict[str, str | None] = {
    "potential": None, "engine": None, "atoms": UNIT_NONE, "interval": UNIT_INTERVAL,
    "length": UNIT_LENGTH, "estimator": None, "reference": None, "D": None}


@dataclass
class GroupData:
    """Everything published about one (composition, temperature, data source).

    ``method`` holds the metadata of the run (keys of :data:`METHOD_FIELDS`: potential,
    engine, atoms, interval in fs, length in ps, estimator, reference); unknown ones are left
    out. ``transport`` is None for a structure-only source."""

    key: str  # formula@TK
    transport: Any  # TransportDoc | None
    source: str  # a key of SOURCES
    input_fingerprint: str
    kd: list[Any] = field(default_factory=list)  # KDDoc
    bonds: Any = None  # BondCountDoc | None
    structure: Any = None  # pymatgen Structure | None
    notes: list[str] = field(default_factory=list)
    method: dict[str, Any] = field(default_factory=dict)
    mp_id: str | None = None
    formula: str = ""
    temperature_K: float = math.nan

    def __post_init__(self) -> None:
        if self.transport is not None:
            self.formula = self.formula or self.transport.formula
            if math.isnan(self.temperature_K):
                self.temperature_K = float(self.transport.temperature_K)
        if self.source not in SOURCES:
            raise ValueError(f"unknown data source {self.source!r} (one of {sorted(SOURCES)})")


@dataclass
class Contribution:
    """A contribution ready for MPContribs plus our bookkeeping."""

    key: str
    identifier: str
    fingerprint: str
    data: dict[str, Any]  # flat, dot-separated paths -> str | int | float
    columns: dict[str, str | None]  # path -> unit (None for text)
    tables: list[Any] = field(default_factory=list)  # pandas DataFrames with attrs
    structures: list[Any] = field(default_factory=list)  # pymatgen Structures
    source: str = ""

    def payload(self, project: str) -> dict[str, Any]:
        """The dict ``mpcontribs.client.Client.submit_contributions`` takes (nested data).

        Empty components are left out: the client refuses ``"tables": []``."""
        out: dict[str, Any] = {"project": project, "identifier": self.identifier,
                               "data": nest(self.data)}
        if self.tables:
            out["tables"] = list(self.tables)
        if self.structures:
            out["structures"] = list(self.structures)
        return out

    def as_json(self, project: str) -> dict[str, Any]:
        """The payload as JSON: tables in the form the MPContribs client sends them
        (``Table.as_dict``), structures as pymatgen dicts."""
        from ionflux.publish.client import client_module

        mc = client_module()
        out = self.payload(project)
        sent = []
        for frame in self.tables:
            table = mc.Table(frame.copy())
            table.attrs = dict(frame.attrs)
            sent.append(table.as_dict())
        out["tables"] = sent
        out["structures"] = [s.as_dict() for s in self.structures]
        return jsonable(out)


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers and tuples as lists (json.dumps-ready)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{'a.b': 1} -> {'a': {'b': 1}}."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def quantity(value: float, unit: str) -> str:
    """``"<value> <unit>"`` with 6 significant digits (dimensionless: the number alone)."""
    text = f"{value:.6g}"
    return f"{text} {unit}" if unit else text


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Builder:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.columns: dict[str, str | None] = {}

    def text(self, path: str, value: str) -> None:
        self.data[path] = value
        self.columns[path] = None

    def number(self, path: str, value: Any, unit: str) -> None:
        """A quantity at ``path``; nothing when the value is unknown or not finite."""
        if not _finite(value):
            return
        self.data[path] = quantity(float(value), unit)
        self.columns[path] = unit


def flag_text(flag: Any) -> str:
    """``code species ratio`` of a physics flag, e.g. ``above_free_particle_bound Ba 3.1x``."""
    parts = [flag.code] + ([flag.species] if flag.species else [])
    if flag.ratio is not None and math.isfinite(flag.ratio):
        parts.append(f"{flag.ratio:.3g}x")
    return " ".join(parts)


def diffusion(group: GroupData) -> tuple[dict[str, float], dict[str, float], str | None]:
    """D per element (cm^2/s), its standard errors and how it was obtained.

    MD: the self-diffusion fitted by the analysis. Published tensors store L_self, not D: D is
    the one the physics checks derive with a crystal-density atom count (a lower bound)."""
    doc = group.transport
    if doc is None:
        return {}, {}, None
    measured = {el: v for el, v in doc.D_self_cm2_s.items() if _finite(v)}
    if measured:
        errors = {el: v for el, v in (doc.D_self_cm2_s_stderr or {}).items() if _finite(v)}
        return measured, errors, "self-diffusion fitted to the MSD of each element"
    derived = (doc.provenance.physics_checks or {}).get("D_cm2_s") or {}
    derived = {el: v for el, v in derived.items() if _finite(v)}
    if derived:
        return derived, {}, ("from the published L_self with a crystal-density atom count: a "
                             "lower bound, as a melt is less dense than its crystal")
    return {}, {}, None


def _quality(b: _Builder, doc: Any) -> dict[str, bool]:
    """The ``quality.*`` columns; returns which species are diffusive."""
    if doc is None:
        b.text("quality.status", "structure only")
        return {}
    flags = list(doc.physics_flags)
    stuck = sorted({f.species for f in flags if f.code == "not_diffusive" and f.species})
    failed = sorted(name for name, check in doc.quality.items() if not check.passed)
    b.text("quality.status", "flagged" if flags or failed else "ok")
    b.text("quality.nondiffusive", " ".join(stuck) or "none")
    b.text("quality.flags", "; ".join(flag_text(f) for f in flags) or "none")
    b.text("quality.checks", "; ".join(failed) or "none")
    return {el: el not in stuck for el in doc.species}


def build_contribution(group: GroupData) -> Contribution:
    """The MPContribs contribution of one group (pure: no I/O)."""
    from ionflux import __version__

    doc = group.transport
    b = _Builder()
    b.number("T", group.temperature_K, UNIT_T)
    b.text("source", group.source)
    if group.mp_id:
        b.text("mpid", group.mp_id)
    diffusive = _quality(b, doc)
    D, D_err, D_basis = diffusion(group)
    for el in (doc.species if doc is not None else []):
        if diffusive[el]:  # no D for a species that does not move (flagged instead)
            b.number(f"D.{el}", D.get(el), UNIT_D)
    kds = sorted(group.kd, key=lambda k: tuple(k.precursors))
    if kds:
        b.number("Kd.value", kds[0].K_D_cm2_s, UNIT_KD)
        b.text("Kd.precursors", " + ".join(kds[0].precursors))
    method = dict(group.method)
    if D_basis and any(k.startswith("D.") for k in b.data):
        method["D"] = D_basis
    for name, unit in METHOD_FIELDS.items():
        value = method.get(name)
        if value is None or value == "":
            continue
        if unit is None:
            b.text(f"method.{name}", str(value))
        else:
            b.number(f"method.{name}", value, unit)
    key = f"{group.key}:{group.source}"
    b.text("ionflux.key", key)
    b.text("ionflux.version", __version__)

    tables = []
    if doc is not None:
        tables += [tbl.element_table(doc, D, D_err, diffusive, key),
                   tbl.onsager_table(doc, key)]
    if kds:
        tables.append(tbl.kd_table(kds, key))
    if group.bonds is not None:
        tables.append(tbl.bond_table(group.bonds, key))
    if doc is not None:
        tables += [t for t in [tbl.correlation_table(doc, key)] if t is not None]
    structures = []
    if group.structure is not None:
        structure = group.structure.copy()
        structure.name = (  # type: ignore[attr-defined]
            f"{group.formula} amorphous, {group.temperature_K:g} K ({group.source})")
        structures.append(structure)
    # the fingerprint covers what we send, so unchanged data is never re-sent
    fp = hash_parts("mpcontribs", b.data,
                    [t.to_json(orient="split") for t in tables],
                    [s.as_dict() for s in structures])
    # "fp" prefix: an all-digit hex string would be read as a number by the server
    b.text("ionflux.fingerprint", f"fp{fp[:32]}")
    return Contribution(key=key, identifier=group.formula, fingerprint=f"fp{fp[:32]}",
                        data=b.data, columns=b.columns, tables=tables, structures=structures,
                        source=group.source)


def project_columns(contributions: Sequence[Contribution]) -> dict[str, str | None]:
    """Union of the contributions' columns, in first-seen order, plus the component columns."""
    columns: dict[str, str | None] = {}
    for c in contributions:
        for path, unit in c.columns.items():
            columns.setdefault(path, unit)
    if any(c.tables for c in contributions):
        columns["tables"] = None
    if any(c.structures for c in contributions):
        columns["structures"] = None
    return columns
