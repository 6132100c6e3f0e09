"""Loading the pricing engine's catalog slice from the database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from contracts.models import Contract, ContractItem
from contracts.pricing import Rule, price_line
from contracts.selectors import catalog_frames_load, catalog_slice_for_items
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    VendorFactory,
)


def test_catalog_slice_for_items_reads_their_prices_and_participations_in_two_queries(
    practice_a, practice_b, django_assert_num_queries
):
    # Given a draft contract with a boxed, tiered item, and two practices in it
    vendor = VendorFactory()
    draft = ContractFactory(vendor=vendor, number="D-1", status=Contract.Status.DRAFT, discount_pct=Decimal("12.5"))
    item = ContractItemFactory(contract=draft, vendor_sku="00-ab-1", uom="box", units_per_uom=10)
    ContractPriceFactory(item=item, price=Decimal("9.5000"), tier="gold", min_qty=Decimal("3"))
    ParticipationFactory(practice=practice_a, contract=draft, tier="gold", joined_on=date(2026, 2, 1))
    ParticipationFactory(practice=practice_b, contract=draft, tier="", joined_on=date(2026, 3, 1))
    other = ContractFactory(number="O-1")
    items = list(ContractItem.objects.select_related("contract").filter(pk=item.pk))

    # When the pricing catalog of the item is read for practice A
    with django_assert_num_queries(2):
        catalog = catalog_slice_for_items(items=items, practice_ids=[practice_a.id])

    # Then its contract, its row and A's participation are there, normalised as the engine needs them
    assert {c.number: (c.is_draft, c.discount_pct) for c in catalog.contracts} == {"D-1": (True, Decimal("12.5000"))}
    (loaded_item,) = catalog.items
    assert (loaded_item.vendor_sku_normalized, loaded_item.uom, loaded_item.units_per_uom) == ("AB1", "BX", 10)
    (row,) = catalog.prices
    assert (row.price, row.tier, row.min_qty, row.effective_to) == (Decimal("9.5000"), "gold", Decimal("3.0000"), None)
    assert [(p.practice_id, p.joined_on) for p in catalog.participations] == [(practice_a.id, date(2026, 2, 1))]
    assert other.id not in catalog.contract_by_id


def test_loaded_slice_prices_a_line(practice_a):
    contract = ContractFactory()
    item = ContractItemFactory(contract=contract, vendor_sku="SKU-9")
    ContractPriceFactory(item=item, price=Decimal("42.0000"))
    ParticipationFactory(practice=practice_a, contract=contract)

    answer = price_line(
        catalog_slice_for_items(items=ContractItem.objects.select_related("contract")),
        practice_id=practice_a.id,
        vendor_id=contract.vendor_id,
        sku="sku9",
        mfr_part_number=None,
        uom="each",
        quantity=Decimal("1"),
        on=date(2026, 6, 1),
    )

    assert (answer.rule, answer.contract_price, answer.item.id) == (Rule.ITEM_PRICE, Decimal("42.0000"), item.id)


def test_catalog_frames_load_reads_the_catalog_as_columns_in_four_queries(practice_a, django_assert_num_queries):
    # Given a draft contract with a boxed item (tiered, minimum, closed window) and a percent-off contract
    vendor = VendorFactory()
    draft = ContractFactory(
        vendor=vendor,
        number="D-1",
        status=Contract.Status.DRAFT,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    percent = ContractFactory(vendor=vendor, number="P-1", discount_pct=Decimal("12.5"))
    item = ContractItemFactory(
        contract=draft, vendor_sku="00-ab-1", uom="box", units_per_uom=10, list_price=Decimal("12.3456")
    )
    row = ContractPriceFactory(
        item=item,
        price=Decimal("9.5001"),
        tier="gold",
        min_qty=Decimal("3"),
        effective_from=date(1969, 12, 31),
        effective_to=date(2026, 3, 1),
    )
    ParticipationFactory(practice=practice_a, contract=percent, tier="gold", joined_on=date(2026, 2, 1))

    # When the catalog is read as columns
    with django_assert_num_queries(4):
        frames = catalog_frames_load()

    # Then dates are days since 1970-01-01 and figures ten-thousandths, missing ones null, UOMs folded
    contracts = {row["number"]: row for row in frames["contracts"].to_dict("records")}
    assert [contracts["D-1"][name] for name in ("start_day", "end_day", "is_draft")] == [20454, 20818, True]
    assert (bool(contracts["P-1"]["is_draft"]), contracts["P-1"]["discount_pct_e4"]) == (False, 125_000)
    assert pd.isna(contracts["D-1"]["discount_pct_e4"])
    (loaded_item,) = frames["items"].to_dict("records")
    assert (loaded_item["vendor_sku_normalized"], loaded_item["uom"], loaded_item["list_price_e4"]) == (
        "AB1",
        "BX",
        123_456,
    )
    (price,) = frames["prices"].to_dict("records")
    assert (price["id"], price["price_e4"], price["from_day"], price["to_day"]) == (row.id, 95_001, -1, 20513)
    assert (price["tier"], price["min_qty_e4"]) == ("gold", 30_000)
    (participation,) = frames["participations"].to_dict("records")
    assert (participation["practice_id"], participation["joined_day"], participation["tier"]) == (
        practice_a.id,
        20485,
        "gold",
    )
