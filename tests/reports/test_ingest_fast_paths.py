"""Ingest's shortcuts (issue 4) against the slower, obvious way: each must give exactly what the obvious way gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports import ingest
from reports.ingest import IngestError, ingest_file

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
    assert ingest._text_encoding(data) == encoding
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

        assert ingest._text_prefix(ingest._CsvBytes(data, encoding), chars) == expected


# --- line breaks inside quoted cells: the buffer look-up only skips columns that cannot hold one ---------------------


def test_line_break_in_a_late_column_still_moves_the_row_numbers(tmp_path: Path) -> None:
    text = HEADER + ROW * 3 + '3/15/26,GE,1,2,1.50,"3.00\n"\n' + ROW
    path = write(tmp_path, text.encode())

    result = ingest_file(path)

    assert result.lines["row_number"].tolist() == [2, 3, 4, 5, 7]
