"""The MPContribs tables of a contribution: pandas DataFrames with a name, a title and units.

Every numeric column header ends in its unit in brackets, ``"D [cm**2/s]"`` (pint syntax of
MPContribs' registry; ``[]`` is dimensionless, as MPContribs labels dimensionless columns), so
a table read without ionflux still says what its numbers are. Rows of element pairs are
labelled ``"Ba.O"``, the form a nested MPContribs data key takes (``L.Ba.O``): a dot cannot be
part of a formula, so the label is never read as the compound BaO, and the same notation
serves tables and data keys. Coordination rows use ``"Ba.*"`` (bonds to any neighbour).
Unknown values (no standard error) are left empty (``""``, as MPContribs stores an empty
cell), never zero; a column with no value at all is left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

#: Units (pint syntax of MPContribs' registry) of the published quantities.
UNIT_D = "cm**2/s"
UNIT_L = "1/(eV*cm*s)"
UNIT_KD = "cm**2/s"
UNIT_MSD = "angstrom**2"

#: Table names (MPContribs shows them as tabs; they are also the ``name`` attribute).
ELEMENTS = "transport per element"
ONSAGER = "Onsager coefficients"
BONDS = "bond counts"
KD = "K_D"
CORRELATION = "correlation functions"


def pair_label(a: str, b: str) -> str:
    """``"Ba.O"``: an ordered element pair, as a nested MPContribs key spells it."""
    return f"{a}.{b}"


def header(name: str, unit: str | None) -> str:
    """``"name [unit]"`` (``[]`` when dimensionless, the bare name for text columns)."""
    return name if unit is None else f"{name} [{unit}]"


def _number(value: Any) -> float:
    """``value`` as a float; NaN (an empty cell) when unknown or not finite."""
    if value is None or isinstance(value, bool):
        return math.nan
    value = float(value)
    return value if math.isfinite(value) else math.nan


def _frame(index_name: str, rows: Sequence[str], columns: Mapping[str, Sequence[Any]],
           name: str, title: str) -> Any:
    """A DataFrame with MPContribs' attributes; numeric columns without any value dropped."""
    import pandas as pd

    kept: dict[str, Any] = {}
    for head, values in columns.items():
        missing = [isinstance(v, float) and math.isnan(v) for v in values]
        if all(missing):
            continue  # e.g. standard errors of published tensors: unknown, so not shown
        if any(missing):
            # an empty cell, as the client would make it: its own NaN -> "" step fails on a
            # float column under pandas 3, so the column goes as objects
            kept[head] = pd.Series(["" if m else v for v, m in zip(values, missing,
                                                                    strict=True)], dtype=object)
        else:
            kept[head] = list(values)
    frame = pd.DataFrame({h: list(v) for h, v in kept.items()},
                         index=pd.Index(list(rows), name=index_name))
    frame.columns.name = "quantity"
    frame.attrs = {"name": name, "title": title,
                   "labels": {"index": index_name, "variable": "quantity"}}
    return frame


def _matrix_entry(matrix: Any, i: int, j: int) -> float:
    return math.nan if matrix is None else _number(matrix[i][j])


def element_table(transport: Any, D: Mapping[str, float | None],
                  D_stderr: Mapping[str, float | None], diffusive: Mapping[str, bool],
                  title_key: str) -> Any:
    """Per element: D (empty for non-diffusive species), its error, f and whether it moves."""
    species = list(transport.species)
    f_err = transport.correlation_factor_stderr or {}
    columns = {
        header("D", UNIT_D): [_number(D.get(el)) if diffusive[el] else math.nan
                              for el in species],
        header("D stderr", UNIT_D): [_number(D_stderr.get(el)) if diffusive[el] else math.nan
                                     for el in species],
        header("f", ""): [_number(transport.correlation_factor.get(el)) for el in species],
        header("f stderr", ""): [_number(f_err.get(el)) for el in species],
        header("diffusive", None): ["yes" if diffusive[el] else "no" for el in species],
    }
    return _frame("element", species, columns, ELEMENTS,
                  f"{title_key}: self-diffusion and correlation factors f = "
                  "L_ii^distinct / L_ii^self")


def onsager_table(transport: Any, title_key: str) -> Any:
    """The Onsager matrix, one row per pair i <= j: total, self and distinct parts, errors."""
    species = list(transport.species)
    pairs = [(i, j) for i in range(len(species)) for j in range(i, len(species))]
    self_err = transport.L_self_stderr

    def self_part(values: Sequence[Any] | None, i: int, j: int) -> float:
        if i != j:
            return 0.0  # the self part is diagonal by definition
        return math.nan if values is None else _number(values[i])

    columns = {
        header("L", UNIT_L): [_matrix_entry(transport.L, i, j) for i, j in pairs],
        header("L stderr", UNIT_L): [_matrix_entry(transport.L_stderr, i, j) for i, j in pairs],
        header("L self", UNIT_L): [self_part(transport.L_self, i, j) for i, j in pairs],
        header("L self stderr", UNIT_L): [self_part(self_err, i, j) if i == j else math.nan
                                          for i, j in pairs],
        header("L distinct", UNIT_L): [_matrix_entry(transport.L_distinct, i, j)
                                       for i, j in pairs],
        header("L distinct stderr", UNIT_L): [_matrix_entry(transport.L_distinct_stderr, i, j)
                                              for i, j in pairs],
    }
    rows = [pair_label(species[i], species[j]) for i, j in pairs]
    return _frame("pair", rows, columns, ONSAGER,
                  f"{title_key}: Onsager coefficients L_ij = L_ji (total = self + "
                  "distinct)")


def bond_table(bonds: Any, title_key: str) -> Any:
    """CrystalNN bonds per centre atom: ordered pairs ``centre.neighbour`` and ``centre.*``."""
    rows, means, errors = [], [], []
    entries = list(bonds.pairs.values()) + list(bonds.coordination.values())
    for entry in entries:
        rows.append(pair_label(entry.center, entry.neighbor))
        means.append(_number(entry.mean))
        errors.append(_number(entry.stderr))
    columns = {header("bonds per centre atom", ""): means, header("stderr", ""): errors}
    return _frame("pair", rows, columns, BONDS,
                  f"{title_key}: CrystalNN bonds per centre atom ({len(bonds.frames)} frames, "
                  f"cutoff {bonds.cutoff_A:g} Å)")


def kd_table(kds: Sequence[Any], title_key: str) -> Any:
    """Effective diffusion rate constants, one row per precursor pair."""
    rows = [" + ".join(kd.precursors) for kd in kds]
    columns = {
        header("K_D", UNIT_KD): [_number(kd.K_D_cm2_s) for kd in kds],
        header("K_D stderr", UNIT_KD): [_number(kd.K_D_stderr_cm2_s) for kd in kds],
        header("K_D self", UNIT_KD): [_number(kd.K_D_self_cm2_s) for kd in kds],
        header("K_D self stderr", UNIT_KD): [_number(kd.K_D_self_stderr_cm2_s) for kd in kds],
    }
    return _frame("precursors", rows, columns, KD,
                  f"{title_key}: effective diffusion rate constants K_D (full and self-only)")


def correlation_table(transport: Any, title_key: str) -> Any:
    """MSDs and collective correlations (Å^2) against the lag (fs); None without curves."""
    import pandas as pd

    curves = transport.correlation_functions
    if curves is None:
        return None
    columns = {header(f"self {el}", UNIT_MSD): values
               for el, values in curves.msd_self_A2.items()}
    columns.update({header(f"collective {pair_label(*pair.split('|'))}", UNIT_MSD): values
                    for pair, values in curves.collective_A2.items()})
    frame = pd.DataFrame(columns, index=pd.Index(curves.lag_fs, name=header("lag", "fs")))
    frame.columns.name = "correlation"
    frame.attrs = {"name": CORRELATION,
                   "title": f"{title_key}: MSDs and collective correlations",
                   "labels": {"index": header("lag", "fs"),
                              "value": header("<dR.dR>", UNIT_MSD), "variable": "correlation"}}
    return frame
