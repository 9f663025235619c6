"""Extended-XYZ output of melt-quench frames (optionally gzip-compressed by a ``.gz`` suffix).

Each frame's comment line carries ``Lattice`` (Å, rows a b c), ``Properties=species:S:1:pos:R:3``,
``pbc="T T T"``, ``time`` (fs), ``temperature`` (K, thermostat set point), ``unwrapped`` (``T``
when positions are continuous in time, ``F`` when wrapped into the cell) and, on the first frame
only, ``ionflux_generator`` settings as ``key=value`` pairs prefixed ``mq_``. ASE reads these
files (``ase.io.read(path, ":")``) and keeps the extra keys in ``atoms.info``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ionflux.md.meltquench import MeltQuenchResult


def format_extxyz(result: MeltQuenchResult, wrapped: bool = True) -> str:
    """The frames of ``result`` as extended-XYZ text."""
    cell = result.cell
    inv = np.linalg.inv(cell)
    lattice = " ".join(f"{x:.10f}" for x in cell.ravel())
    settings = " ".join(f"mq_{k}={_token(v)}" for k, v in result.metadata().items()
                        if k != "formula")
    lines: list[str] = []
    for k, pos in enumerate(result.positions):
        if wrapped:
            frac = pos @ inv
            pos = (frac - np.floor(frac)) @ cell
        header = (f'Lattice="{lattice}" Properties=species:S:1:pos:R:3 pbc="T T T" '
                  f"time={result.times_fs[k]:.6f} temperature={result.temperature_K:g} "
                  f"unwrapped={'F' if wrapped else 'T'} formula={result.formula}")
        if k == 0:
            header += f" {settings}"
        lines.append(str(len(result.symbols)))
        lines.append(header)
        lines.extend(f"{s:<2s} {x:16.10f} {y:16.10f} {z:16.10f}"
                     for s, (x, y, z) in zip(result.symbols, pos, strict=True))
    return "\n".join(lines) + "\n"


def write_extxyz(path: str | Path, result: MeltQuenchResult, wrapped: bool = True) -> Path:
    """Write ``result`` to ``path`` (gzip if it ends in ``.gz``); returns the path."""
    path = Path(path)
    text = format_extxyz(result, wrapped=wrapped)
    if path.suffix == ".gz":
        # No file name and mtime=0 in the gzip header: the bytes (and their sha256) depend only
        # on the content.
        with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb",
                                                    mtime=0) as gz:
            gz.write(text.encode())
    else:
        path.write_text(text)
    return path


def _token(value: object) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return '"' + text.replace('"', "'") + '"' if (" " in text or "=" in text) else text
