"""One entry point for trajectory files: format detection, gzip, metadata flags."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import replace
from pathlib import Path

from ionflux.errors import InputError, TrajectoryFormatError
from ionflux.io.stream import TextStream
from ionflux.io.trajectory import Trajectory, TrajectorySource

#: Formats :func:`read_trajectory` reads (the ``format=`` values besides ``"auto"``).
FORMATS = ("extxyz", "lammps-dump", "xdatcar", "traj")

_ALIASES = {"xyz": "extxyz", "ext-xyz": "extxyz", "lammps": "lammps-dump",
            "lammpstrj": "lammps-dump", "lammps-dump-text": "lammps-dump", "dump": "lammps-dump",
            "vasp-xdatcar": "xdatcar", "ase-traj": "traj", "ase": "traj"}
_ASE_MAGIC = (b"- of UlmASE-Trajectory", b"AFFormatASE-Trajectory")
_SNIFF_BYTES = 1 << 16


def read_trajectory(path: str | Path, format: str = "auto", *,
                    type_map: dict[int, str] | None = None,
                    frame_interval_fs: float | None = None,
                    temperature_K: float | None = None) -> Trajectory:
    """Read a whole MD trajectory file (gzip-compressed or not).

    Args:
        path: the file.
        format: ``"auto"`` (detected from the content, then the name; see
            :func:`detect_format`) or one of :data:`FORMATS`.
        type_map: LAMMPS atom type -> element symbol, for dumps without an ``element`` column
            (an error for other formats).
        frame_interval_fs: time between stored frames (fs).
        temperature_K: run temperature (K).

    The flags are merged with what the file states: a value the file gives wins, a flag that
    contradicts it is an error (relative tolerance 1e-6), and a value neither gives stays
    ``None``. Call :meth:`Trajectory.with_metadata` on the result before an analysis that needs
    both (it raises, naming the missing one).

    Returns:
        The trajectory, with ``source`` = the format, the path as given, and the SHA-256 of the
        file's bytes as stored (compressed, if it is), taken when first asked for (an error
        then if the file changed since it was read).

    Raises:
        TrajectoryFormatError: unknown format, empty/truncated/corrupt file, inconsistent frames,
            naming the file and the frame and line.
        InputError: bad arguments, a flag contradicting the file, missing ``type_map``.
    """
    fmt = _canonical(format)
    if fmt != "auto" and type_map is not None and fmt != "lammps-dump":
        raise InputError(f"{path}: type_map applies only to LAMMPS dumps, not {fmt}")
    sniffed: list[str] = []

    def check_head(head: bytes) -> None:
        # the first bytes decide, before the rest is read (or inflated)
        sniffed.append(sniff(head, fmt, Path(path).name, str(path)))

    with TextStream(path, check_head) as stream:
        if stream.empty:
            raise TrajectoryFormatError(f"{path}: empty file")
        fmt = sniffed[0]
        if type_map is not None and fmt != "lammps-dump":
            raise InputError(f"{path}: type_map applies only to LAMMPS dumps, not {fmt}")
        source = TrajectorySource(reader=fmt, path=str(path))
        if fmt == "traj":
            from ionflux.io.structures import read_ase_traj

            data = stream.read_all() if stream.compressed else None
            traj = read_ase_traj(path, data, source)
        elif fmt == "extxyz":
            from ionflux.io.extxyz import read_extxyz

            traj = read_extxyz(stream, source)
        elif fmt == "lammps-dump":
            from ionflux.io.lammps import read_lammps_dump

            traj = read_lammps_dump(stream, source, type_map)
        else:
            from ionflux.io.xdatcar import read_xdatcar

            traj = read_xdatcar(stream, source)
        # hashed when a caller first asks for source.sha256, if the file is still the same
        traj.source = replace(source, sha256=stream.state)
    return apply_metadata(traj, temperature_K=temperature_K, frame_interval_fs=frame_interval_fs)


def apply_metadata(traj: Trajectory, *, temperature_K: float | None = None,
                   frame_interval_fs: float | None = None) -> Trajectory:
    """Fill in temperature (K) / frame interval (fs) that the trajectory lacks; a value that
    contradicts the trajectory's own is an error. Values given as None change nothing."""
    changes: dict[str, float] = {}
    if temperature_K is not None:
        changes["temperature_K"] = _merge(traj.temperature_K, temperature_K, "temperature",
                                          "K", traj.label)
    if frame_interval_fs is not None:
        changes["frame_interval_fs"] = _merge(traj.frame_interval_fs, frame_interval_fs,
                                              "frame interval", "fs", traj.label)
    return replace(traj, **changes) if changes else traj


def _merge(own: float | None, given: float, what: str, unit: str, where: str) -> float:
    if own is None:
        return float(given)
    if abs(given - own) > 1e-6 * abs(own):
        raise InputError(f"{where}: {what} {given:g} {unit} (given) contradicts the file's "
                         f"{own:g} {unit}")
    return float(own)


def detect_format(path: str | Path) -> str:
    """The format of a trajectory file, one of :data:`FORMATS`.

    The content decides (ASE's binary magic, ``ITEM:`` lines, an atom count followed by a
    comment line, or a POSCAR-like header followed by ``Direct``/``Cartesian configuration``),
    looking through gzip; the name (``.xyz``/``.extxyz``, ``.lammpstrj``/``.dump``/``.lammps``,
    ``XDATCAR``, ``.traj``, each optionally ``.gz``) only when the content is not recognised.
    """
    path = Path(path)
    if not path.is_file():
        raise TrajectoryFormatError(f"{path}: no such file")
    with open(path, "rb") as handle:
        head = _inflated_head(path, handle.read(_SNIFF_BYTES))
    if not head.strip():
        raise TrajectoryFormatError(f"{path}: empty file")
    return _detect(head, path.name, str(path))


def _inflated_head(path: Path, head: bytes) -> bytes:
    """The first bytes of ``path``'s content: ``head`` itself, or inflated when gzip."""
    if head[:2] != b"\x1f\x8b":
        return head
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise TrajectoryFormatError(f"{path}: corrupt gzip data ({exc})") from exc


def sniff(head: bytes, format: str, name: str, where: str) -> str:
    """The format of a file from its first bytes (``format`` unless ``"auto"``); text formats
    with binary data (NUL bytes: a sparse or binary file) fail here, before the rest is read."""
    fmt = _detect(head, name, where) if format == "auto" else format
    if fmt != "traj" and b"\0" in head:
        raise TrajectoryFormatError(
            f"{where}: binary data (NUL bytes) in its first {min(len(head), _SNIFF_BYTES)} "
            f"bytes: not a text trajectory ({fmt}); a sparse, binary or corrupt file")
    return fmt


def check_head(path: str | Path, format: str = "auto") -> str:
    """Fail early on a file that is not a trajectory: sniff its first bytes (inflating at most
    64 KiB of gzip data) and, for gzip, check the inflated size its trailer states against
    the limit of :func:`ionflux.io.stream.inflation_limit`. Returns the format; reads
    nothing else."""
    from ionflux.io.stream import inflation_limit, too_inflated

    path = Path(path)
    fmt = _canonical(format)
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
        if head[:2] == b"\x1f\x8b" and size >= 18:
            handle.seek(size - 4)
            stated = int.from_bytes(handle.read(4), "little")  # inflated size mod 2**32
            limit, setting = inflation_limit(path, size)
            if stated > limit:
                raise too_inflated(path, limit, setting)
    head = _inflated_head(path, head)
    if not head:
        raise TrajectoryFormatError(f"{path}: empty file")
    return sniff(head, fmt, path.name, str(path))


def _canonical(format: str) -> str:
    name = str(format).strip().lower()
    name = _ALIASES.get(name, name)
    if name != "auto" and name not in FORMATS:
        raise InputError(f"unknown trajectory format {format!r}; use 'auto' or one of "
                         f"{', '.join(FORMATS)}")
    return name


def _detect(head: bytes, name: str, where: str) -> str:
    if head.startswith(_ASE_MAGIC):
        return "traj"
    lines = head.decode("utf-8", errors="replace").splitlines()
    content = [ln.strip() for ln in lines]
    first = next((ln for ln in content if ln), "")
    if first.startswith("ITEM:"):
        return "lammps-dump"
    if len(content) > 1 and content[0].isdigit():
        return "extxyz"
    if len(content) > 7 and _is_xdatcar_header(content):
        return "xdatcar"
    lower = name.lower().removesuffix(".gz")
    if lower.endswith((".xyz", ".extxyz")):
        return "extxyz"
    if lower.endswith((".lammpstrj", ".dump", ".lammps")) or lower.startswith("dump."):
        return "lammps-dump"
    if "xdatcar" in lower:
        return "xdatcar"
    if lower.endswith(".traj"):
        return "traj"
    raise TrajectoryFormatError(f"{where}: unknown trajectory format (not extended XYZ, LAMMPS "
                                f"text dump, VASP XDATCAR or ASE .traj); pass format= one of "
                                f"{', '.join(FORMATS)}")


def _is_xdatcar_header(content: list[str]) -> bool:
    def numbers(line: str, n: int) -> bool:
        parts = line.split()
        if len(parts) != n:
            return False
        try:
            [float(p) for p in parts]
        except ValueError:
            return False
        return True

    return (numbers(content[1], 1) and all(numbers(content[i], 3) for i in (2, 3, 4))
            and content[7][:1].lower() in {"d", "c", "k"})
