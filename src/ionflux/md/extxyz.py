"""Extended-XYZ output of melt-quench frames (optionally gzip-compressed by a ``.gz`` suffix).

Each frame's comment line carries ``Lattice`` (Å, rows a b c), ``Properties=species:S:1:pos:R:3``,
``pbc="T T T"``, ``time`` (fs), ``temperature`` (K, thermostat set point), ``unwrapped`` (``T``
when positions are continuous in time, ``F`` when wrapped into the cell) and, on the first frame
only, ``ionflux_generator`` settings as ``key=value`` pairs prefixed ``mq_``. ASE reads these
files (``ase.io.read(path, ":")``) and keeps the extra keys in ``atoms.info``.
"""

from __future__ import annotations

from pathlib import Path

from ionflux.io.writers import iter_extxyz_frames
from ionflux.io.writers import write_extxyz as write_trajectory_extxyz
from ionflux.md.meltquench import MeltQuenchResult


def _options(result: MeltQuenchResult, wrapped: bool) -> dict:
    settings = {f"mq_{k}": v for k, v in result.metadata().items() if k != "formula"}
    return {"wrap": wrapped, "info": {"formula": result.formula},
            "first_frame_info": settings}


def format_extxyz(result: MeltQuenchResult, wrapped: bool = True) -> str:
    """The frames of ``result`` as extended-XYZ text."""
    return "".join(iter_extxyz_frames(result.to_trajectory(), **_options(result, wrapped)))


def write_extxyz(path: str | Path, result: MeltQuenchResult, wrapped: bool = True) -> Path:
    """Write ``result`` to ``path`` (gzip if it ends in ``.gz``); returns the path."""
    return write_trajectory_extxyz(path, result.to_trajectory(), **_options(result, wrapped))
