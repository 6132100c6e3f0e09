"""The `import_purchases` command: the upload pipeline from a shell, with a summary and clear failures."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from reports.models import PurchaseLine, PurchaseUpload
from tests.reports.upload_samples import PNG_BYTES, PURCHASES_CSV

pytestmark = pytest.mark.django_db


@pytest.fixture
def purchases_file(tmp_path):
    path = tmp_path / "march.csv"
    path.write_bytes(PURCHASES_CSV)
    return path


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_purchases", *args, stdout=out)
    return out.getvalue()


def test_import_prints_the_upload_summary(purchases_file, practice_a):
    output = _run(str(purchases_file), "--practice", practice_a.slug)
    upload = PurchaseUpload.objects.get()
    assert upload.status == PurchaseUpload.Status.DONE
    assert upload.uploaded_by is None
    assert PurchaseLine.objects.filter(upload=upload).count() == 2
    assert f"upload {upload.public_id}: march.csv for alpha-radiology" in output
    assert "status: done" in output
    assert "rows total: 3  accepted: 2  rejected: 1  skipped: 0" in output
    assert "file_total: 36.00  accepted_total: 35.00" in output
    assert "  4\tDate\t" in output


def test_import_runs_synchronously_even_with_a_broker(purchases_file, practice_a, monkeypatch):
    monkeypatch.setattr("reports.tasks.upload_process.delay", lambda *a: pytest.fail("enqueued"))
    _run(str(purchases_file), "--practice", practice_a.slug)
    assert PurchaseUpload.objects.get().status == PurchaseUpload.Status.DONE


def test_unknown_practice_fails_clearly(purchases_file):
    with pytest.raises(CommandError, match="Unknown practice 'nope'"):
        _run(str(purchases_file), "--practice", "nope")


def test_unreadable_file_fails_clearly(tmp_path, practice_a):
    with pytest.raises(CommandError, match="no such file"):
        _run(str(tmp_path / "missing.csv"), "--practice", practice_a.slug)
    assert PurchaseUpload.objects.count() == 0


def test_not_a_spreadsheet_fails_clearly(tmp_path, practice_a):
    path = tmp_path / "picture.csv"
    path.write_bytes(PNG_BYTES)
    with pytest.raises(CommandError):
        _run(str(path), "--practice", practice_a.slug)
    assert PurchaseUpload.objects.count() == 0


def test_duplicate_file_names_the_first_upload(purchases_file, practice_a):
    _run(str(purchases_file), "--practice", practice_a.slug)
    first = PurchaseUpload.objects.get()
    with pytest.raises(CommandError, match=f"upload {first.public_id}"):
        _run(str(purchases_file), "--practice", practice_a.slug)
    assert PurchaseUpload.objects.count() == 1


@pytest.mark.slow
def test_golden_scms_delivery_history_is_stored_line_for_line(real_data, practice_a):
    from decimal import Decimal

    from django.db.models import Sum

    output = _run(str(real_data / "scms_delivery_history.csv"), "--practice", practice_a.slug)
    upload = PurchaseUpload.objects.get()
    assert upload.status == PurchaseUpload.Status.DONE, upload.error
    assert (upload.rows_total, upload.rows_accepted, upload.rows_rejected, upload.rows_skipped) == (
        10_324,
        10_324,
        0,
        0,
    )
    assert upload.lines.count() == 10_324
    stored_total = upload.lines.aggregate(total=Sum("spend"))["total"]
    assert stored_total == upload.accepted_total == upload.file_total == Decimal("1627584457.29")
    assert "rows total: 10324  accepted: 10324  rejected: 0  skipped: 0" in output
    first = upload.lines.order_by("row_number").first()
    assert (first.row_number, first.vendor_name, first.po_number, first.spend) == (
        2,
        "RANBAXY Fine Chemicals LTD.",
        "SCMS-4",
        Decimal("551.00"),
    )


@pytest.mark.slow
def test_golden_scms_placeholder_dates_are_stored_as_rejected_rows(real_data, practice_a, tmp_path):
    from collections import Counter
    from decimal import Decimal

    from django.db.models import Sum

    from reports.services.uploads import upload_create, upload_process
    from tests.reports.test_ingest import scms_expectations

    path = real_data / "scms_delivery_history.csv"
    accepted, reasons, total = scms_expectations(path, "PO Sent to Vendor Date")
    mapping = {
        "purchase_date": "PO Sent to Vendor Date",
        "vendor_name": "Vendor",
        "description": "Item Description",
        "quantity": "Line Item Quantity",
        "uom": "Unit of Measure (Per Pack)",
        "unit_price": "Pack Price",
        "extended_amount": "Line Item Value",
        "po_number": "PO / SO #",
    }
    upload = upload_create(practice=practice_a, user=None, file=path, mapping=mapping, enqueue=False)
    upload = upload_process(upload_id=upload.id, practice_id=practice_a.id)

    assert upload.status == PurchaseUpload.Status.DONE, upload.error
    assert upload.rows_accepted == accepted == upload.lines.count()
    assert upload.rows_rejected == sum(reasons.values()) == upload.rejected_rows.count()
    assert upload.rows_total == 10_324
    assert upload.lines.aggregate(total=Sum("spend"))["total"] == upload.accepted_total == total
    assert sum(Counter(upload.rejected_rows.values_list("column", flat=True)).values()) == upload.rows_rejected
    assert set(upload.rejected_rows.values_list("column", flat=True)) == {"PO Sent to Vendor Date"}
    assert isinstance(upload.accepted_total, Decimal)
