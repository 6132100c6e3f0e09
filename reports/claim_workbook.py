"""The credit-claim workbook a practice sends a vendor: a cover sheet to act on, then the claimed lines.

Written by the one xlsx writer (gpo.xlsx: formula injection neutralised, numbers kept as numbers). Pure: it reads
the claim it is given and touches no request.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gpo.money import ZERO
from gpo.xlsx import Column, Sheet, Typed, workbook_bytes

LINE_COLUMNS = [
    Column("Contract", "text", 14),
    Column("Invoice", "text", 16),
    Column("PO", "text", 12),
    Column("Purchase date", "date"),
    Column("Item (SKU)", "text", 16),
    Column("Description", "text", 40),
    Column("Quantity", "quantity"),
    Column("UOM", "text", 7),
    Column("Paid per unit", "unit_price", 14),
    Column("Contract price per unit", "unit_price", 14),
    Column("Difference per unit", "unit_price", 14),
    Column("Amount claimed", "money", 15),
]


@dataclass(frozen=True)
class ClaimParty:
    """Who the claim is from or to, as the cover sheet names them."""

    name: str
    contact: str = ""
    address: str = ""


@dataclass(frozen=True)
class ClaimDocument:
    """Everything the workbook shows: the parties, the claim's reference and figures, and its lines."""

    reference: str
    prepared_on: datetime.date
    practice: ClaimParty
    vendor: ClaimParty
    period_start: datetime.date
    period_end: datetime.date
    status: str
    amount_claimed: Decimal
    amount_recovered: Decimal
    lines: Sequence[Sequence[object]]  # rows in LINE_COLUMNS order (without the difference column)

    @property
    def contract_numbers(self) -> list[str]:
        return sorted({str(row[0]) for row in self.lines if row[0]})

    @property
    def invoices(self) -> int:
        return len({row[1] for row in self.lines if row[1]})


def instructions(document: ClaimDocument) -> list[str]:
    """What the vendor's contract administrator is asked to do, in plain steps."""
    return [
        "1. Each line on the Lines sheet was invoiced above the price of the named contract in force on the "
        "purchase date, for this practice's pricing tier.",
        "2. Amount claimed per line = (paid per unit - contract price per unit) x quantity, rounded to the cent; "
        "returns and credits already taken are netted as negative lines.",
        f"3. Please issue a credit memo for {document.amount_claimed:,.2f} quoting claim reference "
        f"{document.reference}, or reply line by line with the reason for any line you dispute.",
        "4. Please correct the contract price in your billing system so later invoices follow it.",
        "5. Send the credit memo or your answer to the practice contact above.",
    ]


def cover_sheet(document: ClaimDocument) -> Sheet:
    """Key/value cover sheet: who, which contracts, which period, how much, and what to do."""
    rows: list[list[object]] = [
        ["Claim reference", document.reference],
        ["Prepared on", Typed(document.prepared_on, "date")],
        ["From (practice)", document.practice.name],
        ["Practice address", document.practice.address or "—"],
        ["Practice contact", document.practice.contact or "—"],
        ["To (vendor)", document.vendor.name],
        ["Vendor contact", document.vendor.contact or "—"],
        ["Contract numbers", ", ".join(document.contract_numbers) or "—"],
        ["Purchases from", Typed(document.period_start, "date")],
        ["Purchases to", Typed(document.period_end, "date")],
        ["Invoices", Typed(document.invoices, "integer")],
        ["Lines", Typed(len(document.lines), "integer")],
        ["Amount claimed", Typed(document.amount_claimed, "money")],
        ["Status", document.status],
        ["Amount credited so far", Typed(document.amount_recovered, "money")],
        ["What we ask", ""],
    ]
    rows.extend(["", step] for step in instructions(document))
    columns = [Column("Credit claim", "text", 24), Column("", "text", 100)]
    return Sheet("Credit claim", columns, rows, autofilter=False, print_landscape_fit_width=True)


def lines_sheet(document: ClaimDocument) -> Sheet:
    """The claimed lines, each with its difference per unit, and a total row equal to the amount claimed."""
    rows: list[list[object]] = []
    for row in document.lines:
        paid, contract_price = row[8], row[9]
        difference = Decimal(str(paid)) - Decimal(str(contract_price))
        rows.append([*row[:10], difference, row[10]])
    total = sum((Decimal(str(r[-1])) for r in rows), ZERO)
    rows.append(["Total", "", "", None, "", f"{len(rows)} lines", None, "", None, None, None, total])
    return Sheet("Lines", LINE_COLUMNS, rows, print_landscape_fit_width=True)


def claim_workbook(document: ClaimDocument) -> bytes:
    """The claim as xlsx bytes: the cover sheet, then the lines."""
    return workbook_bytes([cover_sheet(document), lines_sheet(document)])


# --- the claims page's tables, exported -------------------------------------------------------------------------


def to_claim_sheet(vendor_order: Sequence[int], lines: Iterable[Any]) -> Sheet:
    """The overcharged lines not claimed yet, vendor by vendor (largest claim first), as the claims page lists them."""
    rank = {vendor_id: position for position, vendor_id in enumerate(vendor_order)}
    ordered = sorted(lines, key=lambda line: (rank.get(line.vendor_id, len(rank)), -line.overcharge, line.id))
    return Sheet(
        "To claim",
        [Column("Vendor", "text", 26), *LINE_COLUMNS],
        [
            [
                line.vendor.name,
                line.contract.number if line.contract else "",
                line.invoice_number,
                line.po_number,
                line.purchase_date,
                line.sku,
                line.description,
                line.quantity,
                line.uom,
                line.unit_price,
                line.expected_unit_price,
                line.unit_price - (line.expected_unit_price or ZERO),
                line.overcharge,
            ]
            for line in ordered
        ],
    )


def claims_sheet(claims: Iterable[Any]) -> Sheet:
    """The claims filed: vendor, purchases covered, claimed, status, recovered, when."""
    return Sheet(
        "Claims",
        [
            Column("Reference", "text", 38),
            Column("Vendor", "text", 26),
            Column("Purchases from", "date"),
            Column("Purchases to", "date"),
            Column("Claimed", "money"),
            Column("Status", "text", 16),
            Column("Recovered", "money"),
            Column("Filed", "date"),
        ],
        [
            [
                str(c.public_id),
                c.vendor.name,
                c.period_start,
                c.period_end,
                c.amount_claimed,
                c.get_status_display(),
                c.amount_recovered,
                c.created_at.date(),
            ]
            for c in claims
        ],
    )
