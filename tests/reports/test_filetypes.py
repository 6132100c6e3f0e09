"""File type by content, zip-bomb and XML-attack defences of the purchase file reader (SECURITY.md items 2-5, 7)."""

from __future__ import annotations

import struct
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from reports.ingest import IngestError, check_zip_container, detect_format, ingest_file

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def ole2_file(path: Path, stream_name: str) -> Path:
    """An OLE2 compound file whose directory names `stream_name` (enough for detection by content)."""
    path.write_bytes(OLE2 + b"\x00" * 504 + stream_name.encode("utf-16-le") + b"\x00" * 1024)
    return path


def xlsxwriter_workbook(path: Path) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Purchases")
    sheet.write_row(0, 0, ["Date", "Vendor", "Qty", "Unit Price"])
    sheet.write_row(1, 0, ["2026-03-15", "GE Healthcare", 2, 3.5])
    workbook.close()
    return path


def rewrite_part(path: Path, part: str, content: bytes) -> None:
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[part] = content
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG image", id="png"),
        pytest.param(b"%PDF-1.7\n" + b"x" * 100, "PDF document", id="pdf"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 100, "JPEG image", id="jpeg"),
        pytest.param(b"Date,Vendor\x00,Qty\n", "NUL bytes", id="binary_text"),
    ],
)
def test_non_spreadsheet_named_csv_is_refused_naming_what_it_is(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "purchases.csv"
    path.write_bytes(content)

    with pytest.raises(IngestError, match=message):
        detect_format(path)


def test_xls_renamed_xlsx_is_refused(tmp_path: Path) -> None:
    path = ole2_file(tmp_path / "purchases.xlsx", "Workbook")

    with pytest.raises(IngestError, match=r"named \.xlsx but its content is an Excel 97-2003 workbook \(\.xls\)"):
        detect_format(path)


def test_xls_content_detected_without_extension(tmp_path: Path) -> None:
    path = ole2_file(tmp_path / "upload-7f3a", "Workbook")

    assert detect_format(path) == "xls"


def test_uploaded_name_decides_the_extension_check(tmp_path: Path) -> None:
    path = xlsxwriter_workbook(tmp_path / "stored-random-name")

    assert detect_format(path, filename="march.xlsx") == "xlsx"
    with pytest.raises(IngestError, match=r"named \.csv"):
        detect_format(path, filename="march.csv")


def test_password_protected_workbook_is_refused(tmp_path: Path) -> None:
    path = ole2_file(tmp_path / "purchases.xlsx", "EncryptionInfo")

    with pytest.raises(IngestError, match="password-protected"):
        detect_format(path)


@pytest.mark.parametrize(
    ("maker", "expected"),
    [
        pytest.param("xlsx", "xlsx", id="xlsx"),
        pytest.param("xlsm", "xlsm", id="xlsm"),
        pytest.param("ods", "ods", id="ods"),
    ],
)
def test_zip_spreadsheets_detected_by_their_parts(tmp_path: Path, maker: str, expected: str) -> None:
    import pandas as pd

    path = tmp_path / f"book.{maker}"
    if maker == "ods":
        pd.DataFrame({"a": [1]}).to_excel(path, engine="odf", index=False)  # type: ignore[arg-type]
    else:
        xlsxwriter_workbook(path)
        if maker == "xlsm":
            with zipfile.ZipFile(path) as archive:
                types = archive.read("[Content_Types].xml")
            rewrite_part(
                path,
                "[Content_Types].xml",
                types.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml"),
            )

    assert detect_format(path) == expected


def test_word_document_named_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "purchases.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")

    with pytest.raises(IngestError, match="Word document"):
        detect_format(path)


def test_zip_with_too_many_entries_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.UPLOAD_MAX_ZIP_ENTRIES = 1000
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for index in range(1000):
            archive.writestr(f"xl/media/{index}.bin", b"x")

    with pytest.raises(IngestError, match="1,002 parts"):
        check_zip_container(path)


def test_zip_declaring_more_than_the_budget_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.UPLOAD_MAX_UNZIPPED_BYTES = 1_000_000
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * 2_000_000)

    with pytest.raises(IngestError, match="zip bomb"):
        ingest_file(path)


def test_zip_lying_about_its_sizes_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.UPLOAD_MAX_UNZIPPED_BYTES = 1_000_000
    path = tmp_path / "liar.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * 2_000_000)
    data = bytearray(path.read_bytes())
    # Declare 100 bytes uncompressed in the local header (offset 22) and the central directory (offset 24).
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 100)
    struct.pack_into("<I", data, central + 24, 100)
    path.write_bytes(bytes(data))

    with pytest.raises(IngestError):
        check_zip_container(path)


def test_real_va_fss_workbook_passes_the_zip_checks(real_data: Path) -> None:
    check_zip_container(real_data / "vaFssPharmPrices.xlsx")


def test_openpyxl_uses_defusedxml() -> None:
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="5" uniqueCount="5">
<si><t>Date</t></si><si><t>Vendor</t></si><si><t>Qty</t></si><si><t>Unit Price</t></si><si><t>&lol9;</t></si>
</sst>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="5" uniqueCount="5">
<si><t>Date</t></si><si><t>Vendor</t></si><si><t>Qty</t></si><si><t>Unit Price</t></si><si><t>&xxe;</t></si>
</sst>"""


@pytest.mark.parametrize(
    "shared_strings",
    [pytest.param(BILLION_LAUGHS, id="billion_laughs"), pytest.param(EXTERNAL_ENTITY, id="external_entity")],
)
def test_xml_entity_attacks_are_rejected_or_inert_quickly(tmp_path: Path, shared_strings: bytes) -> None:
    path = xlsxwriter_workbook(tmp_path / "attack.xlsx")
    rewrite_part(path, "xl/sharedStrings.xml", shared_strings)
    started = time.monotonic()

    try:
        result = ingest_file(path)
    except IngestError:
        cells = ""
    else:
        cells = " ".join(str(value) for value in result.lines.to_numpy().ravel())
        cells += " ".join(" ".join(error.values) for error in result.errors)

    assert time.monotonic() - started < 5
    assert "root:" not in cells
    assert "lollollol" not in cells
