"""item_prices_for_practice: the price a practice pays for an item on a day (DESIGN §4 steps 4-6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from contracts.models import Contract, ContractItem
from contracts.selectors import VolumeBreak, item_prices_for_practice
from gpo.members.models import Practice
from tests.factories import ContractFactory, ContractItemFactory, ContractPriceFactory, ParticipationFactory

pytestmark = pytest.mark.django_db

JUNE = date(2026, 6, 15)


@pytest.fixture
def item() -> ContractItem:
    """Tier-blank 80 (no minimum) and 70 from 10; Gold 60 until June 15 then 58; contract runs through 2026."""
    item = ContractItemFactory(contract=ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)))
    ContractPriceFactory(item=item, price=Decimal("80"), effective_from=date(2026, 1, 1))
    ContractPriceFactory(item=item, price=Decimal("70"), effective_from=date(2026, 1, 1), min_qty=Decimal("10"))
    ContractPriceFactory(
        item=item, price=Decimal("60"), effective_from=date(2026, 1, 1), effective_to=JUNE, tier="Gold"
    )
    ContractPriceFactory(item=item, price=Decimal("58"), effective_from=date(2026, 6, 16), tier="Gold")
    return item


def price_on(item: ContractItem, practice: Practice | None, on: date) -> Any:
    return item_prices_for_practice(items=[item], practice=practice, on=on)[item.id]


def test_practice_tier_rows_beat_tier_blank_rows(item: ContractItem, practice_a: Practice) -> None:
    ParticipationFactory(practice=practice_a, contract=item.contract, tier="Gold")

    found = price_on(item, practice_a, JUNE)

    assert (found.price, found.tier, found.volume_breaks) == (Decimal("60"), "Gold", ())


def test_window_last_day_and_next_first_day(item: ContractItem, practice_a: Practice) -> None:
    ParticipationFactory(practice=practice_a, contract=item.contract, tier="Gold")

    assert price_on(item, practice_a, JUNE).price == Decimal("60")
    assert price_on(item, practice_a, date(2026, 6, 16)).price == Decimal("58")


def test_without_tier_rows_the_tier_blank_rows_apply_with_volume_breaks(
    item: ContractItem, practice_a: Practice
) -> None:
    ParticipationFactory(practice=practice_a, contract=item.contract, tier="Silver")

    found = price_on(item, practice_a, JUNE)

    assert (found.price, found.tier) == (Decimal("80"), "")
    assert found.volume_breaks == (VolumeBreak(min_qty=Decimal("10"), price=Decimal("70")),)
    assert found.discount_pct(Decimal("100")) == Decimal("20")


def test_no_practice_sees_tier_blank_rows(item: ContractItem) -> None:
    assert price_on(item, None, JUNE).price == Decimal("80")


@pytest.mark.parametrize(
    ("status", "on"),
    [
        pytest.param(Contract.Status.DRAFT, JUNE, id="draft_case"),
        pytest.param(Contract.Status.ACTIVE, date(2027, 1, 1), id="after_end_case"),
        pytest.param(Contract.Status.ACTIVE, date(2025, 12, 31), id="before_start_case"),
    ],
)
def test_contract_not_in_force_gives_no_price(item: ContractItem, status: str, on: date) -> None:
    Contract.objects.filter(pk=item.contract_id).update(status=status)
    item.contract.refresh_from_db()

    assert price_on(item, None, on).price is None


def test_only_volume_rows_give_no_price_for_one_unit_and_list_the_breaks() -> None:
    # Given rows only from 5 and from 50 units: one unit is not covered (DESIGN §4.4 min_qty), as reconciliation says
    item = ContractItemFactory()
    ContractPriceFactory(item=item, price=Decimal("7"), min_qty=Decimal("50"))
    ContractPriceFactory(item=item, price=Decimal("9"), min_qty=Decimal("5"))

    found = price_on(item, None, JUNE)

    assert found.price is None
    assert [(b.min_qty, b.price) for b in found.volume_breaks] == [
        (Decimal("5"), Decimal("9")),
        (Decimal("50"), Decimal("7")),
    ]


def test_participation_starting_later_is_priced_on_joining(item: ContractItem, practice_a: Practice) -> None:
    ParticipationFactory(practice=practice_a, contract=item.contract, tier="Gold", joined_on=date(2026, 7, 1))

    found = price_on(item, practice_a, JUNE)

    assert (found.price, found.tier, found.on_joining) == (Decimal("60"), "Gold", True)


def test_many_items_take_a_fixed_number_of_queries(
    item: ContractItem, practice_a: Practice, django_assert_num_queries: Any
) -> None:
    items = [item, *(ContractPriceFactory(item__contract=item.contract).item for _ in range(5))]
    for loaded in items:
        loaded.contract  # noqa: B018 - load the contract as the API's prefetch does

    with django_assert_num_queries(2):  # the price rows and the practice's participations
        prices = item_prices_for_practice(items=items, practice=practice_a, on=JUNE)

    assert len(prices) == 6
