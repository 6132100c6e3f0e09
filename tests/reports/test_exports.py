"""Styled xlsx exports: formula injection is neutralised and numbers stay numbers (SECURITY.md item 22)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from reports.exports import Column, Sheet, Typed, safe_text, workbook_bytes

HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "\0=x", '=HYPERLINK("http://evil")']


@pytest.mark.parametrize(
    ("raw", "written"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\0x", "'x"), ("ok", "ok")],
)
def test_safe_text_prefixes_formula_triggers(raw: str, written: str) -> None:
    assert safe_text(raw) == written


@pytest.mark.parametrize("engine", ["xlsxwriter", "openpyxl"])
def test_hostile_text_is_written_as_text_never_a_formula(engine: str) -> None:
    sheet = Sheet("Lines", [Column("Vendor"), Column("Spend", "money")], [[text, Decimal("-1.50")] for text in HOSTILE])

    workbook = load_workbook(io.BytesIO(workbook_bytes([sheet], engine=engine)))  # type: ignore[arg-type]

    cells = [cell for row in workbook["Lines"].iter_rows() for cell in row]
    assert [c for c in cells if c.data_type == "f"] == []
    # A CR comes back as xlsxwriter's escape _x000D_ or, from openpyxl, as the LF that XML normalises it to.
    written = [
        workbook["Lines"].cell(row=i + 2, column=1).value.replace("_x000D_", "\r").replace("\n", "\r")
        for i in range(len(HOSTILE))
    ]
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


@pytest.mark.parametrize("engine", ["xlsxwriter", "openpyxl"])
def test_sheet_has_styled_frozen_filtered_header_and_formats(engine: str) -> None:
    sheet = Sheet(
        "By month",
        [Column("Month"), Column("Spend", "money"), Column("Rate", "rate"), Column("Day", "date")],
        [
            ["2026-03", Decimal("1234.50"), 0.75, date(2026, 3, 1)],
            ["2026-04", Decimal("0.00"), None, Typed(None, "date")],
        ],
    )

    worksheet = load_workbook(io.BytesIO(workbook_bytes([sheet], engine=engine)))["By month"]  # type: ignore[arg-type]

    assert worksheet.freeze_panes == "A2"
    assert worksheet.auto_filter.ref == "A1:D3"
    assert worksheet["A1"].font.bold is True
    assert (worksheet["B2"].value, worksheet["B2"].number_format) == (1234.5, "#,##0.00;[Red]-#,##0.00")
    assert (worksheet["C2"].value, worksheet["C2"].number_format) == (0.75, "0.0%")
    assert worksheet["D2"].value.date() == date(2026, 3, 1)
    assert worksheet["C3"].value is None
    assert worksheet.column_dimensions["B"].width >= 14
