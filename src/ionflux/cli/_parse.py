"""Parsing helpers shared by the thermo, chempot, kd and plot commands."""

from __future__ import annotations

from ionflux.errors import InputError


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


def parse_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [p.strip() for p in text.split(",") if p.strip()]
    return items or None


#: Help of every ``--nist`` option (thermodynamic source of the solids).
NIST_HELP = "NIST-JANAF G_f(T) where available (opt-in; default MP + Bartel for every solid)"
