"""Spreadsheet exports: formula injection is neutralised and money keeps its format (SECURITY.md 22)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from gpo.xlsx import (
    MONEY_FORMAT,
    UNIT_PRICE_FORMAT,
    Column,
    Sheet,
    Typed,
    safe_cell,
    safe_text,
    workbook_bytes,
    write_table,
    xlsx_download,
    xlsx_response,
)


def _reopen(content: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    return openpyxl.load_workbook(io.BytesIO(content)).active


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("\x00nul", "'nul"),
        ("GE Healthcare", "GE Healthcare"),
        ("", ""),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "cr", "nul", "plain", "empty"],
)
def test_safe_cell_prefixes_formula_triggers_with_apostrophe(value: str, expected: str) -> None:
    assert safe_cell(value) == expected


def test_safe_cell_leaves_numbers_and_dates_alone() -> None:
    assert safe_cell(Decimal("-12.50")) == Decimal("-12.50")
    assert safe_cell(-3) == -3
    assert safe_cell(date(2026, 3, 1)) == date(2026, 3, 1)
    assert safe_cell(None) is None


def test_reopened_export_has_no_formula_cells() -> None:
    hostile = ['=HYPERLINK("http://evil","x")', "+1", "-1", "@SUM(1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]
    content = write_table("=Evil", ["=Header", "Value"], [[text, text] for text in hostile])

    sheet = _reopen(content)

    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell for cell in cells if cell.data_type == "f"] == []
    assert sheet.cell(row=1, column=1).value == "'=Header"
    assert sheet.cell(row=2, column=1).value == '\'=HYPERLINK("http://evil","x")'
    assert sheet.title == "=Evil"  # a sheet name is never evaluated; Excel refuses one starting with "'"


def test_header_is_bold_and_frozen_and_money_formatted() -> None:
    content = write_table(
        "Prices",
        ["Item", ("Price", "money"), "Unit price", ("Day", "date")],
        [["Iohexol 300", Decimal("1234.5"), Decimal("0.1235"), date(2026, 1, 2)]],
    )

    sheet = _reopen(content)

    assert sheet.freeze_panes == "A2"
    assert sheet.cell(row=1, column=1).font.bold is True
    assert sheet.cell(row=2, column=2).value == 1234.5
    assert sheet.cell(row=2, column=4).number_format == "yyyy-mm-dd"
    assert sheet.cell(row=2, column=2).number_format == MONEY_FORMAT
    assert sheet.cell(row=2, column=3).number_format == UNIT_PRICE_FORMAT
    assert sheet.column_dimensions["A"].width == pytest.approx(len("Iohexol 300") + 2, abs=1)


def test_unknown_column_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown column kind"):
        write_table("x", [("Price", "euros")], [])


def test_xlsx_response_uses_a_safe_file_name() -> None:
    response = xlsx_response(filename='../"evil"\r\nname', title="t", headers=["a"], rows=[["b"]])

    assert response["Content-Disposition"] == 'attachment; filename="evil-name.xlsx"'
    assert response.content.startswith(b"PK")


def test_xlsx_download_keeps_a_generated_name_and_is_never_sniffed() -> None:
    response = xlsx_download(b"PK", filename="savings-alpha-2026-01-01_2026-03-31.xlsx")

    assert response["Content-Disposition"] == 'attachment; filename="savings-alpha-2026-01-01_2026-03-31.xlsx"'
    assert response["X-Content-Type-Options"] == "nosniff"


# --- styled sheets (the savings report, dashboards, rejected rows) ---

HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "\0=x", '=HYPERLINK("http://evil")']


@pytest.mark.parametrize(
    ("raw", "written"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\0x", "'x"), ("ok", "ok")],
)
def test_safe_text_prefixes_formula_triggers(raw: str, written: str) -> None:
    assert safe_text(raw) == written


def test_hostile_text_is_written_as_text_never_a_formula() -> None:
    sheet = Sheet("Lines", [Column("Vendor"), Column("Spend", "money")], [[text, Decimal("-1.50")] for text in HOSTILE])

    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes([sheet])))

    cells = [cell for row in workbook["Lines"].iter_rows() for cell in row]
    assert [c for c in cells if c.data_type == "f"] == []
    # A CR comes back as xlsxwriter's escape _x000D_.
    written = [workbook["Lines"].cell(row=i + 2, column=1).value.replace("_x000D_", "\r") for i in range(len(HOSTILE))]
    assert written == [
        "'=1+1",
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\tx",
        "'\rx",
        "'=x",
        '\'=HYPERLINK("http://evil")',
    ]
    assert workbook["Lines"]["B2"].value == -1.5


def test_sheet_has_styled_frozen_filtered_header_and_formats() -> None:
    sheet = Sheet(
        "By month",
        [Column("Month"), Column("Spend", "money"), Column("Rate", "rate"), Column("Day", "date")],
        [
            ["2026-03", Decimal("1234.50"), 0.75, date(2026, 3, 1)],
            ["2026-04", Decimal("0.00"), None, Typed(None, "date")],
        ],
    )

    worksheet = openpyxl.load_workbook(io.BytesIO(workbook_bytes([sheet])))["By month"]

    assert worksheet.freeze_panes == "A2"
    assert worksheet.auto_filter.ref == "A1:D3"
    assert worksheet["A1"].font.bold is True
    assert (worksheet["B2"].value, worksheet["B2"].number_format) == (1234.5, "#,##0.00;[Red]-#,##0.00")
    assert (worksheet["C2"].value, worksheet["C2"].number_format) == (0.75, "0.0%")
    assert worksheet["D2"].value.date() == date(2026, 3, 1)
    assert worksheet["C3"].value is None
    assert worksheet.column_dimensions["B"].width >= 14
