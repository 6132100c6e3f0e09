"""Catalog services: validation, audit rows and change notifications (DESIGN §3, STYLE.md rule 14)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from contracts import services
from contracts.changes import catalog_changed
from contracts.models import CatalogChange, Contract, ContractItem, ContractPrice
from tests.contracts import listening
from tests.factories import ContractFactory, ContractItemFactory, ContractPriceFactory, PracticeFactory, VendorFactory


@pytest.fixture(autouse=True)
def _broker_configured(settings):
    """These tests pin down the after-commit behaviour of a real broker (gpo.jobs.run_after_commit).

    Celery itself still executes in-process: its configuration is read once per process, so pin it explicitly.
    """
    from gpo.celery import app as celery_app

    eager_before = celery_app.conf.task_always_eager  # read (and so load Celery's config) before changing settings
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager_before


@pytest.fixture
def notified(settings: Any) -> Iterator[list[set[int]]]:
    settings.CATALOG_CHANGE_LISTENERS = [listening.PATH]
    listening.HEARD.clear()
    yield listening.HEARD
    listening.HEARD.clear()


@pytest.mark.django_db(transaction=True)
def test_listener_hears_vendor_ids_only_after_commit(notified: list[set[int]]) -> None:
    from django.db import transaction

    with transaction.atomic():
        catalog_changed(vendor_ids=[3, 5, 3])
        assert notified == []
    assert notified == [{3, 5}]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_notifies_nobody(notified: list[set[int]]) -> None:
    from django.db import transaction

    with transaction.atomic():
        catalog_changed(vendor_ids=[7])
        transaction.set_rollback(True)
    assert notified == []


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_listeners_hear_at_once(notified: list[set[int]]) -> None:
    catalog_changed(vendor_ids=[1])

    assert notified == [{1}]


def test_the_reports_app_listens_to_catalog_changes() -> None:
    from contracts.changes import catalog_listeners
    from reports.tasks import catalog_change_rereconcile

    assert catalog_listeners() == (catalog_change_rereconcile,)


def test_empty_change_notifies_nobody(notified: list[set[int]]) -> None:
    catalog_changed(vendor_ids=[])
    assert notified == []


@pytest.mark.django_db(transaction=True)
def test_contract_create_audits_and_notifies(notified: list[set[int]], coalition_admin: Any) -> None:
    vendor = VendorFactory()

    contract = services.contract_create(
        vendor=vendor,
        number="GPO-1",
        title="Contrast",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        discount_pct=Decimal("12.5"),
        user=coalition_admin,
    )

    audit = CatalogChange.objects.get()
    assert (audit.action, audit.object_type, audit.object_id, audit.contract_number, audit.source) == (
        "created",
        "Contract",
        contract.id,
        "GPO-1",
        "api",
    )
    assert audit.changed_by == coalition_admin
    assert audit.detail["discount_pct"] == "12.5"
    assert notified == [{vendor.id}]


@pytest.mark.parametrize(
    ("fields", "message_field"),
    [
        pytest.param({"end_date": date(2025, 12, 31)}, "end_date", id="end_before_start_case"),
        pytest.param({"admin_fee_pct": Decimal("100.01")}, "admin_fee_pct", id="admin_fee_over_100_case"),
        pytest.param({"discount_pct": Decimal("0")}, "discount_pct", id="zero_discount_case"),
        pytest.param({"number": "TAKEN"}, "number", id="duplicate_number_case"),
    ],
)
@pytest.mark.django_db
def test_contract_create_refuses_invalid_input(fields: dict[str, Any], message_field: str) -> None:
    ContractFactory(number="TAKEN")
    values = {
        "vendor": VendorFactory(),
        "number": "NEW",
        "title": "t",
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 12, 31),
        **fields,
    }

    with pytest.raises(ValidationError) as raised:
        services.contract_create(**values)

    assert message_field in raised.value.message_dict
    assert Contract.objects.count() == 1
    assert CatalogChange.objects.count() == 0


@pytest.mark.django_db
def test_contract_update_without_change_writes_nothing() -> None:
    contract = ContractFactory(title="Same")

    services.contract_update(contract=contract, title="Same", start_date=date(2026, 1, 1))

    assert CatalogChange.objects.count() == 0


@pytest.mark.django_db
def test_item_stores_normalised_sku_part_and_folded_uom() -> None:
    contract = ContractFactory()

    item = services.contract_item_create(
        contract=contract, vendor_sku=" 00407-1413-59 ", mfr_part_number="omn-350", uom="Case", units_per_uom=12
    )

    item.refresh_from_db()
    assert (item.vendor_sku, item.vendor_sku_normalized, item.mfr_part_normalized, item.uom) == (
        "00407-1413-59",
        "407141359",
        "OMN350",
        "CS",
    )


@pytest.mark.django_db
def test_item_with_same_normalised_sku_on_contract_is_refused() -> None:
    item = ContractItemFactory(vendor_sku="ABC-1")

    with pytest.raises(ValidationError) as raised:
        services.contract_item_create(contract=item.contract, vendor_sku="abc1")

    assert "vendor_sku" in raised.value.message_dict
    assert ContractItem.objects.count() == 1


@pytest.mark.parametrize(
    ("effective_from", "effective_to"),
    [
        pytest.param(date(2026, 6, 30), None, id="starts_on_last_day_case"),
        pytest.param(date(2025, 1, 1), date(2026, 1, 1), id="ends_on_first_day_case"),
        pytest.param(date(2026, 3, 1), date(2026, 3, 31), id="inside_case"),
    ],
)
@pytest.mark.django_db
def test_overlapping_price_window_is_refused(effective_from: date, effective_to: date | None) -> None:
    existing = ContractPriceFactory(effective_from=date(2026, 1, 1), effective_to=date(2026, 6, 30))

    with pytest.raises(ValidationError) as raised:
        services.contract_price_create(
            item=existing.item, price=Decimal("5"), effective_from=effective_from, effective_to=effective_to
        )

    assert "effective_from" in raised.value.message_dict
    assert ContractPrice.objects.count() == 1
    assert CatalogChange.objects.count() == 0


@pytest.mark.django_db
def test_adjacent_window_other_tier_and_other_min_qty_are_allowed() -> None:
    existing = ContractPriceFactory(effective_from=date(2026, 1, 1), effective_to=date(2026, 6, 30))
    item = existing.item

    services.contract_price_create(item=item, price=Decimal("7"), effective_from=date(2026, 7, 1))
    services.contract_price_create(item=item, price=Decimal("6"), effective_from=date(2026, 1, 1), tier="Gold")
    services.contract_price_create(item=item, price=Decimal("5"), effective_from=date(2026, 1, 1), min_qty=10)

    assert ContractPrice.objects.filter(item=item).count() == 4
    assert CatalogChange.objects.filter(object_type="ContractPrice", action="created").count() == 3


@pytest.mark.parametrize("price", [Decimal("0"), Decimal("-1")])
@pytest.mark.django_db
def test_price_must_be_positive(price: Decimal) -> None:
    item = ContractItemFactory()

    with pytest.raises(ValidationError) as raised:
        services.contract_price_create(item=item, price=price, effective_from=date(2026, 1, 1))

    assert "price" in raised.value.message_dict
    assert ContractPrice.objects.count() == 0


@pytest.mark.django_db
def test_price_update_audits_old_and_new_value() -> None:
    price = ContractPriceFactory(price=Decimal("80"))

    services.contract_price_update(contract_price=price, price=Decimal("75.5"), source="admin")

    audit = CatalogChange.objects.get()
    assert (audit.action, audit.source, audit.detail["price"]) == ("updated", "admin", ["80", "75.5"])


@pytest.mark.django_db
def test_price_delete_audits_the_row() -> None:
    price = ContractPriceFactory()
    price_id = price.id

    services.contract_price_delete(contract_price=price)

    audit = CatalogChange.objects.get()
    assert (audit.action, audit.object_id) == ("deleted", price_id)
    assert ContractPrice.objects.count() == 0


@pytest.mark.django_db
def test_participation_once_per_practice_and_contract() -> None:
    contract, practice = ContractFactory(), PracticeFactory()
    services.participation_create(practice=practice, contract=contract, joined_on=date(2026, 1, 1), tier="Gold")

    with pytest.raises(ValidationError):
        services.participation_create(practice=practice, contract=contract, joined_on=date(2026, 2, 1))

    assert CatalogChange.objects.filter(object_type="Participation").count() == 1


@pytest.mark.django_db
def test_without_a_broker_listeners_hear_the_change_when_the_service_commits(settings: Any) -> None:
    from django.db import transaction

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CATALOG_CHANGE_LISTENERS = [listening.PATH]
    listening.HEARD.clear()
    with transaction.atomic():
        catalog_changed(vendor_ids=[7, 3])
        assert listening.HEARD == []  # as with a broker: nothing runs inside the transaction
    assert [{3, 7}] == listening.HEARD
