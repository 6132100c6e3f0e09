"""Concurrent writers of lines and deleters of what lines reference meet on one lock (migration reports/0009).

PostgreSQL only: two real connections, committed data. A waiting statement is shown by a short lock_timeout that
fails it (SQLSTATE 55P03) instead of letting it wait.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from psycopg import errors

from contracts.models import ContractPrice
from reports.db.line_references import line_references_lock
from reports.models import PurchaseLine
from reports.services.line_store import lines_insert
from tests.factories import ContractPriceFactory, PurchaseLineFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the reference lock is PostgreSQL's (migration 0009)"),
    pytest.mark.django_db(transaction=True),
]

_LINE_COLUMNS = [field.column for field in PurchaseLine._meta.concrete_fields if field.column != "id"]


@pytest.fixture
def other() -> Iterator[psycopg.Connection]:
    """A second session on the test database, as another worker would have, waiting at most 300 ms for locks."""
    settings = connection.settings_dict
    session = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings.get("PASSWORD") or None,
        host=settings.get("HOST") or None,
        port=settings.get("PORT") or None,
    )
    session.execute("SET lock_timeout = '300ms'")
    session.commit()
    yield session
    session.rollback()
    session.close()


def _copy_line(session: psycopg.Connection, line: PurchaseLine) -> None:
    """Insert, in `session`, a copy of a stored line (same references) as a new row."""
    columns = ", ".join(_LINE_COLUMNS)
    session.execute(
        f"INSERT INTO reports_purchaseline ({columns}) SELECT {columns} FROM reports_purchaseline WHERE id = %s",
        [line.pk],
    )


@transaction.atomic
def _update_waiting_300ms(lines, **values) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '300ms'")
    lines.update(**values)


def _priced_line(price: ContractPrice) -> PurchaseLine:
    return PurchaseLineFactory(price=price, item=price.item, contract=price.item.contract)


def test_a_delete_of_a_price_waits_for_lines_being_written_and_then_refuses(other):
    price = ContractPriceFactory()

    with transaction.atomic():
        _priced_line(price)
        with pytest.raises(errors.LockNotAvailable):
            other.execute("DELETE FROM contracts_contractprice WHERE id = %s", [price.pk])
        other.rollback()

    with pytest.raises(errors.ForeignKeyViolation, match="price_id"):
        other.execute("DELETE FROM contracts_contractprice WHERE id = %s", [price.pk])
    other.rollback()
    assert ContractPrice.objects.filter(pk=price.pk).exists()


def test_lines_referencing_a_price_being_deleted_wait_and_then_are_refused(other):
    price = ContractPriceFactory()
    line = _priced_line(price)
    PurchaseLine.objects.filter(pk=line.pk).update(price=None)
    other.execute("DELETE FROM contracts_contractprice WHERE id = %s", [price.pk])  # not committed yet

    with pytest.raises(OperationalError, match="lock timeout"):
        _update_waiting_300ms(PurchaseLine.objects.filter(pk=line.pk), price=price)

    other.commit()
    with pytest.raises(IntegrityError, match="price_id"), transaction.atomic():
        PurchaseLine.objects.filter(pk=line.pk).update(price_id=price.pk)
    assert PurchaseLine.objects.get(pk=line.pk).price_id is None


def test_a_copy_of_lines_referencing_a_price_being_deleted_waits_and_then_is_refused(other):
    price = ContractPriceFactory()
    line = _priced_line(price)
    stored = PurchaseLine.objects.values(*_LINE_COLUMNS).get(pk=line.pk)  # attnames are the columns here
    columns = {name: [value] for name, value in stored.items()}
    PurchaseLine.objects.filter(pk=line.pk).update(price=None)
    other.execute("DELETE FROM contracts_contractprice WHERE id = %s", [price.pk])  # not committed yet

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '300ms'")
        with pytest.raises(OperationalError, match="lock timeout"):
            lines_insert(columns)
        transaction.set_rollback(True)

    other.commit()
    with pytest.raises(IntegrityError, match="price_id"), transaction.atomic():
        lines_insert(columns)
    assert PurchaseLine.objects.filter(upload=line.upload).count() == 1


def test_writers_of_lines_do_not_wait_for_each_other(other):
    line = PurchaseLineFactory()

    with transaction.atomic():
        PurchaseLineFactory(upload=line.upload)
        _copy_line(other, line)  # would fail with a lock timeout if writers excluded each other
        other.commit()

    assert PurchaseLine.objects.filter(upload=line.upload).count() == 3


def test_a_delete_that_removes_nothing_does_not_wait(other):
    line = PurchaseLineFactory()

    with transaction.atomic():
        PurchaseLineFactory(upload=line.upload)
        # An upload's processing starts by deleting its earlier lines: none, so no wait for other uploads.
        other.execute("DELETE FROM reports_purchaseline WHERE upload_id = %s", [-1])
        other.execute("DELETE FROM contracts_contractprice WHERE id = %s", [-1])
        other.commit()


def test_line_references_lock_is_the_lock_the_triggers_take(other):
    line = PurchaseLineFactory()

    with transaction.atomic():
        line_references_lock()
        with pytest.raises(errors.LockNotAvailable):
            _copy_line(other, line)
        other.rollback()

    _copy_line(other, line)
    other.commit()
    assert PurchaseLine.objects.filter(upload=line.upload).count() == 2
