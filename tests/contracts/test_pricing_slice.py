"""Loading the pricing engine's catalog slice from the database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from contracts.models import Contract
from contracts.pricing import Rule, price_line
from contracts.selectors import catalog_slice_load
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    VendorFactory,
)


def test_catalog_slice_load_reads_the_catalog_in_four_queries(practice_a, django_assert_num_queries):
    vendor = VendorFactory()
    draft = ContractFactory(vendor=vendor, number="D-1", status=Contract.Status.DRAFT)
    percent = ContractFactory(vendor=vendor, number="P-1", discount_pct=Decimal("12.5"))
    item = ContractItemFactory(contract=draft, vendor_sku="00-ab-1", uom="box", units_per_uom=10)
    ContractPriceFactory(item=item, price=Decimal("9.5000"), tier="gold", min_qty=Decimal("3"))
    ParticipationFactory(practice=practice_a, contract=percent, tier="gold", joined_on=date(2026, 2, 1))
    other = ContractFactory(number="O-1")

    with django_assert_num_queries(4):
        catalog = catalog_slice_load(vendor_ids=[vendor.id])

    assert {c.number: (c.is_draft, c.discount_pct) for c in catalog.contracts} == {
        "D-1": (True, None),
        "P-1": (False, Decimal("12.5000")),
    }
    (loaded_item,) = catalog.items
    assert (loaded_item.vendor_sku_normalized, loaded_item.uom, loaded_item.units_per_uom) == ("AB1", "BX", 10)
    (row,) = catalog.prices
    assert (row.price, row.tier, row.min_qty, row.effective_to) == (Decimal("9.5000"), "gold", Decimal("3.0000"), None)
    assert catalog.participations[0].joined_on == date(2026, 2, 1)
    assert other.id not in catalog.contract_by_id


def test_loaded_slice_prices_a_line(practice_a):
    contract = ContractFactory()
    item = ContractItemFactory(contract=contract, vendor_sku="SKU-9")
    ContractPriceFactory(item=item, price=Decimal("42.0000"))
    ParticipationFactory(practice=practice_a, contract=contract)

    answer = price_line(
        catalog_slice_load(),
        practice_id=practice_a.id,
        vendor_id=contract.vendor_id,
        sku="sku9",
        mfr_part_number=None,
        uom="each",
        quantity=Decimal("1"),
        on=date(2026, 6, 1),
    )

    assert (answer.rule, answer.contract_price, answer.item.id) == (Rule.ITEM_PRICE, Decimal("42.0000"), item.id)
