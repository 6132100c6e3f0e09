"""Fixtures of the reports tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from gpo.members.models import Practice
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    VendorFactory,
)


@pytest.fixture
def acme(practice_a: Practice, practice_b: Practice) -> Any:
    """Acme Medical on contract: AC-100 at 80.00 (list 100.00), AC-200 at 15.00 (list 18.00); both practices in."""
    vendor = VendorFactory(name="Acme Medical", slug="acme-medical")
    contract = ContractFactory(vendor=vendor, number="GPO-ACME")
    for sku, price, list_price in (("AC-100", "80.00", "100.00"), ("AC-200", "15.00", "18.00")):
        item = ContractItemFactory(contract=contract, vendor_sku=sku, list_price=Decimal(list_price))
        ContractPriceFactory(item=item, price=Decimal(price), effective_from=date(2026, 1, 1))
    for practice in (practice_a, practice_b):
        ParticipationFactory(practice=practice, contract=contract, joined_on=date(2025, 12, 1))
    return vendor
