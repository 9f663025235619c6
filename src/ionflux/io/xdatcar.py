"""VASP XDATCAR reader (VASP 5 and later: the header has an element line).

Header: comment, scale factor (a negative value is the cell volume in Å^3, as in POSCAR), three
lattice vectors, element symbols, atom counts; then per frame a ``Direct configuration= n``
(fractional) or ``Cartesian configuration= n`` (Å, times the scale factor) line and one line of
three numbers per atom. A fixed-cell run writes the header once; a variable-cell run (ISIF=3)
repeats it before every frame. Positions are wrapped into the cell (VASP writes them so).
Element labels such as ``Li_sv`` or ``Li_sv/ab12`` (POTCAR names) are cut to the element.
Configuration numbers, when present, must increase by a constant stride.
"""

from __future__ import annotations

import logging

import numpy as np
from pymatgen.core import Element

from ionflux.io.stream import FrameArray, TextStream
from ionflux.io.textscan import TextFile, as_integers
from ionflux.io.trajectory import Trajectory, TrajectorySource

logger = logging.getLogger(__name__)

_HEADER_LINES = 7


def read_xdatcar(stream: TextStream, source: TrajectorySource) -> Trajectory:
    """Read every frame of a VASP XDATCAR (see the module docstring), piece by piece."""
    head = stream.head(_HEADER_LINES + 1)
    if head.n_lines == 0:
        raise head.error("empty file")
    if head.n_lines < _HEADER_LINES + 1:
        raise head.error("file ends inside the header (truncated file?)")
    symbols, counts = _elements(head)
    n_atoms = int(sum(counts))
    species = tuple(s for s, n in zip(symbols, counts, strict=True) for _ in range(n))
    # frame 0 and the start of frame 1 tell a fixed from a variable cell
    head = stream.head(2 * _HEADER_LINES + n_atoms + 2)
    variable = _is_variable_cell(head, n_atoms)
    stride = n_atoms + 1 + (_HEADER_LINES if variable else 0)
    preamble = 0 if variable else _HEADER_LINES
    cartesian = chr(head.first_bytes(np.array([_HEADER_LINES]))[0]).lower() in "ck"
    numbered = len(" ".join(head.tokens(_HEADER_LINES)).replace("=", " ").split()) >= 3
    cell0, factor0 = _cells(head, np.zeros(1, np.int64), 1)

    estimate = stream.estimate_frames(int(head.starts[preamble]), _frame_bytes(head, preamble,
                                                                               stride))
    positions = FrameArray((n_atoms, 3), estimate, stream.name)
    cells = FrameArray((3, 3), estimate if variable else 1, stream.name)
    numbers: list[np.ndarray] | None = [] if numbered else None
    for text in stream.pieces(preamble, stride, _HEADER_LINES + 1 if variable else 1):
        offset = preamble if text.frame0 == 0 else 0
        n_full, rem = divmod(text.n_lines - offset, stride)
        header_rows = np.arange(n_full + 1, dtype=np.int64) * stride
        config_rows = header_rows + (_HEADER_LINES if variable else offset)
        _check_layout(text, head, config_rows, header_rows, variable, n_atoms, n_full, rem)
        header_rows, config_rows = header_rows[:n_full], config_rows[:n_full]
        if n_full == 0:
            continue
        if numbers is not None:
            numbers = _configuration_numbers(text, config_rows, numbers)
        if variable:
            frame_cells, factor = _cells(text, header_rows, n_full)
            cells.append(frame_cells)
        else:
            frame_cells, factor = (np.broadcast_to(cell0[:1], (n_full, 3, 3)),
                                   np.broadcast_to(factor0[:1], (n_full,)))
        frames = text.columns(config_rows + 1, n_atoms, [0, 1, 2], n_tokens=3,
                              what="atom line").floats.reshape(n_full, n_atoms, 3)
        text.check_finite(frames, config_rows + 1)
        if cartesian:
            frames *= factor[:, None, None]
        else:
            frames = np.einsum("fni,fij->fnj", frames, frame_cells)
        positions.append(frames)
    if numbers is not None:
        first_config = preamble + (_HEADER_LINES if variable else 0)
        _check_configuration_numbers(head, np.concatenate(numbers), first_config, stride)
    n_frames = positions.n
    all_cells = cells.result() if variable else np.broadcast_to(cell0, (n_frames, 3, 3)).copy()
    return Trajectory(positions=positions.result(), species=species, cells=all_cells,
                      unwrapped=False, source=source)


def _frame_bytes(head: TextFile, preamble: int, stride: int) -> int:
    """Bytes of frame 0 (or of what the head holds of it)."""
    end = min(preamble + stride, head.n_lines)
    return int(head.starts[end] - head.starts[preamble])


def _elements(text: TextFile) -> tuple[list[str], list[int]]:
    labels = text.tokens(5)
    counts = text.tokens(6)
    if labels and all(_is_number(t) for t in labels):
        raise text.error("no element line (VASP 4 format); add the element symbols above the "
                         "atom counts (VASP 5 format)", line=5)
    if not labels or not counts or not all(c.isdigit() for c in counts):
        raise text.error(f"expected the atom counts per element, found {text.line(6)!r}", line=6)
    if len(labels) != len(counts):
        raise text.error(f"{len(labels)} element labels but {len(counts)} atom counts", line=6)
    symbols = []
    for label in labels:
        symbol = label.split("_")[0].split("/")[0]
        if not Element.is_valid_symbol(symbol):
            raise text.error(f"unknown element {label!r}", line=5)
        symbols.append(symbol)
    return symbols, [int(c) for c in counts]


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _is_config_line(text: TextFile, row: int) -> bool:
    tokens = text.tokens(row)
    return bool(tokens) and tokens[0][:1].lower() in "dck" and not _is_number(tokens[0])


def _is_variable_cell(text: TextFile, n_atoms: int) -> bool:
    """True when the header repeats before every frame (the cell changes)."""
    if not _is_config_line(text, _HEADER_LINES):
        raise text.error(f"expected 'Direct configuration=' or 'Cartesian configuration=', found "
                         f"{text.line(_HEADER_LINES)!r}", line=_HEADER_LINES, frame=0)
    following = _HEADER_LINES + n_atoms + 1
    if following >= text.n_lines or _is_config_line(text, following):
        return False
    if following + 5 < text.n_lines and text.first_mismatch(np.array([following + 5]), 5) < 0:
        return True
    raise text.error(f"expected the next configuration line (or a repeated header) after "
                     f"{n_atoms} atom lines, found {text.line(following)!r}; frame 0 has more "
                     f"than {n_atoms} atom lines?", line=following, frame=1)


def _check_layout(text: TextFile, head: TextFile, config_rows: np.ndarray,
                  header_rows: np.ndarray, variable: bool, n_atoms: int, n_full: int,
                  rem: int) -> None:
    """Every frame of a piece has its configuration line where frame 0's layout (in ``head``)
    puts it (and, for a variable cell, the same element and count lines); the last frame of
    the file is complete."""
    problems: list[tuple[int, int, str]] = []
    present = config_rows[config_rows < text.n_checkable]
    first = text.first_bytes(present) | 32  # lower case
    kind = head.first_bytes(np.array([_HEADER_LINES]))[0] | 32
    bad = np.flatnonzero(first != kind)
    if bad.size:
        k = int(bad[0])
        frame = k + text.frame0
        hint = (f"; frame {frame - 1} has more or fewer than {n_atoms} atom lines"
                if frame > 0 else "")
        problems.append((k, int(present[k]), f"expected a configuration line like "
                         f"{head.line(_HEADER_LINES)!r}, found "
                         f"{text.line(int(present[k]))!r}{hint}"))
    if variable:
        for offset in (5, 6):
            rows = header_rows + offset
            rows = rows[rows < text.n_checkable]
            k = text.first_mismatch(rows, offset, head)
            if k >= 0:
                problems.append((k, int(rows[k]), f"expected {head.line(offset)!r} as in frame "
                                 f"0, found {text.line(int(rows[k]))!r}"))
    if rem:
        last = int(header_rows[-1] if variable else config_rows[-1])
        problems.append((n_full, last, "incomplete frame (truncated file?)"))
    if problems:
        k, line, message = min(problems)
        raise text.error(message, line=line, frame=k)


def _configuration_numbers(text: TextFile, config_rows: np.ndarray,
                           numbers: list[np.ndarray]) -> list[np.ndarray] | None:
    """``numbers`` with this piece's configuration numbers added; None (not checked) when
    they are not all integers."""
    cols = text.try_columns(config_rows, 1, [2], n_tokens=3, what="configuration line",
                            delim="=")
    values = as_integers(cols.floats[:, 0]) if cols.error is None else None
    if values is None:
        logger.info("%s: configuration numbers are not all integers; not checked", text.path)
        return None
    return [*numbers, values]


def _check_configuration_numbers(head: TextFile, numbers: np.ndarray, first_config: int,
                                 stride: int) -> None:
    """Configuration numbers step by frame 0 to 1's constant stride (``first_config`` is the
    line of frame 0's configuration line, ``stride`` the lines per frame)."""
    diffs = np.diff(numbers)
    bad = np.flatnonzero((diffs <= 0) | (diffs != diffs[0] if diffs.size else False))
    if bad.size:
        k = int(bad[0]) + 1
        raise head.error(f"configuration {numbers[k]} follows {numbers[k - 1]}, but the numbers "
                         f"step by {diffs[0]} from frame 0 to 1; frames must be evenly spaced and "
                         "in order", line=first_config + k * stride, frame=k)
    if diffs.size:
        logger.info("%s: %d frames, configurations %d to %d every %d", head.path,
                    numbers.size, numbers[0], numbers[-1], diffs[0])


def _cells(text: TextFile, header_rows: np.ndarray, n_frames: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """Lattice vectors (rows, Å) of every frame with the scale factor applied, and that factor
    (which also turns 'Cartesian configuration' numbers into Å)."""
    lattice = text.columns(header_rows + 2, 3, [0, 1, 2], n_tokens=3,
                           what="lattice line").floats.reshape(-1, 3, 3)
    scale = text.columns(header_rows + 1, 1, [0], n_tokens=1, what="scale factor").floats[:, 0]
    volumes = np.linalg.det(lattice)
    bad = np.flatnonzero((scale == 0) | ((scale < 0) & (volumes == 0)))
    if bad.size:
        k = int(bad[0])
        raise text.error(f"cannot apply scale factor {scale[k]:g}", line=int(header_rows[k]) + 1,
                         frame=k)
    factor = np.where(scale > 0, scale, np.cbrt(np.abs(scale) / np.abs(volumes)))
    cells = lattice * factor[:, None, None]
    if cells.shape[0] == 1:
        cells = np.broadcast_to(cells, (n_frames, 3, 3)).copy()
        factor = np.broadcast_to(factor, (n_frames,))
    return cells, factor
