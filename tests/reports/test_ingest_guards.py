"""Ingest guards that act before the work (SECURITY.md items 3 and 7, issue 15): a hostile file is refused cheaply,
with a message naming the line, column or part and the reason, in the worker and in the web process's preview alike.

Memory is measured in a fresh Python (peak RSS growth over the imports): Arrow's and calamine's allocations do not
go through Python's allocator, so tracemalloc would not see them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from reports.ingest import IngestError, check_zip_container, detect_format, ingest_file, preview
from reports.models import PurchaseLine, PurchaseUpload
from tests.reports.test_filetypes import xlsxwriter_workbook
from tests.reports.upload_samples import csv_upload

ROOT = Path(__file__).resolve().parents[2]
HEADER = "Invoice Date,Vendor,Item #,Qty,Unit Price,Extended"
ROW = "3/15/26,GE,AC-100,1,2.50,2.50"

_MEASURE = textwrap.dedent(
    """
    import os, resource, sys
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpo.settings")
    import django
    django.setup()
    import fastexcel, pyarrow.csv  # loaded before the baseline
    from reports import ingest
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        getattr(ingest, sys.argv[1])(sys.argv[2])
        outcome = "read"
    except ingest.IngestError as exc:
        outcome = str(exc)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)
    print(outcome)
    """
)


def peak_growth(entry: str, path: Path, **environment: str) -> tuple[int, str]:
    """(MB the peak RSS of a fresh Python grows by while `reports.ingest.<entry>(path)` runs, its outcome)."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, entry, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1", **environment},
        timeout=600,
        check=True,
    )
    growth, outcome = done.stdout.strip().split("\n", 1)
    return int(growth), outcome


def write(tmp_path: Path, text: str, name: str = "purchases.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


# --------------------------------------------------------------------------------------------------------------
# csv: column cap from the header line, row byte cap, ragged wide rows


def wide_header_csv(tmp_path: Path, extra_columns: int) -> Path:
    """The issue's file: a usable header followed by `extra_columns` more header cells (0.9 MB for 100,000)."""
    extra = ",".join(f"col{index:05d}" for index in range(extra_columns))
    return write(tmp_path, f"{HEADER},{extra}\n{ROW}\n")


@pytest.mark.parametrize(
    ("row_bytes", "refusal"),
    [
        pytest.param("2000000", "Line 1 has 100,006 columns (at most 200 allowed)", id="column_cap"),
        pytest.param("262144", "Line 1 is 900,050 bytes long (at most 262,144 allowed)", id="row_byte_cap"),
    ],
)
@pytest.mark.parametrize("entry", ["ingest_file", "preview"])
def test_csv_with_100000_extra_header_columns_is_refused_cheaply(
    tmp_path: Path, entry: str, row_bytes: str, refusal: str
) -> None:
    # Before the guards: peak RSS +721 MB and 23 s, for the worker and the web process's preview alike (Arrow parsed
    # every column; the column cap was checked after). Either cap alone now refuses it from the first line.
    path = wide_header_csv(tmp_path, 100_000)
    assert 850_000 < path.stat().st_size < 950_000

    growth, outcome = peak_growth(entry, path, UPLOAD_MAX_ROW_BYTES=row_bytes)

    assert outcome.startswith(refusal)
    assert growth < 30, f"peak RSS grew by {growth} MB"


def test_csv_header_wider_than_the_cap_is_refused_naming_its_line(tmp_path: Path, settings: object) -> None:
    settings.UPLOAD_MAX_COLUMNS = 10  # type: ignore[attr-defined]
    extra = ",".join(f"Note {index}" for index in range(20))
    path = write(tmp_path, f"Purchases of March\n{HEADER},{extra}\n{ROW}\n")

    with pytest.raises(IngestError, match=r"^Line 2 has 26 columns \(at most 10 allowed\)"):
        preview(path)


def test_csv_data_line_wider_than_the_cap_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{ROW}\n{ROW}{',x' * 300}\n{ROW}\n")

    with pytest.raises(IngestError, match=r"^Line 3 has 306 columns \(at most 200 allowed\)"):
        ingest_file(path)


def test_ragged_csv_with_a_cell_over_the_csv_modules_limit_is_refused_naming_its_line(tmp_path: Path) -> None:
    # Before: the csv module's own error escaped (a 500 from the upload page's preview).
    path = write(tmp_path, f'{HEADER}\n{ROW},extra\n{ROW},"{"x" * 140_000}"\n')

    with pytest.raises(IngestError, match=r"^Line 3 cannot be read as csv: a cell is too long"):
        preview(path)


def test_csv_line_longer_than_the_row_byte_cap_is_refused_naming_its_line(tmp_path: Path, settings: object) -> None:
    settings.UPLOAD_MAX_ROW_BYTES = 1000  # type: ignore[attr-defined]
    long_line = f"{ROW},{'x' * 2000}"
    path = write(tmp_path, f"{HEADER},Description\n{ROW},ok\n{long_line}\n")

    with pytest.raises(IngestError, match=rf"^Line 3 is {len(long_line):,} bytes long \(at most 1,000 allowed\)"):
        ingest_file(path)
    with pytest.raises(IngestError, match=rf"^Line 3 is {len(long_line):,} bytes long"):
        preview(path)


@pytest.mark.parametrize("before", [0, 1, 37, 49, 50, 99, 150])
@pytest.mark.parametrize(("length", "refused"), [(100, False), (101, True), (250, True)])
def test_row_byte_cap_finds_a_long_line_wherever_it_starts(
    tmp_path: Path, settings: object, before: int, length: int, refused: bool
) -> None:
    settings.UPLOAD_MAX_ROW_BYTES = 100  # type: ignore[attr-defined]
    lines = ["a" * (before % 40)] * (before // 40 + 1) + ["b" * length, "c" * 10]
    path = write(tmp_path, "\n".join(lines))
    long_line = len(lines) - 1

    if refused:
        with pytest.raises(IngestError, match=rf"^Line {long_line} is {length} bytes long"):
            detect_format(path)
    else:
        assert detect_format(path) == "csv"


def test_row_byte_cap_reads_the_lines_of_a_cr_only_file(tmp_path: Path, settings: object) -> None:
    # Excel's "CSV (Macintosh)" ends lines with CR only: the cap applies to its lines, not to the whole file.
    settings.UPLOAD_MAX_ROW_BYTES = 100  # type: ignore[attr-defined]
    path = tmp_path / "mac.csv"
    path.write_bytes(("\r".join([HEADER] + [ROW] * 50) + "\r").encode())

    assert ingest_file(path).rows_total == 50


def test_real_csv_files_pass_the_csv_guards(real_data: Path) -> None:
    for name in ("scms_delivery_history.csv", "vaFssPharmPrices.csv"):
        found = preview(real_data / name)
        assert found.headers


# --------------------------------------------------------------------------------------------------------------
# Blank rows: a long run followed by data is refused by its rows, never a silent drop (SECURITY.md item 7)


def test_data_after_a_run_of_10000_blank_rows_is_refused_naming_the_rows(tmp_path: Path) -> None:
    # Before: rows after the run disappeared, rows_skipped 0 and no word.
    path = write(tmp_path, f"{HEADER}\n{ROW}\n" + ",,,,,\n" * 10_000 + f"{ROW}\n")

    with pytest.raises(IngestError, match=r"^Rows 3 to 10,002 are blank \(10,000 in a row\) and row 10,003 has data"):
        ingest_file(path)


def test_a_shorter_blank_run_is_skipped_and_counted(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{ROW}\n" + ",,,,,\n" * 9_999 + f"{ROW}\n")

    result = ingest_file(path)

    assert (result.rows_total, result.rows_skipped) == (2, 9_999)
    assert result.lines["row_number"].tolist() == [2, 10_002]


def test_trailing_blank_rows_of_any_length_are_padding(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{ROW}\n" + ",,,,,\n" * 25_000)

    result = ingest_file(path)

    assert (result.rows_total, result.rows_skipped) == (1, 0)


@pytest.mark.django_db(transaction=True)
def test_upload_with_data_after_a_long_blank_run_fails_with_the_reason_and_no_lines(
    api_client_for: Any, finance_a: Any, practice_a: Any
) -> None:
    content = f"{HEADER}\n{ROW}\n".encode() + b",,,,,\n" * 10_000 + f"{ROW}\n".encode()

    response = api_client_for(finance_a).post(
        "/api/uploads/",
        {"file": csv_upload(content, name="padded.csv"), "practice": practice_a.slug},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    upload = PurchaseUpload.objects.get()
    assert upload.status == PurchaseUpload.Status.FAILED
    assert upload.error.startswith("Rows 3 to 10,002 are blank (10,000 in a row) and row 10,003 has data")
    assert not PurchaseLine.objects.filter(upload=upload).exists()


# --------------------------------------------------------------------------------------------------------------
# Zip parts: an inflation-ratio cap per part (SECURITY.md item 3), calibrated on the real VA FSS workbook


def inflating_workbook(path: Path, empty_rows_bytes: int) -> Path:
    """The issue's file: a real sheet followed by `empty_rows_bytes` of empty rows, streamed into the package."""
    xlsxwriter_workbook(path)
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = parts.pop("xl/worksheets/sheet1.xml")
    head, tail = sheet.split(b"</sheetData>")
    chunk = b"<row/>" * (1024 * 1024 // 6)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(head)
            for _ in range(empty_rows_bytes // len(chunk)):
                part.write(chunk)
            part.write(b"</sheetData>" + tail)
    return path


@pytest.fixture(scope="module")
def padded_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return inflating_workbook(tmp_path_factory.mktemp("padded") / "padded.xlsx", 200 * 1024 * 1024)


@pytest.mark.parametrize("entry", [check_zip_container, preview, ingest_file])
def test_xlsx_part_inflating_650_times_is_refused_cheaply(padded_workbook: Path, entry: Any) -> None:
    # Before: taken in and `done` after inflating 200 MB (twice: the zip checks, then the reader).
    path = padded_workbook
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    assert path.stat().st_size < 400_000
    assert info.file_size / info.compress_size > 500

    with pytest.raises(IngestError, match=r"part xl/worksheets/sheet1.xml unpacks to \d+ times its packed size"):
        entry(path)


def test_repetitive_real_world_workbooks_pass_the_ratio_cap(tmp_path: Path) -> None:
    # Identical rows pack about 11:1 (xlsxwriter) to 15:1 (openpyxl): far under the cap of 100.
    import xlsxwriter

    path = tmp_path / "same.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["Date", "Vendor", "Qty", "Unit Price", "Extended"])
    for row in range(1, 60_001):
        sheet.write_row(row, 0, ["2026-03-15", "GE Healthcare", 1, 2.5, 2.5])
    workbook.close()

    check_zip_container(path)


def test_real_va_fss_workbook_passes_every_zip_guard(real_data: Path) -> None:
    # 14.3 MB unpacked, worst part 8.4:1 (SECURITY.md item 3's calibration).
    path = real_data / "vaFssPharmPrices.xlsx"

    check_zip_container(path)
    found = preview(path)

    assert found.header_found


@pytest.mark.django_db
def test_upload_of_the_inflating_workbook_answers_400_and_stores_nothing(
    padded_workbook: Path, api_client_for: Any, finance_a: Any, practice_a: Any
) -> None:
    response = api_client_for(finance_a).post(
        "/api/uploads/",
        {"file": csv_upload(padded_workbook.read_bytes(), name="padded.xlsx"), "practice": practice_a.slug},
        format="multipart",
    )

    assert response.status_code == 400
    message = str(response.json())
    assert "unpacks to 685 times its packed size" in message
    assert "/tmp" not in message
    assert not PurchaseUpload.objects.exists()


# --------------------------------------------------------------------------------------------------------------
# xlsx: the sheet's extent from its cell references, before the reader allocates it (SECURITY.md item 7)


def far_cell_workbook(path: Path, row: int, column: int, *, second_sheet: bool = False) -> Path:
    """A 6 KB workbook: a usable sheet plus one stray cell at (row, column), zero-based, on it or on a second sheet."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Purchases")
    sheet.write_row(0, 0, ["Date", "Vendor", "Qty", "Unit Price"])
    sheet.write_row(1, 0, ["2026-03-15", "GE Healthcare", 2, 3.5])
    stray = workbook.add_worksheet("Notes") if second_sheet else sheet
    stray.write(row, column, "x")
    workbook.close()
    return path


@pytest.mark.parametrize("entry", ["preview", "ingest_file"])
def test_xlsx_with_a_stray_cell_at_xfd1048576_is_refused_before_the_reader_allocates(
    tmp_path: Path, entry: str
) -> None:
    # Before: the reader sized its grid from the cells, 16,384 x 1,048,576, and asked for 512 GiB: "memory allocation
    # failed" aborted the whole process (a web worker for the upload page's preview).
    path = far_cell_workbook(tmp_path / "stray.xlsx", 1_048_575, 16_383)
    assert path.stat().st_size < 10_000

    growth, outcome = peak_growth(entry, path)

    assert outcome.startswith("The sheet Purchases has a cell in column XFD (column 16,384; at most 200 allowed)")
    assert growth < 30, f"peak RSS grew by {growth} MB"


def test_xlsx_whose_cells_span_more_than_the_cell_budget_is_refused(tmp_path: Path, settings: object) -> None:
    settings.UPLOAD_MAX_CELLS = 1_000_000  # type: ignore[attr-defined]
    path = far_cell_workbook(tmp_path / "deep.xlsx", 999_999, 3)

    with pytest.raises(IngestError, match=r"^The sheet Purchases reaches row 1,000,000 and column D: 4,000,000 cells"):
        preview(path)


def test_a_stray_cell_on_another_sheet_does_not_block_the_chosen_one(tmp_path: Path) -> None:
    path = far_cell_workbook(tmp_path / "notes.xlsx", 1_048_575, 16_383, second_sheet=True)

    assert ingest_file(path, sheet="Purchases").rows_total == 1
    with pytest.raises(IngestError, match="The sheet Notes has a cell in column XFD"):
        preview(path, sheet="Notes")


# --------------------------------------------------------------------------------------------------------------
# ods: repeated rows and cells are counted before the reader expands them


def repeated_ods(path: Path, rows: int, columns: int, *, valued: bool = True) -> Path:
    """A 4 KB ods: a usable table, then one row repeated `rows` times holding a cell repeated `columns` times."""
    import pandas as pd

    frame = pd.DataFrame({"Date": ["2026-03-15"], "Vendor": ["GE"], "Qty": [1], "Unit Price": [2]})
    frame.to_excel(path, engine="odf", index=False, sheet_name="Purchases")  # type: ignore[arg-type]
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    content = parts["content.xml"].decode()
    value = ' office:value-type="string"><text:p>x</text:p></table:table-cell>' if valued else "/>"
    cell = f'<table:table-cell table:number-columns-repeated="{columns}"{value}'
    row = f'<table:table-row table:number-rows-repeated="{rows}">{cell}</table:table-row>'
    end = content.rfind("</table:table>")
    parts["content.xml"] = (content[:end] + row + content[end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr(zipfile.ZipInfo("mimetype"), parts.pop("mimetype"))
        for name, data in parts.items():
            target.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("rows", "columns", "refusal"),
    [
        # 90 million cells: under the reader's own limit of 100 million, it asked for 2.9 GB and more.
        pytest.param(90_000, 1_000, "The sheet Purchases has a cell in column ALL (column 1,000", id="wide"),
        pytest.param(
            1_000_000, 30, "The sheet Purchases reaches row 1,000,002 and column AD: 30,000,060 cells", id="deep"
        ),
    ],
)
def test_ods_with_repeated_cells_is_refused_before_the_reader_expands_them(
    tmp_path: Path, rows: int, columns: int, refusal: str
) -> None:
    path = repeated_ods(tmp_path / "repeated.ods", rows, columns)
    assert path.stat().st_size < 10_000

    growth, outcome = peak_growth("preview", path)

    assert outcome.startswith(refusal)
    assert growth < 30, f"peak RSS grew by {growth} MB"


def test_ods_with_libreoffice_empty_padding_is_read(tmp_path: Path) -> None:
    # LibreOffice writes the empty rest of a sheet as repeated empty rows and cells: padding, not cells.
    path = repeated_ods(tmp_path / "padded.ods", 1_048_000, 1_020, valued=False)

    assert ingest_file(path).rows_total == 1


# --------------------------------------------------------------------------------------------------------------
# The upload page's preview (the web process) goes through the same guards


@pytest.mark.django_db
def test_upload_page_preview_refuses_the_wide_csv_with_the_reason(tmp_path: Path, client: Any, finance_a: Any) -> None:
    client.force_login(finance_a)
    content = wide_header_csv(tmp_path, 100_000).read_bytes()

    response = client.post(
        "/uploads/preview", {"file": csv_upload(content, name="wide.csv"), "practice": "alpha-radiology", "sheet": ""}
    )

    assert response.status_code == 302
    shown = [str(message) for message in client.get("/uploads/").context["messages"]]
    assert shown[0].startswith("Line 1 is 900,050 bytes long (at most 262,144 allowed)")


@pytest.mark.django_db
def test_upload_page_preview_refuses_the_inflating_workbook_with_the_reason(
    padded_workbook: Path, client: Any, finance_a: Any
) -> None:
    client.force_login(finance_a)
    upload = csv_upload(padded_workbook.read_bytes(), name="padded.xlsx")

    response = client.post("/uploads/preview", {"file": upload, "practice": "alpha-radiology", "sheet": ""})

    assert response.status_code == 400
    assert "unpacks to 685 times its packed size" in response.content.decode()
    assert "/tmp" not in response.content.decode()


def rewritten_sheet(path: Path, rows_xml: str) -> Path:
    """The small workbook with its sheet data replaced by `rows_xml`."""
    xlsxwriter_workbook(path)
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    start, end = sheet.index("<sheetData>") + len("<sheetData>"), sheet.index("</sheetData>")
    parts["xl/worksheets/sheet1.xml"] = (sheet[:start] + rows_xml + sheet[end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


HEADER_ROW_XML = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c><c r="B1" t="inlineStr"><is><t>Vendor</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>Qty</t></is></c><c r="D1" t="inlineStr"><is><t>Unit Price</t></is></c></row>'
)


@pytest.mark.parametrize(
    ("rows_xml", "refusal"),
    [
        pytest.param(
            HEADER_ROW_XML + '<row r="2"><c s="0" r="XFD1048576"><v>1</v></c></row>',
            "The sheet Purchases has a cell in column XFD",
            id="reference_not_first",
        ),
        pytest.param(
            HEADER_ROW_XML + "<row r='2'><c r='XFD2'><v>1</v></c></row>",
            "The sheet Purchases has a cell in column XFD",
            id="single_quotes",
        ),
        pytest.param(
            HEADER_ROW_XML + "<row>" + "<c><v>1</v></c>" * 300 + "</row>",
            "The sheet Purchases has a cell in column KN (column 300",
            id="cells_without_references",
        ),
    ],
)
def test_xlsx_cells_written_unusually_are_still_counted(tmp_path: Path, rows_xml: str, refusal: str) -> None:
    path = rewritten_sheet(tmp_path / "unusual.xlsx", rows_xml)

    growth, outcome = peak_growth("preview", path)

    assert outcome.startswith(refusal), outcome
    assert growth < 30, f"peak RSS grew by {growth} MB"


def test_ods_content_declaring_a_dtd_is_refused_before_the_reader(tmp_path: Path) -> None:
    path = repeated_ods(tmp_path / "entities.ods", 1, 1)
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    content = parts["content.xml"]
    declaration_end = content.index(b"?>") + 2
    laughs = b'<!DOCTYPE office:document-content [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    parts["content.xml"] = content[:declaration_end] + laughs + content[declaration_end:]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr(zipfile.ZipInfo("mimetype"), parts.pop("mimetype"))
        for name, data in parts.items():
            target.writestr(name, data)

    with pytest.raises(IngestError, match="declares a DTD"):
        preview(path)
