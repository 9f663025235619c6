"""LAMMPS text dump reader (``dump atom`` / ``dump custom``).

Each frame is ``ITEM: TIMESTEP``, ``ITEM: NUMBER OF ATOMS``, ``ITEM: BOX BOUNDS ...`` and
``ITEM: ATOMS <columns>``, optionally ``ITEM: TIME`` (``dump_modify time yes``) and, once at the
top, ``ITEM: UNITS`` (``dump_modify units yes``). What is read:

- Box: orthogonal (``xlo xhi`` per line), restricted triclinic (``ITEM: BOX BOUNDS xy xz yz``:
  bounding box plus tilt, converted with :func:`lammps_box_to_cell` as the LAMMPS manual's
  "Triclinic (non-orthogonal) simulation boxes" page defines), and general triclinic
  (``ITEM: BOX BOUNDS abc origin``: edge vectors and origin). All boundaries must be periodic.
- Coordinates, first found of: ``xu yu zu`` and ``xsu ysu zsu`` (unwrapped); ``x y z`` or
  ``xs ys zs`` with image flags ``ix iy iz`` (unwrapped exactly: r + ix a + iy b + iz c);
  ``x y z`` or ``xs ys zs`` alone (wrapped). Scaled coordinates are fractional in the box.
  Positions are absolute Cartesian (the box origin is kept).
- Species: an ``element`` column, else ``type`` mapped through ``type_map`` (type labels that
  are element symbols are used directly). Neither is an error.
- Atoms are matched between frames by ``id`` (dumps are often unsorted) and returned in
  increasing id order; the id set must not change.
- ``TIMESTEP`` values are MD step numbers, not times: they must increase strictly by a constant
  stride, which is logged (the frame interval in fs must come from the caller, or from
  ``ITEM: TIME`` when ``ITEM: UNITS`` says which time unit it is in).
"""

from __future__ import annotations

import logging

import numba as nb
import numpy as np
from pymatgen.core import Element

from ionflux.errors import InputError
from ionflux.io.stream import FrameArray, TextStream
from ionflux.io.textscan import TextFile, as_integers, decode_label
from ionflux.io.trajectory import Trajectory, TrajectorySource

logger = logging.getLogger(__name__)

#: Lines read to learn frame 0's ITEM layout (at most 13 precede the atom lines).
_HEAD_LINES = 16
#: Lines of values after each ITEM line (ATOMS: one per atom).
_VALUE_LINES = {"UNITS": 1, "TIME": 1, "TIMESTEP": 1, "NUMBER OF ATOMS": 1, "BOX BOUNDS": 3}

#: Femtoseconds per LAMMPS time unit for each ``units`` style (LAMMPS manual, ``units``).
TIME_UNIT_FS = {"real": 1.0, "metal": 1e3, "electron": 1.0, "si": 1e15, "cgs": 1e15,
                "micro": 1e9, "nano": 1e6}

#: Coordinate column triples in order of preference: (names, scaled, unwrapped).
_COORDINATES = ((("xu", "yu", "zu"), False, True), (("xsu", "ysu", "zsu"), True, True),
                (("x", "y", "z"), False, False), (("xs", "ys", "zs"), True, False))

#: Frames converted at once when turning fractional/image data into Cartesian positions.
_CHUNK_FRAMES = 4096


def lammps_box_to_cell(bounds: np.ndarray, tilts: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Lattice vectors (rows, Å) and origin of LAMMPS (restricted triclinic) dump boxes.

    Args:
        bounds: (..., 3, 2) ``[[xlo_bound, xhi_bound], [ylo_bound, yhi_bound],
            [zlo_bound, zhi_bound]]`` as written in the dump (for a triclinic box the bounding
            box of the tilted cell).
        tilts: (..., 3) tilt factors ``xy, xz, yz``; None for an orthogonal box.

    Returns:
        ``(cells, origins)`` with shapes (..., 3, 3) and (..., 3): a = (xhi - xlo, 0, 0),
        b = (xy, yhi - ylo, 0), c = (xz, yz, zhi - zlo), origin (xlo, ylo, zlo), where
        xlo = xlo_bound - min(0, xy, xz, xy + xz), xhi = xhi_bound - max(0, xy, xz, xy + xz),
        ylo = ylo_bound - min(0, yz), yhi = yhi_bound - max(0, yz), zlo/zhi = the bounds.
    """
    bounds = np.asarray(bounds, dtype=np.float64)
    if tilts is None:
        tilts = np.zeros((*bounds.shape[:-2], 3))
    tilts = np.asarray(tilts, dtype=np.float64)
    xy, xz, yz = tilts[..., 0], tilts[..., 1], tilts[..., 2]
    zero = np.zeros_like(xy)
    x_candidates = np.stack([zero, xy, xz, xy + xz])
    xlo = bounds[..., 0, 0] - x_candidates.min(axis=0)
    xhi = bounds[..., 0, 1] - x_candidates.max(axis=0)
    ylo = bounds[..., 1, 0] - np.minimum(zero, yz)
    yhi = bounds[..., 1, 1] - np.maximum(zero, yz)
    zlo, zhi = bounds[..., 2, 0], bounds[..., 2, 1]
    cells = np.zeros((*bounds.shape[:-2], 3, 3))
    cells[..., 0, 0] = xhi - xlo
    cells[..., 1, 0] = xy
    cells[..., 1, 1] = yhi - ylo
    cells[..., 2, 0] = xz
    cells[..., 2, 1] = yz
    cells[..., 2, 2] = zhi - zlo
    return cells, np.stack([xlo, ylo, zlo], axis=-1)


def read_lammps_dump(stream: TextStream, source: TrajectorySource,
                     type_map: dict[int, str] | None = None) -> Trajectory:
    """Read every frame of a LAMMPS text dump (see the module docstring), piece by piece;
    frame 0 (held apart as ``head``) is what later frames are checked against."""
    head = stream.head(_HEAD_LINES)
    if head.n_lines == 0:
        raise head.error("empty file")
    layout = _Layout.from_frame0(head)
    head = stream.head(layout.preamble + layout.stride)
    n_atoms = layout.n_atoms
    cols = layout.columns
    _check_boundaries(head, layout)
    names, scaled, unwrapped = _coordinate_columns(head, cols)
    images = [cols.index(c) for c in ("ix", "iy", "iz")] if all(
        c in cols for c in ("ix", "iy", "iz")) and not unwrapped else []
    labels = [cols.index(c) for c in ("element", "type") if c in cols]
    if "element" in cols and type_map is None:
        labels = labels[:1]
    if not labels:
        raise InputError(f"{head.path}: the dump has neither an 'element' nor a 'type' column")
    time_fs = _time_unit_fs(head, layout)

    frame_bytes = int(head.starts[min(layout.preamble + layout.stride, head.n_lines)]
                      - head.starts[layout.preamble])
    estimate = stream.estimate_frames(int(head.starts[layout.preamble]), frame_bytes)
    positions = FrameArray((n_atoms, 3), estimate, stream.name)
    cells = FrameArray((3, 3), estimate, stream.name)
    steps: list[np.ndarray] = []
    times: list[np.ndarray] = []
    ref_ids: np.ndarray | None = None
    ref_codes: np.ndarray | None = None
    species: tuple[str, ...] = ()
    for text in stream.pieces(layout.preamble, layout.stride):
        heads = layout.check_frames(text, head)
        n_frames = heads.size
        if n_frames == 0:
            continue
        steps.append(_timesteps(text, heads + layout.value_line("TIMESTEP")))
        if time_fs is not None:
            rows = heads + layout.value_line("TIME")
            times.append(text.columns(rows, 1, [0], n_tokens=1, what="TIME").floats[:, 0]
                         * time_fs)
        frame_cells, origins = _boxes(text, heads, layout)
        first_lines = heads + layout.header_len
        # One pass over the atom lines, straight into the result; extras = id (+ image
        # flags), in file order.
        frames = positions.extend(n_frames)
        parsed = text.columns(first_lines, n_atoms, [cols.index(c) for c in names], labels,
                              len(cols), extra_tokens=[cols.index("id"), *images],
                              what="atom line", out=frames.reshape(-1, 3))
        text.check_finite(frames, first_lines)
        extras = parsed.extras
        if images:
            _check_image_flags(text, extras[:, 1:], first_lines, n_atoms)
        if ref_ids is None:
            ref_ids = _reference_ids(text, extras[:n_atoms, 0], int(first_lines[0]))
        codes = parsed.labels
        bad = _sort_by_id(extras, ref_ids, frames.reshape(-1, 3), codes)
        if bad >= 0:
            message = _id_set_difference(text, first_lines, n_atoms, bad, ref_ids,
                                         cols.index("id"))
            raise text.error(message, line=int(first_lines[bad]), frame=bad)
        codes = codes.reshape(n_frames, n_atoms, -1)
        label_names = [cols[t] for t in labels]
        if ref_codes is None:
            ref_codes = codes[0].copy()
            species = _species(text, ref_codes, label_names, type_map, first_lines,
                               cols.index("id"), ref_ids)
        _check_labels(text, codes, ref_codes, label_names, first_lines, cols.index("id"),
                      ref_ids)
        shifts = extras[:, 1:].reshape(n_frames, n_atoms, 3) if images else None
        _to_cartesian(frames, frame_cells, origins, scaled, shifts)
        cells.append(frame_cells)
    all_steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
    step_rows = (layout.preamble + layout.value_line("TIMESTEP")
                 + layout.stride * np.arange(all_steps.size, dtype=np.int64))
    _check_even(head, all_steps, step_rows, "TIMESTEP")
    if all_steps.size > 1:
        logger.info("%s: %d frames, TIMESTEP %d to %d every %d steps", head.path,
                    all_steps.size, all_steps[0], all_steps[-1], all_steps[1] - all_steps[0])
    return Trajectory(positions=positions.result(), species=species, cells=cells.result(),
                      unwrapped=unwrapped or bool(images),
                      times_fs=np.concatenate(times) if times else None, source=source)


def _check_image_flags(text: TextFile, flags: np.ndarray, first_lines: np.ndarray,
                       n_atoms: int) -> None:
    bad = np.flatnonzero((np.rint(flags) != flags).any(axis=1))
    if bad.size:
        k, j = divmod(int(bad[0]), n_atoms)
        raise text.error(f"image flags {' '.join(f'{v:g}' for v in flags[bad[0]])} are not "
                         "integers", line=int(first_lines[k]) + j, frame=k)


@nb.njit(cache=True)
def _sort_by_id(extras, ref, positions, codes):
    """In place, frame by frame: put atoms in increasing id order (ids in ``extras[:, 0]``,
    whole numbers). Every frame must hold exactly the ids ``ref`` (sorted, unique); returns the
    first frame that does not, or -1. O(atoms) per frame: an id's rank is its offset when the
    ids are consecutive, else a binary search in ``ref``."""
    n = ref.size
    n_x = extras.shape[1]
    n_c = codes.shape[1]
    consecutive = ref[n - 1] - ref[0] == n - 1
    stamp = np.full(n, -1, np.int64)
    rank = np.empty(n, np.int64)
    pos = np.empty((n, 3))
    ext = np.empty((n, n_x))
    lab = np.empty((n, n_c), np.int64)
    for f in range(extras.shape[0] // n):
        lo = f * n
        identity = True
        for j in range(n):
            v = extras[lo + j, 0]
            if not (ref[0] <= v <= ref[n - 1]):  # also catches NaN
                return f
            if consecutive:
                r = np.int64(v - ref[0])
                if ref[r] != v:  # not a whole number
                    return f
            else:
                r = np.searchsorted(ref, v)
                if r >= n or ref[r] != v:
                    return f
            if stamp[r] == f:
                return f
            stamp[r] = f
            rank[j] = r
            identity = identity and r == j
        if identity:
            continue
        for j in range(n):
            r = rank[j]
            for c in range(3):
                pos[r, c] = positions[lo + j, c]
            for c in range(n_x):
                ext[r, c] = extras[lo + j, c]
            for c in range(n_c):
                lab[r, c] = codes[lo + j, c]
        for j in range(n):
            for c in range(3):
                positions[lo + j, c] = pos[j, c]
            for c in range(n_x):
                extras[lo + j, c] = ext[j, c]
            for c in range(n_c):
                codes[lo + j, c] = lab[j, c]
    return -1


def _reference_ids(text: TextFile, ids: np.ndarray, first_line: int) -> np.ndarray:
    """Frame 0's ids, sorted; an id that is not a whole number or repeats is an error."""
    bad = np.flatnonzero(np.rint(ids) != ids)
    if bad.size:
        raise text.error(f"atom id {ids[bad[0]]:g} is not an integer",
                         line=first_line + int(bad[0]), frame=0)
    ref = np.sort(ids)
    repeats = np.flatnonzero(ref[1:] == ref[:-1])
    if repeats.size:
        value = ref[repeats[0]]
        j = int(np.flatnonzero(ids == value)[1])
        raise text.error(f"atom id {value:g} appears twice", line=first_line + j, frame=0)
    return ref


def _frame_ids(text: TextFile, first_lines: np.ndarray, n_atoms: int, frame: int,
               id_token: int) -> np.ndarray:
    """The ids of one frame in file order (re-read, for error messages)."""
    return text.columns(first_lines[frame:frame + 1], n_atoms, [id_token]).floats[:, 0]


def _id_set_difference(text: TextFile, first_lines: np.ndarray, n_atoms: int, frame: int,
                       ref: np.ndarray, id_token: int) -> str:
    ids = _frame_ids(text, first_lines, n_atoms, frame, id_token)
    not_whole = ids[np.rint(ids) != ids]
    if not_whole.size:
        return f"atom id {not_whole[0]:g} is not an integer"
    missing = np.setdiff1d(ref, ids)
    extra = np.setdiff1d(ids, ref)
    detail = (f"id {missing[0]:g} is missing" if missing.size else
              f"id {extra[0]:g} is not in frame 0" if extra.size else "an id appears twice")
    return f"the atom ids differ from frame 0's ({detail})"


class _Layout:
    """Line layout of a frame, learnt from frame 0 and checked on every other frame."""

    def __init__(self, preamble: int, items: dict[str, int], n_atoms: int, units: str | None,
                 box_tokens: list[str], columns: list[str]) -> None:
        self.preamble = preamble  # lines before frame 0 (ITEM: UNITS appears once)
        self.items = items  # ITEM kind -> its line offset within a frame
        self.n_atoms = n_atoms
        self.units = units
        self.box_tokens = box_tokens
        self.columns = columns
        self.header_len = items["ATOMS"] + 1
        self.stride = self.header_len + n_atoms

    def value_line(self, kind: str) -> int:
        return self.items[kind] + 1

    @classmethod
    def from_frame0(cls, text: TextFile) -> _Layout:
        preamble, units = 0, None
        if text.line(0).strip().startswith("ITEM: UNITS"):
            units = text.line(1).strip().lower()
            preamble = 2
        items: dict[str, int] = {}
        row = preamble
        while True:
            if row >= text.n_lines:
                raise text.error("file ends before the first 'ITEM: ATOMS' line", frame=0)
            line = text.line(row, max_chars=10_000).strip()
            kind = _item_kind(line)
            if kind is None:
                raise text.error(f"expected an 'ITEM: ...' line, found {text.line(row)!r} (not a "
                                 "LAMMPS text dump?)", line=row, frame=0)
            if kind in items:
                raise text.error(f"'ITEM: {kind}' appears twice before 'ITEM: ATOMS'",
                                 line=row, frame=0)
            items[kind] = row - preamble
            if kind == "ATOMS":
                break
            row += 1 + _VALUE_LINES[kind]
        for required in ("TIMESTEP", "NUMBER OF ATOMS", "BOX BOUNDS"):
            if required not in items:
                raise text.error(f"frame 0 has no 'ITEM: {required}'", frame=0)
        count_line = preamble + items["NUMBER OF ATOMS"] + 1
        count = text.tokens(count_line)
        if len(count) != 1 or not count[0].isdigit() or int(count[0]) == 0:
            raise text.error(f"expected the number of atoms, found {text.line(count_line)!r}",
                             line=count_line, frame=0)
        box_tokens = text.tokens(preamble + items["BOX BOUNDS"])[3:]
        columns = text.tokens(preamble + items["ATOMS"])[2:]
        if len(set(columns)) != len(columns) or not columns:
            raise text.error(f"bad column list {text.line(preamble + items['ATOMS'])!r}",
                             line=preamble + items["ATOMS"], frame=0)
        if "id" not in columns:
            raise text.error("no 'id' column: atoms cannot be matched between frames (add id to "
                             "the dump command)", line=preamble + items["ATOMS"], frame=0)
        return cls(preamble, items, int(count[0]), units, box_tokens, columns)

    def check_frames(self, text: TextFile, head: TextFile) -> np.ndarray:
        """First line of every frame of a piece, after checking that all its frames share
        frame 0's layout (frame 0 is in ``head``)."""
        lead = self.preamble if text.frame0 == 0 else 0
        n_full, rem = divmod(text.n_lines - lead, self.stride)
        heads = lead + np.arange(n_full + 1, dtype=np.int64) * self.stride
        # (frame, line, message) of each problem found; the earliest one is reported, because
        # a bad frame (say one atom line too many) misplaces every later frame.
        problems: list[tuple[int, int, str]] = []
        for offset in self.items.values():
            rows = heads + offset
            rows = rows[rows < text.n_checkable]
            k = text.first_mismatch(rows, self.preamble + offset, head)
            if k >= 0:
                frame = k + text.frame0
                hint = (f"; frame {frame - 1} has more or fewer than {self.n_atoms} atom lines"
                        if offset == 0 and frame > 0 else "")
                expected = head.line(self.preamble + offset)
                problems.append((k, int(rows[k]), f"expected {expected!r}, found "
                                 f"{text.line(int(rows[k]))!r}{hint}"))
        counts_rows = heads + self.value_line("NUMBER OF ATOMS")
        counts_rows = counts_rows[counts_rows < text.n_checkable]
        counts = text.try_columns(counts_rows, 1, [0], n_tokens=1, what="atom count")
        bad = np.flatnonzero(counts.floats[: counts.n_ok, 0] != self.n_atoms)
        if bad.size:
            k = int(bad[0])
            problems.append((k, int(counts_rows[k]), f"{counts.floats[k, 0]:g} atoms, but frame 0 "
                             f"has {self.n_atoms}; the number of atoms must not change"))
        if counts.error is not None:
            problems.append((counts.n_ok, int(counts_rows[counts.n_ok]), _bare(counts.error)))
        if rem:
            problems.append((n_full, int(heads[-1]), f"incomplete frame: {rem} of its "
                             f"{self.stride} lines (truncated file?)"))
        if problems:
            k, line, message = min(problems)
            raise text.error(message, line=line, frame=k)
        return heads[:n_full]


def _item_kind(line: str) -> str | None:
    if not line.startswith("ITEM:"):
        return None
    label = line[5:].strip()
    for kind in ("TIMESTEP", "NUMBER OF ATOMS", "BOX BOUNDS", "ATOMS", "UNITS"):
        if label.startswith(kind):
            return kind
    if label.split()[:1] == ["TIME"]:
        return "TIME"
    return None


def _bare(error: Exception) -> str:
    """The message of a located error without its 'path: frame k (line n): ' prefix."""
    return str(error).split("): ", 1)[-1]


def _timesteps(text: TextFile, rows: np.ndarray) -> np.ndarray:
    """The TIMESTEP of every frame of a piece (whole numbers)."""
    values = text.columns(rows, 1, [0], n_tokens=1, what="TIMESTEP").floats[:, 0]
    steps = as_integers(values)
    if steps is None:
        k = int(np.flatnonzero(np.rint(values) != values)[0])
        raise text.error(f"TIMESTEP {text.line(int(rows[k]))!r} is not an integer",
                         line=int(rows[k]), frame=k)
    return steps


def _check_even(text: TextFile, values: np.ndarray, rows: np.ndarray, what: str) -> None:
    """Strictly increasing with a constant stride (exact for integers, 1e-6 relative else)."""
    if values.size < 2:
        return
    diffs = np.diff(values)
    bad = np.flatnonzero(diffs <= 0)
    if bad.size:
        k = int(bad[0]) + 1
        raise text.error(f"{what} {values[k]:g} does not increase (previous frame: "
                         f"{values[k - 1]:g})", line=int(rows[k]), frame=k)
    tol = 0 if values.dtype.kind == "i" else 1e-6 * abs(diffs[0])
    bad = np.flatnonzero(np.abs(diffs - diffs[0]) > tol)
    if bad.size:
        k = int(bad[0]) + 1
        raise text.error(f"{what} jumps by {diffs[k - 1]:g} here but by {diffs[0]:g} between "
                         "frames 0 and 1; frames must be evenly spaced (missing or duplicated "
                         "frames?)", line=int(rows[k]), frame=k)


def _time_unit_fs(head: TextFile, layout: _Layout) -> float | None:
    """Femtoseconds per unit of ``ITEM: TIME`` values; None when there are none or their unit
    is unknown (no ``ITEM: UNITS``)."""
    if "TIME" not in layout.items:
        return None
    if layout.units not in TIME_UNIT_FS:
        logger.info("%s: ITEM: TIME is ignored because the time unit is unknown (units %s); "
                    "pass the frame interval", head.path, layout.units or "not given")
        return None
    return TIME_UNIT_FS[layout.units]


def _check_boundaries(head: TextFile, layout: _Layout) -> None:
    """Frame 0's box is periodic in all three directions."""
    tokens = layout.box_tokens
    label_line = layout.preamble + layout.items["BOX BOUNDS"]
    general = tokens[:1] == ["abc"]
    flags = tokens[2:] if general else [t for t in tokens if t not in ("xy", "xz", "yz")]
    if flags and (len(flags) != 3 or any(f != "pp" for f in flags)):
        raise head.error(f"boundary {' '.join(flags)!r}: transport needs a box periodic in all "
                         "three directions ('pp pp pp')", line=label_line, frame=0)
    tilt_names = [t for t in tokens if t in ("xy", "xz", "yz")]
    if tilt_names and sorted(tilt_names) != ["xy", "xz", "yz"]:
        raise head.error(f"cannot read box tilt labels {' '.join(tokens)!r}", line=label_line,
                         frame=0)


def _boxes(text: TextFile, heads: np.ndarray, layout: _Layout
           ) -> tuple[np.ndarray, np.ndarray]:
    """Cells (rows, Å) and origins of the frames of a piece (labels checked on frame 0)."""
    tokens = layout.box_tokens
    rows = heads + layout.value_line("BOX BOUNDS")
    if tokens[:1] == ["abc"]:
        values = text.columns(rows, 3, [0, 1, 2, 3], n_tokens=4, what="box line").floats
        values = values.reshape(-1, 3, 4)
        return np.ascontiguousarray(values[:, :, :3]), values[:, :, 3].copy()
    tilt_names = [t for t in tokens if t in ("xy", "xz", "yz")]
    n = 3 if tilt_names else 2
    values = text.columns(rows, 3, list(range(n)), n_tokens=n, what="box line").floats
    values = values.reshape(-1, 3, n)
    tilts = None
    if tilt_names:
        written = values[:, :, 2]  # one tilt per line, in the order the label lists them
        tilts = written[:, [tilt_names.index(t) for t in ("xy", "xz", "yz")]]
    return lammps_box_to_cell(values[:, :, :2], tilts)


def _coordinate_columns(text: TextFile, columns: list[str]) -> tuple[tuple[str, ...], bool, bool]:
    for names, scaled, unwrapped in _COORDINATES:
        if all(c in columns for c in names):
            return names, scaled, unwrapped
    raise text.error(f"no coordinate columns (x y z, xs ys zs, xu yu zu or xsu ysu zsu) in "
                     f"'ITEM: ATOMS {' '.join(columns)}'", frame=0)


def _line_of(text: TextFile, first_lines: np.ndarray, id_token: int, ids: np.ndarray,
             frame: int, atom: int) -> int:
    """Line (of the piece) of atom ``atom`` (in id order) of frame ``frame`` of the piece."""
    file_ids = _frame_ids(text, first_lines, ids.size, frame, id_token)
    return int(first_lines[frame]) + int(np.flatnonzero(file_ids == ids[atom])[0])


def _check_labels(text: TextFile, codes: np.ndarray, ref: np.ndarray, names: list[str],
                  first_lines: np.ndarray, id_token: int, ids: np.ndarray) -> None:
    """Labels of every frame of a piece (``codes``: frames x atoms in id order x columns)
    equal frame 0's (``ref``)."""
    differs = (codes != ref).any(axis=2)
    bad = np.flatnonzero(differs.any(axis=1))
    if bad.size:
        k = int(bad[0])
        j = int(np.argmax(differs[k]))
        column = int(np.argmax(codes[k, j] != ref[j]))
        raise text.error(f"atom id {ids[j]:g} has {names[column]} "
                         f"{decode_label(codes[k, j, column])!r} here but "
                         f"{decode_label(ref[j, column])!r} in frame 0",
                         line=_line_of(text, first_lines, id_token, ids, k, j), frame=k)


def _species(text: TextFile, codes: np.ndarray, names: list[str],
             type_map: dict[int, str] | None, first_lines: np.ndarray, id_token: int,
             ids: np.ndarray) -> tuple[str, ...]:
    """Element symbols in id order from frame 0's labels (``codes``: atoms x columns, frame 0
    being the first frame of the piece ``text``)."""
    symbols: dict[tuple[int, ...], str] = {}
    for combo in np.unique(codes, axis=0):
        labels = [decode_label(c) for c in combo]
        j = int(np.argmax((codes == combo).all(axis=1)))
        symbols[tuple(combo)] = _symbol(text, dict(zip(names, labels, strict=True)), type_map,
                                        _line_of(text, first_lines, id_token, ids, 0, j))
    return tuple(symbols[tuple(c)] for c in codes)


def _symbol(text: TextFile, labels: dict[str, str], type_map: dict[int, str] | None,
            line: int) -> str:
    element = labels.get("element")
    atom_type = labels.get("type")
    mapped = None
    if atom_type is not None and type_map is not None:
        if atom_type.isdigit() and int(atom_type) in type_map:
            mapped = str(type_map[int(atom_type)])
        elif atom_type.isdigit():
            raise InputError(f"{text.where(line, 0)}: type {atom_type} is not in type_map "
                             f"{dict(sorted(type_map.items()))}")
    if element is not None:
        if mapped is not None and mapped != element:
            raise InputError(f"{text.where(line, 0)}: type_map maps type {atom_type} to "
                             f"{mapped!r} but the element column says {element!r}")
        symbol = element
    elif mapped is not None:
        symbol = mapped
    elif atom_type is not None and not atom_type.isdigit():
        symbol = atom_type  # a LAMMPS type label
    else:
        raise InputError(f"{text.path}: the dump gives numeric atom types but no 'element' "
                         "column; pass type_map={1: 'Ba', 2: 'Ti', ...}")
    if not Element.is_valid_symbol(symbol):
        raise text.error(f"unknown element {symbol!r}", line=line, frame=0)
    return symbol


def _to_cartesian(positions: np.ndarray, cells: np.ndarray, origins: np.ndarray, scaled: bool,
                  shifts: np.ndarray | None) -> None:
    """In place: fractional -> Cartesian (with origin) and/or add image-flag lattice shifts."""
    for lo in range(0, positions.shape[0], _CHUNK_FRAMES):
        sl = slice(lo, lo + _CHUNK_FRAMES)
        if scaled:
            frac = positions[sl] if shifts is None else positions[sl] + shifts[sl]
            positions[sl] = np.einsum("fni,fij->fnj", frac, cells[sl]) + origins[sl, None, :]
        elif shifts is not None:
            positions[sl] += np.einsum("fni,fij->fnj", shifts[sl], cells[sl])
