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

from ionflux.io.textscan import TextFile, as_integers, decode_label
from ionflux.io.trajectory import Trajectory, TrajectorySource

logger = logging.getLogger(__name__)

DEFAULT_PROPERTIES = "species:S:1:pos:R:3"
#: Comment-line keys read (all case-insensitive except ``T``).
_KEYS = ("lattice", "properties", "time", "temperature", "T", "unwrapped", "pbc")
_Spans = dict[str, tuple[np.ndarray, np.ndarray]]
_TRUE = {"t", "true", "1", "yes"}
_FALSE = {"f", "false", "0", "no"}


def read_extxyz(text: TextFile, source: TrajectorySource) -> Trajectory:
    """Read every frame of an extended XYZ file (see the module docstring for the keys)."""
    if text.n_lines == 0:
        raise text.error("empty file")
    n_atoms = _frame0_atom_count(text)
    stride = n_atoms + 2
    n_full, rem = divmod(text.n_lines, stride)
    heads = np.arange(n_full + (rem > 0), dtype=np.int64) * stride
    _check_atom_counts(text, heads, n_atoms)
    if rem:
        raise text.error(f"incomplete frame: {rem} of its {stride} lines (truncated file?)",
                         line=int(heads[-1]), frame=n_full)
    heads = heads[:n_full]
    comments = heads + 1

    spans = text.find_keys(comments, _KEYS, [key != "T" for key in _KEYS])
    cells = _lattices(text, comments, spans)
    species_col, species_kind, pos_col, n_columns = _properties(text, comments, spans)
    times = _per_frame_value(text, comments, spans, ("time",))
    temperature = _temperature(text, comments, spans)
    unwrapped = _unwrapped_flag(text, comments, spans)
    _check_pbc(text, int(comments[0]), spans)

    label_tokens = [species_col] if species_kind == "S" else []
    float_tokens = [pos_col, pos_col + 1, pos_col + 2]
    extra_tokens = [species_col] if species_kind == "I" else []
    cols = text.columns(heads + 2, n_atoms, float_tokens, label_tokens, n_columns,
                        extra_tokens=extra_tokens, what="atom line")
    species = _species(text, heads, n_atoms, cols.labels if label_tokens else cols.extras,
                       numeric=species_kind == "I")
    positions = cols.floats.reshape(n_full, n_atoms, 3)
    text.check_finite(positions, heads + 2)
    return Trajectory(positions=positions, species=species, cells=cells, unwrapped=unwrapped,
                      times_fs=times, temperature_K=temperature, source=source)


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
        raise text.error(f"expected the atom count of frame {k} ({n_atoms}), found "
                         f"{text.line(int(heads[k]))!r}; frame {k - 1} has more or fewer than "
                         f"{n_atoms} atom lines", line=int(heads[k]), frame=k)


def _lattices(text: TextFile, comments: np.ndarray, spans: _Spans) -> np.ndarray:
    start, end = spans["lattice"]
    missing = np.flatnonzero(start < 0)
    if missing.size:
        k = int(missing[0])
        raise text.error("no Lattice=\"...\" on the comment line; ionflux needs the periodic "
                         "cell of every frame", line=int(comments[k]), frame=k)
    return text.span_floats(start, end, 9, comments, "Lattice").reshape(-1, 3, 3)


def _properties(text: TextFile, comments: np.ndarray, spans: _Spans
                ) -> tuple[int, str, int, int]:
    """(species token, 'S' or 'I', first pos token, number of columns) from Properties."""
    start, end = spans["properties"]
    given = start >= 0
    if given[0]:
        bad = text.first_span_mismatch(start, end, int(start[0]), int(end[0]))
        spec = text.span_text(int(start[0]), int(end[0]))
    else:
        bad = int(np.flatnonzero(given)[0]) if given.any() else -1
        spec = DEFAULT_PROPERTIES
    if bad >= 0:
        raise text.error("Properties= differs from frame 0's; columns must not change",
                         line=int(comments[bad]), frame=bad)
    fields = spec.split(":")
    if len(fields) % 3:
        raise text.error(f"malformed Properties={spec!r}", line=int(comments[0]), frame=0)
    species = pos = None
    token = 0
    for name, kind, count in zip(fields[::3], fields[1::3], fields[2::3], strict=True):
        if not count.isdigit() or kind.upper() not in {"S", "R", "I", "L"}:
            raise text.error(f"malformed Properties={spec!r}", line=int(comments[0]), frame=0)
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
        raise text.error(f"Properties={spec!r} lacks a species:S:1 (or Z:I:1) or a pos:R:3 "
                         "column", line=int(comments[0]), frame=0)
    return species[0], species[1], pos, token


def _per_frame_value(text: TextFile, comments: np.ndarray, spans: _Spans,
                     keys: tuple[str, ...]) -> np.ndarray | None:
    """One number per frame under the first of ``keys`` present in frame 0; None if absent."""
    for key in keys:
        start, end = spans[key]
        if start[0] != -1:
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


def _temperature(text: TextFile, comments: np.ndarray, spans: _Spans) -> float | None:
    values = _per_frame_value(text, comments, spans, ("temperature", "T"))
    if values is None:
        return None
    if np.all(values == values[0]):
        return float(values[0])
    logger.info("%s: temperature changes between frames (%g to %g K); taken as instantaneous "
                "and not used as the run temperature", text.path, values.min(), values.max())
    return None


def _unwrapped_flag(text: TextFile, comments: np.ndarray, spans: _Spans) -> bool:
    start, end = spans["unwrapped"]
    if start[0] == -1:
        given = np.flatnonzero(start != -1)
        if given.size:
            k = int(given[0])
            raise text.error("unwrapped= appears here but not in frame 0",
                             line=int(comments[k]), frame=k)
        return False
    value = "T" if start[0] == -2 else text.span_text(int(start[0]), int(end[0]))
    bad = text.first_span_mismatch(start, end, int(start[0]), int(end[0]))
    if bad >= 0:
        raise text.error(f"unwrapped= differs from frame 0's ({value!r})",
                         line=int(comments[bad]), frame=bad)
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise text.error(f"unwrapped={value!r} is not T or F", line=int(comments[0]), frame=0)


def _check_pbc(text: TextFile, comment: int, spans: _Spans) -> None:
    start, end = spans["pbc"]
    if start[0] < 0:
        return
    flags = text.span_text(int(start[0]), int(end[0])).split()
    if len(flags) != 3 or not all(f.lower() in _TRUE for f in flags):
        raise text.error(f"pbc={' '.join(flags)!r}: transport needs a cell periodic in all three "
                         "directions", line=comment, frame=0)


def _species(text: TextFile, heads: np.ndarray, n_atoms: int, codes: np.ndarray,
             numeric: bool) -> tuple[str, ...]:
    codes = codes.reshape(-1, n_atoms)
    differs = codes != codes[0]
    bad_frames = np.flatnonzero(differs.any(axis=1))
    if bad_frames.size:
        k = int(bad_frames[0])
        j = int(np.argmax(differs[k]))
        raise text.error(f"atom {j} is {_label(codes[k, j], numeric)!r} but "
                         f"{_label(codes[0, j], numeric)!r} in frame 0; atoms must keep their "
                         "order", line=int(heads[k]) + 2 + j, frame=k)
    symbols = {}
    for code in np.unique(codes[0]):
        symbol = _label(code, numeric)
        if not Element.is_valid_symbol(symbol):
            j = int(np.argmax(codes[0] == code))
            raise text.error(f"unknown element {symbol!r}", line=int(heads[0]) + 2 + j, frame=0)
        symbols[code] = symbol
    return tuple(symbols[c] for c in codes[0])


def _label(code: float | int, numeric: bool) -> str:
    if not numeric:
        return decode_label(int(code))
    z = as_integers(np.array([code]))
    if z is None or not 1 <= z[0] <= 118:
        return f"Z={code:g}"
    return Element.from_Z(int(z[0])).symbol
