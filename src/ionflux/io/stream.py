"""Text trajectories read piece by piece, so that a whole file is never held in memory.

A :class:`TextStream` reads a file (inflating gzip as it goes) into one reusable buffer and
hands the readers :class:`~ionflux.io.textscan.TextFile` pieces of whole frames, each numbered
as in the file, so messages name file lines and frames. Every frame of a text trajectory has
the same number of lines, which is what lets a piece end on a frame boundary.

Results go into a :class:`FrameArray` allocated once for the number of frames estimated from
frame 0's size and the file's (inflated) size; pages of an over-estimate are never touched and
cost no memory. Peak memory is then the positions array plus a few pieces (a piece is 1/32
of the file, 256 KiB to 4 MiB).
"""

from __future__ import annotations

import gzip
import logging
import mmap
import os
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import numpy as np

from ionflux.errors import TrajectoryFormatError
from ionflux.io.textscan import TextFile, line_starts
from ionflux.io.trajectory import FileState

logger = logging.getLogger(__name__)

#: Settings (environment variables) that cap how far a gzip file is inflated: an absolute
#: size, and a ratio to the compressed size (text trajectories compress 3-8 times; a file that
#: inflates far more is a decompression bomb or not a trajectory).
MAX_INFLATED_ENV = "IONFLUX_MAX_INFLATED_BYTES"
MAX_RATIO_ENV = "IONFLUX_MAX_INFLATION_RATIO"
DEFAULT_MAX_INFLATED = 16 << 30
DEFAULT_MAX_RATIO = 50.0
#: Inflated sizes up to this are allowed whatever the ratio (small, very regular files).
_RATIO_FREE = 64 << 20
#: Bytes of a file's (inflated) start that are sniffed before the rest is read.
SNIFF_BYTES = 1 << 16
#: Bounds of the bytes per piece (the file's size / PIECES in between): small enough to stay a
#: small fraction of the positions array, large enough that per-piece work (a few kernel calls
#: and checks per piece) stays small: on a 68 MB LAMMPS dump, 2 MiB pieces took 8 % less CPU
#: than 0.5 MiB ones, 8 MiB pieces more (they no longer fit in cache).
MIN_PIECE_BYTES = 256 << 10
MAX_PIECE_BYTES = 4 << 20
PIECES = 32
_GZIP_MAGIC = b"\x1f\x8b"
#: Inflation ratios of text trajectories: one beyond the first is not believed from a gzip
#: trailer, the second is assumed instead.
_PLAUSIBLE_RATIO = 20
_TYPICAL_RATIO = 4


def _setting(name: str, default: float, path: Path) -> float:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise TrajectoryFormatError(f"{path}: {name} must be a positive number, got {text!r}")
    return value


def inflation_limit(path: str | Path, compressed_bytes: int) -> tuple[int, str]:
    """Most bytes a gzip file of ``compressed_bytes`` may inflate to, and the setting that
    sets it (``IONFLUX_MAX_INFLATED_BYTES``, default 16 GiB, or ``IONFLUX_MAX_INFLATION_RATIO``
    x the compressed size, default 50, but at least 64 MiB)."""
    path = Path(path)
    absolute = int(_setting(MAX_INFLATED_ENV, DEFAULT_MAX_INFLATED, path))
    by_ratio = int(max(_RATIO_FREE, _setting(MAX_RATIO_ENV, DEFAULT_MAX_RATIO, path)
                       * compressed_bytes))
    if by_ratio < absolute:
        return by_ratio, f"{MAX_RATIO_ENV} x the compressed size"
    return absolute, MAX_INFLATED_ENV


def too_inflated(path: str | Path, limit: int, setting: str) -> TrajectoryFormatError:
    return TrajectoryFormatError(
        f"{path}: gzip data inflates to more than {limit / 2**20:.0f} MiB (the limit set by "
        f"{setting}); not read (a decompression bomb, or set {setting} higher)")


def _stated_size(path: Path, stored: int, limit: int) -> int:
    """Inflated size of a gzip file from its trailer (which stores it modulo 2**32): the
    smallest such value not below the compressed size, if plausible, else 4x the compressed
    size (a multi-member file states only its last member's size); at most ``limit``."""
    with open(path, "rb") as handle:
        handle.seek(max(0, stored - 4))
        stated = int.from_bytes(handle.read(4), "little")
    while stated < stored:
        stated += 1 << 32
    if stated > _PLAUSIBLE_RATIO * stored:
        stated = _TYPICAL_RATIO * stored
    return min(stated, limit)


class TextStream:
    """A text file's content, read (and, for gzip, inflated) piece by piece.

    ``check_head(first_bytes)`` sees the (inflated) first ``SNIFF_BYTES`` before anything
    else is read and may raise. ``content_bytes`` is the (estimated, for gzip) size of the
    content; ``state`` the file as it was opened (its SHA-256 is taken from it when a caller
    asks, :class:`~ionflux.io.trajectory.FileState`).
    """

    def __init__(self, path: str | Path,
                 check_head: Callable[[bytes], object] | None = None) -> None:
        self.path = Path(path)
        self.name = str(path)
        if not self.path.is_file():
            raise TrajectoryFormatError(f"{path}: no such file")
        stored = self.path.stat().st_size
        with open(self.path, "rb") as handle:
            self.compressed = handle.read(2) == _GZIP_MAGIC
        self._limit, self._setting = (inflation_limit(self.path, stored) if self.compressed
                                      else (stored, ""))
        self.content_bytes = (_stated_size(self.path, stored, self._limit) if self.compressed
                              else stored)
        self.state = FileState.of(self.path)
        # unbuffered: readinto fills the piece buffer straight from the page cache
        self._handle = (gzip.open(self.path, "rb") if self.compressed
                        else open(self.path, "rb", buffering=0))
        self.piece_bytes = int(min(MAX_PIECE_BYTES, max(MIN_PIECE_BYTES,
                                                        self.content_bytes // PIECES)))
        # the unread part of the content already read: buffer[:n_pending]
        self._buffer = np.empty(0, np.uint8)
        self._n_pending = 0
        self._n_read = 0
        self.eof = False
        try:
            self._fill(SNIFF_BYTES)
            if check_head is not None and self._n_pending:
                check_head(self._buffer[:self._n_pending].tobytes())
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> TextStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._handle.close()

    @property
    def empty(self) -> bool:
        """True when the file has no content at all (not even whitespace)."""
        return self.eof and self._n_pending == 0 and self._n_read == 0

    def _fill(self, at_least: int) -> None:
        """Read until ``at_least`` bytes are pending or the content ends."""
        if self._buffer.size < at_least:
            grown = np.empty(max(at_least, 2 * self._buffer.size), np.uint8)
            grown[:self._n_pending] = self._buffer[:self._n_pending]
            self._buffer = grown
        while self._n_pending < at_least and not self.eof:
            view = memoryview(self._buffer)[self._n_pending:]
            try:
                n = self._handle.readinto(view)
            except (OSError, EOFError, zlib.error) as exc:
                what = "corrupt or truncated gzip data" if self.compressed else "cannot read"
                raise TrajectoryFormatError(f"{self.name}: {what} ({exc})") from exc
            if not n:
                self.eof = True
                break
            self._n_pending += n
            self._n_read += n
            if self.compressed and self._n_read > self._limit:
                raise too_inflated(self.path, self._limit, self._setting)

    def read_all(self) -> bytes:
        """All the content that is left (for formats that are not read piece by piece)."""
        parts = [self._buffer[:self._n_pending].tobytes()]
        self._n_pending = 0
        while not self.eof:
            self._fill(self.piece_bytes)
            parts.append(self._buffer[:self._n_pending].tobytes())
            self._n_pending = 0
        return b"".join(parts)

    def head(self, n_lines: int) -> TextFile:
        """At least the first ``n_lines`` complete lines (the whole file, if it has been read to
        the end), as a copy that stays valid while pieces are read; call before
        :meth:`pieces`."""
        while True:
            data = self._buffer[:self._n_pending]
            newlines = np.flatnonzero(data == 10)
            if newlines.size >= n_lines or self.eof:
                break
            self._fill(max(2 * self._n_pending, self.piece_bytes))
        if self.eof:
            return TextFile.from_array(self.name, data.copy())
        end = int(newlines[n_lines - 1]) + 1 if n_lines else 0
        text = data[:end].copy()
        starts = np.concatenate([[0], newlines[:n_lines] + 1]).astype(np.int64)
        return TextFile(self.name, text, starts, n_lines, final=False)

    def pieces(self, preamble: int, stride: int, lookahead: int = 1) -> Iterator[TextFile]:
        """The whole content as pieces of whole frames: ``preamble`` lines before frame 0
        (in the first piece), then ``stride`` lines per frame. A piece that does not end the
        file shows at least ``lookahead`` lines of the next frame too (lines
        ``n_lines:n_checkable``), for layout checks. The last piece holds whatever is left (an
        incomplete frame, for the reader to report). A piece is valid until the next one is
        asked for."""
        line0 = frame0 = 0
        lead = preamble
        want = self.piece_bytes
        # line offsets of every piece, in one reused array that can hold the most lines a
        # piece may have (pages beyond those written are never touched)
        offsets = np.empty(0, np.int64)
        while True:
            self._fill(want)
            if self.eof and self._n_pending <= want:
                data = self._buffer[:self._n_pending]
                text = TextFile.from_array(self.name, data, line0=line0, frame0=frame0)
                if text.n_lines or frame0 == 0:
                    yield text
                return
            data = self._buffer[:want]
            if offsets.size < want + 2:
                offsets = np.empty(want + 2, np.int64)
            starts = line_starts(data, offsets)
            n_complete = starts.size - 1 - int(data[-1] != 10)
            n_frames = (n_complete - lead - lookahead) // stride
            if n_frames < 1:  # a frame longer than a piece
                want = 2 * max(want, self._n_pending)
                continue
            n_lines = lead + n_frames * stride
            cut = int(starts[n_lines])
            end = int(starts[n_complete])
            yield TextFile(self.name, data[:end], starts[:n_complete + 1], n_lines, line0=line0,
                           frame0=frame0, final=False)
            rest = self._n_pending - cut
            self._buffer[:rest] = self._buffer[cut:self._n_pending]
            self._n_pending = rest
            line0 += n_lines
            frame0 += n_frames
            lead = 0
            want = self.piece_bytes

    def estimate_frames(self, preamble_bytes: int, frame_bytes: int) -> int:
        """Frames the content holds if every frame has ``frame_bytes`` bytes (rounded up,
        with a margin for numbers that get longer)."""
        frames = (self.content_bytes - preamble_bytes) / max(frame_bytes, 1)
        return int(frames * 1.02) + 2


def small_page_array(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised float64 array of ``shape`` in its own anonymous memory map.

    Its pages get memory when first written, in 4 KiB pages. numpy asks the kernel for
    transparent huge pages on large arrays; faulting those in can stall on memory compaction
    when other processes fragment memory: on a busy 2-core machine the system time of reading a
    48 MB positions array swung from 0.03 s to 0.55 s (median CPU time up to 2x the best),
    against ~10 ms more for small pages."""
    count = int(np.prod(shape, dtype=np.int64))
    memory = mmap.mmap(-1, max(8 * count, 8))
    return np.frombuffer(memory, dtype=np.float64, count=count).reshape(shape)


class FrameArray:
    """Per-frame float64 rows of shape ``row_shape``, filled piece by piece in file order.

    The array is allocated once for ``estimate`` frames; pages past the frames written are
    never touched, so an over-estimate costs address space, not memory. An under-estimate
    (frames much longer than frame 0, or a multi-member gzip file) grows it by copying.
    """

    def __init__(self, row_shape: tuple[int, ...], estimate: int, what: str = "") -> None:
        self._data = small_page_array((max(int(estimate), 1), *row_shape))
        self.n = 0
        self._what = what

    def append(self, rows: np.ndarray) -> None:
        self.extend(rows.shape[0])[...] = rows

    def extend(self, n: int) -> np.ndarray:
        """The next ``n`` rows, counted as written, for the caller to fill in place (so that a
        parser writes straight into the result instead of into a copy)."""
        end = self.n + n
        if end > self._data.shape[0]:
            logger.debug("%s: more frames than estimated; growing the array", self._what)
            grown = small_page_array((max(end, int(self._data.shape[0] * 1.5)),
                                      *self._data.shape[1:]))
            grown[:self.n] = self._data[:self.n]
            self._data = grown
        rows = self._data[self.n:end]
        self.n = end
        return rows

    def result(self) -> np.ndarray:
        """The frames written, (n, *row_shape); a view into the allocated array."""
        return self._data[:self.n]
