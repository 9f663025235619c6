"""The compiled text scanner: exact number conversion, lines, tokens, error locations."""

from __future__ import annotations

import numpy as np
import pytest

from ionflux.errors import TrajectoryFormatError
from ionflux.io.textscan import TextFile, decode_label


def _text(content: bytes, name: str = "f.txt") -> TextFile:
    return TextFile.from_array(name, np.frombuffer(content, dtype=np.uint8))


def _column(content: bytes) -> np.ndarray:
    text = _text(content)
    return text.columns(np.array([0]), text.n_lines, [1], [0], 2).floats[:, 0]


def test_numbers_are_bit_identical_to_python_float(rng):
    # Every printf style MD codes use, plus full-precision repr (17 digits) and extreme exponents
    # that need the slow exact path; Python's float() is the correctly rounded reference.
    values = rng.normal(size=6000) * 10.0 ** rng.integers(-40, 40, 6000)
    styles = ["%.8f", "%g", "%.17g", "%.15e", "%.3f", "%20.10f", "%.18f", "%.25f", "%.6E"]
    tokens = [repr(float(v)) if i % 10 == 9 else styles[i % 9] % v for i, v in enumerate(values)]
    tokens += ["-0.0", "1.0D+03", "2.5d-2", "00012.500", "1e308", "4.9e-324", ".5", "5.", "+3",
               "123456789012345678901234567890", "0.000000000000000000000000123",
               "9007199254740993", "1E22", "1e23", "NaN", "-inf", "Infinity",
               # edges of the inline plain-decimal path (at most 15 digits)
               "-.5", "-5.", "999999999999999", "9999999999999999", "-99999.9999999999",
               "0.000000000000001", "0.0000000000000001", "-0", "7"]
    content = "".join(f"X {t}\n" for t in tokens).encode()
    got = _column(content)
    expected = np.array([float(t.replace("D", "e").replace("d", "e")) for t in tokens])
    same = (got == expected) | (np.isnan(got) & np.isnan(expected))
    assert same.all(), [tokens[i] for i in np.flatnonzero(~same)[:5]]
    assert np.signbit(got[len(values)])  # "-0.0" keeps its sign


@pytest.mark.parametrize("token", ["1.2.3", "1e", "--1", "1.5x", ".", "1e+", "nanx", "0x10",
                                   "1,5"])
def test_malformed_numbers_are_refused_naming_line_and_column(token):
    text = _text(f"header\nLi {token}\n".encode(), "bad.xyz")
    with pytest.raises(TrajectoryFormatError) as err:
        text.columns(np.array([1]), 1, [1], [0], 2, what="atom line")
    message = str(err.value)
    assert message.startswith("bad.xyz: frame 0 (line 2): cannot read")
    assert repr(token) in message and "column 2" in message
    assert "\n" not in message


def test_line_structure_crlf_unterminated_and_trailing_blank_lines():
    text = _text(b"2\r\nLi 1.5 2\r\nO 3 4.25\r\n\r\n  \n")
    assert text.n_lines == 3
    cols = text.columns(np.array([1]), 2, [1, 2], [0], 3)
    np.testing.assert_array_equal(cols.floats, [[1.5, 2.0], [3.0, 4.25]])
    assert [decode_label(c) for c in cols.labels[:, 0]] == ["Li", "O"]
    unterminated = _text(b"a\nLi 7")
    assert unterminated.n_lines == 2
    assert unterminated.columns(np.array([1]), 1, [1], n_tokens=2).floats[0, 0] == 7.0


@pytest.mark.parametrize("token", ["2.25", "-17", "3.", "1e5", "0.000001", "123456789012345678"])
def test_an_unterminated_last_line_is_read_to_its_end_and_no_further(token):
    # the digit loops skip bounds checks on lines ending in a separator; a last line without
    # one must stop at the end of the buffer even when the memory after it holds digits
    content = f"X 1.5\nX {token}".encode()
    memory = np.frombuffer(content + b"987", dtype=np.uint8)
    text = TextFile.from_array("f.txt", memory[:len(content)])
    floats = text.columns(np.array([0]), 2, [1], [0], 2).floats[:, 0]
    assert floats.tolist() == [1.5, float(token)]


def test_column_count_errors_say_what_was_expected():
    text = _text(b"Li 1 2 3\nLi 1 2\n", "t.xyz")
    with pytest.raises(TrajectoryFormatError, match=r"line 2\): atom line 'Li 1 2' has 3 "
                       r"columns, expected 4 \(truncated file\?\)"):
        text.columns(np.array([0]), 2, [1, 2, 3], [0], 4, what="atom line")
    with pytest.raises(TrajectoryFormatError, match="has 4 columns, expected 3"):
        text.columns(np.array([0]), 1, [1, 2], [0], 3, what="atom line")


def test_labels_longer_than_a_symbol_are_refused():
    text = _text(b"Lithiumatom 1\n", "t.xyz")
    with pytest.raises(TrajectoryFormatError, match=r"'Lithiumatom' .* is not an element"):
        text.columns(np.array([0]), 1, [1], [0], 2)


def test_key_value_lookup_handles_quotes_brackets_and_case():
    line = (b'Lattice="1 0 0 0 2 0 0 0 3" Properties=species:S:1:pos:R:3 '
            b'note="a \\"quoted\\" time=99" arr=[1, 2, 3] Time = 12.5 flag T=300\n')
    text = _text(line)
    rows = np.array([0])

    def value(key: str, ignore_case: bool = True) -> str | int:
        start, end = text.find_key(rows, key, ignore_case)
        return int(start[0]) if start[0] < 0 else text.span_text(int(start[0]), int(end[0]))

    assert value("lattice") == "1 0 0 0 2 0 0 0 3"
    assert value("time") == "12.5"  # not the 'time=99' inside the quoted note
    assert value("arr") == "1, 2, 3"
    assert value("flag") == -2  # bare flag
    assert value("missing") == -1
    assert value("T", ignore_case=False) == "300"
    start, end = text.find_key(rows, "arr")
    np.testing.assert_array_equal(text.span_floats(start, end, 3, rows, "arr"), [[1, 2, 3]])
