"""MPContribs contributions of (phase, temperature) transport aggregates.

One contribution per group: identifier = reduced formula (MPContribs links compositions to MP),
free-form ``data`` with units, the correlation functions as tables, and a representative
amorphous structure. Quantities are strings ``"<value> <unit>"`` (MPContribs parses them with
pint); standard errors sit beside the estimates as ``<name>.mean`` / ``<name>.stderr`` and are
left out where the source has none (the published tensor sets carry no errors). Data keys are
alphanumeric because the MPContribs server rejects punctuation (``_``, ``-``) in keys.

Modelling choice, stated here and in every contribution (``ionflux.note``): the MPContribs
identifier is the formula, so one project holds several temperatures per identifier and must
not be configured with unique identifiers; our own key (``ionflux.key``, e.g. ``BaTiO3@1500K``)
and fingerprint (``ionflux.fingerprint``) identify a contribution for updates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ionflux.pipeline.documents import fingerprint as hash_parts

#: Units of every quantity we publish (pint syntax that MPContribs' registry accepts).
UNIT_D = "cm**2/s"
UNIT_L = "1/(eV*cm*s)"
UNIT_KD = "cm**2/s"
UNIT_T = "K"
UNIT_NONE = ""  # dimensionless quantity


@dataclass
class GroupData:
    """Everything published about one (phase, temperature) group."""

    key: str
    transport: Any  # TransportDoc
    source: str  # "md" | "published"
    input_fingerprint: str
    kd: list[Any] = field(default_factory=list)  # KDDoc
    bonds: Any = None  # BondCountDoc | None
    structure: Any = None  # pymatgen Structure | None
    notes: list[str] = field(default_factory=list)


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

    def number(self, path: str, value: Any, unit: str, stderr: Any = None) -> None:
        """Estimate at ``path.mean`` and, when known, its standard error at ``path.stderr``."""
        if not _finite(value):
            return
        self.data[f"{path}.mean"] = quantity(float(value), unit)
        self.columns[f"{path}.mean"] = unit
        if _finite(stderr):
            self.data[f"{path}.stderr"] = quantity(float(stderr), unit)
            self.columns[f"{path}.stderr"] = unit


def _pair_key(a: str, b: str) -> str:
    return f"{a}{b}"


def correlation_table(transport: Any) -> Any:
    """The correlation functions of a transport document as a pandas DataFrame (Å^2 vs fs)."""
    import pandas as pd

    curves = transport.correlation_functions
    if curves is None:
        return None
    columns = {f"MSD self {el}": values for el, values in curves.msd_self_A2.items()}
    columns.update({f"collective {pair.replace('|', '-')}": values
                    for pair, values in curves.collective_A2.items()})
    frame = pd.DataFrame(columns, index=pd.Index(curves.lag_fs, name="lag [fs]"))
    frame.columns.name = "correlation"
    frame.attrs = {"name": "correlation functions",
                   "title": f"{transport.key()}: MSDs and collective correlations",
                   "labels": {"index": "lag [fs]", "value": "<dR.dR> [Å²]",
                              "variable": "correlation"}}
    return frame


def _flag_text(flag: Any) -> str:
    """``code species ratio`` of a physics flag, e.g. ``above_free_particle_bound Ba 3.1x``."""
    parts = [flag.code] + ([flag.species] if flag.species else [])
    if flag.ratio is not None and math.isfinite(flag.ratio):
        parts.append(f"{flag.ratio:.3g}x")
    return " ".join(parts)


def build_contribution(group: GroupData) -> Contribution:
    """The MPContribs contribution of one group (pure: no I/O)."""
    from ionflux import __version__

    doc = group.transport
    b = _Builder()
    b.text("formula", doc.formula)
    b.data["temperature"] = quantity(float(doc.temperature_K), UNIT_T)
    b.columns["temperature"] = UNIT_T
    b.text("source", "MD replicates (ionflux)" if group.source == "md"
           else "published Onsager tensors")
    species = list(doc.species)
    for el in species:
        b.number(f"D.{el}", doc.D_self_cm2_s.get(el),
                 UNIT_D, (doc.D_self_cm2_s_stderr or {}).get(el))
        b.number(f"f.{el}", doc.correlation_factor.get(el), UNIT_NONE,
                 (doc.correlation_factor_stderr or {}).get(el))
    for i, a in enumerate(species):
        for j in range(i, len(species)):
            err = doc.L_stderr[i][j] if doc.L_stderr is not None else None
            b.number(f"L.{_pair_key(a, species[j])}", doc.L[i][j], UNIT_L, err)
    if group.bonds is not None:
        for pair in group.bonds.pairs.values():
            b.number(f"bonds.{_pair_key(pair.center, pair.neighbor)}", pair.mean, UNIT_NONE,
                     pair.stderr)
    for kd in sorted(group.kd, key=lambda k: tuple(k.precursors)):
        pair = _pair_key(*kd.precursors)
        b.text(f"KD.{pair}.precursors", " + ".join(kd.precursors))
        b.number(f"KD.{pair}.full", kd.K_D_cm2_s, UNIT_KD, kd.K_D_stderr_cm2_s)
        b.number(f"KD.{pair}.self", kd.K_D_self_cm2_s, UNIT_KD, kd.K_D_self_stderr_cm2_s)
    # physics checks (ionflux.transport.physics_checks): count and one line per flag
    b.data["physics.nflags"] = quantity(float(len(doc.physics_flags)), UNIT_NONE)
    b.columns["physics.nflags"] = UNIT_NONE
    if doc.physics_flags:
        b.text("physics.flags", "; ".join(_flag_text(f) for f in doc.physics_flags))
    b.text("ionflux.key", group.key)
    b.text("ionflux.version", __version__)
    b.text("ionflux.note", "identifier = formula; one contribution per (phase, temperature); "
                           "standard errors where the source has them")
    tables = [t for t in [correlation_table(doc)] if t is not None]
    structures = []
    if group.structure is not None:
        structure = group.structure.copy()
        structure.name = f"{doc.formula} amorphous (representative)"  # type: ignore[attr-defined]
        structures.append(structure)
    # the fingerprint covers what we send, so unchanged data is never re-sent
    fp = hash_parts("mpcontribs", b.data,
                    [t.to_json(orient="split") for t in tables],
                    [s.as_dict() for s in structures])
    # "fp" prefix: an all-digit hex string would be read as a number by the server
    b.text("ionflux.fingerprint", f"fp{fp[:32]}")
    return Contribution(key=group.key, identifier=doc.formula, fingerprint=f"fp{fp[:32]}",
                        data=b.data, columns=b.columns, tables=tables, structures=structures)


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
