"""Parsing helpers shared by the thermo, chempot, kd and plot commands."""

from __future__ import annotations

import math
import re

from ionflux.errors import InputError
from ionflux.formula import ELEMENTS


def parse_temperatures(text: str, option: str = "--temperatures") -> list[float]:
    """'1000,1250' -> [1000.0, 1250.0] (K), with a one-line error for bad items."""
    values = []
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        try:
            value = float(item)
        except ValueError:
            raise InputError(f"{option}: {item!r} is not a temperature in K") from None
        if not value > 0:
            raise InputError(f"{option}: temperatures must be positive, got {item}")
        values.append(value)
    if not values:
        raise InputError(f"{option}: give at least one temperature, e.g. 1000,1250")
    return values


def parse_pair(text: str, option: str = "--precursors") -> tuple[str, str]:
    """'BaO,TiO2' -> ('BaO', 'TiO2')."""
    items = [p.strip() for p in str(text).split(",") if p.strip()]
    if len(items) != 2:
        raise InputError(f"{option}: give exactly two phases separated by a comma, e.g. BaO,TiO2")
    return items[0], items[1]


def default_precursors(system: str, option: str = "--precursors") -> tuple[str, str]:
    """The bundled system's precursor pair (BaO,TiO2 for Ba-Ti-O); another system has none,
    so the user must name one."""
    from ionflux.thermo.system import parse_system, system_key
    from ionflux.transport.published import BUNDLED_PRECURSORS

    key = system_key(parse_system(system))
    for name, pair in BUNDLED_PRECURSORS.items():
        if system_key(parse_system(name)) == key:
            return pair
    raise InputError(f"{option}: give the precursors of {system} (defaults exist only for "
                     f"{', '.join(BUNDLED_PRECURSORS)})")


def precursor_pair(text: str | None, system: str, option: str = "--precursors"
                   ) -> tuple[str, str]:
    """The pair ``text`` names, or the system's default pair when it is None."""
    return parse_pair(text, option) if text is not None else default_precursors(system, option)


def parse_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [p.strip() for p in text.split(",") if p.strip()]
    return items or None


#: Help of every ``--nist`` option (thermodynamic source of the solids).
NIST_HELP = "NIST-JANAF G_f(T) where available (opt-in; default MP + Bartel for every solid)"


_TOKEN = re.compile(r"([A-Z][a-z]*)|(\d+(?:\.\d+)?)|([()])|(.)")


def formula_elements(text: str, option: str) -> set[str]:
    """Elements of a formula such as ``Ba2TiO4`` or ``Ba(OH)2``; a one-line InputError naming
    ``option`` when it is not one."""
    text = str(text).strip()
    elements: set[str] = set()
    depth = 0
    for symbol, number, paren, other in _TOKEN.findall(text):
        if other:
            raise InputError(f"{option}: {text!r} is not a chemical formula")
        if symbol:
            if symbol not in ELEMENTS:
                raise InputError(f"{option}: {text!r} is not a chemical formula ({symbol!r} is "
                                 "not an element)")
            elements.add(symbol)
        elif paren:
            depth += 1 if paren == "(" else -1
            if depth < 0:
                raise InputError(f"{option}: {text!r} is not a chemical formula")
        elif number and float(number) <= 0:
            raise InputError(f"{option}: {text!r} is not a chemical formula")
    if not elements or depth != 0 or (not text[0].isupper() and text[0] != "("):
        raise InputError(f"{option}: {text!r} is not a chemical formula")
    return elements


def system_elements(text: str, option: str = "--system") -> list[str]:
    """``Ba-Ti-O`` -> ['Ba', 'Ti', 'O'], checked without loading anything."""
    parts = [p.strip() for p in str(text).replace(",", "-").split("-") if p.strip()]
    for part in parts:
        if part not in ELEMENTS:
            raise InputError(f"{option} {text!r}: {part!r} is not an element")
    if len(set(parts)) < 2:
        raise InputError(f"{option} {text!r}: name at least two elements, e.g. Ba-Ti-O")
    return list(dict.fromkeys(parts))


def check_phases(phases: list[str], option: str, system: str | None = None) -> None:
    """Every phase is a formula (and lies in ``system`` when given)."""
    allowed = None if system is None else set(system_elements(system))
    for phase in phases:
        found = formula_elements(phase, option)
        if allowed is not None and not found <= allowed:
            outside = ", ".join(sorted(found - allowed))
            raise InputError(f"{option}: {phase} contains {outside}, which is outside the "
                             f"{system} system")


def positive(value: float, option: str, what: str = "value") -> float:
    """``value`` if finite and > 0, else a one-line InputError."""
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{option}: {what} must be > 0 and finite, got {value:g}")
    return value


def in_range(value: float, option: str, what: str, lo: float, hi: float) -> float:
    """``value`` if finite and within [lo, hi], else a one-line InputError."""
    if not math.isfinite(value) or not lo <= value <= hi:
        raise InputError(f"{option}: {what} must be a finite number from {lo:g} to {hi:g}, "
                         f"got {value:g}")
    return value


#: Largest molar ratio of a precursor, and largest ratio of the largest to the smallest: beyond
#: it the smaller precursor gets no cell on any grid the automaton can run (the web API's
#: limit too).
MAX_RATIO = 1e6


def check_ratios(ratios: dict[str, float], option: str) -> dict[str, float]:
    """Molar ratios that are finite, > 0, at most MAX_RATIO and within MAX_RATIO of each
    other, else a one-line InputError (checked before any cell count is computed, where a
    huge ratio would overflow)."""
    for name, ratio in ratios.items():
        positive(ratio, option, f"ratio of {name}")
        if ratio > MAX_RATIO:
            raise InputError(f"{option}: ratio of {name} ({ratio:g}) is too large; give "
                             f"ratios up to {MAX_RATIO:g} (only their proportions matter)")
    if ratios:
        big = max(ratios, key=ratios.__getitem__)
        small = min(ratios, key=ratios.__getitem__)
        if ratios[big] > MAX_RATIO * ratios[small]:
            raise InputError(f"{option}: the ratio {big}:{small} = "
                             f"{ratios[big] / ratios[small]:g} is too large (at most "
                             f"{MAX_RATIO:g}): {small} would get no cell on any grid")
    return ratios


def check_output_file(path, option: str):
    """``path`` (a Path) if a regular file may be written there: it is a regular file or does
    not exist yet, in an existing folder; else a one-line InputError before any work (a device
    such as /dev/full, a folder or a socket is never written to, nor used to name files)."""
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a device, pipe or socket)"
        raise InputError(f"{option} {path} is {kind}; give the name of a file to write")
    if not path.parent.is_dir():
        raise InputError(f"{option} {path}: folder {path.parent} does not exist (create it "
                         "first)")
    return path
