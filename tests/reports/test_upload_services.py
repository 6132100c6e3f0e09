"""Upload services: storing a purchase file, processing it all-or-nothing, deleting it (DESIGN.md section 5)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Sum

from gpo.errors import ApplicationError, ConflictError, PayloadTooLargeError
from gpo.members.models import Role
from reports.models import ColumnMappingPreset, PurchaseLine, PurchaseUpload, RejectedRow, SavingsSummary
from reports.services import uploads as upload_services
from reports.services.uploads import (
    filename_sanitise,
    upload_create,
    upload_delete,
    upload_mapping_save,
    upload_preview,
    upload_process,
)
from tests.factories import PurchaseLineFactory, PurchaseUploadFactory, VendorFactory
from tests.reports.upload_samples import PNG_BYTES, PURCHASES_CSV, csv_rows, csv_upload

REAL_ENQUEUE = upload_services._enqueue


class Broker:
    """A broker no worker serves yet: uploads are queued after their commit (gpo.jobs.run_after_commit) and run
    when a test says a worker took them (`with broker.worker():`), or when it calls upload_process itself."""

    def __init__(self) -> None:
        self.jobs: list[tuple[int, int]] = []

    def enqueue(self, upload_id: int, practice_id: int) -> None:
        self.jobs.append((upload_id, practice_id))

    @contextlib.contextmanager
    def worker(self) -> Iterator[None]:
        yield
        jobs, self.jobs = self.jobs, []
        for job in jobs:
            REAL_ENQUEUE(*job)


@pytest.fixture(autouse=True)
def broker(settings, monkeypatch) -> Iterator[Broker]:
    """These tests pin down the behaviour with a real broker (queued after commit, run by a worker).

    Celery itself still executes in-process: its configuration is read once per process, so pin it explicitly.
    """
    from gpo.celery import app as celery_app

    eager_before = celery_app.conf.task_always_eager  # read (and so load Celery's config) before changing settings
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = True
    queue = Broker()
    monkeypatch.setattr(upload_services, "_enqueue", queue.enqueue)
    yield queue
    celery_app.conf.task_always_eager = eager_before


pytestmark = pytest.mark.django_db


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def processed_upload(practice_a, finance_a, broker):
    with broker.worker():
        upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload())
    upload.refresh_from_db()
    return upload


def test_upload_is_processed_after_commit_with_counts_and_totals(processed_upload):
    upload = processed_upload
    assert upload.status == PurchaseUpload.Status.DONE
    assert upload.progress == 100
    assert (upload.rows_total, upload.rows_accepted, upload.rows_rejected) == (3, 2, 1)
    assert upload.file_total == Decimal("36.00")
    assert upload.accepted_total == Decimal("35.00")
    assert upload.file_format == "csv"
    assert upload.finished_at is not None
    assert upload.column_mapping["vendor_name"] == "Vendor"


def test_upload_records_the_purchase_dates_its_lines_span(processed_upload, practice_a, finance_a):
    dates = sorted(PurchaseLine.objects.filter(upload=processed_upload).values_list("purchase_date", flat=True))
    assert len(set(dates)) > 1
    assert (processed_upload.first_purchase_date, processed_upload.last_purchase_date) == (dates[0], dates[-1])

    rejected = csv_rows("not a date,Acme Medical,SKU-1,Item,1,EA,1.00,,INV-1")
    nothing = upload_create(practice=practice_a, user=finance_a, file=csv_upload(rejected, name="none.csv"))
    nothing = upload_process(upload_id=nothing.id, practice_id=practice_a.id)
    assert nothing.rows_accepted == 0
    assert (nothing.first_purchase_date, nothing.last_purchase_date) == (None, None)


def test_upload_lines_keep_text_skus_and_decimal_values(processed_upload):
    lines = list(processed_upload.lines.order_by("row_number"))
    assert [(line.row_number, line.sku, line.sku_normalized) for line in lines] == [
        (2, "00123", "123"),
        (3, "456", "456"),
    ]
    first, second = lines
    assert first.purchase_date == date(2026, 3, 15)
    assert (first.quantity, first.unit_price, first.extended_amount, first.spend) == (
        Decimal("10.0000"),
        Decimal("2.5000"),
        Decimal("25.00"),
        Decimal("25.00"),
    )
    assert (second.quantity, second.extended_amount, second.spend) == (Decimal("2.5000"), None, Decimal("10.00"))
    assert first.practice_id == processed_upload.practice_id
    assert first.invoice_number == "INV-1"


def test_stored_lines_are_reconciled_in_the_same_processing(practice_a, finance_a, monkeypatch):
    # Lines are priced before they are written: one insert, no second pass over stored lines.
    monkeypatch.setattr(upload_services, "lines_reconcile", lambda **_: pytest.fail("no second pass expected"))
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload())
    upload_process(upload_id=upload.id, practice_id=practice_a.id)
    lines = list(upload.lines.all())
    assert len(lines) == 2
    assert all(line.status != PurchaseLine.Status.PENDING and line.reconciled_at is not None for line in lines)


def test_rejected_rows_keep_row_column_reason_and_original_cells(processed_upload):
    rejected = list(processed_upload.rejected_rows.all())
    assert len(rejected) == 1
    assert rejected[0].row_number == 4
    assert rejected[0].column == "Date"
    assert rejected[0].reason
    assert rejected[0].values[:3] == ["", "Acme Medical", "789"]


def test_stored_name_is_generated_and_user_name_is_metadata(processed_upload, practice_a):
    stored = processed_upload.original_file.name
    assert stored.startswith(f"uploads/{practice_a.id}/")
    assert "march" not in stored
    assert "purchases" not in stored
    assert processed_upload.original_filename == "march purchases.csv"
    assert processed_upload.original_file.read() == PURCHASES_CSV


def test_sha256_is_recorded_from_the_bytes(processed_upload):
    import hashlib

    assert processed_upload.sha256 == hashlib.sha256(PURCHASES_CSV).hexdigest()
    assert processed_upload.size_bytes == len(PURCHASES_CSV)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ann\\march.xlsx", "march.xlsx"),
        ("bad\x00name\r\n.csv", "badname.csv"),
        ("x" * 300 + ".csv", "x" * 255),
        ("", "upload"),
    ],
)
def test_filename_sanitise(given, expected):
    assert filename_sanitise(given) == expected


def test_oversize_file_is_refused_before_parsing_and_nothing_is_stored(practice_a, finance_a, settings, monkeypatch):
    settings.UPLOAD_MAX_BYTES = 100
    monkeypatch.setattr(upload_services.ingest, "detect_format", lambda path: pytest.fail("parsed"))
    with pytest.raises(PayloadTooLargeError, match="limit"):
        upload_create(practice=practice_a, user=finance_a, file=csv_upload())
    assert PurchaseUpload.objects.count() == 0
    assert _stored_files(settings) == []


def test_png_renamed_csv_is_refused_by_content(practice_a, finance_a, settings):
    with pytest.raises(ApplicationError) as caught:
        upload_create(practice=practice_a, user=finance_a, file=csv_upload(PNG_BYTES, name="purchases.csv"))
    assert caught.value.status_code == 400
    assert PurchaseUpload.objects.count() == 0
    assert _stored_files(settings) == []


def test_same_file_again_is_a_conflict_pointing_at_the_first_upload(processed_upload, practice_a, finance_a):
    with pytest.raises(ConflictError) as caught:
        upload_create(practice=practice_a, user=finance_a, file=csv_upload(name="renamed.csv"))
    assert caught.value.extra == {"upload_id": str(processed_upload.public_id)}
    assert f"(upload {processed_upload.public_id})" in caught.value.message
    assert PurchaseUpload.objects.count() == 1


def test_same_file_for_another_practice_is_accepted(processed_upload, practice_b, finance_b):
    upload = upload_create(practice=practice_b, user=finance_b, file=csv_upload())
    assert upload.practice_id == practice_b.id


def test_a_failed_upload_never_blocks_its_file(processed_upload, practice_a, finance_a):
    PurchaseUpload.objects.filter(pk=processed_upload.pk).update(status=PurchaseUpload.Status.FAILED)

    again = upload_create(practice=practice_a, user=finance_a, file=csv_upload(), enqueue=False)

    assert again.pk != processed_upload.pk
    assert again.sha256 == processed_upload.sha256
    with pytest.raises(ConflictError) as caught:  # the new one, in flight, blocks the file again
        upload_create(practice=practice_a, user=finance_a, file=csv_upload(), enqueue=False)
    assert caught.value.extra == {"upload_id": str(again.public_id)}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EXECUTIVE])
def test_non_finance_member_cannot_upload(role, practice_a, make_member, settings):
    with pytest.raises(PermissionDenied):
        upload_create(practice=practice_a, user=make_member(role, practice_a), file=csv_upload())
    assert PurchaseUpload.objects.count() == 0
    assert _stored_files(settings) == []


def test_finance_of_another_practice_cannot_upload(practice_a, finance_b):
    with pytest.raises(PermissionDenied):
        upload_create(practice=practice_a, user=finance_b, file=csv_upload())


def test_coalition_admin_may_upload_for_a_practice(practice_a, coalition_admin):
    upload = upload_create(practice=practice_a, user=coalition_admin, file=csv_upload())
    assert upload.status == PurchaseUpload.Status.QUEUED


@pytest.mark.parametrize("eager", [False, True], ids=["with_a_broker", "in_process"])
def test_processing_is_enqueued_after_commit_with_upload_and_practice_ids(
    practice_a, finance_a, monkeypatch, settings, eager
):
    from django.db import transaction

    settings.CELERY_TASK_ALWAYS_EAGER = eager
    monkeypatch.setattr(upload_services, "_enqueue", REAL_ENQUEUE)
    sent = []
    monkeypatch.setattr("reports.tasks.upload_process.delay", lambda *args: sent.append(args))
    with transaction.atomic():
        upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload())
        assert sent == []  # not before the commit: a worker must not see uncommitted rows
    assert sent == [(upload.id, practice_a.id)]


def test_without_a_broker_processing_runs_in_process_at_once(practice_a, finance_a, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setattr(upload_services, "_enqueue", REAL_ENQUEUE)
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload())
    upload.refresh_from_db()
    assert upload.status == PurchaseUpload.Status.DONE


def test_failure_half_way_leaves_no_lines_and_marks_the_upload_failed(practice_a, finance_a, monkeypatch):
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload())
    real_columns = upload_services._stored_columns

    def one_bad_row(lines):
        columns = real_columns(lines)
        # purchase_date NOT NULL: the database refuses the second row after accepting the first.
        columns["purchase_date"] = pa.array([columns["purchase_date"][0].as_py(), None], type=pa.date32())
        return columns

    monkeypatch.setattr(upload_services, "_stored_columns", one_bad_row)
    result = upload_process(upload_id=upload.id, practice_id=practice_a.id)
    assert result.status == PurchaseUpload.Status.FAILED
    # The database's own words stay in the log: the user reads what happened and what to do.
    assert result.error == upload_services.UNEXPECTED_FAILURE
    assert "IntegrityError" not in result.error
    assert "purchase_date" not in result.error
    assert PurchaseLine.objects.count() == 0
    assert RejectedRow.objects.count() == 0
    assert (result.rows_total, result.rows_accepted) == (0, 0)


def _seven_lines(invoice: str = "INV-7") -> bytes:
    return csv_rows(*(f"2026-03-0{n},Acme Medical,SKU-{n},Item {n},{n},EA,1.{n}0,,{invoice}" for n in range(1, 8)))


def _seven_lines_then_two_repeated(practice, user) -> PurchaseUpload:
    """Upload seven lines, then a file repeating lines 3 and 6 of them (same invoice, SKU, day, quantity and
    price) around a new one; checks the repeats and returns the first upload."""
    first = upload_create(practice=practice, user=user, file=csv_upload(_seven_lines(), name="a.csv"))
    upload_process(upload_id=first.id, practice_id=practice.id)
    again = csv_rows(
        "2026-03-03,Acme Medical,SKU-3,Item 3,3,EA,1.30,,INV-7",
        "2026-03-09,Acme Medical,SKU-9,Item 9,9,EA,1.90,,INV-7",
        "2026-03-06,Acme Medical,SKU-6,Item 6,6,EA,1.60,,INV-7",
    )
    second = upload_create(practice=practice, user=user, file=csv_upload(again, name="b.csv"))
    upload_process(upload_id=second.id, practice_id=practice.id)

    by_sku = dict(PurchaseLine.objects.filter(upload=first).values_list("sku", "pk"))
    repeats = PurchaseLine.objects.filter(upload=second).order_by("row_number").values_list("sku", "repeat_of_id")
    assert list(repeats) == [("SKU-3", by_sku["SKU-3"]), ("SKU-9", None), ("SKU-6", by_sku["SKU-6"])]
    return first


def test_lines_priced_in_small_batches_keep_their_rows_and_repeats(practice_a, finance_a, monkeypatch):
    from reports.services import reconciliation

    monkeypatch.setattr(reconciliation, "BATCH_SIZE", 2)
    first = _seven_lines_then_two_repeated(practice_a, finance_a)

    stored = list(PurchaseLine.objects.filter(upload=first).order_by("row_number"))
    assert [(x.row_number, x.sku, x.quantity, x.spend) for x in stored] == [
        (n + 1, f"SKU-{n}", Decimal(n), Decimal(n) * Decimal(f"1.{n}0")) for n in range(1, 8)
    ]


def test_batches_start_small_and_double_up_to_the_batch_size(practice_a, finance_a, monkeypatch):
    from reports.services import reconciliation

    monkeypatch.setattr(reconciliation, "FIRST_BATCH_SIZE", 1)
    monkeypatch.setattr(reconciliation, "BATCH_SIZE", 4)
    sizes = []
    real_columns = upload_services._stored_columns

    def recorded(lines):
        sizes.append(len(lines))
        return real_columns(lines)

    monkeypatch.setattr(upload_services, "_stored_columns", recorded)
    first = _seven_lines_then_two_repeated(practice_a, finance_a)

    assert sizes == [1, 2, 4, 1, 2]
    stored = list(PurchaseLine.objects.filter(upload=first).order_by("row_number").values_list("row_number", "sku"))
    assert stored == [(n + 1, f"SKU-{n}") for n in range(1, 8)]


def test_repeats_are_found_for_invoice_numbers_with_quotes_commas_braces_and_backslashes(practice_a, finance_a):
    # On PostgreSQL the earlier lines are looked up with the invoices as one array parameter.
    invoices = ['A,"7"', "{B}", "C\\D", "plain"]
    rows = [
        f'2026-03-0{n},Acme Medical,SKU-{n},Item {n},1,EA,1.00,,"{v.replace(chr(34), 2 * chr(34))}"'
        for n, v in enumerate(invoices, 1)
    ]
    first = upload_create(practice=practice_a, user=finance_a, file=csv_upload(csv_rows(*rows), name="a.csv"))
    upload_process(upload_id=first.id, practice_id=practice_a.id)
    second = upload_create(
        practice=practice_a, user=finance_a, file=csv_upload(csv_rows(*reversed(rows)), name="b.csv")
    )
    upload_process(upload_id=second.id, practice_id=practice_a.id)

    earlier = dict(PurchaseLine.objects.filter(upload=first).values_list("invoice_number", "id"))
    assert sorted(earlier) == sorted(invoices)
    repeats = dict(PurchaseLine.objects.filter(upload=second).values_list("invoice_number", "repeat_of_id"))
    assert repeats == earlier


def test_failure_in_a_later_batch_leaves_no_lines(practice_a, finance_a, monkeypatch):
    from reports.services import reconciliation

    monkeypatch.setattr(reconciliation, "BATCH_SIZE", 2)
    real_columns = upload_services._stored_columns
    calls = []

    def fail_third_batch(lines):
        calls.append(len(lines))
        if len(calls) == 3:
            raise ValueError("broken batch")
        return real_columns(lines)

    monkeypatch.setattr(upload_services, "_stored_columns", fail_third_batch)
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload(_seven_lines()))

    result = upload_process(upload_id=upload.id, practice_id=practice_a.id)

    assert calls == [2, 2, 2]
    assert result.status == PurchaseUpload.Status.FAILED
    assert result.error == upload_services.UNEXPECTED_FAILURE
    assert PurchaseLine.objects.count() == 0


def test_failure_after_the_lines_are_written_rolls_them_back(practice_a, finance_a, monkeypatch):
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload())
    written = []

    def refuse(upload, errors):
        written.append(upload.lines.count())
        raise IntegrityError("refused")

    monkeypatch.setattr(upload_services, "_rejected_rows_insert", refuse)
    result = upload_process(upload_id=upload.id, practice_id=practice_a.id)
    assert written == [2]  # the lines were in the table when the failure came
    assert result.status == PurchaseUpload.Status.FAILED
    assert PurchaseLine.objects.count() == 0
    assert RejectedRow.objects.count() == 0


def test_unparseable_file_marks_the_upload_failed_with_the_reason(practice_a, finance_a, monkeypatch):
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload())

    def no_header(path, **kwargs):
        raise upload_services.ingest.IngestError("No header row found")

    monkeypatch.setattr(upload_services.ingest, "ingest_file", no_header)
    result = upload_process(upload_id=upload.id, practice_id=practice_a.id)
    assert (result.status, result.error) == (PurchaseUpload.Status.FAILED, "No header row found")


def test_task_refuses_an_upload_of_another_practice(practice_a, practice_b, finance_a):
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload())
    with pytest.raises(PermissionDenied):
        upload_process(upload_id=upload.id, practice_id=practice_b.id)
    upload.refresh_from_db()
    assert upload.status == PurchaseUpload.Status.QUEUED
    assert PurchaseLine.objects.count() == 0


def test_done_upload_is_not_processed_again(processed_upload, monkeypatch):
    monkeypatch.setattr(upload_services.ingest, "ingest_file", lambda *a, **k: pytest.fail("re-parsed"))
    again = upload_process(upload_id=processed_upload.id, practice_id=processed_upload.practice_id)
    assert again.status == PurchaseUpload.Status.DONE
    assert processed_upload.lines.count() == 2


def test_retried_upload_replaces_its_lines(processed_upload):
    PurchaseUpload.objects.filter(pk=processed_upload.pk).update(status=PurchaseUpload.Status.FAILED)
    again = upload_process(upload_id=processed_upload.id, practice_id=processed_upload.practice_id)
    assert again.status == PurchaseUpload.Status.DONE
    assert processed_upload.lines.count() == 2
    assert processed_upload.rejected_rows.count() == 1


def test_progress_writer_stores_the_share_of_parsing(processed_upload):
    write = upload_services._progress_writer(processed_upload.id, start=0, share=70)
    write(50)
    processed_upload.refresh_from_db()
    assert processed_upload.progress == 35


def test_the_file_is_parsed_while_the_catalog_loads_and_the_caller_stores_its_progress(
    practice_a, finance_a, monkeypatch
):
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload())
    catalog_loading = threading.Event()
    real_parse, real_load, real_writer = (
        upload_services.ingest.ingest_file,
        upload_services.reconcile_context_load,
        upload_services._progress_writer,
    )
    writes = []

    def parse(path, **kwargs):
        # Finishes only once the catalog has begun loading: the two must run at the same time.
        if not catalog_loading.wait(timeout=5):
            raise RuntimeError("the catalog was not loading while the file was parsed")
        return real_parse(path, **kwargs)

    def load():
        catalog_loading.set()
        return real_load()

    def writer(upload_id, **kwargs):
        write = real_writer(upload_id, **kwargs)

        def recorded(percent):
            writes.append((percent, threading.get_ident()))
            write(percent)

        return recorded

    monkeypatch.setattr(upload_services.ingest, "ingest_file", parse)
    monkeypatch.setattr(upload_services, "reconcile_context_load", load)
    monkeypatch.setattr(upload_services, "_progress_writer", writer)
    result = upload_process(upload_id=upload.id, practice_id=practice_a.id)

    assert (result.status, result.rows_accepted) == (PurchaseUpload.Status.DONE, 2)
    assert [percent for percent, _ in writes] == [5, 40, 100]  # the parser's reports, in order
    assert {thread for _, thread in writes} == {threading.get_ident()}  # stored from the connection's thread


def test_delete_removes_lines_rejected_rows_upload_and_file(processed_upload, finance_a, settings, monkeypatch, broker):
    refreshed = []
    monkeypatch.setattr(
        upload_services, "savings_summary_refresh", lambda practice_ids, cause: refreshed.append((practice_ids, cause))
    )
    practice_id = processed_upload.practice_id
    with broker.worker():
        upload_delete(upload=processed_upload, user=finance_a)
    assert PurchaseUpload.objects.count() == 0
    assert PurchaseLine.objects.count() == 0
    assert RejectedRow.objects.count() == 0
    assert _stored_files(settings) == []
    assert refreshed == [([practice_id], "upload_deleted")]


def test_delete_clears_repeats_pointing_at_the_deleted_lines(processed_upload, finance_a):
    original = processed_upload.lines.first()
    later = PurchaseLineFactory(upload=PurchaseUploadFactory(practice=processed_upload.practice), repeat_of=original)
    upload_delete(upload=processed_upload, user=finance_a)
    later.refresh_from_db()
    assert later.repeat_of_id is None


def test_finance_of_another_practice_cannot_delete(processed_upload, finance_b):
    with pytest.raises(PermissionDenied):
        upload_delete(upload=processed_upload, user=finance_b)
    assert PurchaseLine.objects.count() == 2


def test_viewer_cannot_delete(processed_upload, make_member, practice_a):
    with pytest.raises(PermissionDenied):
        upload_delete(upload=processed_upload, user=make_member(Role.VIEWER, practice_a))


def test_preview_reads_the_first_rows_and_writes_nothing(practice_a, finance_a, settings):
    found = upload_preview(practice=practice_a, user=finance_a, file=csv_upload())
    assert found.headers[:3] == ["Date", "Vendor", "SKU"]
    assert found.mapping["vendor_name"] == "Vendor"
    assert len(found.sample_rows) == 3
    assert PurchaseUpload.objects.count() == 0
    assert _stored_files(settings) == []


NOTES_CSV = csv_rows(
    "2026-03-15,Acme Medical,00123,Nitrile gloves,10,EA,2.50,25.00,INV-1,Box of 100",
    header="Date,Vendor,SKU,Description,Qty,UOM,Unit Price,Extended,Invoice,Notes",
)


def test_corrected_mapping_is_remembered_for_the_same_header_layout(practice_a, finance_a, broker):
    found = upload_preview(practice=practice_a, user=finance_a, file=csv_upload(NOTES_CSV))
    corrected = {**found.mapping, "description": "Notes"}
    upload_mapping_save(practice=practice_a, header_signature=found.header_signature, mapping=corrected)

    assert upload_preview(practice=practice_a, user=finance_a, file=csv_upload(NOTES_CSV)).mapping["description"] == (
        "Notes"
    )
    with broker.worker():
        upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload(NOTES_CSV))
    assert upload.lines.get().description == "Box of 100"


def test_mapping_save_updates_the_preset_for_a_layout(practice_a):
    upload_mapping_save(practice=practice_a, header_signature="abc", mapping={"sku": "Item"})
    upload_mapping_save(practice=practice_a, header_signature="abc", mapping={"sku": "Item No", "uom": ""})
    assert list(ColumnMappingPreset.objects.values_list("mapping", flat=True)) == [{"sku": "Item No", "uom": ""}]


def test_upload_from_a_path_uses_the_file_name(practice_a, finance_a, tmp_path):
    path = tmp_path / "april.csv"
    path.write_bytes(PURCHASES_CSV)
    upload = upload_create(practice=practice_a, user=None, file=str(path))
    assert (upload.original_filename, upload.uploaded_by) == ("april.csv", None)


def test_workbook_sheet_is_chosen_and_read_from_the_extensionless_stored_file(practice_a, finance_a, broker):
    from tests.reports.upload_samples import purchases_xlsx

    file = csv_upload(purchases_xlsx(), name="march.xlsx")
    with broker.worker():
        upload = upload_create(practice=practice_a, user=finance_a, file=file, sheet="Purchases")
    upload.refresh_from_db()
    assert upload.status == PurchaseUpload.Status.DONE, upload.error
    assert (upload.file_format, upload.sheet_name, upload.header_row) == ("xlsx", "Purchases", 2)
    assert (upload.rows_total, upload.rows_accepted, upload.rows_skipped) == (2, 2, 1)
    assert upload.accepted_total == Decimal("41.00")
    assert list(upload.lines.values_list("sku", flat=True)) == ["00123", "456"]


def test_csv_named_xlsx_is_refused_by_content(practice_a, finance_a):
    with pytest.raises(ApplicationError, match=r"named \.xlsx"):
        upload_create(practice=practice_a, user=finance_a, file=csv_upload(name="march.xlsx"))
    assert PurchaseUpload.objects.count() == 0


def test_task_for_an_upload_deleted_before_its_turn_does_nothing(practice_a):
    from reports.tasks import upload_process as upload_process_task

    assert upload_process_task.apply(args=(987_654, practice_a.id)).get() == "missing"


def _grouped(practice, *, use_summary, dimensions, start=None, end=None):
    """Grouped sums keyed by status and the dimensions, rows of one key added up (the summary may hold several)."""
    from reports.selectors.savings import grouped_rows

    rows = grouped_rows(
        practice_ids=[practice.id], start=start, end=end, dimensions=dimensions, use_summary=use_summary
    )
    names = {"status", "month", "unresolved_vendor_name"}
    merged: dict[tuple, list[Decimal]] = {}
    for row in rows:
        key = tuple(row[d if d in names else f"{d}_id"] for d in ("status", *dimensions))
        sums = merged.setdefault(key, [Decimal(0)] * 5)
        for i, name in enumerate(("spend", "savings", "overcharge", "missed_savings", "line_count")):
            sums[i] += Decimal(row[name])
    return {key: sums for key, sums in merged.items() if any(sums)}


def test_uploads_summary_rows_equal_the_lines_for_every_breakdown_and_period(practice_a, finance_a):
    from tests.factories import CategoryFactory, ContractItemFactory, ContractPriceFactory, ParticipationFactory

    for name, category in (("Acme Medical", "Film"), ("Bravo Imaging", "Contrast")):
        vendor = VendorFactory(name=name, category=CategoryFactory(name=category))
        contract = ParticipationFactory(practice=practice_a, contract__vendor=vendor).contract
        for sku in ("A-1", "A-2"):
            ContractPriceFactory(item=ContractItemFactory(contract=contract, vendor_sku=f"{name[0]}{sku}"))
    first = csv_rows(
        "2026-01-30,Acme Medical,AA-1,Film,2,EA,80.00,,INV-1",
        "2026-01-31,Acme Medical,AA-2,Film,1,EA,95.10,,INV-1",  # overcharged
        "2026-02-01,Bravo Imaging,BA-1,Dye,-1,EA,80.00,,INV-2",  # a return
        "2026-02-01,Zed Office Supply,Z-9,Paper,3,EA,4.25,,INV-3",  # unresolved vendor
        "2026-03-15,Bravo Imaging,ZZ-7,Other,1,EA,12.34,,INV-4",  # off contract
    )
    second = csv_rows(
        "2026-01-31,Acme Medical,AA-2,Film,1,EA,95.10,,INV-1",  # repeats the first file's line
        "2026-02-01,Zed Office Supply,Z-9,Paper,5,EA,4.25,,INV-9",
        "2026-03-01,Acme Medical,AA-1,Film,4,EA,80.00,,INV-10",
    )
    for content, name in ((first, "first.csv"), (second, "second.csv")):
        upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload(content, name=name))
        assert upload_process(upload_id=upload.id, practice_id=practice_a.id).status == PurchaseUpload.Status.DONE
    assert PurchaseLine.objects.filter(repeat_of__isnull=False).count() == 1

    periods = ((None, None), (date(2026, 1, 31), date(2026, 2, 1)), (date(2026, 2, 1), date(2026, 3, 31)))
    every = (
        ("month", "vendor", "unresolved_vendor_name"),
        ("month", "category"),
        ("contract",),
        ("vendor", "unresolved_vendor_name", "contract"),
    )
    for dimensions in every:
        for start, end in periods:
            summary = _grouped(practice_a, use_summary=True, dimensions=dimensions, start=start, end=end)
            lines = _grouped(practice_a, use_summary=False, dimensions=dimensions, start=start, end=end)
            assert summary == lines, (dimensions, start, end)
    assert SavingsSummary.objects.filter(practice=practice_a).exists()


def test_summary_rows_asked_for_between_batches_still_sum_every_batch(practice_a, finance_a, monkeypatch):
    from reports.services import reconciliation
    from reports.services.savings import SummaryRows

    monkeypatch.setattr(reconciliation, "BATCH_SIZE", 2)
    added = []
    real_add = SummaryRows.add

    def recorded(self, batch, *, vendor_names):
        added.append((batch, vendor_names))
        real_add(self, batch, vendor_names=vendor_names)

    monkeypatch.setattr(SummaryRows, "add", recorded)
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload(_seven_lines()))
    upload_process(upload_id=upload.id, practice_id=practice_a.id)
    monkeypatch.undo()  # replay into fresh rows without recording again
    assert len(added) == 4

    at_the_end, in_between = SummaryRows(), SummaryRows()
    for batch, names in added:
        at_the_end.add(batch, vendor_names=names)
        in_between.columns()
        in_between.add(batch, vendor_names=names)
    expected = at_the_end.columns()
    assert expected is not None
    # All seven lines once in each breakdown's month row.
    assert pa.table(expected).column("line_count").to_pylist().count(7) == len(SavingsSummary.Breakdown)
    assert pa.table(in_between.columns()).equals(pa.table(expected))


def test_an_upload_to_a_practice_with_lines_but_no_summary_rebuilds_it_whole(practice_a, finance_a):
    old = PurchaseLineFactory(
        upload=PurchaseUploadFactory(practice=practice_a),
        practice=practice_a,
        status="non_gpo_vendor",
        purchase_date=date(2026, 3, 3),
        spend=Decimal("40.00"),
    )
    upload = upload_create(practice=practice_a, user=finance_a, file=csv_upload())
    upload_process(upload_id=upload.id, practice_id=practice_a.id)

    summary = _grouped(practice_a, use_summary=True, dimensions=("month",))
    assert summary == _grouped(practice_a, use_summary=False, dimensions=("month",))
    assert sum(sums[0] for sums in summary.values()) == old.spend + upload.lines.aggregate(Sum("spend"))["spend__sum"]
