"""Purchase lines' references are kept by the database (migration 0007), set-based instead of per-row keys.

On PostgreSQL the line store's own COPY is checked by the line store (migration 0010): the trigger skips that one
statement, and the ids the COPY sent are anti-joined with their tables afterwards.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from contracts.models import ContractPrice
from reports.db.line_references import CHECKED_SETTING, REFERENCES
from reports.models import PurchaseLine
from reports.services.line_store import lines_insert, lines_insert_batches
from tests.factories import ContractPriceFactory, PurchaseLineFactory, PurchaseUploadFactory, VendorFactory

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the line store checks its own COPY on PostgreSQL only (migration 0010)"
)

MISSING = 987_654_321


def _columns(upload, **references):
    """One line's database columns for lines_insert, with the given reference ids."""
    columns = {
        "upload_id": [upload.id],
        "practice_id": [upload.practice_id],
        "row_number": [2],
        "purchase_date": ["2026-03-15"],
        "vendor_name": ["Vendor Medical"],
        "sku": ["A-1"],
        "sku_normalized": ["A1"],
        "mfr_part_number": [""],
        "mfr_part_normalized": [""],
        "description": [""],
        "uom": ["EA"],
        "invoice_number": [""],
        "po_number": [""],
        "vendor_match": [""],
        "status": ["pending"],
        "overcharge_cause": [""],
        "quantity": ["1.0000"],
        "unit_price": ["10.0000"],
        "spend": ["10.00"],
        "savings": ["0.00"],
        "overcharge": ["0.00"],
        "missed_savings": ["0.00"],
    }
    columns.update({name: pa.array([value], type=pa.int64()) for name, value in references.items()})
    return columns


def test_lines_insert_of_existing_references_is_stored():
    upload = PurchaseUploadFactory()
    vendor = VendorFactory()

    assert lines_insert(_columns(upload, vendor_id=vendor.id)) == 1

    assert PurchaseLine.objects.get(upload=upload).vendor_id == vendor.id


@pytest.mark.parametrize("column", ["vendor_id", "price_id", "item_id", "contract_id", "category_id", "repeat_of_id"])
def test_lines_insert_refuses_a_missing_reference(column):
    upload = PurchaseUploadFactory()

    with pytest.raises(IntegrityError, match=column), transaction.atomic():
        lines_insert(_columns(upload, **{column: MISSING}))

    assert not PurchaseLine.objects.filter(upload=upload).exists()


def test_lines_insert_refuses_a_missing_upload():
    upload = PurchaseUploadFactory()
    columns = _columns(upload)
    columns["upload_id"] = [MISSING]

    with pytest.raises(IntegrityError, match="upload_id"), transaction.atomic():
        lines_insert(columns)


def test_orm_save_refuses_a_missing_practice():
    line = PurchaseLineFactory()
    line.practice_id = MISSING

    with pytest.raises(IntegrityError, match="practice_id"), transaction.atomic():
        line.save()


def test_update_refuses_a_missing_price():
    line = PurchaseLineFactory()

    with pytest.raises(IntegrityError, match="price_id"), transaction.atomic():
        PurchaseLine.objects.filter(pk=line.pk).update(price_id=MISSING)

    line.refresh_from_db()
    assert line.price_id is None


def test_orm_delete_of_a_referenced_price_is_protected():
    price = ContractPriceFactory()
    PurchaseLineFactory(price=price, item=price.item, contract=price.item.contract)

    with pytest.raises(ProtectedError), transaction.atomic():
        price.delete()

    assert ContractPrice.objects.filter(pk=price.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="delete-side triggers are installed on PostgreSQL only")
def test_sql_delete_of_a_referenced_price_is_refused_by_the_database():
    price = ContractPriceFactory()
    unused = ContractPriceFactory()
    PurchaseLineFactory(price=price, item=price.item, contract=price.item.contract)

    with pytest.raises(IntegrityError, match="price_id"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM contracts_contractprice WHERE id IN (%s, %s)", [price.pk, unused.pk])

    assert ContractPrice.objects.filter(pk__in=[price.pk, unused.pk]).count() == 2
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM contracts_contractprice WHERE id = %s", [unused.pk])
    assert not ContractPrice.objects.filter(pk=unused.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="delete-side triggers are installed on PostgreSQL only")
def test_sql_delete_of_a_repeated_line_is_refused_by_the_database():
    first = PurchaseLineFactory()
    PurchaseLineFactory(repeat_of=first)

    with pytest.raises(IntegrityError, match="repeat_of_id"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_purchaseline WHERE id = %s", [first.pk])


def test_the_checked_references_are_every_foreign_key_of_a_line():
    foreign_keys = {
        (field.column, field.related_model._meta.db_table)
        for field in PurchaseLine._meta.concrete_fields
        if field.is_relation
    }

    assert set(REFERENCES) == foreign_keys


@postgresql_only
def test_a_copy_refuses_a_missing_reference_in_a_later_batch():
    upload = PurchaseUploadFactory()
    price = ContractPriceFactory()
    good = _columns(upload, price_id=price.id)

    with (
        pytest.raises(IntegrityError, match=f'"price_id": no row {MISSING} in "contracts_contractprice"'),
        transaction.atomic(),
    ):
        lines_insert_batches([good, good, _columns(upload, price_id=MISSING)])

    assert not PurchaseLine.objects.filter(upload=upload).exists()


@postgresql_only
def test_the_trigger_skips_only_the_checked_copy():
    upload = PurchaseUploadFactory()
    line = PurchaseLineFactory(upload=upload)

    with transaction.atomic():
        assert lines_insert(_columns(upload)) == 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting(%s, true)", [CHECKED_SETTING])
            assert cursor.fetchone()[0] == ""
        with pytest.raises(IntegrityError, match="price_id"):
            PurchaseLine.objects.filter(pk=line.pk).update(price_id=MISSING)  # the next statement is checked again
        transaction.set_rollback(True)

    assert PurchaseLine.objects.filter(upload=upload).count() == 1


@postgresql_only
def test_a_copy_fails_when_the_trigger_did_not_run():
    upload = PurchaseUploadFactory()

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE reports_purchaseline DISABLE TRIGGER purchaseline_references_insert")
        with pytest.raises(IntegrityError, match="reference trigger did not run"):
            lines_insert(_columns(upload))
        transaction.set_rollback(True)

    assert not PurchaseLine.objects.filter(upload=upload).exists()
