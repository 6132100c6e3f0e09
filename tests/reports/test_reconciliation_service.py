"""Reconciling stored lines: exact stored values, repeats, re-reconciliation after a catalog change, the command."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from contracts.changes import catalog_changed
from contracts.models import Contract, ContractItem
from contracts.selectors import catalog_slice_for_items
from reports.models import PurchaseLine
from reports.services.reconciliation import lines_reconcile, reconcile_context_load
from tests.factories import (
    CategoryFactory,
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    PurchaseLineFactory,
    PurchaseUploadFactory,
    VendorFactory,
)

RESULT_FIELDS = [
    "status",
    "overcharge_cause",
    "repeat_of_id",
    "vendor_id",
    "contract_id",
    "item_id",
    "price_id",
    "category_id",
    "expected_unit_price",
    "list_price",
    "spend",
    "savings",
    "overcharge",
    "missed_savings",
]


@pytest.fixture
def catalog(practice_a):
    category = CategoryFactory(name="Contrast", slug="contrast")
    vendor = VendorFactory(name="Acme Medical", slug="acme")
    contract = ContractFactory(vendor=vendor, number="C-ACME")
    item = ContractItemFactory(contract=contract, vendor_sku="SKU-1", list_price=Decimal("100"), category=category)
    price = ContractPriceFactory(item=item, price=Decimal("80"))
    ParticipationFactory(practice=practice_a, contract=contract)
    other_vendor = VendorFactory(name="Beta Supply", slug="beta")
    other_contract = ContractFactory(vendor=other_vendor, number="C-BETA")
    other_item = ContractItemFactory(contract=other_contract, vendor_sku="B-1", list_price=Decimal("20"))
    ContractPriceFactory(item=other_item, price=Decimal("15"))
    ParticipationFactory(practice=practice_a, contract=other_contract)
    return {"vendor": vendor, "contract": contract, "item": item, "price": price, "category": category}


def acme_line(upload, **kwargs):
    defaults = {"vendor_name": "ACME MEDICAL, INC.", "sku": "sku-1", "purchase_date": date(2026, 3, 15)}
    return PurchaseLineFactory(upload=upload, **{**defaults, **kwargs})


def test_lines_reconcile_stores_exact_values(practice_a, catalog):
    upload = PurchaseUploadFactory(practice=practice_a)
    line = acme_line(upload, quantity=Decimal("3"), unit_price=Decimal("80.41"), extended_amount=Decimal("241.23"))

    updated = lines_reconcile(queryset=PurchaseLine.objects.filter(upload=upload))

    line.refresh_from_db()
    assert updated == 1
    assert (line.status, line.overcharge_cause) == ("overcharged", "price_error")
    assert (line.vendor_id, line.vendor_match) == (catalog["vendor"].id, "exact")
    assert (line.contract_id, line.item_id, line.price_id) == (
        catalog["contract"].id,
        catalog["item"].id,
        catalog["price"].id,
    )
    assert line.category_id == catalog["category"].id
    assert (line.expected_unit_price, line.list_price) == (Decimal("80.0000"), Decimal("100.0000"))
    assert (line.spend, line.savings, line.overcharge, line.missed_savings) == (
        Decimal("241.23"),
        Decimal("58.77"),
        Decimal("1.23"),
        Decimal("1.23"),
    )
    assert line.sku_normalized == "SKU1"
    assert line.reconciled_at is not None


def test_repeats_across_uploads_marked_and_identical_lines_in_one_file_kept(practice_a, catalog):
    first = PurchaseUploadFactory(practice=practice_a)
    original = acme_line(first, invoice_number="INV-1", unit_price=Decimal("80"))
    twin = acme_line(first, invoice_number="INV-1", unit_price=Decimal("80"))
    no_invoice = acme_line(first, invoice_number="", unit_price=Decimal("80"))
    second = PurchaseUploadFactory(practice=practice_a)
    repeat = acme_line(second, invoice_number="INV-1", sku="SKU1", unit_price=Decimal("80.0000"))
    no_invoice_again = acme_line(second, invoice_number="", unit_price=Decimal("80"))
    other_price = acme_line(second, invoice_number="INV-1", unit_price=Decimal("81"))

    lines_reconcile(queryset=PurchaseLine.objects.filter(upload=first))
    lines_reconcile(queryset=PurchaseLine.objects.filter(upload=second))

    stored = {line.id: line.repeat_of_id for line in PurchaseLine.objects.all()}
    assert stored == {
        original.id: None,
        twin.id: None,
        no_invoice.id: None,
        repeat.id: original.id,
        no_invoice_again.id: None,
        other_price.id: None,
    }
    assert PurchaseLine.objects.get(id=repeat.id).status == "on_contract"


def test_repeat_needs_the_same_practice(practice_a, practice_b, catalog):
    acme_line(PurchaseUploadFactory(practice=practice_b), invoice_number="INV-1")
    later = acme_line(PurchaseUploadFactory(practice=practice_a), invoice_number="INV-1")

    lines_reconcile(queryset=PurchaseLine.objects.all())

    later.refresh_from_db()
    assert later.repeat_of_id is None


def test_price_corrected_through_catalog_change_re_reconciles_affected_lines_only(
    practice_a, catalog, django_capture_on_commit_callbacks
):
    upload = PurchaseUploadFactory(practice=practice_a)
    affected = acme_line(upload, quantity=Decimal("2"), unit_price=Decimal("70"))
    untouched = PurchaseLineFactory(
        upload=upload, vendor_name="Beta Supply", sku="B-1", quantity=Decimal("4"), unit_price=Decimal("16")
    )
    lines_reconcile(queryset=PurchaseLine.objects.all())
    before = PurchaseLine.objects.filter(id=untouched.id).values(*RESULT_FIELDS).get()
    affected.refresh_from_db()
    assert (affected.status, affected.savings) == ("on_contract", Decimal("60.00"))

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        catalog["price"].price = Decimal("60")
        catalog["price"].save()
        catalog_changed(vendor_ids={catalog["vendor"].id})

    affected.refresh_from_db()
    assert (affected.status, affected.overcharge_cause) == ("overcharged", "price_error")
    assert (affected.expected_unit_price, affected.overcharge, affected.savings) == (
        Decimal("60.0000"),
        Decimal("20.00"),
        Decimal("60.00"),
    )
    assert PurchaseLine.objects.filter(id=untouched.id).values(*RESULT_FIELDS).get() == before
    assert before["status"] == "overcharged"


def test_reconcile_command_prints_counts_per_status(practice_a, practice_b, catalog):
    upload = PurchaseUploadFactory(practice=practice_a)
    acme_line(upload, unit_price=Decimal("80"))
    acme_line(upload, vendor_name="Nobody Ltd", unit_price=Decimal("5"))
    acme_line(PurchaseUploadFactory(practice=practice_b), unit_price=Decimal("80"))
    out = StringIO()

    call_command("reconcile", "--practice", practice_a.slug, stdout=out)

    text = out.getvalue()
    assert "Reconciled 2 lines." in text
    assert "on_contract: 1\n" in text
    assert "non_gpo_vendor: 1\n" in text
    assert PurchaseLine.objects.filter(practice=practice_b, status="pending").count() == 1


def test_reconcile_command_refuses_unknown_practice(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No practice"):
        call_command("reconcile", "--practice", "nope")


def test_catalog_index_from_database_columns_rebuilds_the_reference_catalog(practice_a, catalog):
    # Given the catalog plus a draft contract, a percent-off contract and a boxed, tiered row with a minimum
    draft = ContractFactory(vendor=catalog["vendor"], number="C-DRAFT", status=Contract.Status.DRAFT)
    ContractFactory(vendor=catalog["vendor"], number="C-PCT", discount_pct=Decimal("12.5"))
    boxed = ContractItemFactory(contract=draft, vendor_sku="0-box-7", uom="box", units_per_uom=12, list_price=None)
    ContractPriceFactory(
        item=boxed, price=Decimal("7.0125"), tier="gold", min_qty=Decimal("2.5"), effective_to=date(2026, 6, 30)
    )
    ParticipationFactory(practice=practice_a, contract=draft, tier="gold", joined_on=date(2025, 11, 30))

    # When the reconciliation context is loaded (columns straight into the index)
    index = reconcile_context_load().index

    # Then the slice the reference engine gets from the index is the one the catalog pages read, value for value
    rebuilt = index.catalog_for(None)
    loaded = catalog_slice_for_items(items=ContractItem.objects.select_related("contract"))
    assert {c for c in rebuilt.contracts if c.id in loaded.contract_by_id} == set(loaded.contracts)
    assert {c.number: c.discount_pct for c in rebuilt.contracts}["C-PCT"] == Decimal("12.5000")
    assert set(rebuilt.items) == set(loaded.items)
    assert set(rebuilt.prices) == set(loaded.prices)
    assert set(rebuilt.participations) == set(loaded.participations)
    assert len(rebuilt.prices) == 3
