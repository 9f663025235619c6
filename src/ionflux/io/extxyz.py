"""Extended XYZ reader (the format ASE, GPUMD, i-PI and many ML-potential codes write).

Per frame: the atom count, a comment line of ``key=value`` pairs, one line per atom. Keys read
(case-insensitive unless noted):

- ``Lattice="ax ay az bx by bz cx cy cz"`` (Å, lattice vectors as rows) on **every** frame;
  variable cells are fine. A frame without it is an error: transport needs the cell volume.
- ``Properties=species:S:1:pos:R:3...`` (default ``species:S:1:pos:R:3``): locates the element
  column (``species`` of type S, or atomic numbers ``Z`` of type I) and the Cartesian ``pos``
  columns (Å); other columns are skipped. It must be the same on every frame.
- ``time=`` (fs; also ``Time=``): per-frame times, on all frames or none; they become
  ``times_fs`` (evenly spaced and increasing, checked by :class:`Trajectory`).
- ``temperature=`` or ``T=`` (exact case; K): taken as the run temperature when every frame
  states the same value; values that change between frames are instantaneous kinetic
  temperatures and are not used (``temperature_K`` stays ``None``).
- ``unwrapped=T`` (``T``/``True``/``1`` or ``F``/``False``/``0``): the positions are continuous in
  time (already unwrapped). Without it positions are taken as wrapped, which is always safe: the
  minimum-image unwrapping of :meth:`Trajectory.unwrap` leaves continuous data with small steps
  unchanged.
- ``pbc=``: if present must be periodic in all three directions.

Atoms must keep their order between frames (checked through the element column).
"""

from __future__ import annotations

import logging

import numpy as np
from pymatgen.core import Element

from ionflux.io.stream import FrameArray, TextStream
from ionflux.io.textscan import TextFile, as_integers, decode_label
from ionflux.io.trajectory import Trajectory, TrajectorySource

logger = logging.getLogger(__name__)

DEFAULT_PROPERTIES = "species:S:1:pos:R:3"
#: Comment-line keys read (all case-insensitive except ``T``).
_KEYS = ("lattice", "properties", "time", "temperature", "T", "unwrapped", "pbc")
_Spans = dict[str, tuple[np.ndarray, np.ndarray]]
_TRUE = {"t", "true", "1", "yes"}
_FALSE = {"f", "false", "0", "no"}


def read_extxyz(stream: TextStream, source: TrajectorySource) -> Trajectory:
    """Read every frame of an extended XYZ file (see the module docstring for the keys),
    piece by piece; frame 0 (held apart as ``head``) is what later frames are checked
    against."""
    head = stream.head(1)
    if head.n_lines == 0:
        raise head.error("empty file")
    n_atoms = _frame0_atom_count(head)
    stride = n_atoms + 2
    head = stream.head(stride)
    estimate = stream.estimate_frames(0, int(head.starts[min(stride, head.n_lines)]))
    positions = FrameArray((n_atoms, 3), estimate, stream.name)
    cells = FrameArray((3, 3), estimate, stream.name)
    times: list[np.ndarray] | None = []
    temperatures: list[np.ndarray] | None = []
    frame0: _Frame0 | None = None
    for text in stream.pieces(0, stride):
        n_full, rem = divmod(text.n_lines, stride)
        heads = np.arange(n_full + 1, dtype=np.int64) * stride
        _check_atom_counts(text, heads[heads < text.n_checkable], n_atoms)
        heads = heads[:n_full + (rem > 0)]
        if rem:
            raise text.error(f"incomplete frame: {rem} of its {stride} lines (truncated file?)",
                             line=int(heads[-1]), frame=n_full)
        heads = heads[:n_full]
        if n_full == 0:
            continue
        comments = heads + 1
        spans = text.find_keys(comments, _KEYS, [key != "T" for key in _KEYS])
        cells.append(_lattices(text, comments, spans))
        if frame0 is None:
            frame0 = _Frame0(head)
        _check_properties(text, comments, spans, frame0)
        times = _collect(times, _per_frame_value(text, comments, spans, frame0, ("time",)))
        temperatures = _collect(temperatures, _per_frame_value(
            text, comments, spans, frame0, ("temperature", "T")))
        _check_unwrapped(text, comments, spans, frame0)
        label_tokens = [frame0.species_col] if frame0.species_kind == "S" else []
        extra_tokens = [frame0.species_col] if frame0.species_kind == "I" else []
        cols = text.columns(heads + 2, n_atoms, [frame0.pos_col + k for k in range(3)],
                            label_tokens, frame0.n_columns, extra_tokens=extra_tokens,
                            what="atom line")
        codes = cols.labels if label_tokens else cols.extras
        frame0.check_species(text, heads, codes.reshape(-1, n_atoms))
        frames = cols.floats.reshape(n_full, n_atoms, 3)
        text.check_finite(frames, heads + 2)
        positions.append(frames)
    if frame0 is None or frame0.species is None:
        raise head.error("no complete frame", frame=0)
    return Trajectory(positions=positions.result(), species=frame0.species,
                      cells=cells.result(), unwrapped=frame0.unwrapped,
                      times_fs=None if times is None else np.concatenate(times),
                      temperature_K=_temperature(stream.name, temperatures), source=source)


def _collect(values: list[np.ndarray] | None, more: np.ndarray | None
             ) -> list[np.ndarray] | None:
    """Per-frame values of the pieces read so far (None when frame 0 has none)."""
    return None if values is None or more is None else [*values, more]


class _Frame0:
    """What frame 0 (``head``) says every frame has: columns, keys present, the unwrapped
    flag, the species (set from the first piece's atom lines)."""

    def __init__(self, head: TextFile) -> None:
        self.head = head
        self.spans = head.find_keys(np.array([1]), _KEYS, [key != "T" for key in _KEYS])
        (self.species_col, self.species_kind, self.pos_col,
         self.n_columns) = _properties(head, self.spans)
        self.unwrapped = _unwrapped_flag(head, self.spans)
        _check_pbc(head, 1, self.spans)
        self.codes: np.ndarray | None = None
        self.species: tuple[str, ...] | None = None

    def check_species(self, text: TextFile, heads: np.ndarray, codes: np.ndarray) -> None:
        """Atoms keep frame 0's elements in every frame of the piece (``codes``: frames x
        atoms); frame 0's symbols are checked and kept."""
        numeric = self.species_kind == "I"
        if self.codes is None:
            self.codes = codes[0].copy()
            self.species = _symbols(text, heads, self.codes, numeric)
        differs = codes != self.codes
        bad_frames = np.flatnonzero(differs.any(axis=1))
        if bad_frames.size:
            k = int(bad_frames[0])
            j = int(np.argmax(differs[k]))
            raise text.error(f"atom {j} is {_label(codes[k, j], numeric)!r} but "
                             f"{_label(self.codes[j], numeric)!r} in frame 0; atoms must keep "
                             "their order", line=int(heads[k]) + 2 + j, frame=k)


def _frame0_atom_count(text: TextFile) -> int:
    tokens = text.tokens(0)
    if len(tokens) != 1 or not tokens[0].isdigit() or int(tokens[0]) <= 0:
        raise text.error(f"expected the number of atoms, found {text.line(0)!r} "
                         "(not an extended XYZ file?)", line=0, frame=0)
    return int(tokens[0])


def _check_atom_counts(text: TextFile, heads: np.ndarray, n_atoms: int) -> None:
    cols = text.try_columns(heads, 1, [0], n_tokens=1, what="atom-count line")
    counts = cols.floats[: cols.n_ok, 0]
    bad = np.flatnonzero(counts != n_atoms)
    if bad.size:
        k = int(bad[0])
        raise text.error(f"{counts[k]:g} atoms, but frame 0 has {n_atoms}; the "
                         "number of atoms must not change", line=int(heads[k]), frame=k)
    if cols.error is not None:
        k = cols.n_ok
        frame = k + text.frame0
        raise text.error(f"expected the atom count of frame {frame} ({n_atoms}), found "
                         f"{text.line(int(heads[k]))!r}; frame {frame - 1} has more or fewer "
                         f"than {n_atoms} atom lines", line=int(heads[k]), frame=k)


def _lattices(text: TextFile, comments: np.ndarray, spans: _Spans) -> np.ndarray:
    start, end = spans["lattice"]
    missing = np.flatnonzero(start < 0)
    if missing.size:
        k = int(missing[0])
        raise text.error("no Lattice=\"...\" on the comment line; ionflux needs the periodic "
                         "cell of every frame", line=int(comments[k]), frame=k)
    return text.span_floats(start, end, 9, comments, "Lattice").reshape(-1, 3, 3)


def _check_properties(text: TextFile, comments: np.ndarray, spans: _Spans,
                      frame0: _Frame0) -> None:
    """Every frame of the piece states frame 0's Properties= (or none, as frame 0)."""
    start, end = spans["properties"]
    ref_start, ref_end = (int(v[0]) for v in frame0.spans["properties"])
    if ref_start >= 0:
        bad = text.first_span_mismatch(start, end, ref_start, ref_end, frame0.head)
    else:
        given = np.flatnonzero(start >= 0)
        bad = int(given[0]) if given.size else -1
    if bad >= 0:
        raise text.error("Properties= differs from frame 0's; columns must not change",
                         line=int(comments[bad]), frame=bad)


def _properties(head: TextFile, spans: _Spans) -> tuple[int, str, int, int]:
    """(species token, 'S' or 'I', first pos token, number of columns) from frame 0's
    Properties (line 1 of ``head``)."""
    start, end = spans["properties"]
    spec = head.span_text(int(start[0]), int(end[0])) if start[0] >= 0 else DEFAULT_PROPERTIES
    fields = spec.split(":")
    if len(fields) % 3:
        raise head.error(f"malformed Properties={spec!r}", line=1, frame=0)
    species = pos = None
    token = 0
    for name, kind, count in zip(fields[::3], fields[1::3], fields[2::3], strict=True):
        if not count.isdigit() or kind.upper() not in {"S", "R", "I", "L"}:
            raise head.error(f"malformed Properties={spec!r}", line=1, frame=0)
        n = int(count)
        lname = name.lower()
        if lname == "species" and kind.upper() == "S" and n == 1:
            species = (token, "S")
        elif name == "Z" and kind.upper() == "I" and n == 1 and species is None:
            species = (token, "I")
        elif lname == "pos" and kind.upper() == "R" and n == 3:
            pos = token
        token += n
    if species is None or pos is None:
        raise head.error(f"Properties={spec!r} lacks a species:S:1 (or Z:I:1) or a pos:R:3 "
                         "column", line=1, frame=0)
    return species[0], species[1], pos, token


def _per_frame_value(text: TextFile, comments: np.ndarray, spans: _Spans, frame0: _Frame0,
                     keys: tuple[str, ...]) -> np.ndarray | None:
    """One number per frame of the piece under the first of ``keys`` present in frame 0;
    None if absent there."""
    for key in keys:
        start, end = spans[key]
        if frame0.spans[key][0][0] != -1:
            break
        given = np.flatnonzero(start != -1)
        if given.size:
            k = int(given[0])
            raise text.error(f"{key}= appears here but not in frame 0", line=int(comments[k]),
                             frame=k)
    else:
        return None
    missing = np.flatnonzero(start < 0)
    if missing.size:
        k = int(missing[0])
        raise text.error(f"no {key}= on the comment line, although frame 0 gives it",
                         line=int(comments[k]), frame=k)
    return text.span_floats(start, end, 1, comments, f"{key}=")[:, 0]


def _temperature(path: str, pieces: list[np.ndarray] | None) -> float | None:
    """The run temperature (K): the temperature= every frame states, if all the same."""
    if not pieces:
        return None
    values = np.concatenate(pieces)
    if np.all(values == values[0]):
        return float(values[0])
    logger.info("%s: temperature changes between frames (%g to %g K); taken as instantaneous "
                "and not used as the run temperature", path, values.min(), values.max())
    return None


def _unwrapped_flag(head: TextFile, spans: _Spans) -> bool:
    """Frame 0's unwrapped= flag (line 1 of ``head``)."""
    start, end = spans["unwrapped"]
    if start[0] == -1:
        return False
    value = "T" if start[0] == -2 else head.span_text(int(start[0]), int(end[0]))
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise head.error(f"unwrapped={value!r} is not T or F", line=1, frame=0)


def _check_unwrapped(text: TextFile, comments: np.ndarray, spans: _Spans,
                     frame0: _Frame0) -> None:
    """Every frame of the piece states frame 0's unwrapped= (or none, as frame 0)."""
    start, end = spans["unwrapped"]
    ref_start, ref_end = (int(v[0]) for v in frame0.spans["unwrapped"])
    if ref_start == -1:
        given = np.flatnonzero(start != -1)
        if given.size:
            k = int(given[0])
            raise text.error("unwrapped= appears here but not in frame 0",
                             line=int(comments[k]), frame=k)
        return
    value = "T" if ref_start == -2 else frame0.head.span_text(ref_start, ref_end)
    bad = text.first_span_mismatch(start, end, ref_start, ref_end, frame0.head)
    if bad >= 0:
        raise text.error(f"unwrapped= differs from frame 0's ({value!r})",
                         line=int(comments[bad]), frame=bad)


def _check_pbc(text: TextFile, comment: int, spans: _Spans) -> None:
    start, end = spans["pbc"]
    if start[0] < 0:
        return
    flags = text.span_text(int(start[0]), int(end[0])).split()
    if len(flags) != 3 or not all(f.lower() in _TRUE for f in flags):
        raise text.error(f"pbc={' '.join(flags)!r}: transport needs a cell periodic in all three "
                         "directions", line=comment, frame=0)


def _symbols(text: TextFile, heads: np.ndarray, codes: np.ndarray, numeric: bool
             ) -> tuple[str, ...]:
    """Element symbols of frame 0's atoms (``codes``, the first frame of the first piece)."""
    symbols = {}
    for code in np.unique(codes):
        symbol = _label(code, numeric)
        if not Element.is_valid_symbol(symbol):
            j = int(np.argmax(codes == code))
            raise text.error(f"unknown element {symbol!r}", line=int(heads[0]) + 2 + j, frame=0)
        symbols[code] = symbol
    return tuple(symbols[c] for c in codes)


def _label(code: float | int, numeric: bool) -> str:
    if not numeric:
        return decode_label(int(code))
    z = as_integers(np.array([code]))
    if z is None or not 1 <= z[0] <= 118:
        return f"Z={code:g}"
    return Element.from_Z(int(z[0])).symbol
