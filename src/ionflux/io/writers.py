"""Writing trajectories as extended XYZ, in the convention :func:`read_trajectory` reads.

Each frame's comment line carries ``Lattice`` (Å, rows a b c), ``Properties=species:S:1:pos:R:3``,
``pbc="T T T"``, ``time`` (fs, when known), ``temperature`` (K, when known) and ``unwrapped``
(``T`` when positions are continuous in time), followed by any extra ``key=value`` pairs.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ionflux.io.atomic import atomic_output
from ionflux.io.trajectory import Trajectory


def iter_extxyz_frames(trajectory: Trajectory, *, wrap: bool = False,
                       float_format: str = "16.10f", info: Mapping[str, object] | None = None,
                       first_frame_info: Mapping[str, object] | None = None) -> Iterator[str]:
    """The text of each frame (atom count, comment line, atom lines), newline-terminated.

    Args:
        trajectory: what to write.
        wrap: wrap positions into the cell (written as ``unwrapped=F``); otherwise positions are
            written as stored, flagged by ``trajectory.unwrapped``.
        float_format: printf-style format of each coordinate (``"16.10f"``; ``".17g"`` is exact).
        info: extra ``key=value`` pairs for every comment line.
        first_frame_info: extra pairs for the first comment line only.
    """
    n_atoms = trajectory.n_atoms
    atom_line = f"%-2s %{float_format} %{float_format} %{float_format}\n"
    lattice_format = "." + float_format.split(".", 1)[1] if "." in float_format else float_format
    if lattice_format.endswith("f") and lattice_format[1:-1].isdigit():
        # the cell sets the volume (and so every L): never coarser than 1e-10 Å
        lattice_format = f".{max(10, int(lattice_format[1:-1]))}f"
    times = trajectory.times_fs
    if times is None and trajectory.frame_interval_fs is not None:
        times = np.arange(trajectory.n_frames) * trajectory.frame_interval_fs
    flag = "F" if wrap or not trajectory.unwrapped else "T"
    tail = "".join(f" {key}={_token(value)}" for key, value in (info or {}).items())
    first_tail = "".join(f" {key}={_token(value)}"
                         for key, value in (first_frame_info or {}).items())
    symbols = trajectory.species
    for k in range(trajectory.n_frames):
        cell = trajectory.cells[k]
        positions = trajectory.positions[k]
        if wrap:
            fractional = positions @ np.linalg.inv(cell)
            positions = (fractional - np.floor(fractional)) @ cell
        lattice = " ".join(f"{v:{lattice_format}}" for v in cell.ravel())
        header = f'Lattice="{lattice}" Properties=species:S:1:pos:R:3 pbc="T T T"'
        if times is not None:
            header += f" time={times[k]:.6f}"
        if trajectory.temperature_K is not None:
            header += f" temperature={trajectory.temperature_K:g}"
        header += f" unwrapped={flag}{tail}{first_tail if k == 0 else ''}"
        values = tuple(v for symbol, xyz in zip(symbols, positions.tolist(), strict=True)
                       for v in (symbol, *xyz))
        yield f"{n_atoms}\n{header}\n" + (atom_line * n_atoms) % values


def write_extxyz(path: str | Path, trajectory: Trajectory, **options) -> Path:
    """Write ``trajectory`` to ``path`` (gzip if it ends in ``.gz``; options as
    :func:`iter_extxyz_frames`). A gzip file has no name or time in its header, so its bytes
    (and their sha256) depend only on the content. The file appears complete or not at all
    (:func:`~ionflux.io.atomic.atomic_output`; an OSError is a one-line OutputError)."""
    path = Path(path)
    frames = iter_extxyz_frames(trajectory, **options)
    # under a temporary name, renamed when complete: a full disk leaves no truncated file
    with atomic_output(path, "wb") as raw:
        _write_frames(raw, frames, gzipped=path.suffix == ".gz")
    return path


def write_extxyz_stream(raw: BinaryIO, trajectory: Trajectory, *, gzipped: bool = False,
                        **options) -> None:
    """Write ``trajectory`` as extended XYZ into an open binary file (gzip-compressed with
    ``gzipped``), e.g. one of several :func:`~ionflux.io.atomic.atomic_output` files that
    should appear together."""
    _write_frames(raw, iter_extxyz_frames(trajectory, **options), gzipped=gzipped)


def _write_frames(raw: BinaryIO, frames: Iterator[str], *, gzipped: bool) -> None:
    if gzipped:
        with gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as stream:
            for text in frames:
                stream.write(text.encode())
    else:
        for text in frames:
            raw.write(text.encode())


def _token(value: object) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return '"' + text.replace('"', "'") + '"' if (" " in text or "=" in text) else text
