"""The catalog's "your price" is what reconciliation charges (STYLE.md rule 17: one home per DESIGN §4 rule).

For the same practice, item, quantity and date, the price the catalog shows equals the expected unit price a
purchase line is reconciled against, and the catalog says "on joining" exactly when the line is not_participating.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from contracts.models import Contract, ContractItem
from contracts.selectors import item_prices_for_practice
from gpo.members.models import Practice
from reports.models import PurchaseLine
from reports.reconcile import LineInput
from reports.services.reconciliation import reconcile_context_load
from tests.factories import ContractFactory, ContractItemFactory, ContractPriceFactory, ParticipationFactory
from tests.reports.bulk_engine import reconcile_batch

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 15)


@pytest.fixture
def tiered_item() -> ContractItem:
    """SKU TIER-1 in EA: Gold 10.00, Silver 12.00, no tier-blank row; the contract runs through 2026."""
    item = ContractItemFactory(
        vendor_sku="TIER-1",
        uom="EA",
        units_per_uom=1,
        list_price=Decimal("20.00"),
        contract=ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)),
    )
    ContractPriceFactory(item=item, price=Decimal("10.00"), effective_from=date(2026, 1, 1), tier="Gold")
    ContractPriceFactory(item=item, price=Decimal("12.00"), effective_from=date(2026, 1, 1), tier="Silver")
    return item


@pytest.fixture
def volume_item() -> ContractItem:
    """SKU VOL-1 in EA: tier-blank 80.00, and 70.00 from 10 units."""
    item = ContractItemFactory(
        vendor_sku="VOL-1",
        uom="EA",
        units_per_uom=1,
        list_price=Decimal("100.00"),
        contract=ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)),
    )
    ContractPriceFactory(item=item, price=Decimal("80.00"), effective_from=date(2026, 1, 1))
    ContractPriceFactory(item=item, price=Decimal("70.00"), effective_from=date(2026, 1, 1), min_qty=Decimal("10"))
    return item


def reconciled(practice: Practice, item: ContractItem, quantity: Decimal, on: date) -> Any:
    """The line a purchase of the item at 1.00 is reconciled to (the engine uploads use, on the stored catalog)."""
    context = reconcile_context_load()
    purchase = LineInput(
        practice_id=practice.id,
        purchase_date=on,
        vendor_name=item.contract.vendor.name,
        sku=item.vendor_sku,
        quantity=quantity,
        unit_price=Decimal("1.00"),
        uom=item.uom,
    )
    (result,) = reconcile_batch(context.index, context.directory, [purchase], tolerance=context.tolerance)
    return result


@pytest.mark.parametrize(
    ("joined_on", "tier", "quantity"),
    [
        pytest.param(date(2026, 1, 1), "Gold", Decimal("1"), id="joined_before_with_tier_case"),
        pytest.param(DAY, "Gold", Decimal("1"), id="joined_that_day_case"),
        pytest.param(date(2026, 7, 1), "Gold", Decimal("1"), id="joins_later_with_tier_case"),
        pytest.param(date(2026, 7, 1), "", Decimal("1"), id="joins_later_without_tier_case"),
        pytest.param(None, "", Decimal("1"), id="never_joined_case"),
        pytest.param(date(2026, 1, 1), "", Decimal("1"), id="joined_without_tier_case"),
    ],
)
def test_your_price_is_what_reconciliation_charges_for_tiers(
    tiered_item: ContractItem, practice_a: Practice, joined_on: date | None, tier: str, quantity: Decimal
) -> None:
    # Given the practice's letter of participation (or none)
    if joined_on is not None:
        ParticipationFactory(practice=practice_a, contract=tiered_item.contract, joined_on=joined_on, tier=tier)

    # When the catalog prices the item and reconciliation prices a purchase of it on the same day
    shown = item_prices_for_practice(items=[tiered_item], practice=practice_a, on=DAY, quantity=quantity)
    line = reconciled(practice_a, tiered_item, quantity, DAY)

    # Then the price and whether it is the practice's own contract price agree
    assert shown[tiered_item.id].price == line.expected_unit_price
    assert shown[tiered_item.id].on_joining == (line.status == PurchaseLine.Status.NOT_PARTICIPATING)


@pytest.mark.parametrize("quantity", [Decimal("1"), Decimal("9"), Decimal("10"), Decimal("-12")])
@pytest.mark.parametrize("joined_on", [date(2026, 1, 1), date(2026, 7, 1)], ids=["joined_case", "joins_later_case"])
def test_your_price_follows_the_quantity_as_reconciliation_does(
    volume_item: ContractItem, practice_a: Practice, quantity: Decimal, joined_on: date
) -> None:
    ParticipationFactory(practice=practice_a, contract=volume_item.contract, joined_on=joined_on)

    shown = item_prices_for_practice(items=[volume_item], practice=practice_a, on=DAY, quantity=quantity)
    line = reconciled(practice_a, volume_item, quantity, DAY)

    assert shown[volume_item.id].price == line.expected_unit_price
    assert shown[volume_item.id].on_joining == (line.status == PurchaseLine.Status.NOT_PARTICIPATING)


def test_contract_page_says_on_joining_for_a_participation_that_starts_later(
    tiered_item: ContractItem, practice_a: Practice, client: Any, make_member: Any
) -> None:
    # Given a contract in force today and a Gold letter of participation that takes effect after today
    Contract.objects.filter(pk=tiered_item.contract_id).update(end_date=date(2099, 12, 31))
    ParticipationFactory(practice=practice_a, contract=tiered_item.contract, joined_on=date(2099, 1, 1), tier="Gold")
    client.force_login(make_member("viewer", practice_a))

    # When the viewer opens the contract page
    page = client.get(f"/catalog/contracts/{tiered_item.contract_id}/").content.decode()

    # Then the Gold price is shown as the price on joining, not as the practice's price today
    assert "on joining" in page
    assert "your tier (Gold)" not in page
