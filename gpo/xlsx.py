"""Spreadsheet exports shared by every page: one table per sheet, safe against formula injection (SECURITY.md 22).

`write_table` turns headers and rows into xlsx bytes (bold frozen header, sized columns, number formats);
`xlsx_response` wraps them in a download. Every text cell goes through `safe_cell`, so a vendor name such as
"=HYPERLINK(...)" is written as the text it is, never as a live formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# Text starting with any of these is read by Excel, LibreOffice or Sheets as a formula or DDE payload.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")

MONEY_FORMAT = "#,##0.00"
UNIT_PRICE_FORMAT = "#,##0.00##"
PERCENT_FORMAT = "0.00"
INTEGER_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"

# Column kinds a header may declare as ("Header", kind); plain headers infer the format from the values.
KIND_FORMATS = {
    "money": MONEY_FORMAT,
    "unit_price": UNIT_PRICE_FORMAT,
    "percent": PERCENT_FORMAT,
    "integer": INTEGER_FORMAT,
    "date": DATE_FORMAT,
    "text": None,
}

MAX_COLUMN_WIDTH = 60
SHEET_TITLE_MAX = 31  # Excel's limit
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Header = str | tuple[str, str]


def safe_cell(value: Any) -> Any:
    """A value safe to write into a cell: text that could start a formula gets a leading apostrophe."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _header_name_and_kind(header: Header) -> tuple[str, str | None]:
    if isinstance(header, tuple):
        name, kind = header
        if kind not in KIND_FORMATS:
            raise ValueError(f"Unknown column kind {kind!r} for {name!r}.")
        return name, kind
    return header, None


def _inferred_format(value: Any) -> str | None:
    if isinstance(value, Decimal):
        return UNIT_PRICE_FORMAT
    if isinstance(value, datetime | date):
        return DATE_FORMAT
    return None


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}") + 1
    return len(str(value))


def write_table(title: str, headers: Sequence[Header], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet named `title`: a bold, frozen header row and one row per item of `rows`, as xlsx bytes.

    A header is a name or a (name, kind) pair with kind in money, unit_price, percent, integer, date or text;
    without a kind, Decimals get a money format with up to 4 places and dates an ISO format.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a fresh workbook always has one sheet
    sheet.title = (safe_cell(title) or "Sheet").replace("/", "-")[:SHEET_TITLE_MAX]
    names_and_kinds = [_header_name_and_kind(header) for header in headers]
    widths = [len(name) for name, _ in names_and_kinds]
    bold = Font(bold=True)
    for column, (name, _) in enumerate(names_and_kinds, start=1):
        cell = sheet.cell(row=1, column=column, value=safe_cell(name))
        cell.font = bold
    for row_number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            kind = names_and_kinds[column - 1][1] if column <= len(names_and_kinds) else None
            cell = sheet.cell(row=row_number, column=column, value=safe_cell(value))
            _force_text(cell)
            number_format = KIND_FORMATS.get(kind) if kind else _inferred_format(value)
            if number_format and value is not None:
                cell.number_format = number_format
            if column <= len(widths):
                widths[column - 1] = max(widths[column - 1], _display_width(value))
    sheet.freeze_panes = "A2"
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(MAX_COLUMN_WIDTH, width + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _force_text(cell: Cell) -> None:
    """openpyxl marks any string starting with "=" as a formula; text is text (belt and braces after safe_cell)."""
    if cell.data_type == "f":
        cell.data_type = "s"


def xlsx_response(
    *, filename: str, title: str, headers: Sequence[Header], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A download of `write_table(title, headers, rows)` under a safe, generated file name."""
    safe_name = slugify(filename) or "export"
    response = HttpResponse(write_table(title, headers, rows), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{safe_name}.xlsx"'
    return response


def wants_xlsx(request: Any) -> bool:
    """Whether a page was asked for its table as a spreadsheet (`?format=xlsx`)."""
    return request.GET.get("format") == "xlsx"
