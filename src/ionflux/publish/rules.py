"""Offline validation of contributions with MPContribs' own rules.

Limits, the unit registry and the digest of components come from ``mpcontribs.client`` itself
(MAX_COLUMNS, MAX_NESTING, MAX_ELEMS, MAX_BYTES, its pint ``ureg``, ``get_md5``); the rules the
server applies to ``data`` are restated from its validator: keys without punctuation (``*``
allowed) or spaces, no lists, at most 7 levels, quantities as exactly two words ``value unit``.
Tables are checked for what a reader needs: a name, a pint unit in every numeric header,
unique rows, finite numbers, and a shape that matches the identifier's elements (one row per
element, one per pair i <= j of the Onsager matrix). One data source per contribution.
Everything a dry run can check without a server is checked here; what needs the server (the
project exists, the key is valid, the project's existing columns) is checked by a real run
before anything is sent.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ionflux.publish.client import client_module
from ionflux.publish.payload import SOURCES, Contribution, project_columns
from ionflux.publish.tables import ELEMENTS, ONSAGER

#: Characters the MPContribs server rejects in data keys.
INVALID_KEY_CHARS = frozenset(string.punctuation.replace("*", "")) | {" "}
#: Nesting depth the server allows (its ``max_depth``, = the client's MAX_NESTING + 2).
SERVER_MAX_DEPTH = 7
_MP_ID = re.compile(r"^mp-\d+$")
_FORMULA = re.compile(r"^([A-Z][a-z]?(\d+(\.\d+)?)?)+$")


@dataclass
class ValidationReport:
    """Problems found, per contribution key ('' for the project as a whole)."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    n_columns: int = 0
    max_nesting: int = 0
    max_compressed_bytes: int = 0
    structures: int = 0
    tables: int = 0

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_unit(unit: str | None) -> str | None:
    """None when ``unit`` is acceptable to MPContribs (text column, dimensionless or a unit of
    its registry without spaces), else the reason."""
    if unit is None or unit == "":
        return None
    mc = client_module()
    if unit.lower() == "nan":
        return f"unit {unit!r} is NaN"
    if any(ch.isspace() for ch in unit):
        return f"unit {unit!r} contains spaces (a quantity must be two words: value unit)"
    try:
        mc.ureg.Unit(unit)
    except Exception as exc:  # pint raises several types for unknown or malformed units
        return f"unit {unit!r} not in MPContribs' unit registry ({type(exc).__name__})"
    return None


def check_key(path: str) -> str | None:
    for part in path.split("."):
        if not part:
            return f"empty key in {path!r}"
        bad = sorted(set(part) & INVALID_KEY_CHARS)
        if bad:
            return f"key {part!r} of {path!r} has characters MPContribs rejects: {''.join(bad)}"
    return None


def check_identifier(identifier: str) -> str | None:
    """Identifiers must be an MP id or a composition (MPContribs links both to MP)."""
    if not isinstance(identifier, str) or not identifier.strip():
        return "empty identifier"
    if _MP_ID.match(identifier):
        return None
    from ionflux.storage.documents import reduced_formula

    try:
        if not _FORMULA.match(identifier):
            raise ValueError(identifier)
        reduced_formula(identifier)
    except ValueError:
        return f"identifier {identifier!r} is neither an MP id nor a formula"
    return None


def check_value(path: str, value: Any, unit: str | None) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return f"{path}: value of type {type(value).__name__} not supported (str, int, float)"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{path}: non-finite number"
    words = str(value).split()
    if unit is None:
        # the server turns "number" and "number word" strings into quantities
        if isinstance(value, str) and (len(words) in (1, 2) and _is_float(words[0])):
            return f"{path}: text {value!r} would be read as a number by MPContribs"
        return None
    expected = 1 if unit == "" else 2
    if len(words) != expected:
        return f"{path}: quantity {value!r} must be {'a number' if expected == 1 else 'value unit'}"
    try:
        number = float(words[0])
    except ValueError:
        return f"{path}: {words[0]!r} is not a number"
    if not math.isfinite(number):
        return f"{path}: non-finite number"
    if expected == 2 and words[1] != unit:
        return f"{path}: unit {words[1]!r} differs from the column's {unit!r}"
    return None


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def component_md5(component: str, element: Any) -> str:
    """The digest MPContribs uses to detect duplicate structures and tables."""
    mc = client_module()
    if component == "structures":
        dct = element.as_dict()
        for key in ("@module", "@class", "properties"):
            dct.pop(key, None)
        if not dct.get("charge"):
            dct.pop("charge", None)
    else:
        table = mc.Table(element.copy())
        table.attrs = dict(element.attrs)
        table._clean()
        dct = table.to_dict(orient="split")
    return mc.get_md5(dct)


def compressed_size(contribution: Contribution, project: str) -> int:
    """Bytes of the gzip-compressed JSON the client sends for this contribution."""
    return client_module()._compress(contribution.as_json(project))[0]


_HEADER = re.compile(r"^(?P<name>.+) \[(?P<unit>[^\[\]]*)\]$")


def check_table(table: Any, elements: set[str]) -> list[str]:
    """Problems of one table: a name, unique non-empty rows and headers, a pint unit in the
    header of every numeric column, finite numbers, and rows that name only ``elements``
    (element rows ``El``, pair rows ``El.El`` or ``El.*``)."""
    import numpy as np

    name = table.attrs.get("name")
    where = f"table {name!r}"
    problems = [] if name else ["a table without a name"]
    if table.empty:
        return [*problems, f"{where} is empty"]
    if not table.index.is_unique:
        problems.append(f"{where}: rows repeat")
    if not table.columns.is_unique:
        problems.append(f"{where}: column headers repeat")
    for head in table.columns:
        numbers = [float(v) for v in table[head]
                   if isinstance(v, int | float | np.number) and not isinstance(v, bool)]
        if not numbers:
            continue  # a text column
        found = _HEADER.match(str(head))
        if not found:
            problems.append(f"{where}: numeric column {head!r} has no [unit] in its header")
        else:
            problem = check_unit(found["unit"])
            if problem:
                problems.append(f"{where}: column {head!r}: {problem}")
        if not all(math.isfinite(v) for v in numbers):
            problems.append(f"{where}: column {head!r} holds a NaN or infinite number (leave "
                            "unknown cells empty)")
    n = len(elements)
    expected = {ELEMENTS: n, ONSAGER: n * (n + 1) // 2}.get(name)
    if expected is not None and len(table) != expected:
        problems.append(f"{where}: {len(table)} rows, expected {expected} for {n} elements")
    if table.index.name in ("element", "pair"):
        for row in table.index:
            parts = str(row).split(".")
            if table.index.name == "pair" and len(parts) != 2:
                problems.append(f"{where}: row {row!r} is not an element pair 'A.B'")
            unknown = [p for p in parts if p != "*" and p not in elements]
            if unknown:
                problems.append(f"{where}: row {row!r} names {', '.join(unknown)}, not in the "
                                "identifier's formula")
    return problems


def _elements(identifier: str) -> set[str]:
    from pymatgen.core import Composition

    try:
        return {el.symbol for el in Composition(identifier).elements}
    except Exception:  # an invalid identifier is reported by check_identifier
        return set()


def validate(contributions: Sequence[Contribution], project: str,
             existing_md5s: dict[str, set[str]] | None = None) -> ValidationReport:
    """Check contributions and the project's columns against MPContribs' rules."""
    mc = client_module()
    report = ValidationReport()
    if not re.fullmatch(r"[A-Za-z0-9_]{3,31}", project or ""):
        report.add("", f"project name {project!r}: 3-31 letters, digits or underscores")
    columns = project_columns(contributions)
    report.n_columns = len(columns)
    if len(columns) > mc.MAX_COLUMNS:
        report.add("", f"{len(columns)} columns, more than MPContribs' {mc.MAX_COLUMNS}")
    paths = sorted(p for p in columns if p not in mc.COMPONENTS)
    for path in paths:
        nesting = path.count(".")
        report.max_nesting = max(report.max_nesting, nesting)
        if nesting > mc.MAX_NESTING:
            report.add("", f"column {path}: nesting {nesting} > MPContribs' {mc.MAX_NESTING}")
        for problem in (check_key(path), check_unit(columns[path])):
            if problem:
                report.add("", f"column {problem}")
    # a path cannot be a value and a parent of other values at once
    path_set = set(paths)
    for child in paths:
        parts = child.split(".")
        for n in range(1, len(parts)):
            parent = ".".join(parts[:n])
            if parent in path_set:
                report.add("", f"column {parent} is both a value and the parent of {child}")
    seen_units: dict[str, str | None] = {}
    seen: dict[str, set[str]] = {c: set(v) for c, v in (existing_md5s or {}).items()}
    keys: set[str] = set()
    for c in contributions:
        if c.key in keys:
            report.add(c.key, "key appears twice")
        keys.add(c.key)
        problem = check_identifier(c.identifier)
        if problem:
            report.add(c.key, problem)
        if c.source not in SOURCES:
            report.add(c.key, f"data source {c.source!r} is not one of {sorted(SOURCES)}")
        if not c.data and not c.tables and not c.structures:
            report.add(c.key, "nothing to submit")
        for path, value in c.data.items():
            if path.count(".") + 1 > SERVER_MAX_DEPTH:
                report.add(c.key, f"{path}: deeper than the server's {SERVER_MAX_DEPTH} levels")
            unit = c.columns.get(path)
            if path in seen_units and seen_units[path] != unit:
                report.add(c.key, f"{path}: unit {unit!r} differs from {seen_units[path]!r}")
            seen_units.setdefault(path, unit)
            problem = check_value(path, value, unit)
            if problem:
                report.add(c.key, problem)
        elements_of = _elements(c.identifier)
        for path in c.data:
            if path.startswith("D.") and path[2:] not in elements_of:
                report.add(c.key, f"{path}: {path[2:]} is not an element of {c.identifier}")
        for table in c.tables:
            for problem in check_table(table, elements_of):
                report.add(c.key, problem)
        for component, elements in (("structures", c.structures), ("tables", c.tables)):
            if len(elements) > mc.MAX_ELEMS:
                report.add(c.key, f"{len(elements)} {component}, more than {mc.MAX_ELEMS}")
            for element in elements:
                digest = component_md5(component, element)
                if digest in seen.setdefault(component, set()):
                    report.add(c.key, f"duplicate {component[:-1]} (MPContribs rejects a "
                                      "component already in the project)")
                seen[component].add(digest)
        report.structures += len(c.structures)
        report.tables += len(c.tables)
        size = compressed_size(c, project)
        report.max_compressed_bytes = max(report.max_compressed_bytes, size)
        if size > mc.MAX_BYTES:
            report.add(c.key, f"{size} compressed bytes, more than MPContribs' "
                              f"{int(mc.MAX_BYTES)}")
    return report
