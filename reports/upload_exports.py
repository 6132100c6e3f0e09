"""The rejected rows of an upload as an xlsx to fix and re-upload (DESIGN.md section 5); pure, no ORM."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import xlsxwriter

# SECURITY.md item 22: text a spreadsheet would run as a formula is written with a leading apostrophe.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def cell_safe(value: object) -> str:
    """Text for an exported cell that no spreadsheet evaluates as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def rejected_rows_xlsx(*, headers: Sequence[str], rows: Iterable[tuple[int, Sequence[str], str, str]]) -> bytes:
    """A workbook of the original cells plus row, column and reason, every cell written as text."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("Rejected rows")
    bold = workbook.add_format({"bold": True})
    materialised = list(rows)
    width = max([len(headers), *(len(values) for _, values, _, _ in materialised)])
    titles = [cell_safe(h) for h in headers] + [f"Column {n}" for n in range(len(headers) + 1, width + 1)]
    sheet.write_row(0, 0, [*titles, "Row", "Column", "Reason"], bold)
    for index, (row_number, values, column, reason) in enumerate(materialised, start=1):
        cells = [cell_safe(v) for v in values]
        cells += [""] * (width - len(cells))
        for position, text in enumerate(cells):
            sheet.write_string(index, position, text)
        sheet.write_number(index, len(cells), row_number)
        sheet.write_string(index, len(cells) + 1, cell_safe(column))
        sheet.write_string(index, len(cells) + 2, cell_safe(reason))
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
