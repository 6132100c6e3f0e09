"""Spreadsheet exports: formula injection is neutralised and money keeps its format (SECURITY.md 22)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from gpo.xlsx import MONEY_FORMAT, UNIT_PRICE_FORMAT, safe_cell, write_table, xlsx_response


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
        ("\x00nul", "'\x00nul"),
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
    assert sheet.title == "'=Evil"


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
    assert sheet.cell(row=2, column=2).number_format == MONEY_FORMAT
    assert sheet.cell(row=2, column=3).number_format == UNIT_PRICE_FORMAT
    assert sheet.column_dimensions["A"].width == len("Iohexol 300") + 2


def test_unknown_column_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown column kind"):
        write_table("x", [("Price", "euros")], [])


def test_xlsx_response_uses_a_safe_file_name() -> None:
    response = xlsx_response(filename='../"evil"\r\nname', title="t", headers=["a"], rows=[["b"]])

    assert response["Content-Disposition"] == 'attachment; filename="evil-name.xlsx"'
    assert response.content.startswith(b"PK")
