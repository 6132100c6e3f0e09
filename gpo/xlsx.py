"""The one xlsx writer and the one formula-injection sanitiser of the product (SECURITY.md item 22).

Every workbook a user downloads is written here: the savings report, dashboard tables, catalog pages, rejected
rows. A workbook is a list of `Sheet`s (a header row of `Column`s, then rows); `workbook_write` writes it with
xlsxwriter in constant-memory mode (rows are streamed, so a million-line Lines sheet stays small in memory; see
bench/savings.py). Every text cell goes through `safe_text`: text that a spreadsheet would run as a formula or DDE
payload (= + - @ TAB CR NUL) gets a leading apostrophe, and numbers are written as numbers, never as text.
`write_table` is the short form for one sheet whose formats follow its values; `xlsx_download` serves the bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Literal

import xlsxwriter
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.text import slugify
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# Text starting with any of these is read by Excel, LibreOffice or Sheets as a formula or DDE payload.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")

Kind = Literal["text", "money", "unit_price", "quantity", "percent", "rate", "date", "integer", "auto"]

MONEY_FORMAT = "#,##0.00;[Red]-#,##0.00"
UNIT_PRICE_FORMAT = "#,##0.00##"
DATE_FORMAT = "yyyy-mm-dd"
NUMBER_FORMATS: dict[str, str] = {
    "money": MONEY_FORMAT,
    "unit_price": UNIT_PRICE_FORMAT,
    "quantity": "#,##0.####",
    "percent": "0.00",  # a percentage as a number: 12.5 means 12.5 %
    "rate": "0.0%",  # a share from 0 to 1
    "date": DATE_FORMAT,
    "integer": "#,##0",
}
DEFAULT_WIDTHS: dict[str, int] = {
    "text": 24,
    "money": 14,
    "unit_price": 13,
    "quantity": 11,
    "percent": 11,
    "rate": 11,
    "date": 12,
    "integer": 10,
    "auto": 16,
}
MAX_COLUMN_WIDTH = 60
SHEET_TITLE_MAX = 31  # Excel's limit
HEADER_FILL = "0E2A47"
HEADER_FONT = "FFFFFF"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Header = str | tuple[str, str]


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its header, the kind of value it holds and its width in characters.

    Kind "auto" takes each cell's format from its value: a Decimal as a unit price (up to 4 places), a date as a
    date, any other number as it is.
    """

    header: str
    kind: Kind = "text"
    width: int | None = None


@dataclass(frozen=True)
class Typed:
    """A cell whose kind differs from its column's (key/value sheets such as Summary)."""

    value: Any
    kind: Kind


@dataclass
class Sheet:
    """One worksheet: a header row, then the rows (any iterable, consumed once), frozen header and autofilter."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    autofilter: bool = True
    # Printing (and PDF export): landscape pages, every column on one page wide, the header row on each page.
    print_landscape_fit_width: bool = False


def safe_text(value: object) -> str:
    """Text as written to a cell: formula triggers neutralised by an apostrophe, illegal XML characters dropped."""
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def safe_cell(value: Any) -> Any:
    """A value safe to write into a cell: numbers, dates and None as they are, anything else as `safe_text`."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime):
        return value
    return safe_text(value)


def _auto_kind(value: Any) -> Kind:
    if isinstance(value, Decimal):
        return "unit_price"
    if isinstance(value, datetime | date):
        return "date"
    if isinstance(value, bool | int | float):
        return "quantity"
    return "text"


def _cell(value: Any, kind: Kind) -> tuple[Any, Kind]:
    """The value to write and the kind that decides its format (None and "" stay empty)."""
    if isinstance(value, Typed):
        return _cell(value.value, value.kind)
    if value is None or value == "":
        return None, "text"
    if kind == "auto":
        kind = _auto_kind(value)
    if kind == "text" or isinstance(value, str):
        return safe_text(value), "text"
    if kind == "date":
        return value, kind
    if isinstance(value, Decimal):
        return float(value), kind
    return value, kind


def sheet_title(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, not starting or ending with an apostrophe."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip().strip("'") or "Sheet"
    return cleaned[:SHEET_TITLE_MAX]


def workbook_write(sheets: Sequence[Sheet], out: IO[bytes] | str) -> None:
    """Write the sheets as one styled xlsx workbook to a path or a binary file object."""
    workbook = xlsxwriter.Workbook(
        out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    header_format = workbook.add_format(
        {"bold": True, "font_color": f"#{HEADER_FONT}", "bg_color": f"#{HEADER_FILL}", "text_wrap": True}
    )
    formats = {kind: workbook.add_format({"num_format": fmt}) for kind, fmt in NUMBER_FORMATS.items()}
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet_title(sheet.title))
        kinds = [c.kind for c in sheet.columns]
        for index, column in enumerate(sheet.columns):
            worksheet.set_column(index, index, column.width or DEFAULT_WIDTHS[column.kind])
            worksheet.write_string(0, index, safe_text(column.header), header_format)
        worksheet.freeze_panes(1, 0)
        if sheet.print_landscape_fit_width:
            worksheet.set_landscape()
            worksheet.fit_to_pages(1, 0)
            worksheet.repeat_rows(0)
        last_row = 0
        for row_index, row in enumerate(sheet.rows, start=1):
            last_row = row_index
            for col_index, raw in enumerate(row):
                value, kind = _cell(raw, kinds[col_index] if col_index < len(kinds) else "auto")
                if value is None:
                    continue
                if kind == "text":
                    worksheet.write_string(row_index, col_index, value)
                elif kind == "date":
                    worksheet.write_datetime(row_index, col_index, value, formats["date"])
                else:
                    worksheet.write_number(row_index, col_index, value, formats[kind])
        if sheet.autofilter and sheet.columns:
            worksheet.autofilter(0, 0, max(last_row, 1), len(sheet.columns) - 1)
    workbook.close()


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The workbook as bytes (for an HTTP download)."""
    buffer = io.BytesIO()
    workbook_write(sheets, buffer)
    return buffer.getvalue()


def _column_of(header: Header) -> Column:
    if isinstance(header, tuple):
        name, kind = header
        if kind not in NUMBER_FORMATS and kind != "text":
            raise ValueError(f"Unknown column kind {kind!r} for {name!r}.")
        return Column(name, kind)  # type: ignore[arg-type]
    return Column(header, "auto")


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}") + 1
    return len(str(value))


def write_table(title: str, headers: Sequence[Header], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet named `title` as xlsx bytes: a frozen header row, columns as wide as their text.

    A header is a name or a (name, kind) pair with kind in money, unit_price, quantity, percent, rate, integer,
    date or text; a plain name takes each cell's format from its value (`Column` kind "auto").
    """
    columns = [_column_of(header) for header in headers]
    materialised = [list(row) for row in rows]
    widths = [len(column.header) for column in columns]
    for row in materialised:
        for position, value in enumerate(row[: len(widths)]):
            widths[position] = max(widths[position], _display_width(value))
    sized = [Column(c.header, c.kind, min(MAX_COLUMN_WIDTH, w + 2)) for c, w in zip(columns, widths, strict=True)]
    return workbook_bytes([Sheet(title, sized, materialised, autofilter=False)])


def xlsx_download(content: bytes, *, filename: str) -> HttpResponse:
    """A download of xlsx bytes under a safe, generated ASCII file name (SECURITY.md item 6), never sniffed."""
    stem = filename.removesuffix(".xlsx")
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{slugify(stem) or "export"}.xlsx"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def xlsx_response(
    *, filename: str, title: str, headers: Sequence[Header], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A download of `write_table(title, headers, rows)`."""
    return xlsx_download(write_table(title, headers, rows), filename=filename)


class _Echo:
    """A file-like object whose write returns the text, for streaming csv rows."""

    def write(self, text: str) -> str:
        return text


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, bool | int | float | Decimal):
        return value
    return safe_text(value)


def csv_download(sheet: Sheet, *, filename: str) -> StreamingHttpResponse:
    """A sheet as a streamed UTF-8 csv (with BOM, so Excel reads it as UTF-8), text neutralised like the xlsx."""
    writer = csv.writer(_Echo())

    def lines() -> Any:
        yield "\ufeff" + writer.writerow([safe_text(c.header) for c in sheet.columns])
        for row in sheet.rows:
            yield writer.writerow([_csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stem = filename.removesuffix(".csv")
    response["Content-Disposition"] = f'attachment; filename="{slugify(stem) or "export"}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def wants_xlsx(request: Any) -> bool:
    """Whether a page was asked for its table as a spreadsheet (`?format=xlsx`)."""
    return request.GET.get("format") == "xlsx"
