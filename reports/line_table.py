"""The lines explorer's table (pure: rows are already-loaded lines): its columns on the page and in exports.

The xlsx and csv exports write exactly the columns the page shows, in its order, from the same cell functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gpo.xlsx import Column, Kind, Sheet


def vendor_shown(line: Any) -> str:
    """The catalog vendor's name, else the vendor as the file gave it."""
    return line.vendor.name if line.vendor_id else line.vendor_name


def could_have_paid(line: Any) -> Decimal | None:
    """The unit price (in the line's own unit) that would have left no missed saving: paid minus missed per unit.

    DESIGN §4.7 stores the missed saving per line; the contract price behind it may be in the item's pack unit, so
    the price the practice could have paid per the unit it bought in is derived from the stored figures.
    """
    if not line.missed_savings or not line.quantity:
        return None
    per_unit = line.unit_price - line.missed_savings / line.quantity
    return per_unit.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineColumn:
    """A column of the explorer: header, export kind, the sort key it answers to (if any) and its cell."""

    header: str
    kind: Kind
    cell: Callable[[Any], Any]
    sort: str = ""
    width: int | None = None


COLUMNS = [
    LineColumn("Date", "date", lambda x: x.purchase_date, "purchase_date"),
    LineColumn("Practice", "text", lambda x: x.practice.name, width=20),
    LineColumn("Vendor", "text", vendor_shown, "vendor_name", width=24),
    LineColumn("SKU", "text", lambda x: x.sku, width=14),
    LineColumn("Description", "text", lambda x: x.description, width=36),
    LineColumn("Quantity", "quantity", lambda x: x.quantity, "quantity"),
    LineColumn("UOM", "text", lambda x: x.uom, width=7),
    LineColumn("Unit price paid", "unit_price", lambda x: x.unit_price, "unit_price"),
    LineColumn("Spend", "money", lambda x: x.spend, "spend"),
    LineColumn("Status", "text", lambda x: x.get_status_display(), "status", width=18),
    LineColumn("Contract", "text", lambda x: x.contract.number if x.contract_id else "", width=14),
    LineColumn("Contract price", "unit_price", lambda x: x.expected_unit_price),
    LineColumn("Savings", "money", lambda x: x.savings, "savings"),
    LineColumn("Overcharge", "money", lambda x: x.overcharge, "overcharge"),
    LineColumn("Missed savings", "money", lambda x: x.missed_savings, "missed_savings"),
    LineColumn("Invoice", "text", lambda x: x.invoice_number, width=14),
    LineColumn("Upload", "text", lambda x: x.upload.original_filename, width=24),
    LineColumn("Row", "integer", lambda x: x.row_number, width=7),
]


def columns_shown(*, with_practice: bool) -> list[LineColumn]:
    """The columns of the page: the practice column only when lines of several practices may show."""
    return [c for c in COLUMNS if with_practice or c.header != "Practice"]


def line_rows(lines: Iterable[Any], columns: list[LineColumn]) -> Iterator[list[Any]]:
    """Each line's cells in the columns' order."""
    for line in lines:
        yield [column.cell(line) for column in columns]


def lines_sheet(lines: Iterable[Any], columns: list[LineColumn]) -> Sheet:
    """The explorer's table as a sheet for gpo.xlsx (rows streamed)."""
    return Sheet("Lines", [Column(c.header, c.kind, c.width) for c in columns], line_rows(lines, columns))


def repeat_note(line: Any) -> str:
    """ "repeat of row 12 of march.csv" for a line left out of every total (DESIGN §4.9), else blank."""
    if not line.repeat_of_id:
        return ""
    first = line.repeat_of
    return f"repeat of row {first.row_number} of {first.upload.original_filename}"


# An upload's own table (its results page and `?format=xlsx`): file order, repeats included and marked.
UPLOAD_COLUMNS = [
    LineColumn("Row", "integer", lambda x: x.row_number, width=7),
    *(c for c in COLUMNS if c.header not in {"Practice", "Upload", "Row"}),
    LineColumn("Repeat", "text", repeat_note, width=30),
]
