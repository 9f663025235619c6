"""Fast scanning of line-oriented text trajectories.

Text (a whole file, or a piece of one from :mod:`ionflux.io.stream`) is held as a ``uint8``
array and every line is addressed by its start offset. Numeric columns are converted by compiled
(numba) passes that write straight into preallocated output arrays, so no Python object is made
per atom or number.

Numbers are converted exactly: a decimal whose significand is at most 2^53 and whose power of ten
is within 1e±22 is one correctly rounded multiplication or division (Clinger's fast path, which
covers what MD codes print); anything else (most 17-digit numbers, huge exponents) goes through
numpy's correctly rounded C conversion. Results are therefore bit-identical to ``float(text)``.

Readers address file content by *blocks*: ``block_starts[b]`` is the first line of block ``b``
and a block has ``n_per_block`` consecutive lines (the atom lines of frame ``b``, the three box
lines of frame ``b``, ...). Block ``b`` is always frame ``b``, which is how errors name frames.
Frames are counted from 0 (as everywhere in ionflux) and lines from 1 (as in editors).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba as nb
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from ionflux.errors import TrajectoryFormatError

_POW10 = np.array([10.0**k for k in range(23)])
_MAX_EXACT_INT = 2**53

# Status codes of the kernels.
OK = 0
TOO_FEW_TOKENS = 1
TOO_MANY_TOKENS = 2
BAD_NUMBER = 3
LABEL_TOO_LONG = 4
UNCLOSED_QUOTE = 5

#: Longest text label (element symbol, type label) packed into one int64 code.
MAX_LABEL_BYTES = 8

# --------------------------------------------------------------------------------------------
# numba kernels


@nb.njit(cache=True, inline="always")
def _is_space(c: int) -> bool:
    return c == 32 or (9 <= c <= 13)


@nb.njit(cache=True, inline="always")
def _is_sep(c: int, delim: int) -> bool:
    return c == 32 or (9 <= c <= 13) or c == delim


@nb.njit(cache=True)
def _count_newlines(buf: np.ndarray) -> int:
    count = 0
    for i in range(buf.size):
        if buf[i] == 10:
            count += 1
    return count


@nb.njit(cache=True)
def _fill_line_starts(buf: np.ndarray, words: np.ndarray, starts: np.ndarray) -> int:
    """``starts[0] = 0``, then the offset after every newline, then ``len(buf)`` unless the
    last newline ends ``buf``; returns the number of entries written (``starts`` must hold
    them all: ``len(buf) + 2`` always does).

    ``words`` is the start of ``buf`` read as uint64 (empty: byte by byte only): a word
    without a newline, most of them, is one test instead of eight (1.5x faster on a LAMMPS
    dump)."""
    starts[0] = 0
    j = 1
    newlines = np.uint64(0x0A0A0A0A0A0A0A0A)
    low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    for w in range(words.size):
        x = words[w] ^ newlines  # newline bytes become 0
        # bit 7 of each zero byte, and no other bit (exact, unlike the borrow trick)
        zeros = ~(((x & low7) + low7) | x | low7)
        while zeros:
            starts[j] = 8 * w + 1 + (np.int64(trailing_zeros(zeros)) >> 3)
            j += 1
            zeros &= zeros - np.uint64(1)
    for i in range(8 * words.size, buf.size):
        if buf[i] == 10:
            starts[j] = i + 1
            j += 1
    if buf.size > 0 and buf[buf.size - 1] != 10:
        starts[j] = buf.size
        j += 1
    return j


def _words(buf: np.ndarray) -> np.ndarray:
    """The whole 8-byte words at the start of ``buf`` as uint64 (little-endian byte order is
    what the newline search assumes), or an empty array where they cannot be viewed."""
    n = buf.size // 8
    if sys.byteorder != "little" or not buf.flags.c_contiguous or buf.ctypes.data % 8:
        return np.empty(0, np.uint64)
    return buf[:8 * n].view(np.uint64)


def line_starts(buf: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Offsets of every line start plus ``len(buf)`` as a sentinel (n_lines + 1 entries); the
    array is allocated here (not in numba) so that memory tracing sees it. With ``out`` (int64,
    at least ``len(buf) + 2`` entries, e.g. reused from piece to piece) the offsets are written
    there in one pass and a view of it is returned; otherwise newlines are counted first."""
    if out is not None and out.size >= buf.size + 2:
        return out[:_fill_line_starts(buf, _words(buf), out)]
    n_newlines = _count_newlines(buf)
    unterminated = buf.size > 0 and buf[-1] != 10
    starts = np.empty(n_newlines + int(unterminated) + 1, np.int64)
    _fill_line_starts(buf, _words(buf), starts)
    return starts


@nb.njit(cache=True)
def _last_content_byte(buf: np.ndarray) -> int:
    """Index of the last non-whitespace byte, or -1 for a blank buffer."""
    for i in range(buf.size - 1, -1, -1):
        if not _is_space(buf[i]):
            return i
    return -1


@nb.njit(cache=True, inline="always")
def _special_float(buf: np.ndarray, p: int, end: int, neg: bool) -> tuple[float, int]:
    """``nan``/``inf``/``infinity`` in any case (after the sign)."""
    n = end - p
    word = 0  # lower-cased letters packed, compared against the three accepted words
    if n > 8:
        return 0.0, BAD_NUMBER
    for k in range(n):
        c = buf[p + k]
        if 65 <= c <= 90:
            c += 32
        word = word * 256 + c
    nan = (110 * 256 + 97) * 256 + 110
    inf = (105 * 256 + 110) * 256 + 102
    infinity = 0
    for c in (105, 110, 102, 105, 110, 105, 116, 121):
        infinity = infinity * 256 + c
    if word == nan:
        return np.nan, OK
    if word == inf or word == infinity:
        return (-np.inf if neg else np.inf), OK
    return 0.0, BAD_NUMBER


@nb.njit(cache=True)
def _scan_float(buf: np.ndarray, p: int, end: int, delim: int) -> tuple[float, int, int]:
    """Convert the token starting at ``p`` (ending at a separator or ``end``): signs,
    exponents (``e``, ``E``, ``d``, ``D``), nan/inf, long digit strings.

    Returns ``(value, status, q)`` with ``q`` just past the token and status OK, BAD_NUMBER, or
    -1 when the exact slow path is needed (more than 18 significant digits, or a significand
    above 2^53 or a power of ten beyond 1e22). Parsing and tokenising are one pass; the common
    plain decimals of atom lines are converted inline by :func:`_parse_blocks` first.
    """
    start = p
    neg = False
    c = buf[p]
    if c == 45:
        neg = True
        p += 1
    elif c == 43:
        p += 1
    mant = np.int64(0)
    n_digits = 0  # digits in mant, leading zeros included (18 always fit in int64)
    exp10 = 0
    seen = False
    lost = False
    while p < end:
        d = np.int64(buf[p]) - 48
        if d < 0 or d > 9:
            break
        seen = True
        if n_digits < 18:
            mant = mant * 10 + d
            n_digits += 1
        else:
            exp10 += 1
            lost = lost or d != 0
        p += 1
    if p < end and buf[p] == 46:
        p += 1
        while p < end:
            d = np.int64(buf[p]) - 48
            if d < 0 or d > 9:
                break
            seen = True
            if n_digits < 18:
                mant = mant * 10 + d
                n_digits += 1
                exp10 -= 1
            else:
                lost = lost or d != 0
            p += 1
    if seen and p < end and ((buf[p] | 32) == 101 or (buf[p] | 32) == 100):  # e E d D
        p += 1
        eneg = False
        if p < end and (buf[p] == 43 or buf[p] == 45):
            eneg = buf[p] == 45
            p += 1
        e = 0
        eseen = False
        while p < end:
            d = np.int64(buf[p]) - 48
            if d < 0 or d > 9:
                break
            eseen = True
            if e < 100000:
                e = e * 10 + d
            p += 1
        seen = eseen
        exp10 += -e if eneg else e
    if not seen or (p < end and not _is_sep(buf[p], delim)):
        q = p
        while q < end and not _is_sep(buf[q], delim):
            q += 1
        if not seen:
            body = start + (1 if neg or buf[start] == 43 else 0)
            v, st = _special_float(buf, body, q, neg)
            return v, st, q
        return 0.0, BAD_NUMBER, q
    if lost:
        return 0.0, -1, p
    if mant == 0:
        return (-0.0 if neg else 0.0), OK, p
    if mant > _MAX_EXACT_INT or exp10 > 22 or exp10 < -22:
        while mant > _MAX_EXACT_INT and mant % 10 == 0:
            mant //= 10
            exp10 += 1
        if mant > _MAX_EXACT_INT or exp10 > 22 or exp10 < -22:
            return 0.0, -1, p
    v = float(mant)
    if exp10 > 0:
        v *= _POW10[exp10]
    elif exp10 < 0:
        v /= _POW10[-exp10]
    return (-v if neg else v), OK, p


@nb.njit(cache=True, nogil=True)
def _parse_blocks(buf, starts, block_starts, n_per_block, colmap, n_tokens, delim,
                  out_f, out_x, out_c, slow_start, slow_end, slow_dst):
    """Convert selected whitespace-separated tokens of the lines of every block.

    ``colmap[t]`` says what to do with token ``t``: ``0 <= k < n_f`` converts it to a float
    into ``out_f[row, k]``, ``k >= n_f`` into ``out_x[row, k - n_f]``, ``k <= -2`` packs it (a
    text label) into ``out_c[row, -k - 2]``, ``-1`` skips it. ``n_tokens >= 0`` requires exactly
    that many tokens per line, otherwise at least ``len(colmap)``. ``delim`` (0 for none) is one
    extra byte treated as whitespace. ``row`` counts lines over all blocks.
    Returns ``(status, row, token, n_slow)``.
    """
    n_map = colmap.size
    cap = slow_start.size
    n_slow = 0
    n_f = out_f.shape[1]
    n_fx = n_f + out_x.shape[1]
    for b in range(block_starts.size):
        first = block_starts[b]
        for j in range(n_per_block):
            row = b * n_per_block + j
            line = first + j
            p = starts[line]
            end = starts[line + 1]
            terminated = end > p and _is_sep(buf[end - 1], delim)
            t = 0
            while True:
                while p < end and _is_sep(buf[p], delim):
                    p += 1
                if p >= end:
                    break
                k = colmap[t] if t < n_map else -1
                if k >= 0:
                    # Plain decimals [-]digits[.digits] of at most 15 digits (what MD codes
                    # print), written out here: as a called function, even inlined, the same
                    # code ran ~30 % slower on LAMMPS atom lines. Below 10^15 the significand
                    # is exact and one division by an exact power of ten rounds correctly.
                    # A line ending in a separator stops every digit run before its end, so
                    # the digit loops need no bounds check there (14 % of the kernel).
                    q = p
                    fast = terminated
                    if fast:
                        neg = buf[q] == 45
                        if neg:
                            q += 1
                        mant = np.int64(0)
                        start = q
                        while True:
                            d = np.uint64(buf[q]) - np.uint64(48)
                            if d > 9:
                                break
                            mant = mant * 10 + np.int64(d)
                            q += 1
                        n_digits = q - start
                        n_frac = 0
                        if buf[q] == 46:
                            q += 1
                            start = q
                            while True:
                                d = np.uint64(buf[q]) - np.uint64(48)
                                if d > 9:
                                    break
                                mant = mant * 10 + np.int64(d)
                                q += 1
                            n_frac = q - start
                        fast = (0 < n_digits + n_frac <= 15 and _is_sep(buf[q], delim))
                    if fast:
                        st = OK
                        v = float(mant)
                        if n_frac:
                            v /= _POW10[n_frac]
                        if neg:
                            v = -v
                    else:
                        v, st, q = _scan_float(buf, p, end, delim)
                    if st == BAD_NUMBER:
                        return BAD_NUMBER, row, t, n_slow
                    if st < 0:
                        if n_slow < cap:
                            slow_start[n_slow] = p
                            slow_end[n_slow] = q
                            slow_dst[n_slow] = row * n_fx + k
                        n_slow += 1
                    if k < n_f:
                        out_f[row, k] = v
                    else:
                        out_x[row, k - n_f] = v
                else:
                    if t >= n_map and n_tokens < 0:
                        break
                    q = p
                    while q < end and not _is_sep(buf[q], delim):
                        q += 1
                    if k <= -2:
                        if q - p > MAX_LABEL_BYTES:
                            return LABEL_TOO_LONG, row, t, n_slow
                        code = np.int64(0)
                        for i in range(q - p):
                            code |= np.int64(buf[p + i]) << (8 * i)
                        out_c[row, -k - 2] = code
                t += 1
                p = q
            if t < n_map:
                return TOO_FEW_TOKENS, row, t, n_slow
            if n_tokens >= 0 and t != n_tokens:
                return (TOO_FEW_TOKENS if t < n_tokens else TOO_MANY_TOKENS), row, t, n_slow
    return OK, -1, -1, n_slow


@nb.njit(cache=True)
def _skip_group(buf, p, end):
    """Index just past the quote or bracket group opening at ``p`` (-1 when never closed)."""
    opener = buf[p]
    if opener == 34:
        p += 1
        while p < end:
            if buf[p] == 92:
                p += 2
                continue
            if buf[p] == 34:
                return p + 1
            p += 1
        return -1
    close = 125 if opener == 123 else 93
    depth = 0
    while p < end:
        if buf[p] == opener:
            depth += 1
        elif buf[p] == close:
            depth -= 1
            if depth == 0:
                return p + 1
        p += 1
    return -1


@nb.njit(cache=True)
def _find_keys(buf, starts, rows, keys, key_len, ignore_case, out_start, out_end):
    """Locate ``key=value`` for several keys on each row of extended-XYZ comment lines.

    ``keys[k, :key_len[k]]`` is key ``k`` (lower case when ``ignore_case[k]``). Values may be
    bare, ``"quoted"`` (backslash escapes), ``{...}`` or ``[...]``; the span excludes the
    delimiters. A missing key gives -1, a bare flag without ``=`` gives -2; the first
    occurrence counts. Returns ``(status, index of the bad row)``.
    """
    n_keys = key_len.size
    for i in range(rows.size):
        for k in range(n_keys):
            out_start[k, i] = -1
            out_end[k, i] = -1
        p = starts[rows[i]]
        end = starts[rows[i] + 1]
        while p < end:
            while p < end and _is_space(buf[p]):
                p += 1
            if p >= end:
                break
            if buf[p] == 34:
                q = _skip_group(buf, p, end)
                if q < 0:
                    return UNCLOSED_QUOTE, i
                ks, ke = p + 1, q - 1
                p = q
            else:
                ks = p
                while p < end and not _is_space(buf[p]) and buf[p] != 61:
                    p += 1
                ke = p
            r = p
            while r < end and _is_space(buf[r]):
                r += 1
            vs, ve = -2, -2
            if r < end and buf[r] == 61:
                r += 1
                while r < end and _is_space(buf[r]):
                    r += 1
                if r < end and (buf[r] == 34 or buf[r] == 123 or buf[r] == 91):
                    q = _skip_group(buf, r, end)
                    if q < 0:
                        return UNCLOSED_QUOTE, i
                    vs, ve = r + 1, q - 1
                    p = q
                else:
                    vs = r
                    while r < end and not _is_space(buf[r]):
                        r += 1
                    ve = r
                    p = r
            for k in range(n_keys):
                nk = key_len[k]
                if ke - ks != nk or out_start[k, i] != -1:
                    continue
                match = True
                for m in range(nk):
                    c = buf[ks + m]
                    if ignore_case[k] and 65 <= c <= 90:
                        c += 32
                    if c != keys[k, m]:
                        match = False
                        break
                if match:
                    out_start[k, i] = vs
                    out_end[k, i] = ve
    return OK, -1


@nb.njit(cache=True)
def _parse_spans(buf, span_start, span_end, n_values, out, slow_start, slow_end, slow_dst):
    """Convert exactly ``n_values`` numbers (separated by whitespace or commas, brackets
    ignored) in each span into ``out[i]``. Returns ``(status, index of the bad span, n_slow)``."""
    cap = slow_start.size
    n_slow = 0
    for i in range(span_start.size):
        p = span_start[i]
        end = span_end[i]
        t = 0
        while True:
            while p < end and (_is_sep(buf[p], 44) or buf[p] == 91 or buf[p] == 93):
                p += 1
            if p >= end:
                break
            q = p
            while q < end and not (_is_sep(buf[q], 44) or buf[q] == 91 or buf[q] == 93):
                q += 1
            if t >= n_values:
                return TOO_MANY_TOKENS, i, n_slow
            v, st, r = _scan_float(buf, p, q, 44)
            if st == BAD_NUMBER or r != q:
                return BAD_NUMBER, i, n_slow
            if st < 0:
                if n_slow < cap:
                    slow_start[n_slow] = p
                    slow_end[n_slow] = q
                    slow_dst[n_slow] = i * n_values + t
                n_slow += 1
            out[i, t] = v
            t += 1
            p = q
        if t < n_values:
            return TOO_FEW_TOKENS, i, n_slow
    return OK, -1, n_slow


@nb.njit(cache=True)
def _first_mismatch(buf, starts, rows, ref_buf, rs, re_):
    """First index ``i`` whose line ``rows[i]`` differs token-wise from ``ref_buf[rs:re_]``
    (-1: none)."""
    for i in range(rows.size):
        p = starts[rows[i]]
        end = starts[rows[i] + 1]
        if end - p == re_ - rs:  # the usual case: byte-identical lines
            same = True
            for k in range(end - p):
                if buf[p + k] != ref_buf[rs + k]:
                    same = False
                    break
            if same:
                continue
        q = rs
        while True:
            while p < end and _is_space(buf[p]):
                p += 1
            while q < re_ and _is_space(ref_buf[q]):
                q += 1
            if p >= end or q >= re_:
                if p < end or q < re_:
                    return i
                break
            while p < end and q < re_ and not _is_space(buf[p]) and not _is_space(ref_buf[q]):
                if buf[p] != ref_buf[q]:
                    return i
                p += 1
                q += 1
            p_tok = p < end and not _is_space(buf[p])
            q_tok = q < re_ and not _is_space(ref_buf[q])
            if p_tok != q_tok:
                return i
    return -1


@nb.njit(cache=True)
def _first_span_mismatch(buf, span_start, span_end, ref_buf, ref_start, ref_end):
    """First index whose span bytes differ from ``ref_buf[ref_start:ref_end]`` (-1: none)."""
    n = ref_end - ref_start
    for i in range(span_start.size):
        if span_end[i] - span_start[i] != n:
            return i
        for k in range(n):
            if buf[span_start[i] + k] != ref_buf[ref_start + k]:
                return i
    return -1


@nb.njit(cache=True)
def _first_bytes(buf, starts, rows):
    """First non-whitespace byte of each row (0 for a blank line)."""
    out = np.zeros(rows.size, np.uint8)
    for i in range(rows.size):
        p = starts[rows[i]]
        end = starts[rows[i] + 1]
        while p < end and _is_space(buf[p]):
            p += 1
        if p < end:
            out[i] = buf[p]
    return out


@nb.njit(cache=True)
def _gather_tokens(buf, token_start, token_end):
    """The given tokens joined by single spaces (for numpy's exact text conversion)."""
    total = 0
    for i in range(token_start.size):
        total += token_end[i] - token_start[i] + 1
    out = np.empty(total, np.uint8)
    k = 0
    for i in range(token_start.size):
        for p in range(token_start[i], token_end[i]):
            c = buf[p]
            if c == 68 or c == 100:  # Fortran exponent letter D
                c = 101
            out[k] = c
            k += 1
        out[k] = 32
        k += 1
    return out


# --------------------------------------------------------------------------------------------
# Python side


@dataclass
class Columns:
    """Converted columns: ``floats``, ``extras``, packed ``labels``; ``error`` if input was bad,
    with ``n_ok`` the number of blocks converted before it."""

    floats: np.ndarray
    extras: np.ndarray
    labels: np.ndarray
    error: TrajectoryFormatError | None
    n_ok: int


#: Rows converted per thread at least; below this a single thread is faster.
_ROWS_PER_THREAD = 250_000


def _parse_threads(n_rows: int) -> int:
    return max(1, min(os.cpu_count() or 1, 4, n_rows // _ROWS_PER_THREAD))


@dataclass
class TextFile:
    """Lines of a text file, or of a piece of one: ``buf[starts[i]:starts[i + 1]]`` is line
    ``i`` (0-based) of the piece, which is line ``line0 + i`` of the file.

    A piece holds whole frames, the first being frame ``frame0`` of the file; messages name
    file lines and frames. ``final`` marks the piece that ends the file: its ``n_lines``
    excludes trailing blank lines, so readers see the content only.
    """

    path: str
    buf: np.ndarray
    starts: np.ndarray
    n_lines: int
    line0: int = 0
    frame0: int = 0
    final: bool = True

    @classmethod
    def from_array(cls, path: str, buf: np.ndarray, *, line0: int = 0, frame0: int = 0
                   ) -> TextFile:
        """The lines of ``buf``, the end of a file (trailing blank lines are not counted)."""
        starts = line_starts(buf)
        last = _last_content_byte(buf)
        n_lines = 0 if last < 0 else int(np.searchsorted(starts, last, side="right"))
        return cls(path=path, buf=buf, starts=starts, n_lines=n_lines, line0=line0,
                   frame0=frame0)

    # -- messages -------------------------------------------------------------------------

    @property
    def n_checkable(self) -> int:
        """Lines that layout checks look at: the piece's own and, for a piece that does not end
        the file, the first lines of the next frame, so that a frame with a line too many or
        too few is reported as a pass over the whole file reports it (at the next frame)."""
        return self.n_lines if self.final else self.starts.size - 1

    def line(self, i: int, max_chars: int = 80) -> str:
        """Line ``i`` (0-based) as text without its newline, shortened for messages."""
        if i >= self.starts.size - 1:
            return ""
        raw = bytes(self.buf[self.starts[i]:self.starts[i + 1]])
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        return text if len(text) <= max_chars else text[: max_chars - 3] + "..."

    def tokens(self, i: int) -> list[str]:
        raw = bytes(self.buf[self.starts[i]:self.starts[i + 1]])
        return raw.decode("utf-8", errors="replace").split()

    def where(self, line: int | None = None, frame: int | None = None) -> str:
        """``path: frame k (line n)`` for a line and frame of this piece, numbered in the file."""
        line = None if line is None else line + self.line0
        frame = None if frame is None else frame + self.frame0
        parts = [self.path]
        if frame is not None and line is not None:
            parts.append(f"frame {frame} (line {line + 1})")
        elif frame is not None:
            parts.append(f"frame {frame}")
        elif line is not None:
            parts.append(f"line {line + 1}")
        return ": ".join(parts)

    def error(self, message: str, line: int | None = None,
              frame: int | None = None) -> TrajectoryFormatError:
        return TrajectoryFormatError(f"{self.where(line, frame)}: {message}")

    # -- conversion -----------------------------------------------------------------------

    def columns(self, block_starts: np.ndarray, n_per_block: int, float_tokens: Sequence[int],
                label_tokens: Sequence[int] = (), n_tokens: int = -1, *,
                extra_tokens: Sequence[int] = (), extra_dtype: type = np.float64,
                what: str = "line", delim: str = "", out: np.ndarray | None = None) -> Columns:
        """Convert tokens of ``n_per_block`` lines from each block start; raise on bad input.

        See :meth:`try_columns` for the arguments and result.
        """
        result = self.try_columns(block_starts, n_per_block, float_tokens, label_tokens,
                                  n_tokens, extra_tokens=extra_tokens, extra_dtype=extra_dtype,
                                  what=what, delim=delim, out=out)
        if result.error is not None:
            raise result.error
        return result

    def try_columns(self, block_starts: np.ndarray, n_per_block: int,
                    float_tokens: Sequence[int], label_tokens: Sequence[int] = (),
                    n_tokens: int = -1, *, extra_tokens: Sequence[int] = (),
                    extra_dtype: type = np.float64, what: str = "line", delim: str = "",
                    out: np.ndarray | None = None) -> Columns:
        """Convert tokens of ``n_per_block`` lines from each block start (0-based tokens).

        ``floats`` gets ``float_tokens`` (float64), ``extras`` gets ``extra_tokens`` (as
        ``extra_dtype``, to keep integer-like columns small), ``labels`` gets ``label_tokens``
        packed as int64 (see :func:`decode_label`); row ``r`` of the outputs is line ``r`` of
        the blocks. ``n_tokens >= 0`` demands exactly that many tokens per line. On bad input
        the result carries the error (naming line and frame) and the number of blocks converted
        before it (their rows are valid). ``out`` (C-contiguous float64, one row per line and
        one column per float token) receives ``floats`` in place of a new array.
        """
        block_starts = np.ascontiguousarray(block_starts, dtype=np.int64)
        n_rows = block_starts.size * n_per_block
        n_f = len(float_tokens)
        width = max([*float_tokens, *label_tokens, *extra_tokens, -1]) + 1
        colmap = np.full(width, -1, np.int64)
        for k, t in enumerate([*float_tokens, *extra_tokens]):
            colmap[t] = k
        for k, t in enumerate(label_tokens):
            colmap[t] = -k - 2
        out_f = np.empty((n_rows, n_f), np.float64) if out is None else out
        if out_f.shape != (n_rows, n_f) or out_f.dtype != np.float64 or not (
                out_f.flags.c_contiguous and out_f.flags.writeable):
            raise ValueError(f"out must be a writable C-contiguous float64 array of shape "
                             f"{(n_rows, n_f)}")
        out_x = np.empty((n_rows, len(extra_tokens)), extra_dtype)
        out_c = np.zeros((n_rows, len(label_tokens)), np.int64)
        delim_byte = ord(delim) if delim else 0
        n_fx = n_f + len(extra_tokens)

        def parse(lo: int, hi: int) -> tuple[int, int, int, list[np.ndarray]]:
            """Blocks lo..hi-1 into their rows of the outputs; rows and slow-path targets are
            returned relative to the whole call."""
            rows = slice(lo * n_per_block, hi * n_per_block)
            cap = 1024
            while True:
                slow = [np.empty(cap, np.int64) for _ in range(3)]
                status, row, token, n_slow = _parse_blocks(
                    self.buf, self.starts, block_starts[lo:hi], n_per_block, colmap, n_tokens,
                    delim_byte, out_f[rows], out_x[rows], out_c[rows], *slow)
                if status != OK or n_slow <= cap:
                    break
                cap = n_slow
            start, end, dst = (a[:min(n_slow, cap)] for a in slow)
            offset = lo * n_per_block
            return status, (row + offset if row >= 0 else row), token, [
                start, end, dst + offset * n_fx]

        # The kernel releases the GIL, so blocks split over threads convert in parallel.
        n_threads = _parse_threads(n_rows)
        edges = np.linspace(0, block_starts.size, n_threads + 1).astype(int)
        if n_threads == 1:
            parts = [parse(0, block_starts.size)]
        else:
            with ThreadPoolExecutor(n_threads) as pool:
                parts = list(pool.map(parse, edges[:-1], edges[1:]))
        # The first bad line in file order decides the error, as in a serial pass.
        status, row, token = next(((st, r, t) for st, r, t, _ in parts if st != OK),
                                  (OK, -1, -1))
        start, end, dst = (np.concatenate([part[3][i] for part in parts]) for i in range(3))
        if start.size:
            values = self._exact_floats(start, end)
            row_out, k = np.divmod(dst, n_fx)
            in_f = k < n_f
            out_f[row_out[in_f], k[in_f]] = values[in_f]
            out_x[row_out[~in_f], k[~in_f] - n_f] = values[~in_f]
        if status == OK:
            return Columns(out_f, out_x, out_c, None, block_starts.size)
        block, j = divmod(int(row), n_per_block)
        line = int(block_starts[block]) + j
        error = self._token_error(status, line, int(token), block,
                                  n_tokens if n_tokens >= 0 else width, n_tokens >= 0, what,
                                  delim)
        return Columns(out_f, out_x, out_c, error, block)

    def span_floats(self, span_start: np.ndarray, span_end: np.ndarray, n_values: int,
                    rows: np.ndarray, what: str) -> np.ndarray:
        """Exactly ``n_values`` numbers from each span (row ``i`` of the result is frame ``i``;
        ``rows[i]`` is the line the span is on, for messages)."""
        span_start = np.ascontiguousarray(span_start, dtype=np.int64)
        span_end = np.ascontiguousarray(span_end, dtype=np.int64)
        out = np.empty((span_start.size, n_values), np.float64)
        cap = 256
        while True:
            slow = [np.empty(cap, np.int64) for _ in range(3)]
            status, i, n_slow = _parse_spans(self.buf, span_start, span_end, n_values, out, *slow)
            if status != OK or n_slow <= cap:
                break
            cap = n_slow
        if status != OK:
            text = bytes(self.buf[span_start[i]:span_end[i]]).decode("utf-8", "replace")
            kind = "cannot be read as numbers" if status == BAD_NUMBER else (
                f"must hold {n_values} number{'s' if n_values > 1 else ''}")
            raise self.error(f"{what} {text!r} {kind}", line=int(rows[i]), frame=int(i))
        if n_slow:
            start, end, dst = (a[:n_slow] for a in slow)
            out.reshape(-1)[dst] = self._exact_floats(start, end)
        return out

    def find_keys(self, rows: np.ndarray, keys: Sequence[str], ignore_case: Sequence[bool]
                  ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Spans of the value of each ``key=value`` on each row, in one pass over the rows:
        ``{key: (start, end)}`` with start -1 when missing and -2 for a bare flag."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        width = max(len(k) for k in keys)
        key_arr = np.zeros((len(keys), width), np.uint8)
        for k, (key, fold) in enumerate(zip(keys, ignore_case, strict=True)):
            raw = (key.lower() if fold else key).encode()
            key_arr[k, :len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        key_len = np.array([len(k.encode()) for k in keys], np.int64)
        fold_arr = np.array(ignore_case, dtype=np.bool_)
        out_s = np.empty((len(keys), rows.size), np.int64)
        out_e = np.empty((len(keys), rows.size), np.int64)
        status, i = _find_keys(self.buf, self.starts, rows, key_arr, key_len, fold_arr, out_s,
                               out_e)
        if status != OK:
            raise self.error("unclosed quote or bracket in the comment line",
                             line=int(rows[i]), frame=int(i))
        return {key: (out_s[k], out_e[k]) for k, key in enumerate(keys)}

    def find_key(self, rows: np.ndarray, key: str, ignore_case: bool = True
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Spans of the value of ``key=value`` on each row (-1 missing, -2 bare flag)."""
        return self.find_keys(rows, [key], [ignore_case])[key]

    def span_text(self, start: int, end: int) -> str:
        return bytes(self.buf[start:end]).decode("utf-8", errors="replace")

    def first_mismatch(self, rows: np.ndarray, ref_row: int, ref: TextFile | None = None
                       ) -> int:
        """Index of the first row whose tokens differ from line ``ref_row`` of ``ref`` (this
        piece if None), -1 if none."""
        ref = self if ref is None else ref
        return int(_first_mismatch(self.buf, self.starts,
                                   np.ascontiguousarray(rows, dtype=np.int64), ref.buf,
                                   ref.starts[ref_row], ref.starts[ref_row + 1]))

    def first_span_mismatch(self, span_start: np.ndarray, span_end: np.ndarray,
                            ref_start: int, ref_end: int, ref: TextFile | None = None) -> int:
        """Index of the first span whose bytes differ from ``ref.buf[ref_start:ref_end]``."""
        ref = self if ref is None else ref
        return int(_first_span_mismatch(self.buf, np.ascontiguousarray(span_start, np.int64),
                                        np.ascontiguousarray(span_end, np.int64), ref.buf,
                                        ref_start, ref_end))

    def first_bytes(self, rows: np.ndarray) -> np.ndarray:
        return _first_bytes(self.buf, self.starts, np.ascontiguousarray(rows, dtype=np.int64))

    def check_finite(self, positions: np.ndarray, first_lines: np.ndarray) -> None:
        """Name the first atom line holding NaN or inf; ``positions`` is (frames, atoms, 3) in
        file order and ``first_lines[k]`` the line of frame ``k``'s first atom."""
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(positions.sum()):  # NaN and inf propagate: one cheap pass
                return
        finite = np.isfinite(positions).all(axis=2)
        if finite.all():  # the sum overflowed
            return
        k, j = (int(v) for v in np.argwhere(~finite)[0])
        raise self.error("non-finite (NaN or inf) coordinate", line=int(first_lines[k]) + j,
                         frame=k)

    def _token_error(self, status: int, line: int, token: int, frame: int | None,
                     n_expected: int, exact: bool, what: str, delim: str
                     ) -> TrajectoryFormatError:
        text = self.line(line)
        toks = self.tokens(line)
        if delim:
            toks = " ".join(toks).replace(delim, " ").split()
        if status == BAD_NUMBER:
            msg = f"cannot read {toks[token]!r} (column {token + 1}) as a number in {what} {text!r}"
        elif status == LABEL_TOO_LONG:
            msg = f"{toks[token]!r} (column {token + 1}) is not an element or type label"
        else:
            expected = f"{'' if exact else 'at least '}{n_expected}"
            msg = (f"{what} {text!r} has {len(toks)} column{'' if len(toks) == 1 else 's'}, "
                   f"expected {expected}")
            if status == TOO_FEW_TOKENS and self.final and line >= self.n_lines - 1:
                msg += " (truncated file?)"
        return self.error(msg, line=line, frame=frame)

    def _exact_floats(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Correctly rounded values of tokens the fast path could not convert exactly."""
        text = _gather_tokens(self.buf, start, end).tobytes()
        values = np.fromstring(text, dtype=np.float64, sep=" ")
        if values.size != start.size:  # pragma: no cover - the kernel validated the tokens
            raise TrajectoryFormatError(f"{self.path}: internal error converting numbers")
        return values


def decode_label(code: int) -> str:
    """Text of a label packed by the kernels (little-endian bytes, zero padded)."""
    return int(code).to_bytes(8, "little", signed=True).rstrip(b"\0").decode("utf-8", "replace")


def as_integers(values: np.ndarray) -> np.ndarray | None:
    """``values`` as int64 if every one is a whole number, else None."""
    ints = np.rint(values)
    if not np.array_equal(ints, values):
        return None
    return ints.astype(np.int64)
