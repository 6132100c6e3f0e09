"""Ingest's shortcuts (issue 4) against the slower, obvious way: each must give exactly what the obvious way gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports import ingest
from reports.ingest import IngestError, ingest_file
from reports.ingest import formats as ingest_formats
from reports.ingest import values as ingest_values

HEADER = "Invoice Date,Vendor,Item #,Qty,Unit Price,Extended\n"
ROW = "3/15/26,GE,1,2,1.50,3.00\n"


def write(tmp_path: Path, data: bytes, name: str = "purchases.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- encoding: found without decoding ASCII files, the header sample decoded from a prefix -------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        pytest.param(b"plain ascii\n", "utf-8", id="ascii"),
        pytest.param("caf\u00e9\n".encode(), "utf-8", id="utf8"),
        pytest.param(b"\xef\xbb\xbfascii after bom\n", "utf-8-sig", id="bom_ascii"),
        pytest.param("\ufeffcaf\u00e9\n".encode(), "utf-8-sig", id="bom_utf8"),
        pytest.param("caf\u00e9 \u2013\n".encode("cp1252"), "cp1252", id="cp1252"),
    ],
)
def test_text_encoding_names_the_encoding_that_decodes_the_file(data: bytes, encoding: str) -> None:
    assert ingest_formats._text_encoding(data) == encoding
    data.decode(encoding)  # and that encoding does decode it


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"a,b\n" * 50_000 + b"c\x00\n", "NUL bytes", id="nul_far_down"),
        pytest.param(b"\xef\xbb\xbf" + b"a,b\n" * 50_000 + b"\xff\n", "starts as UTF-8", id="bom_then_bad_byte"),
        pytest.param(b"a,b\n" * 50_000 + b"\x81\xe9\n", "not text in UTF-8 or Windows-1252", id="neither_far_down"),
    ],
)
def test_bad_bytes_far_past_the_sample_still_refuse_the_file(tmp_path: Path, data: bytes, message: str) -> None:
    path = write(tmp_path, data)

    with pytest.raises(IngestError, match=message):
        ingest.detect_format(path)


def test_cp1252_byte_far_past_the_sample_decides_the_whole_file(tmp_path: Path) -> None:
    # Given a file that is ASCII for its first megabyte and has one cp1252 "é" at the end
    padding = ROW * 60_000
    path = write(tmp_path, (HEADER + padding + "3/16/26,Soci\u00e9t\u00e9,1,1,2.00,2.00\n").encode("cp1252"))

    result = ingest_file(path)

    assert result.rows_total == 60_001
    assert result.lines["vendor_name"].iloc[-1] == "Soci\u00e9t\u00e9"


@given(st.text(alphabet="ab,\n\u00e9\u20ac\U0001f600", max_size=60), st.integers(0, 40))
def test_text_prefix_is_the_decoded_text_cut_at_the_same_character(text: str, chars: int) -> None:
    for encoding, data in (
        ("utf-8", text.encode("utf-8")),
        ("utf-8-sig", b"\xef\xbb\xbf" + text.encode("utf-8")),
        ("cp1252", text.replace("\U0001f600", "x").encode("cp1252")),
    ):
        expected = data.decode(encoding)[:chars]

        assert ingest_formats._text_prefix(ingest_formats._CsvBytes(data, encoding), chars) == expected


# --- line breaks inside quoted cells: the buffer look-up only skips columns that cannot hold one ---------------------


def test_line_break_in_a_late_column_still_moves_the_row_numbers(tmp_path: Path) -> None:
    text = HEADER + ROW * 3 + '3/15/26,GE,1,2,1.50,"3.00\n"\n' + ROW
    path = write(tmp_path, text.encode())

    result = ingest_file(path)

    assert result.lines["row_number"].tolist() == [2, 3, 4, 5, 7]


# --- numbers: the usual shapes cast by Arrow, every other cell cleaned (per distinct text when a column repeats) ----

ODD_CELLS = [
    *("", " ", "$1,234.56", "-$12", "(12.00)", "12.00-", "\u221212", "\u00a012\u00a0", "1E3", "+4", "1,23", "abc"),
    *("12.505", "12.50499", "99999999999999", "100000000000000", "0.00001", "$ 12", "1,234", ".5", "5.", "-0"),
    *("00000000000000000012", "12,345,678,901.23", "1,234,567,890,123.4", "12,345,678,901,234"),
    *("- 12", "( 5 )", "-\t3", "( 1,234.50 )"),
    *("123,456,789,012,345", "-$99,999,999,999,999.99", "$100,000,000,000,000", "99999999999999.99999"),
]
number_cells = st.one_of(
    st.sampled_from(ODD_CELLS),
    st.from_regex(r"\A[-(+$ ]{0,2}[0-9]{0,16}(?:[.,][0-9]{0,6})?[)-]?\Z"),
    st.decimals(min_value=-(10**15), max_value=10**15, places=5, allow_nan=False).map(str),
)


@pytest.mark.parametrize("places", [2, 4])
@given(st.lists(number_cells, min_size=1, max_size=40))
def test_usual_number_shapes_parse_as_the_cleaning_chain_does(places: int, cells: list[str]) -> None:
    column = pa.array(cells)

    fast = ingest_values._parse_numbers(column, places)
    slow = ingest_values._parse_odd_numbers(column, places)

    assert fast.scaled.tolist() == slow.scaled.tolist()
    assert fast.blank.tolist() == slow.blank.tolist()
    assert fast.readable.tolist() == slow.readable.tolist()
    assert fast.too_large.tolist() == slow.too_large.tolist()


plain_cells = st.one_of(
    st.just(""),
    st.from_regex(r"\A\$?-?\$?[0-9]{0,16}\.?[0-9]{0,6}\Z"),
    st.sampled_from(["-", ".", "$", "-.5", "5.", "-0", "0000000000000000000012", "1.50000", "99999999999999.9999"]),
    st.sampled_from(["262130237051617.93536", "99999999999999999999", "9223372036854775808", "-9999999999999.999"]),
    st.sampled_from(["1900000000000000", "-1900000000000000", "99999999999999", "100000000000000", "$99999999999999"]),
)


@pytest.mark.parametrize("places", [2, 4])
@given(st.lists(plain_cells, min_size=1, max_size=12))
def test_plain_columns_cast_whole_parse_as_the_cleaning_chain_does(places: int, cells: list[str]) -> None:
    # Columns of signs, digits, points and "$" only: the whole-column cast takes them when it can
    column = pa.array(cells)

    fast = ingest_values._parse_numbers(column, places)
    slow = ingest_values._parse_odd_numbers(column, places)

    assert fast.scaled.tolist() == slow.scaled.tolist()
    assert fast.blank.tolist() == slow.blank.tolist()
    assert fast.readable.tolist() == slow.readable.tolist()
    assert fast.too_large.tolist() == slow.too_large.tolist()


def test_whole_column_cast_takes_plain_columns_and_leaves_others() -> None:
    blank = np.array([False, True, False])

    assert ingest_values._plain_column_scaled(pa.array(["$12.5", "", "-.25"]), blank, 2).tolist() == [1250, 0, -25]
    assert (
        ingest_values._plain_column_scaled(pa.array(["1.005", "", "1"]), blank, 2) is None
    )  # a third place: cleaning rounds
    assert ingest_values._plain_column_scaled(pa.array(["1e3", "", "1"]), blank, 4) is None
    # more than 18 digits overflow in Arrow's decimal64 parse: left to the regex path, which reads them exactly
    assert ingest_values._plain_column_scaled(pa.array(["262130237051617.93536", "", "1"]), blank, 4) is None
    assert ingest_values._plain_column_scaled(pa.array(["1900000000000000", "", "1"]), blank, 4) is None
    # a sliced column is judged on its own cells, not the header text before them
    assert ingest_values._plain_column_scaled(pa.array(["Extended", "7", "", "8"]).slice(1), blank, 2).tolist() == [
        700,
        0,
        800,
    ]


@pytest.mark.parametrize(
    ("cell", "places", "expected"),
    [
        pytest.param("$1,234.56", 2, 123456, id="dollars_grouped"),
        pytest.param("-$12", 2, -1200, id="negative_dollars"),
        pytest.param("99,999,999,999,999.99", 2, 9999999999999999, id="largest_grouped"),
        pytest.param("-99999999999999.9999", 4, -999999999999999999, id="largest_plain_e4"),
        pytest.param("0.0001", 4, 1, id="smallest_e4"),
        pytest.param("007", 4, 70000, id="leading_zeros"),
    ],
)
def test_usual_shapes_are_cast_to_exact_scaled_integers(cell: str, places: int, expected: int) -> None:
    # 20 copies: a column, not one cell, and through the usual shape's cast (the regex accepts them all)
    column = pa.array([cell] * 20)

    assert pc.all(pc.match_substring_regex(column, ingest_values._USUAL_NUMBER[places])).as_py()
    assert ingest_values._parse_numbers(column, places).scaled.tolist() == [expected] * 20


# --- per distinct value: the same frame and errors whether or not a column is dictionary-encoded -------------------


def odd_purchases(rows: int) -> str:
    dates = ["2026-03-15", "3/5/26", "15-Mar-2026", "Mar 15 2026", "46000", "2026-02-30", "", " soon ", "Total"]
    numbers = ["1", "2.5", "$1,234.56", "(12.00)", "", "abc", "1E3", "12,34", "100000000000000", " 7 ", "- 12"]
    lines = [
        ",".join(
            [
                dates[index % len(dates)],
                ["GE", "", "Bayer\u00a0"][index % 3],
                f"S{index % 7}",
                f'"{numbers[index % len(numbers)]}"',
                f'"{numbers[index * 7 % len(numbers)]}"',
                f'"{numbers[index * 3 % len(numbers)]}"',
            ]
        )
        for index in range(rows)
    ]
    return HEADER + "\n".join(lines) + "\n"


def never(values: pa.Array) -> None:
    return None


def always(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    encoded = pc.dictionary_encode(values)
    return encoded.dictionary, encoded.indices.to_numpy().astype(np.int64)


def test_per_distinct_parsing_gives_the_same_result_as_per_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a long, repetitive file of odd dates and numbers
    path = write(tmp_path, odd_purchases(30_000).encode())
    assert ingest_values._few_distinct(pa.array(["x"] * 30_000)) is not None  # the default takes the per-distinct path

    # When it is read per distinct value and per cell
    monkeypatch.setattr(ingest_values, "_few_distinct", always)
    per_distinct = ingest_file(path)
    monkeypatch.setattr(ingest_values, "_few_distinct", never)
    per_cell = ingest_file(path)

    # Then every line, rejection and total agree
    pd.testing.assert_frame_equal(per_distinct.lines, per_cell.lines, check_exact=True)
    assert per_distinct.errors == per_cell.errors
    assert (per_distinct.rows_total, per_distinct.rows_skipped) == (per_cell.rows_total, per_cell.rows_skipped)
    assert (per_distinct.file_total, per_distinct.accepted_total) == (per_cell.file_total, per_cell.accepted_total)
    assert len(per_cell.errors) > 10_000  # the odd cells were really there


def test_sign_and_spaces_read_as_before_when_the_column_has_dollars_elsewhere(tmp_path: Path) -> None:
    # Given "- 12" in a column where another cell is "$1,234.56" (the cleaning closes up "- 12" only then)
    path = write(tmp_path, (HEADER + '3/15/26,GE,1,1,"$1,234.56",\n3/15/26,GE,1,1,- 12,\n').encode())

    result = ingest_file(path)

    assert result.lines["unit_price_e4"].tolist() == [12345600, -120000]


def test_few_distinct_is_skipped_for_columns_that_do_not_repeat() -> None:
    assert ingest_values._few_distinct(pa.array([str(index) for index in range(30_000)])) is None
    assert ingest_values._few_distinct(pa.array(["1"] * 100)) is None  # too short to pay


def test_file_without_quotes_reads_as_the_same_file_fully_quoted(tmp_path: Path) -> None:
    # Given the same title row, header, blank lines and rows, once without any quote and once with every cell quoted
    rows = [["Purchases"], [], ["Invoice Date", "Vendor", "Qty", "Unit Price"], *[["3/15/26", "GE", "2", "1.5"]] * 5]
    rows[5] = []
    rows += [["3/16/26", "", "1", "x"], ["3/17/26", "Bayer", "1", "2"]]
    bare = write(tmp_path, "\r\n".join(",".join(row) for row in rows).encode(), "bare.csv")
    quoted = write(tmp_path, "\r\n".join(",".join(f'"{cell}"' for cell in row) for row in rows).encode(), "quoted.csv")

    # When both are read (the first by Arrow splitting anywhere, the second minding quoted line breaks)
    from_bare, from_quoted = ingest_file(bare), ingest_file(quoted)

    # Then they agree row for row
    pd.testing.assert_frame_equal(from_bare.lines, from_quoted.lines, check_exact=True)
    assert from_bare.errors == from_quoted.errors
    assert from_bare.rows_skipped == from_quoted.rows_skipped == 1
    assert from_bare.lines["row_number"].tolist() == [4, 5, 7, 8, 10]


def test_blank_is_what_trims_to_nothing_for_every_code_point() -> None:
    # Given every character alone, after a letter and doubled
    characters = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    cells = pa.array(["", *characters, *(f"a{character}" for character in characters), *(c * 2 for c in characters)])

    # Then blank means exactly "trims to the empty string"
    trimmed_empty = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(cells)), 0).to_numpy(zero_copy_only=False)
    assert ingest_values._blank(cells).tolist() == trimmed_empty.tolist()


def test_every_whitespace_the_trim_removes_is_ascii_below_0x21_or_not_ascii() -> None:
    # _edges_may_be_space relies on it: cells with first and last bytes in 0x21-0x7F are left as they are
    characters = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    trimmed = pc.utf8_trim_whitespace(pa.array(characters)).to_pylist()

    spaces = [ord(character) for character, left in zip(characters, trimmed, strict=True) if left == ""]

    assert len(spaces) == 29  # tab to carriage return, the four separators, space, NEL, NBSP and the Unicode spaces
    assert all(code <= 0x20 or code >= 0x80 for code in spaces)


@pytest.mark.parametrize(
    "cells",
    [
        pytest.param(["a", "", "b c"], id="nothing_to_trim"),
        pytest.param(["a", " b", "c"], id="leading_space"),
        pytest.param(["a", "b\t", ""], id="trailing_tab"),
        pytest.param(["\u00a0a", "b"], id="leading_nbsp"),
        pytest.param(["a\u3000"], id="trailing_ideographic_space"),
        pytest.param(["caf\u00e9", "\u00e9t\u00e9"], id="non_ascii_edges_not_spaces"),
    ],
)
def test_trimmed_equals_the_trim_kernel(cells: list[str]) -> None:
    # as a whole column and as a slice of one (the header cell before it must not matter)
    for column in (pa.array(cells), pa.array([" Header ", *cells]).slice(1)):
        assert ingest_values._trimmed(column).to_pylist() == pc.utf8_trim_whitespace(column).to_pylist()


def test_buffer_look_up_sees_only_the_cells_of_a_slice() -> None:
    column = pa.array(["Unit $ Price", "1\n", "2"])

    assert ingest_values._may_hold(column, b"$")
    assert not ingest_values._may_hold(column.slice(1), b"$")
    assert ingest_values._may_hold(column.slice(1), b"\n")
    assert not ingest_values._may_hold(column.slice(2), b"\n")
    assert ingest_values._may_hold(pa.array(["a$"], type=pa.large_string()), b"$")
