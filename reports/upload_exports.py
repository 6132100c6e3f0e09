"""The rejected rows of an upload as an xlsx to fix and re-upload (DESIGN.md section 5); pure, no ORM."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gpo.xlsx import Column, Sheet, workbook_bytes


def rejected_rows_xlsx(*, headers: Sequence[str], rows: Iterable[tuple[int, Sequence[str], str, str]]) -> bytes:
    """A workbook of the original cells (as text) plus row, column and reason."""
    materialised = list(rows)
    width = max([len(headers), *(len(values) for _, values, _, _ in materialised)])
    titles = [*headers, *(f"Column {n}" for n in range(len(headers) + 1, width + 1))]
    columns = [
        *(Column(title, "text", 16) for title in titles),
        Column("Row", "integer", 7),
        Column("Column", "text", 16),
        Column("Reason", "text", 40),
    ]
    table = [
        [*values, *([""] * (width - len(values))), row_number, column, reason]
        for row_number, values, column, reason in materialised
    ]
    return workbook_bytes([Sheet("Rejected rows", columns, table)])
