"""The purchase-file template users can download: one column per field, under headers recognised exactly.

Pure: the header row and an example row, written as csv text or through gpo.xlsx (the product's one xlsx writer).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from reports.columns import FIELD_LABELS, FIELDS

# Field -> the header the template uses (each one maps back to its field with confidence "exact").
TEMPLATE_HEADERS = {
    "purchase_date": "Invoice Date",
    "vendor_name": "Vendor Name",
    "sku": "Vendor Item Number",
    "mfr_part_number": "Manufacturer Part Number",
    "description": "Description",
    "quantity": "Quantity",
    "uom": "UOM",
    "unit_price": "Unit Price",
    "extended_amount": "Extended Amount",
    "invoice_number": "Invoice Number",
    "po_number": "PO Number",
}
EXAMPLE_ROW: dict[str, Any] = {
    "purchase_date": date(2026, 3, 15),
    "vendor_name": "GE Healthcare",
    "sku": "OMN350-100",
    "mfr_part_number": "1407-100",
    "description": "Omnipaque 350 mgI/mL, 100 mL bottle",
    "quantity": Decimal("10"),
    "uom": "EA",
    "unit_price": Decimal("92.50"),
    "extended_amount": Decimal("925.00"),
    "invoice_number": "INV-10482",
    "po_number": "PO-7731",
}
REQUIRED_NOTE = "Required: purchase date, vendor, and two of quantity, unit price and extended amount."
_KINDS = {"purchase_date": "date", "quantity": "quantity", "unit_price": "unit_price", "extended_amount": "money"}


def template_fields() -> list[tuple[str, str, str]]:
    """(field, label, template header) for each field, in file order."""
    return [(name, FIELD_LABELS[name], TEMPLATE_HEADERS[name]) for name in FIELDS]


def template_csv() -> bytes:
    """The template as a UTF-8 csv file: the header row and one example row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([TEMPLATE_HEADERS[name] for name in FIELDS])
    writer.writerow([_text(EXAMPLE_ROW[name]) for name in FIELDS])
    return out.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    """The template as an xlsx workbook: the header row and one example row, dates and numbers as such."""
    from gpo.xlsx import write_table

    headers = [(TEMPLATE_HEADERS[name], _KINDS.get(name, "text")) for name in FIELDS]
    return write_table("Purchases", headers, [[EXAMPLE_ROW[name] for name in FIELDS]])


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
