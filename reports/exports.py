"""Styled xlsx workbooks from plain rows (pure: no ORM, no request), safe against formula injection.

SECURITY.md item 22: every text cell whose text starts with = + - @ TAB CR or NUL is written as text with a
leading apostrophe, so Excel and LibreOffice never evaluate it; numbers are written as numbers, never as text.
Two engines write the same workbook: xlsxwriter in constant-memory mode (the default: the faster one for the
large Lines sheet, see bench/savings.py) and openpyxl in write-only mode.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, Literal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

Kind = Literal["text", "money", "unit_price", "quantity", "rate", "date", "integer"]
Engine = Literal["xlsxwriter", "openpyxl"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
NUMBER_FORMATS: dict[str, str] = {
    "money": "#,##0.00;[Red]-#,##0.00",
    "unit_price": "#,##0.00##",
    "quantity": "#,##0.####",
    "rate": "0.0%",
    "date": "yyyy-mm-dd",
    "integer": "#,##0",
}
DEFAULT_WIDTHS: dict[str, int] = {
    "text": 24,
    "money": 14,
    "unit_price": 13,
    "quantity": 11,
    "rate": 11,
    "date": 12,
    "integer": 10,
}
HEADER_FILL = "0E2A47"
HEADER_FONT = "FFFFFF"


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its header, the kind of value it holds and its width in characters."""

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


def safe_text(value: object) -> str:
    """Text as written to a cell: illegal XML characters dropped, formula triggers neutralised by an apostrophe."""
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _cell(value: Any, kind: Kind) -> tuple[Any, Kind]:
    """The value to write and the kind that decides its format (None stays empty)."""
    if isinstance(value, Typed):
        return _cell(value.value, value.kind)
    if value is None or value == "":
        return None, "text"
    if kind == "text" or isinstance(value, str):
        return safe_text(value), "text"
    if kind == "date":
        return value, kind
    if isinstance(value, Decimal):
        return float(value), kind
    return value, kind


def _sheet_title(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip() or "Sheet"
    return cleaned[:31]


def workbook_write(sheets: Sequence[Sheet], out: IO[bytes] | str, *, engine: Engine = "xlsxwriter") -> None:
    """Write the sheets as one styled xlsx workbook to a path or a binary file object."""
    if engine == "openpyxl":
        _write_openpyxl(sheets, out)
    else:
        _write_xlsxwriter(sheets, out)


def workbook_bytes(sheets: Sequence[Sheet], *, engine: Engine = "xlsxwriter") -> bytes:
    """The workbook as bytes (for an HTTP download)."""
    buffer = io.BytesIO()
    workbook_write(sheets, buffer, engine=engine)
    return buffer.getvalue()


def _write_xlsxwriter(sheets: Sequence[Sheet], out: IO[bytes] | str) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    header_format = workbook.add_format(
        {"bold": True, "font_color": f"#{HEADER_FONT}", "bg_color": f"#{HEADER_FILL}", "text_wrap": True}
    )
    formats = {kind: workbook.add_format({"num_format": fmt}) for kind, fmt in NUMBER_FORMATS.items()}
    for sheet in sheets:
        worksheet = workbook.add_worksheet(_sheet_title(sheet.title))
        kinds = [c.kind for c in sheet.columns]
        for index, column in enumerate(sheet.columns):
            worksheet.set_column(index, index, column.width or DEFAULT_WIDTHS[column.kind])
            worksheet.write_string(0, index, safe_text(column.header), header_format)
        worksheet.freeze_panes(1, 0)
        last_row = 0
        for row_index, row in enumerate(sheet.rows, start=1):
            last_row = row_index
            for col_index, raw in enumerate(row):
                value, kind = _cell(raw, kinds[col_index])
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


def _write_openpyxl(sheets: Sequence[Sheet], out: IO[bytes] | str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    header_font = Font(bold=True, color=HEADER_FONT)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    for sheet in sheets:
        worksheet = workbook.create_sheet(_sheet_title(sheet.title))
        kinds = [c.kind for c in sheet.columns]
        for index, column in enumerate(sheet.columns, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = column.width or DEFAULT_WIDTHS[column.kind]
        worksheet.freeze_panes = "A2"
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(worksheet, value=safe_text(column.header))
            cell.font, cell.fill, cell.alignment = header_font, header_fill, Alignment(wrap_text=True)
            header.append(cell)
        worksheet.append(header)
        last_row = 1
        for row in sheet.rows:
            last_row += 1
            cells = []
            for col_index, raw in enumerate(row):
                value, kind = _cell(raw, kinds[col_index])
                cell = WriteOnlyCell(worksheet, value=value)
                if kind == "text" and value is not None:
                    cell.data_type = "s"  # never "f": a leading "=" must stay text
                elif kind != "text":
                    cell.number_format = NUMBER_FORMATS[kind]
                cells.append(cell)
            worksheet.append(cells)
        if sheet.autofilter and sheet.columns:
            worksheet.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{max(last_row, 2)}"
    workbook.save(out)


# --- the savings workbook ---------------------------------------------------------------------------------------

MONEY_COLUMNS = [
    Column("Spend", "money"),
    Column("On-contract spend", "money"),
    Column("Savings", "money"),
    Column("Overcharge", "money"),
    Column("Missed savings", "money"),
    Column("Compliance rate", "rate"),
    Column("Lines", "integer"),
]

LINE_COLUMNS = [
    Column("Practice", "text", 18),
    Column("Upload", "text", 22),
    Column("Row", "integer", 7),
    Column("Purchase date", "date"),
    Column("Vendor as given", "text", 26),
    Column("Vendor", "text", 22),
    Column("SKU", "text", 14),
    Column("Description", "text", 36),
    Column("Quantity", "quantity"),
    Column("UOM", "text", 7),
    Column("Unit price paid", "unit_price"),
    Column("Extended amount", "money"),
    Column("Invoice", "text", 14),
    Column("PO", "text", 12),
    Column("Status", "text", 16),
    Column("Overcharge cause", "text", 14),
    Column("Contract", "text", 14),
    Column("Category", "text", 18),
    Column("Expected unit price", "unit_price"),
    Column("List price", "unit_price"),
    Column("Spend", "money"),
    Column("Savings", "money"),
    Column("Overcharge", "money"),
    Column("Missed savings", "money"),
]


def figure_cells(figures: Any) -> list[Any]:
    """The money columns of a group of figures (a `Figures` of reports.selectors.savings)."""
    return [
        figures.spend,
        figures.on_contract_spend,
        figures.savings,
        figures.overcharge,
        figures.missed_savings,
        figures.compliance_rate,
        figures.lines,
    ]


def breakdown_sheets(figures: dict[str, Any]) -> list[Sheet]:
    """By status, vendor, category and month sheets from `savings_figures()` output."""
    return [
        Sheet(
            "By status",
            [Column("Status", "text", 20), *MONEY_COLUMNS],
            [[status, *figure_cells(f)] for status, f in figures["by_status"].items()],
        ),
        Sheet(
            "By vendor",
            [Column("Vendor", "text", 32), Column("Vendor slug", "text", 20), *MONEY_COLUMNS],
            [[name, slug, *figure_cells(f)] for (slug, name), f in figures["by_vendor"].items()],
        ),
        Sheet(
            "By category",
            [Column("Category", "text", 28), Column("Category slug", "text", 20), *MONEY_COLUMNS],
            [[name or "Uncategorised", slug, *figure_cells(f)] for (slug, name), f in figures["by_category"].items()],
        ),
        Sheet(
            "By month",
            [Column("Month", "text", 10), *MONEY_COLUMNS],
            [[month, *figure_cells(f)] for month, f in figures["by_month"].items()],
        ),
    ]


def summary_sheet(
    *, practice_name: str, start: datetime.date | None, end: datetime.date | None, figures: dict[str, Any]
) -> Sheet:
    """A key/value Summary sheet with the same figures as `GET /api/savings/`."""
    total = figures["total"]
    return Sheet(
        "Summary",
        [Column("Figure", "text", 28), Column("Value", "text", 22)],
        [
            ["Practice", practice_name],
            ["Start", Typed(start, "date") if start else "(all)"],
            ["End", Typed(end, "date") if end else "(all)"],
            ["Spend", Typed(total.spend, "money")],
            ["On-contract spend", Typed(total.on_contract_spend, "money")],
            ["Savings", Typed(total.savings, "money")],
            ["Overcharge to claim back", Typed(total.overcharge, "money")],
            ["Missed savings", Typed(total.missed_savings, "money")],
            ["Compliance rate", Typed(total.compliance_rate, "rate")],
            ["Lines counted", Typed(total.lines, "integer")],
            ["Note", "Repeated lines (DESIGN §4.9) and lines not reconciled yet are left out of every figure."],
        ],
        autofilter=False,
    )


def savings_workbook_write(
    out: IO[bytes] | str,
    *,
    practice_name: str,
    start: datetime.date | None,
    end: datetime.date | None,
    figures: dict[str, Any],
    lines: Iterable[Sequence[Any]],
    engine: Engine = "xlsxwriter",
) -> None:
    """The savings report: Summary, By status, By vendor, By category, By month and Lines (which tie out)."""
    sheets = [
        summary_sheet(practice_name=practice_name, start=start, end=end, figures=figures),
        *breakdown_sheets(figures),
        Sheet("Lines", LINE_COLUMNS, lines),
    ]
    workbook_write(sheets, out, engine=engine)


# --- dashboard tables (rows are already-loaded objects: no queries happen here) ---------------------------------

_CLAIM_COLUMNS = [
    Column("Purchase date", "date"),
    Column("Invoice", "text", 14),
    Column("PO", "text", 12),
    Column("Vendor", "text", 24),
    Column("SKU", "text", 14),
    Column("Description", "text", 36),
    Column("Quantity", "quantity"),
    Column("UOM", "text", 7),
    Column("Unit price paid", "unit_price"),
    Column("Contract price", "unit_price"),
    Column("Contract", "text", 14),
    Column("Cause", "text", 14),
    Column("Spend", "money"),
]


def _line_cells(line: Any) -> list[Any]:
    return [
        line.purchase_date,
        line.invoice_number,
        line.po_number,
        line.vendor.name if line.vendor_id else line.vendor_name,
        line.sku,
        line.description,
        line.quantity,
        line.uom,
        line.unit_price,
        line.expected_unit_price,
        line.contract.number if line.contract_id else "",
        line.get_overcharge_cause_display() if line.overcharge_cause else "",
        line.spend,
    ]


def claims_sheet(lines: Iterable[Any]) -> Sheet:
    """Overcharged lines with invoice numbers and the amount to claim back from each vendor."""
    return Sheet(
        "Overcharges",
        [*_CLAIM_COLUMNS, Column("Overcharge", "money"), Column("Upload", "text", 22), Column("Row", "integer", 7)],
        [[*_line_cells(x), x.overcharge, x.upload.original_filename, x.row_number] for x in lines],
    )


def missed_savings_sheet(lines: Iterable[Any]) -> Sheet:
    """Off-contract buys that had a contract equivalent, with the saving missed."""
    return Sheet(
        "Missed savings",
        [
            *_CLAIM_COLUMNS,
            Column("Status", "text", 16),
            Column("Missed savings", "money"),
            Column("Upload", "text", 22),
        ],
        [[*_line_cells(x), x.get_status_display(), x.missed_savings, x.upload.original_filename] for x in lines],
    )


def practices_sheet(rows: Iterable[Any]) -> Sheet:
    """Per member practice figures (coalition dashboard)."""
    return Sheet(
        "Practices",
        [Column("Practice", "text", 30), Column("Slug", "text", 20), *MONEY_COLUMNS],
        [[r.practice.name, r.practice.slug, *figure_cells(r.figures)] for r in rows],
    )


def contracts_sheet(rows: Iterable[Any]) -> Sheet:
    """Per contract performance: on-contract spend, savings, admin fee revenue."""
    return Sheet(
        "Contracts",
        [
            Column("Contract", "text", 14),
            Column("Title", "text", 32),
            Column("Vendor", "text", 24),
            Column("On-contract spend", "money"),
            Column("Savings", "money"),
            Column("Overcharge", "money"),
            Column("Missed by non-participants", "money"),
            Column("Admin fee %", "quantity"),
            Column("Admin fee revenue", "money"),
            Column("Lines", "integer"),
        ],
        [
            [
                r.contract.number,
                r.contract.title,
                r.contract.vendor.name,
                r.figures.on_contract_spend,
                r.figures.savings,
                r.figures.overcharge,
                r.missed_by_non_participants,
                r.contract.admin_fee_pct,
                r.admin_fee,
                r.figures.lines,
            ]
            for r in rows
        ],
    )


def leakage_sheet(rows: Iterable[Any]) -> Sheet:
    """Non-GPO spend by vendor name."""
    return Sheet(
        "Leakage",
        [
            Column("Vendor", "text", 32),
            Column("Vendor slug", "text", 20),
            Column("Spend", "money"),
            Column("Lines", "integer"),
        ],
        [[r.vendor_name, r.vendor_slug, r.figures.spend, r.figures.lines] for r in rows],
    )
