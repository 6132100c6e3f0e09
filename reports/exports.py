"""The product's workbooks from plain rows (pure: no ORM, no request): the savings report and dashboard tables.

They are written by the one xlsx writer, gpo.xlsx (formula injection neutralised, numbers kept as numbers).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import IO, Any

from gpo.xlsx import Column, Sheet, Typed, workbook_write

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
) -> None:
    """The savings report: Summary, By status, By vendor, By category, By month and Lines (which tie out)."""
    sheets = [
        summary_sheet(practice_name=practice_name, start=start, end=end, figures=figures),
        *breakdown_sheets(figures),
        Sheet("Lines", LINE_COLUMNS, lines),
    ]
    workbook_write(sheets, out)


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
