"""Reading catalog spreadsheets cell by cell: text, Decimal and dates exactly as the file has them (pure).

Shared by `import_catalog` and `import_price_list`. Numbers never go through float arithmetic: a float cell is
converted by its shortest repr (12.3 -> Decimal("12.3"), STYLE.md rule 6).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from python_calamine import CalamineWorkbook

from gpo.errors import ApplicationError

_EXCEL_EPOCH = date(1899, 12, 30)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_SPACES = {"\u00a0": " ", "\u2007": " ", "\u202f": " "}


class ImportRowsError(ApplicationError):
    """A file has problems and nothing was written; `errors` lists each with where it is and why."""

    source = "file"

    def __init__(self, errors: list[str]) -> None:
        super().__init__(
            f"{len(errors)} problem(s) in the {self.source}; nothing was written.", extra={"errors": errors}
        )
        self.errors = errors


class CellError(ValueError):
    """A cell's value cannot be read as the column requires; the message is the plain reason."""


def cell_text(value: Any) -> str:
    """A cell as text, stripped; whole-number floats lose their ".0" (a SKU typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    for odd, plain in _SPACES.items():
        text = text.replace(odd, plain)
    return text.strip()


def cell_decimal(value: Any) -> Decimal | None:
    """A cell as a Decimal, None when blank; "$1,234.50" and "(12.00)" are read; anything else is a CellError."""
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise CellError("not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = cell_text(value)
    if not text:
        return None
    negative = text.startswith("(") and text.endswith(")")
    cleaned = text.strip("()").replace("$", "").replace(",", "").replace(" ", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"{text!r} is not a number") from None
    if not number.is_finite():
        raise CellError(f"{text!r} is not a number")
    return -number if negative else number


def cell_date(value: Any) -> date | None:
    """A cell as a date, None when blank: real dates, Excel serial numbers, ISO and US month-first text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise CellError(f"{value!r} is not a date")
    text = cell_text(value)
    if not text:
        return None
    try:
        iso = _ISO_DATE.match(text)
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        us = _US_DATE.match(text)
        if us:
            year = int(us[3])
            if len(us[3]) == 2:
                year += 2000 if year < 70 else 1900
            return date(year, int(us[1]), int(us[2]))
    except ValueError:
        pass
    raise CellError(f"{text!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)")


def header_key(value: Any) -> str:
    """A header cell as a column key: lower-case, spaces and dashes as underscores."""
    return re.sub(r"[\s\-]+", "_", cell_text(value).lower())


@dataclass
class SheetRows:
    """One sheet's rows as {column key: raw cell} with the row number the spreadsheet shows."""

    name: str
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _is_blank(row: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def workbook_open(source: str | Path | IO[bytes]) -> CalamineWorkbook:
    """Open an xlsx/xlsm/xls/ods workbook from a path or a binary file object."""
    if isinstance(source, (str, Path)):
        return CalamineWorkbook.from_path(str(source))
    if hasattr(source, "seek"):
        source.seek(0)
    return CalamineWorkbook.from_filelike(source)


def sheet_rows(workbook: CalamineWorkbook, sheet_name: str) -> Iterator[tuple[int, list[Any]]]:
    """Every row of a sheet as (spreadsheet row number, cells), blank cells as None."""
    sheet = workbook.get_sheet_by_name(sheet_name)
    # skip_empty_area=False: the first row returned is the sheet's row 1, so numbers match what Excel shows.
    for offset, row in enumerate(sheet.to_python(skip_empty_area=False)):
        yield offset + 1, [None if cell == "" else cell for cell in row]


def sheet_read(workbook: CalamineWorkbook, sheet_name: str) -> SheetRows:
    """A sheet with its first non-blank row as the header; blank rows dropped."""
    result = SheetRows(name=sheet_name)
    header: list[str] | None = None
    for number, cells in sheet_rows(workbook, sheet_name):
        if _is_blank(cells):
            continue
        if header is None:
            header = [header_key(cell) for cell in cells]
            result.columns = [key for key in header if key]
            continue
        values = {key: cells[index] if index < len(cells) else None for index, key in enumerate(header) if key}
        result.rows.append((number, values))
    return result


def sheet_find(workbook: CalamineWorkbook, wanted: str) -> str | None:
    """The workbook's sheet named `wanted`, compared case-insensitively, else None."""
    for name in workbook.sheet_names:
        if name.strip().lower() == wanted.lower():
            return name
    return None
