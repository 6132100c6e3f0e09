"""Vendors' quarterly admin-fee reports (pure): find the header, map the columns, read every row.

The file is read by `reports.ingest.read_cells` (the purchase files' type detection, safety limits and readers); the
headers are read as words by `reports.columns.header_words` (abbreviations, "#", "%", run-together words) and matched
to the report's own fields. The default mapping is the healthcare distributors' standard admin-fee report layout:
one row per vendor, contract, member and quarter with the member's net sales, the fee rate, the fee due and the fee
paid (`STANDARD_LAYOUT`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from contracts.spreadsheet import CellError, cell_date, cell_decimal
from reports.columns import EXACT, GUESS, LIKELY, header_words

FIELDS = (
    "vendor_name",
    "contract_number",
    "member_id",
    "member_name",
    "quarter",
    "sales",
    "fee_rate",
    "fee_reported",
    "fee_paid",
)
FIELD_LABELS = {
    "vendor_name": "vendor",
    "contract_number": "contract number",
    "member_id": "member id",
    "member_name": "member name",
    "quarter": "quarter",
    "sales": "sales",
    "fee_rate": "admin fee %",
    "fee_reported": "admin fee due",
    "fee_paid": "admin fee paid",
}
# The standard layout's header texts: a file that uses them maps exactly.
STANDARD_LAYOUT = {
    "vendor_name": "Vendor Name",
    "contract_number": "Contract Number",
    "member_id": "Member ID",
    "member_name": "Member Name",
    "quarter": "Quarter",
    "sales": "Net Sales",
    "fee_rate": "Admin Fee %",
    "fee_reported": "Admin Fee Due",
    "fee_paid": "Admin Fee Paid",
}
HEADER_SCAN_ROWS = 30

_MEMBER = frozenset({"member", "customer", "facility", "practice", "account", "participant"})
_IDENTIFIER = frozenset({"id", "number", "hin", "code", "gln", "dea"})
_PAID = frozenset({"paid", "remitted", "remittance", "payment", "check"})
_RATE = frozenset({"percent", "rate", "pct"})


def _field_of(words: frozenset[str]) -> str | None:
    """The report field a header's words name (None: none); the first rule that applies wins."""
    if words & {"contract", "agreement"}:
        return "contract_number"
    if words & {"fee", "admin", "administrative"} and words & _RATE:
        return "fee_rate"
    if words & _PAID and not words & {"sales"}:
        return "fee_paid"
    if words & {"fee"}:
        return "fee_reported"
    if words & {"sales", "purchases", "spend", "volume"}:
        return "sales"
    if words & {"quarter", "qtr", "period", "month"} or words == {"date"}:
        return "quarter"
    if (words & _MEMBER and words & _IDENTIFIER) or (words <= {"hin", "gln", "gpo", "id"} and words & {"hin", "gln"}):
        return "member_id"
    if words & _MEMBER:
        return "member_name"
    if words & {"vendor", "supplier", "distributor", "manufacturer"}:
        return "vendor_name"
    return None


def recognise(headers: Sequence[str], given: Mapping[str, str] | None = None) -> tuple[dict[str, int], dict[str, str]]:
    """Field -> column position and how sure: given (by header text) and standard-layout headers are `exact`, a rule
    match `likely` (`guess` when a misspelling was corrected to read it); the first column naming a field takes it."""
    columns: dict[str, int] = {}
    confidence: dict[str, str] = {}
    for name, text in (given or {}).items():
        if name in FIELDS and text and text in headers:
            columns[name], confidence[name] = headers.index(text), EXACT
    standard = {text.lower(): name for name, text in STANDARD_LAYOUT.items()}
    for position, header in enumerate(headers):
        if position in columns.values() or not header.strip():
            continue
        found: str | None = standard.get(header.strip().lower())
        sure = EXACT
        if found is None:
            read = header_words(header)
            found, sure = _field_of(frozenset(read.words)), GUESS if read.corrected else LIKELY
        if found is not None and found not in columns and found not in (given or {}):
            columns[found], confidence[found] = position, sure
    return columns, confidence


def header_index(rows: Sequence[tuple[int, list[str]]], given: Mapping[str, str] | None = None) -> int | None:
    """Position of the header among the first rows: the one naming the most report fields (at least three)."""
    best, best_count = None, 2
    for index, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        count = len(recognise([str(cell) for cell in cells], given)[0])
        if count > best_count:
            best, best_count = index, count
    return best


_QUARTER = re.compile(
    r"^(?:(\d{4})\s*[-/ ]?\s*Q([1-4])|Q([1-4])\s*[-/ ]?\s*(\d{4})|([1-4])Q\s*(\d{4}))$", re.IGNORECASE
)


def quarter_of(text: str) -> date:
    """The first day of the quarter a cell names: "2026-Q1", "Q1 2026", "1Q2026", or any date in it."""
    text = text.strip()
    match = _QUARTER.match(text)
    if match:
        groups = [g for g in match.groups() if g]
        year, number = (groups[0], groups[1]) if len(groups[0]) == 4 else (groups[1], groups[0])
        return date(int(year), 3 * (int(number) - 1) + 1, 1)
    day = cell_date(text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", text) else text)
    if day is None:
        raise CellError("is blank")
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_label(first_day: date) -> str:
    """ "2026-Q1"."""
    return f"{first_day.year}-Q{(first_day.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class FeeRow:
    """One accepted report row: a member's sales and admin fee on a contract in a quarter."""

    row_number: int
    vendor_name: str
    contract_number: str
    member_id: str
    member_name: str
    quarter: date
    sales: Decimal
    fee_rate: Decimal | None
    fee_reported: Decimal | None
    fee_paid: Decimal | None


@dataclass(frozen=True)
class FeeRowError:
    """A row that was not accepted: its number as the spreadsheet shows it, the column and a plain reason."""

    row: int
    column: str
    reason: str


@dataclass
class FeeReportRead:
    """What a report file holds: header row, mapping and how sure, accepted rows and rejected ones."""

    header_row: int
    headers: list[str]
    mapping: dict[str, str]
    confidence: dict[str, str]
    rows: list[FeeRow] = field(default_factory=list)
    errors: list[FeeRowError] = field(default_factory=list)
    rows_skipped: int = 0

    @property
    def rows_total(self) -> int:
        return len(self.rows) + len({error.row for error in self.errors})


class FeeReportError(ValueError):
    """The report cannot be read at all (no header, a required column missing); nothing is kept."""


def _money(text: str, places: int = 2) -> Decimal | None:
    value = cell_decimal(text.replace("%", "").strip())
    return value.quantize(Decimal(1).scaleb(-places)) if value is not None else None


def fee_report_read(rows: Sequence[tuple[int, list[str]]], given: Mapping[str, str] | None = None) -> FeeReportRead:
    """Find the header, map the columns and read every data row (blank and total rows are skipped and counted)."""
    index = header_index(rows, given)
    if index is None:
        raise FeeReportError(
            "No header row found: none of the first rows names three of the columns expected "
            "(contract number, member, quarter, sales, admin fee...)."
        )
    header_number, header_cells = rows[index]
    headers = [str(cell).strip() for cell in header_cells]
    columns, confidence = recognise(headers, given)
    missing = [FIELD_LABELS[name] for name in ("contract_number", "quarter", "sales") if name not in columns]
    if "member_id" not in columns and "member_name" not in columns:
        missing.append("member (name or id)")
    if missing:
        raise FeeReportError(f"No column found for {', '.join(missing)}: give the column mapping.")
    read = FeeReportRead(header_number, headers, {n: headers[p] for n, p in columns.items()}, confidence)
    for number, cells in rows[index + 1 :]:
        values = {name: (cells[p] if p < len(cells) else "").strip() for name, p in columns.items()}
        if not any(cell.strip() for cell in cells) or any(
            c.strip().lower().startswith(("total", "subtotal")) for c in cells
        ):
            read.rows_skipped += 1
            continue
        row, problems = _row(number, values)
        if problems:
            read.errors.extend(FeeRowError(number, read.mapping[name], reason) for name, reason in problems[:1])
        elif row is not None:
            read.rows.append(row)
    return read


def _row(number: int, values: dict[str, str]) -> tuple[FeeRow | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    if not values.get("contract_number"):
        problems.append(("contract_number", "the contract number is blank"))
    if not values.get("member_id") and not values.get("member_name"):
        problems.append(("member_name" if "member_name" in values else "member_id", "the member is blank"))
    quarter = None
    try:
        quarter = quarter_of(values.get("quarter", ""))
    except (CellError, ValueError):
        problems.append(("quarter", f"{values.get('quarter')!r} is not a quarter (2026-Q1) or a date"))
    amounts: dict[str, Decimal | None] = {}
    for name in ("sales", "fee_rate", "fee_reported", "fee_paid"):
        try:
            amounts[name] = _money(values.get(name, ""), 4 if name == "fee_rate" else 2)
        except CellError:
            problems.append((name, f"{values.get(name)!r} is not a number"))
    if amounts.get("sales") is None and "sales" not in dict(problems):
        problems.append(("sales", "the sales amount is blank"))
    if problems or quarter is None:
        return None, problems
    sales = amounts["sales"]
    assert sales is not None  # checked above
    return (
        FeeRow(
            row_number=number,
            vendor_name=values.get("vendor_name", ""),
            contract_number=values["contract_number"],
            member_id=values.get("member_id", ""),
            member_name=values.get("member_name", ""),
            quarter=quarter,
            sales=sales,
            fee_rate=amounts.get("fee_rate"),
            fee_reported=amounts.get("fee_reported"),
            fee_paid=amounts.get("fee_paid"),
        ),
        [],
    )
