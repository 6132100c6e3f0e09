"""The row rules of DESIGN.md section 5: which rows are skipped (blank, total), which are rejected and why (the
first reason that applies), and the third of quantity / unit price / extended amount derived from the other two."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from reports.columns import FIELD_LABELS, NUMBER_FIELDS
from reports.ingest.formats import (
    _max_rows,
)
from reports.ingest.types import (
    BLANK_RUN_LIMIT,
    TEXT_FIELDS,
    IngestError,
    IngestResult,
    RowError,
    _Grid,
)
from reports.ingest.values import (
    _blank,
    _mask,
    _Numbers,
    _parse_dates,
    _parse_numbers,
    _trimmed,
)

# --------------------------------------------------------------------------------------------------------------
# Validation (DESIGN.md section 5)


_SUMMARY = r"(?i)^(?:sub\s*-?\s*)?total"


def _absent_numbers(size: int) -> _Numbers:
    nothing = np.zeros(size, dtype=bool)
    return _Numbers(np.zeros(size, dtype=np.int64), ~nothing, nothing, nothing)


@dataclass
class _Rows:
    """The data area under the header: its columns cut to the rows, the shown row numbers, which rows hold a cell."""

    columns: list[pa.Array]
    row_numbers: np.ndarray
    filled: np.ndarray

    @property
    def size(self) -> int:
        return len(self.row_numbers)


def _data_area(grid: _Grid, header_index: int) -> _Rows:
    """The rows under the header. Trailing blank rows are padding, not rows; a long run of blank rows before more
    data is refused (SECURITY.md item 7), and so are more rows than the limit."""
    start = header_index + 1
    columns = [column.slice(start) for column in grid.columns]
    row_numbers = grid.row_numbers[start:]
    filled = np.zeros(len(row_numbers), dtype=bool)
    for column in columns:
        # Only rows still blank so far need the next column looked at: usually the first column fills them all.
        pending = np.flatnonzero(~filled)
        if not len(pending):
            break
        if len(pending) == len(filled):
            filled = ~_blank(column)
        else:
            filled[pending] = ~_blank(column.take(pa.array(pending)))
    end = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    _check_blank_runs(filled[:end], row_numbers[:end])
    if end < len(row_numbers):
        columns = [column.slice(0, end) for column in columns]
        row_numbers = row_numbers[:end]
        filled = filled[:end]
    if len(row_numbers) > _max_rows():
        raise IngestError(f"The file has more than {_max_rows():,} data rows (the limit).")
    return _Rows(columns, row_numbers, filled)


def _skipped(rows: _Rows, date_ok: np.ndarray) -> np.ndarray:
    """DESIGN §5 skip rule: blank rows, and summary rows (no date, and a text cell beginning with "total" or
    "subtotal", any case)."""
    summary = np.zeros(rows.size, dtype=bool)
    undated = np.flatnonzero(~date_ok & rows.filled)
    if len(undated):
        hits = np.zeros(len(undated), dtype=bool)
        for column in rows.columns:
            hits |= _mask(pc.match_substring_regex(_trimmed(column.take(pa.array(undated))), _SUMMARY))
        summary[undated[hits]] = True
    return ~rows.filled | summary


class _Rejections:
    """Each data row's reason and column, the first reason that applies (DESIGN §5: rows are rejected with their
    row number, column and a plain reason). `open_rows` are the data rows with no reason yet."""

    def __init__(self, data: np.ndarray, mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self.reason = np.full(len(data), "", dtype=object)
        self.column = np.full(len(data), "", dtype=object)
        self.open_rows = data.copy()

    def reject(self, mask: np.ndarray, field_name: str | None, text: str | Callable[[np.ndarray], list[str]]) -> None:
        todo = mask & self.open_rows
        if not todo.any():
            return
        self.reason[todo] = text(todo) if callable(text) else text
        self.column[todo] = self.mapping.get(field_name or "", "")
        self.open_rows[todo] = False

    def reject_unusable_cells(self, grid: _Grid, rows: _Rows, column_of: dict[str, int], data: np.ndarray) -> None:
        """SECURITY.md item 5: a formula without its saved value or an error cell is never read as blank or zero."""
        if not grid.unusable_cells:
            return
        cell_mask, cell_field, cell_problem = _unusable_rows(grid.unusable_cells, rows.row_numbers, column_of)
        for index in np.flatnonzero(cell_mask & data):
            name = str(cell_field[index])
            self.reason[index] = f"{FIELD_LABELS[name]} is {cell_problem[index]}"
            self.column[index] = self.mapping[name]
            self.open_rows[index] = False


def _reject_unreadable(
    rejections: _Rejections,
    rows: _Rows,
    column_of: dict[str, int],
    date_blank: np.ndarray,
    date_ok: np.ndarray,
    numbers: dict[str, _Numbers],
) -> None:
    """DESIGN §5: date missing or unreadable, vendor blank, a number unreadable (or too large to store)."""
    reject = rejections.reject
    dates_raw = rows.columns[column_of["purchase_date"]]
    reject(date_blank, "purchase_date", "date is missing")
    reject(~date_ok, "purchase_date", _quoting("date is unreadable: ", dates_raw, trim=True))
    reject(_blank(rows.columns[column_of["vendor_name"]]), "vendor_name", "vendor is blank")
    for name, parsed in numbers.items():
        raw = rows.columns[column_of[name]]
        reject(~parsed.blank & ~parsed.readable, name, _quoting(f"{FIELD_LABELS[name]} is unreadable: ", raw))
    for name, parsed in numbers.items():
        raw = rows.columns[column_of[name]]
        reject(parsed.too_large, name, _quoting(f"{FIELD_LABELS[name]} is too large: ", raw))


def _reject_too_few(rejections: _Rejections, quantity: _Numbers, price: _Numbers, extended: _Numbers) -> np.ndarray:
    """DESIGN §5: fewer than two of quantity, unit price and extended amount usable; a zero unit price cannot derive
    a quantity; a zero quantity (given or derived). Answers the rows whose quantity is to be derived."""
    reject = rejections.reject
    usable = quantity.readable.astype(np.int8) + price.readable.astype(np.int8) + extended.readable.astype(np.int8)
    few = usable < 2
    # The reason names the first of the three that is missing.
    first_missing = {
        "quantity": ~quantity.readable,
        "unit_price": quantity.readable & ~price.readable,
        "extended_amount": quantity.readable & price.readable,
    }
    for name in NUMBER_FIELDS:
        reject(few & first_missing[name], name, "fewer than two of quantity, unit price and extended amount")
    # Zero tests use the 4-place values: a quantity of 0.00001 is stored as 0 and cannot divide the amount.
    derive_quantity = ~quantity.readable & price.readable & extended.readable
    reject(derive_quantity & (price.scaled == 0), "unit_price", "unit price is zero: the quantity cannot be derived")
    quantity_zero = np.where(quantity.readable, quantity.scaled == 0, derive_quantity & (extended.scaled == 0))
    reject(quantity_zero, "quantity" if "quantity" in rejections.mapping else "extended_amount", "quantity is zero")
    return derive_quantity


def _derived(
    rejections: _Rejections,
    data: np.ndarray,
    derive_quantity: np.ndarray,
    quantity: _Numbers,
    price: _Numbers,
    extended: _Numbers,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DESIGN §5: the third of quantity / unit price / extended amount from the other two, exactly in integers
    (price x 10^4 = cents x 10^6 / (quantity x 10^4), the same for the quantity, rounded once); and spend
    (DESIGN §4.7): the extended amount as given, else cents(quantity x unit price) of the 4-place values. Spend is
    filled for every data row that has either, rejected or not (the file total counts them; too large counts 0).
    Answers (quantities, prices, spend)."""
    reject = rejections.reject
    quantities, prices = quantity.scaled.copy(), price.scaled.copy()
    todo = rejections.open_rows.copy()
    derive_price = todo & ~price.readable
    derive_quantity = derive_quantity & todo
    derived_price, price_big = _rounded_ratio(extended.scaled[derive_price], _E6, quantities[derive_price], _E18)
    prices[derive_price] = derived_price
    derived_quantity, quantity_big = _rounded_ratio(
        extended.scaled[derive_quantity], _E6, prices[derive_quantity], _E18
    )
    quantities[derive_quantity] = derived_quantity
    reject(_scatter(derive_price, price_big), "extended_amount", "unit price (extended amount / quantity) is too large")
    reject(
        _scatter(derive_quantity, quantity_big),
        "extended_amount",
        "quantity (extended amount / unit price) is too large",
    )
    spend = np.where(extended.readable, extended.scaled, 0)
    product_rows = data & ~extended.readable & quantity.readable & price.readable
    product, product_big = _rounded_ratio(quantities[product_rows], prices[product_rows], _E6, _E16)
    spend[product_rows] = product
    reject(_scatter(product_rows, product_big), "unit_price", "spend (quantity x unit price) is too large")
    return quantities, prices, spend


def _validate(grid: _Grid, header_index: int, headers: list[str], mapping: dict[str, str]) -> IngestResult:
    """Every row under the header skipped, rejected (with its first reason) or accepted with its values derived."""
    position = {header: index for index, header in reversed(list(enumerate(headers)))}
    column_of = {name: position[header] for name, header in mapping.items()}
    rows = _data_area(grid, header_index)
    dates, date_blank = _parse_dates(rows.columns[column_of["purchase_date"]])
    date_ok = ~np.isnat(dates)
    skipped = _skipped(rows, date_ok)
    data = ~skipped
    numbers = {
        name: _parse_numbers(rows.columns[column_of[name]], _PLACES[name])
        for name in NUMBER_FIELDS
        if name in column_of
    }
    quantity = numbers.get("quantity") or _absent_numbers(rows.size)
    price = numbers.get("unit_price") or _absent_numbers(rows.size)
    extended = numbers.get("extended_amount") or _absent_numbers(rows.size)

    rejections = _Rejections(data, mapping)
    rejections.reject_unusable_cells(grid, rows, column_of, data)
    _reject_unreadable(rejections, rows, column_of, date_blank, date_ok, numbers)
    derive_quantity = _reject_too_few(rejections, quantity, price, extended)
    quantities, prices, spend = _derived(rejections, data, derive_quantity, quantity, price, extended)
    accepted = rejections.open_rows

    lines = _lines_frame(
        accepted, rows.row_numbers, dates, rows.columns, column_of, quantities, prices, extended, spend
    )
    rejected = np.flatnonzero(data & ~accepted)
    values = _row_values(rows.columns, rejected)
    errors = [
        RowError(int(rows.row_numbers[i]), str(rejections.column[i]), str(rejections.reason[i]), row_values)
        for i, row_values in zip(rejected.tolist(), values, strict=True)
    ]
    return IngestResult(
        file_format="",
        sheet_name=grid.sheet_name,
        header_row=int(grid.row_numbers[header_index]),
        headers=headers,
        mapping=mapping,
        lines=lines,
        errors=errors,
        rows_skipped=int(skipped.sum()),
        rows_total=int(data.sum()),
        file_total=_dollars(spend[data]),
        accepted_total=_dollars(spend[accepted]),
    )


def _unusable_rows(
    cells: dict[tuple[int, int], str], row_numbers: np.ndarray, column_of: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows with an unusable cell in a mapped column: the mask, that column's field and what is wrong with it."""
    field_at = {position: name for name, position in column_of.items()}
    first: dict[int, tuple[str, str]] = {}
    for (row, position), problem in sorted(cells.items()):
        if position in field_at and row not in first:
            first[row] = (field_at[position], problem)
    mask = np.isin(row_numbers, list(first))
    names = np.full(len(row_numbers), "", dtype=object)
    problems = np.full(len(row_numbers), "", dtype=object)
    for index in np.flatnonzero(mask):
        names[index], problems[index] = first[int(row_numbers[index])]
    return mask, names, problems


def _row_values(columns: list[pa.Array], rows: np.ndarray) -> list[tuple[str, ...]]:
    if not len(rows):
        return []
    indices = pa.array(rows)
    taken = [column.take(indices).to_pylist() for column in columns]
    return [tuple(row) for row in zip(*taken, strict=True)]


def _quoting(prefix: str, values: pa.Array, *, trim: bool = False) -> Callable[[np.ndarray], list[str]]:
    """A reason builder naming each rejected row's own cell text (trimmed with `trim`)."""

    def build(mask: np.ndarray) -> list[str]:
        chosen = values.filter(pa.array(mask))
        return [prefix + repr(value) for value in (_trimmed(chosen) if trim else chosen).to_pylist()]

    return build


def _check_blank_runs(filled: np.ndarray, row_numbers: np.ndarray) -> None:
    """Refuse a run of BLANK_RUN_LIMIT or more blank rows with data after it, naming the rows (SECURITY.md item 7).

    `filled` ends at the last filled row (trailing blank rows are padding). Such a run is what a spreadsheet program
    leaves behind, and rows far below it are more likely forgotten than meant: the user decides, nothing is dropped.
    """
    edges = np.diff(np.concatenate(([0], (~filled).astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long_runs = np.flatnonzero(ends - starts >= BLANK_RUN_LIMIT)
    if not len(long_runs):
        return
    start, end = int(starts[long_runs[0]]), int(ends[long_runs[0]])
    first, last, after = int(row_numbers[start]), int(row_numbers[end - 1]), int(row_numbers[end])
    raise IngestError(
        f"Rows {first:,} to {last:,} are blank ({end - start:,} in a row) and row {after:,} has data after them: "
        f"a run of {BLANK_RUN_LIMIT:,} or more blank rows is refused rather than read past. Delete the blank rows "
        "(or the rows below them if they are not purchases) and upload the file again."
    )


_PLACES = {"quantity": 4, "unit_price": 4, "extended_amount": 2}
_E6 = 10**6
_E16 = 10**16  # cents: 10^14 dollars
_E18 = 10**18  # 4 places: 10^14


def _rounded_ratio(
    a: np.ndarray, b: np.ndarray | int, d: np.ndarray | int, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """round(a x b / d) half away from zero, exact, as int64 (d never 0); with the mask where |result| >= limit.

    int64 where a x b surely fits (a float estimate below 2^62), Python integers for the rare rest. The result is 0
    where it reaches `limit`.
    """
    a, b, d = np.broadcast_arrays(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64), np.asarray(d, np.int64))
    risky = np.abs(a.astype(np.float64) * b.astype(np.float64)) >= 2.0**62
    numerator = np.where(risky, 0, a) * np.where(risky, 0, b)
    divisor = np.where(risky, 1, d)
    quotient, remainder = np.divmod(np.abs(numerator), np.abs(divisor))
    quotient += remainder >= np.abs(divisor) - remainder  # half away from zero: 2 x remainder >= divisor
    result = np.where((numerator < 0) != (divisor < 0), -quotient, quotient)
    big = np.zeros(len(result), dtype=bool)
    for index in np.flatnonzero(risky).tolist():
        exact = _round_half_away(int(a[index]) * int(b[index]), int(d[index]))
        if abs(exact) >= limit:
            big[index] = True
        else:
            result[index] = exact
    big |= np.abs(result) >= limit
    result[big] = 0
    return result, big


def _round_half_away(numerator: int, divisor: int) -> int:
    quotient, remainder = divmod(abs(numerator), abs(divisor))
    quotient += 2 * remainder >= abs(divisor)
    return -quotient if (numerator < 0) != (divisor < 0) else quotient


def _scatter(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A full-length bool array: `values` at the positions where `mask` is True, False elsewhere."""
    result = np.zeros(len(mask), dtype=bool)
    result[mask] = values
    return result


def _dollars(amounts: np.ndarray) -> Decimal:
    """The exact sum of int64 cents as a Decimal with two places (Python integers when int64 could overflow)."""
    fits = np.abs(amounts.astype(np.float64)).sum() < 2.0**62
    total = int(amounts.sum()) if fits else sum(amounts.tolist())
    return Decimal(total).scaleb(-2)


LINE_COLUMNS = (
    "row_number",
    "purchase_date",
    "vendor_name",
    "sku",
    "mfr_part_number",
    "description",
    "uom",
    "invoice_number",
    "po_number",
    "quantity_e4",
    "unit_price_e4",
    "extended_cents",
    "has_extended",
    "spend_cents",
)


def _lines_frame(
    accepted: np.ndarray,
    row_numbers: np.ndarray,
    dates: np.ndarray,
    columns: list[pa.Array],
    column_of: dict[str, int],
    quantities: np.ndarray,
    prices: np.ndarray,
    extended: _Numbers,
    spend: np.ndarray,
) -> pd.DataFrame:
    """One row per accepted data row; money as int64 (x 10^4 for quantity and unit price, cents for amounts)."""
    count = int(accepted.sum())
    everything = count == len(accepted)
    keep = pa.array(accepted)

    def pick(values: np.ndarray) -> np.ndarray:
        # Every row accepted (the usual case): the arrays are _validate's own and can be used as they are.
        return values if everything else values[accepted]

    frame: dict[str, Any] = {
        "row_number": pick(row_numbers).astype(np.int64, copy=False),
        "purchase_date": pd.Series(pick(dates)),
    }
    for name in TEXT_FIELDS:
        if name in column_of:
            column = columns[column_of[name]]
            frame[name] = pd.Series(pd.arrays.ArrowStringArray(_trimmed(column if everything else column.filter(keep))))
        else:
            frame[name] = pd.Series(pd.arrays.ArrowStringArray(pa.repeat("", count))).astype("str")
    has_extended = pick(extended.readable)
    frame["quantity_e4"] = pick(quantities)
    frame["unit_price_e4"] = pick(prices)
    frame["extended_cents"] = np.where(has_extended, pick(extended.scaled), 0)
    frame["has_extended"] = has_extended
    frame["spend_cents"] = pick(spend)
    # copy=False: the columns are fresh arrays already, and pandas would copy them into 2-D blocks otherwise.
    return pd.DataFrame({name: frame[name] for name in LINE_COLUMNS}, copy=False)
