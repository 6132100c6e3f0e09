"""Overcharged lines of practice A from two vendors, ready to claim."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from reports.models import PurchaseLine
from tests.factories import ContractFactory, PurchaseLineFactory, PurchaseUploadFactory, VendorFactory

Status = PurchaseLine.Status


def overcharged_line(upload: Any, vendor: Any, contract: Any, **values: Any) -> PurchaseLine:
    """An overcharged line: paid `unit_price` against `expected_unit_price`, `overcharge` = the difference x qty."""
    quantity = values.pop("quantity", Decimal("2"))
    paid = values.pop("unit_price", Decimal("12.5000"))
    expected = values.pop("expected_unit_price", Decimal("10.0000"))
    return PurchaseLineFactory(
        upload=upload,
        vendor=vendor,
        vendor_name=vendor.name,
        contract=contract,
        status=Status.OVERCHARGED,
        quantity=quantity,
        unit_price=paid,
        expected_unit_price=expected,
        overcharge=(paid - expected) * quantity,
        spend=paid * quantity,
        **values,
    )


@pytest.fixture
def overcharges(practice_a: Any, practice_b: Any) -> dict[str, Any]:
    """Bracco: two overcharged lines (5.00 + 30.00) and a return (-2.50); GE: one (7.25); B: one Bracco line."""
    bracco = VendorFactory(name="Bracco Diagnostics", slug="bracco")
    ge = VendorFactory(name="GE Healthcare", slug="ge-healthcare", contact_email="contracts@ge.example")
    bracco_contract = ContractFactory(vendor=bracco, number="GPO-CM-01")
    ge_contract = ContractFactory(vendor=ge, number="GPO-IM-07")
    upload = PurchaseUploadFactory(practice=practice_a)
    lines = [
        overcharged_line(upload, bracco, bracco_contract, invoice_number="INV-1", purchase_date=date(2026, 2, 3)),
        overcharged_line(
            upload,
            bracco,
            bracco_contract,
            invoice_number="INV-2",
            purchase_date=date(2026, 3, 9),
            quantity=Decimal("10"),
            unit_price=Decimal("13.0000"),
        ),
        overcharged_line(
            upload, bracco, bracco_contract, invoice_number="CR-2", purchase_date=date(2026, 3, 20), quantity=-1
        ),
        overcharged_line(
            upload,
            ge,
            ge_contract,
            invoice_number="G-1",
            purchase_date=date(2026, 4, 1),
            quantity=Decimal("1"),
            unit_price=Decimal("17.2500"),
        ),
        PurchaseLineFactory(upload=upload, vendor=bracco, status=Status.ON_CONTRACT, purchase_date=date(2026, 3, 1)),
    ]
    theirs = overcharged_line(PurchaseUploadFactory(practice=practice_b), bracco, bracco_contract)
    return {"bracco": bracco, "ge": ge, "lines": lines, "theirs": theirs, "upload": upload}
