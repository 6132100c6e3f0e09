"""Purchase uploads: store a finance file, parse it, keep its lines all-or-nothing (DESIGN.md section 5)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from gpo.errors import ApplicationError, ConflictError, PayloadTooLargeError
from gpo.jobs import run_after_commit
from gpo.members.models import Practice
from gpo.members.rights import Right, right_require
from gpo.money import cents
from reports import ingest
from reports.models import ColumnMappingPreset, PurchaseLine, PurchaseUpload, RejectedRow, UploadAuditEntry
from reports.services.line_store import decimal_array, line_references_lock, lines_insert_batches, text_column
from reports.services.reconciliation import (
    ReconcileContext,
    lines_reconcile,
    lines_reconciled_batches,
    reconcile_context_load,
    result_columns,
)
from reports.services.savings import SummaryRows, savings_summary_add, savings_summary_refresh

logger = logging.getLogger(__name__)

UploadSource = UploadedFile | str | os.PathLike[str]

# Share of the progress bar spent parsing; the rest is storing and reconciling.
PARSE_PROGRESS_SHARE = 70
# First key of the advisory locks that claim an upload for processing (the second is its id); line_store uses 4_710_213.
UPLOAD_CLAIM_NAMESPACE = 4_710_214
_CHUNK = 1024 * 1024
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")

# Column widths of PurchaseLine (PostgreSQL refuses longer text; SQLite would silently keep it).
_TEXT_LIMITS = {
    "vendor_name": 300,
    "sku": 120,
    "mfr_part_number": 120,
    "description": 500,
    "uom": 40,
    "invoice_number": 80,
    "po_number": 80,
}


def filename_sanitise(name: str) -> str:
    """The user's file name as safe metadata: base name only, no control characters, at most 255 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = _CONTROL_CHARS.sub("", base).strip().strip(".") or "upload"
    return cleaned[:255]


def _upload_permission_check(*, practice: Practice, user: Any) -> None:
    if user is None:  # management commands act as the system
        return
    right_require(user, practice, Right.UPLOADS)


def _source_name(file: UploadSource) -> str:
    if isinstance(file, UploadedFile):
        return file.name or "upload"
    return Path(file).name


def _source_size(file: UploadSource) -> int:
    if isinstance(file, UploadedFile):
        return int(file.size or 0)
    try:
        return Path(file).stat().st_size
    except OSError as exc:
        raise ApplicationError(f"The file cannot be read: {Path(file).name}.") from exc


def _size_check(size: int) -> None:
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise PayloadTooLargeError(
            f"The file is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB. "
            "Split it into smaller files or export a shorter period."
        )


def _chunks(file: UploadSource) -> Iterator[bytes]:
    if isinstance(file, UploadedFile):
        file.seek(0)
        yield from file.chunks(_CHUNK)
        return
    try:
        with open(file, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                yield chunk
    except OSError as exc:
        raise ApplicationError(f"The file cannot be read: {Path(file).name}.") from exc


@contextlib.contextmanager
def _staged(file: UploadSource) -> Iterator[tuple[Path, str, int]]:
    """Copy the upload to a private temporary file, hashing it and capping the bytes actually read."""
    limit = settings.UPLOAD_MAX_BYTES
    digest = hashlib.sha256()
    size = 0
    handle, name = tempfile.mkstemp(prefix="gpo-upload-")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in _chunks(file):
                size += len(chunk)
                if size > limit:  # the declared size can lie
                    _size_check(size)
                digest.update(chunk)
                out.write(chunk)
        yield path, digest.hexdigest(), size
    finally:
        path.unlink(missing_ok=True)


def _format_check(path: Path, *, filename: str) -> str:
    """The format decided by the content (SECURITY.md item 2); a clear 400 otherwise."""
    try:
        file_format = ingest.detect_format(path, filename=filename)
        if file_format in {"xlsx", "xlsm", "ods"}:
            ingest.check_zip_container(path)
    except ingest.IngestError as exc:
        raise ApplicationError(str(exc)) from exc
    return file_format


def _live_upload_of(*, practice: Practice, sha256: str) -> PurchaseUpload | None:
    """The practice's upload of this file that blocks it (done or in flight; a failed one never blocks)."""
    return (
        PurchaseUpload.objects.filter(practice=practice, sha256=sha256)
        .exclude(status=PurchaseUpload.Status.FAILED)
        .first()
    )


def _duplicate_error(first: PurchaseUpload) -> ConflictError:
    when = timezone.localtime(first.created_at).date().isoformat()
    return ConflictError(
        f"This file was already uploaded on {when} as {first.original_filename} (upload {first.public_id})",
        extra={"upload_id": str(first.public_id)},
    )


def _preset_mapping(*, practice: Practice, header_signature: str) -> dict[str, str] | None:
    preset = ColumnMappingPreset.objects.filter(practice=practice, header_signature=header_signature).first()
    return dict(preset.mapping) if preset is not None else None


def _audit(*, upload: PurchaseUpload, action: str, user: Any = None, detail: str = "") -> None:
    """Append the upload's audit record (SECURITY.md item 12): who, when, which file, counts that add up."""
    UploadAuditEntry.objects.create(
        action=action,
        upload_id_recorded=upload.id,
        practice_id=upload.practice_id,
        user=user if getattr(user, "is_authenticated", False) else None,
        original_filename=upload.original_filename,
        stored_name=upload.original_file.name or "",
        sha256=upload.sha256,
        size_bytes=upload.size_bytes,
        rows_total=upload.rows_total,
        rows_accepted=upload.rows_accepted,
        rows_rejected=upload.rows_rejected,
        rows_skipped=upload.rows_skipped,
        detail=detail,
    )


@transaction.atomic
def upload_create(
    *,
    practice: Practice,
    user: Any,
    file: UploadSource,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    filename: str | None = None,
    enqueue: bool = True,
) -> PurchaseUpload:
    """Store a purchase file for a practice (size, type and duplicate checked) and queue its processing.

    `user=None` is the system (management commands); `enqueue=False` leaves processing to the caller.
    """
    _upload_permission_check(practice=practice, user=user)
    _size_check(_source_size(file))
    original_filename = filename_sanitise(filename or _source_name(file))
    with _staged(file) as (path, sha256, size):
        file_format = _format_check(path, filename=original_filename)
        upload = PurchaseUpload(
            practice=practice,
            uploaded_by=user,
            original_filename=original_filename,
            file_format=file_format,
            size_bytes=size,
            sha256=sha256,
            sheet_name=sheet or "",
            column_mapping=dict(mapping or {}),
            status=PurchaseUpload.Status.QUEUED,
        )
        with open(path, "rb") as handle:
            # upload_to generates the stored name (practice id + random); the user's name is never used.
            upload.original_file.save("upload", File(handle), save=False)
    stored_name = upload.original_file.name
    try:
        # The same file twice is refused by the unique constraint itself, never by a look beforehand: a look passes
        # for both of two simultaneous uploads (and full_clean's constraint check is such a look, so it is left to
        # the database).
        upload.full_clean(exclude=["original_file"], validate_constraints=False)
        with transaction.atomic():
            upload.save()
    except Exception as exc:
        upload.original_file.storage.delete(stored_name)
        first = _live_upload_of(practice=practice, sha256=sha256) if isinstance(exc, IntegrityError) else None
        if first is not None:
            raise _duplicate_error(first) from exc
        raise
    _audit(upload=upload, action=UploadAuditEntry.Action.RECEIVED, user=user)
    if enqueue:
        upload_id, practice_id = upload.id, practice.id
        run_after_commit(lambda: _enqueue(upload_id, practice_id))
    return upload


def _enqueue(upload_id: int, practice_id: int) -> None:
    from reports.tasks import upload_process  # tasks import services: import here to keep one direction

    upload_process.delay(upload_id, practice_id)


def upload_preview(
    *,
    practice: Practice,
    user: Any,
    file: UploadSource,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    rows: int = 20,
    filename: str | None = None,
) -> ingest.Preview:
    """The first rows and the detected (or remembered) mapping, by the same parsing code; writes nothing."""
    _upload_permission_check(practice=practice, user=user)
    _size_check(_source_size(file))
    name = filename_sanitise(filename or _source_name(file))
    with _staged(file) as (path, _sha256, _size):
        _format_check(path, filename=name)
        try:
            found = ingest.preview(path, sheet=sheet, mapping=mapping, rows=rows, filename=name)
            if mapping is None:
                remembered = _preset_mapping(practice=practice, header_signature=found.header_signature)
                if remembered:
                    found = ingest.preview(path, sheet=sheet, mapping=remembered, rows=rows, filename=name)
        except ingest.IngestError as exc:
            raise ApplicationError(str(exc)) from exc
    return found


@transaction.atomic
def upload_mapping_save(*, practice: Practice, header_signature: str, mapping: dict[str, str]) -> ColumnMappingPreset:
    """Remember a corrected column mapping for this practice's files with the same header layout."""
    preset = ColumnMappingPreset.objects.filter(practice=practice, header_signature=header_signature).first()
    if preset is None:
        preset = ColumnMappingPreset(practice=practice, header_signature=header_signature)
    preset.mapping = {str(field): str(header) for field, header in mapping.items() if header}
    preset.full_clean()
    preset.save()
    return preset


@contextlib.contextmanager
def _local_path(upload: PurchaseUpload) -> Iterator[Path]:
    """A local path of the stored original (any storage backend: copied to a temporary file when remote)."""
    storage = upload.original_file.storage
    try:
        yield Path(storage.path(upload.original_file.name))
        return
    except NotImplementedError:
        pass
    handle, name = tempfile.mkstemp(prefix="gpo-stored-")
    try:
        with os.fdopen(handle, "wb") as out, storage.open(upload.original_file.name, "rb") as source:
            shutil.copyfileobj(source, out, _CHUNK)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _progress_writer(upload_id: int, *, start: int, share: int) -> Callable[[int], None]:
    """A callback storing progress with its own short update, so pollers see it while work goes on."""
    last = [-1]

    def write(percent: int) -> None:
        value = start + share * max(0, min(100, int(percent))) // 100
        if value != last[0]:
            last[0] = value
            # updated_at is the upload's sign of life for the sweeper (uploads_sweep_stale).
            PurchaseUpload.objects.filter(pk=upload_id).update(progress=value, updated_at=timezone.now())

    return write


def _line_batches(
    upload: PurchaseUpload,
    lines: pd.DataFrame,
    *,
    context: ReconcileContext,
    reconciled_at: datetime,
    summary: SummaryRows,
) -> Iterator[dict[str, Any]]:
    """The accepted lines of an upload, priced against `context` and checked for repeats, as batches of columns.

    The earlier uploads' lines are read here, before the first batch; the batches themselves need no database
    (lines_insert_batches copies each one while the next is priced). Each batch is also summed into `summary` for
    the savings summary.
    """
    size = len(lines)
    if not size:
        return  # every row rejected: no earlier lines to read
    lines = lines.assign(
        practice_id=np.full(size, upload.practice_id, dtype=np.int64),
        upload_id=np.full(size, upload.id, dtype=np.int64),
    )
    for batch in lines_reconciled_batches(lines, context=context):
        columns = _stored_columns(batch.lines) | result_columns(
            batch.results, batch.repeat_of, reconciled_at=reconciled_at
        )
        summary.add(batch, vendor_names=columns["vendor_name"])
        yield columns
    summary.columns()  # summed now, while PostgreSQL is still copying the last batches


def _stored_columns(lines: pd.DataFrame) -> dict[str, Any]:
    """The parsed values of lines as PurchaseLine's database columns."""
    dates = lines["purchase_date"].to_numpy().astype("datetime64[D]")
    return {
        "upload_id": pa.array(lines["upload_id"].to_numpy()),
        "practice_id": pa.array(lines["practice_id"].to_numpy()),
        "row_number": pa.array(lines["row_number"].to_numpy(dtype=np.int64)),
        "purchase_date": pa.array(dates, type=pa.date32()),
        **{name: text_column(pa.array(lines[name], type=pa.string()), limit) for name, limit in _TEXT_LIMITS.items()},
        "quantity": decimal_array(lines["quantity_e4"].to_numpy(), 4),
        "unit_price": decimal_array(lines["unit_price_e4"].to_numpy(), 4),
        "extended_amount": decimal_array(
            lines["extended_cents"].to_numpy(), 2, missing=~lines["has_extended"].to_numpy(dtype=bool)
        ),
    }


def _rejected_rows_insert(upload: PurchaseUpload, errors: list[Any]) -> None:
    RejectedRow.objects.bulk_create(
        (
            RejectedRow(
                upload=upload,
                row_number=error.row,
                column=str(error.column or "")[:200],
                reason=str(error.reason)[:500],
                values=[str(value) if value is not None else "" for value in error.values],
            )
            for error in errors
        ),
        batch_size=5000,
    )


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, ingest.IngestError | ApplicationError):
        return str(exc)
    if isinstance(exc, SoftTimeLimitExceeded):
        minutes = settings.UPLOAD_TASK_SOFT_TIME_LIMIT // 60
        return f"Processing took longer than {minutes} minutes and was stopped; nothing was stored. Split the file."
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"Processing failed and nothing was stored ({type(exc).__name__}: {first_line})"[:500]


def upload_process(*, upload_id: int, practice_id: int | None = None) -> PurchaseUpload:
    """Parse a stored upload and keep its lines and rejected rows in one transaction, then reconcile them.

    Idempotent, for a broker that redelivers: a done upload is left alone, and so is one that a live worker is
    processing (it holds the upload's claim); a redelivered one starts again from no lines. A run that keeps being
    interrupted fails after settings.UPLOAD_MAX_ATTEMPTS. Any failure rolls back every line and rejected row and
    marks the upload failed with the reason (DESIGN.md section 5).
    """
    upload = PurchaseUpload.objects.select_related("practice").get(pk=upload_id)
    if practice_id is not None and upload.practice_id != practice_id:
        # SECURITY.md item 16: the task carries the practice id and re-checks it.
        raise PermissionDenied(f"Upload {upload_id} does not belong to practice {practice_id}.")
    if upload.status == PurchaseUpload.Status.DONE:
        return upload
    with upload_claim(upload.pk, wait_seconds=settings.UPLOAD_CLAIM_WAIT_SECONDS) as claimed:
        upload.refresh_from_db()
        if not claimed or upload.status == PurchaseUpload.Status.DONE:
            return upload  # another worker is on it, or finished it meanwhile
        if _run_begin(upload):
            _upload_run(upload)
    upload.refresh_from_db()
    return upload


@contextlib.contextmanager
def upload_claim(upload_pk: int, *, wait_seconds: float = 0) -> Iterator[bool]:
    """Hold the upload's processing claim while the block runs; yields False when someone else holds it.

    On PostgreSQL a session advisory lock: it is released when the holder's connection closes, so a worker that is
    killed never keeps the claim for long. Its database session can outlive it by a statement (the server notices
    the lost client when the statement ends), so a redelivered task waits up to `wait_seconds` for the claim.
    SQLite serves one process: always claimed.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    claimed = _claim_take(upload_pk, wait_seconds)
    try:
        yield claimed
    finally:
        if claimed:
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [UPLOAD_CLAIM_NAMESPACE, upload_pk])


def _claim_take(upload_pk: int, wait_seconds: float) -> bool:
    key = [UPLOAD_CLAIM_NAMESPACE, upload_pk]
    if wait_seconds <= 0:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            return bool(cursor.fetchone()[0])
    try:
        # A session lock taken inside a (sub)transaction outlives it; the wait limit is put back at once.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('lock_timeout')")
            previous = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(wait_seconds * 1000)}ms"])
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", key)
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
    except OperationalError:  # lock_timeout: a live worker holds it
        return False
    return True


def _run_begin(upload: PurchaseUpload) -> bool:
    """Count a new processing run and mark the upload parsing; False (upload failed or left) when it must not run."""
    attempts = upload.attempts + 1
    if attempts > settings.UPLOAD_MAX_ATTEMPTS:
        reason = (
            f"Processing was interrupted {upload.attempts} times (the worker stopped mid-upload) and nothing was "
            "stored: the file may be too large for the workers. Split it, or retry it."
        )
        _fail(upload, reason)
        return False
    try:
        with transaction.atomic():
            PurchaseUpload.objects.filter(pk=upload.pk).update(
                status=PurchaseUpload.Status.PARSING,
                progress=0,
                error="",
                attempts=attempts,
                updated_at=timezone.now(),
            )
    except IntegrityError:
        # A failed upload being run again while a newer upload of the same file is live: that one counts.
        return False
    upload.attempts = attempts
    return True


def _fail(upload: PurchaseUpload, reason: str) -> None:
    """Mark the upload failed with a reason the user can act on, and record it in the audit trail."""
    now = timezone.now()
    PurchaseUpload.objects.filter(pk=upload.pk).update(
        status=PurchaseUpload.Status.FAILED, error=reason, finished_at=now, updated_at=now
    )
    upload.refresh_from_db()
    _audit(upload=upload, action=UploadAuditEntry.Action.FAILED, detail=upload.error)


def _upload_run(upload: PurchaseUpload) -> None:
    """One processing run: parse, then store and reconcile in one transaction; a failure stores nothing."""
    try:
        result, context = _upload_parse(upload)
        PurchaseUpload.objects.filter(pk=upload.pk).update(
            status=PurchaseUpload.Status.RECONCILING, progress=PARSE_PROGRESS_SHARE + 5, updated_at=timezone.now()
        )
        with transaction.atomic():
            _upload_store(upload, result, context)
            upload.status = PurchaseUpload.Status.DONE
            upload.progress = 100
            upload.finished_at = timezone.now()
            upload.save(update_fields=["status", "progress", "finished_at", "updated_at"])
            _audit(upload=upload, action=UploadAuditEntry.Action.PROCESSED)
    except Exception as exc:
        logger.exception("upload %s failed", upload.pk)
        _fail(upload, _failure_reason(exc))


def _upload_parse(upload: PurchaseUpload) -> tuple[Any, ReconcileContext]:
    """Parse the stored file and, meanwhile, load the catalog its lines will be priced against.

    The file is parsed on a worker thread (Arrow's reader and most of the cleaning run outside the GIL) while this
    thread, which owns the database connection, reads the catalog. The worker touches no database: the progress
    it reports is stored from here.
    """
    mapping = dict(upload.column_mapping) or None
    sheet = upload.sheet_name or None
    with _local_path(upload) as path:
        if mapping is None and ColumnMappingPreset.objects.filter(practice_id=upload.practice_id).exists():
            found = ingest.preview(path, sheet=sheet, rows=1, filename=upload.original_filename)
            mapping = _preset_mapping(practice=upload.practice, header_signature=found.header_signature)
        progress = _progress_writer(upload.pk, start=0, share=PARSE_PROGRESS_SHARE)
        reported: queue.SimpleQueue[int] = queue.SimpleQueue()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload-parse") as pool:
            parsing = pool.submit(
                ingest.ingest_file,
                path,
                sheet=sheet,
                mapping=mapping,
                progress=reported.put,
                filename=upload.original_filename,
            )
            context = reconcile_context_load()
            finished = False
            while not finished:
                finished = bool(futures.wait([parsing], timeout=0.2).done)
                while not reported.empty():
                    progress(reported.get())
            result = parsing.result()
    return result, context


def _upload_store(upload: PurchaseUpload, result: Any, context: ReconcileContext) -> None:
    """Inside the processing transaction: replace the upload's lines and rejected rows and record the counts."""
    upload.lines.all().delete()
    upload.rejected_rows.all().delete()
    summary = SummaryRows()
    batches = _line_batches(upload, result.lines, context=context, reconciled_at=timezone.now(), summary=summary)
    accepted = lines_insert_batches(batches)
    # The summary rows commit with the lines: figures never show a half-added upload.
    savings_summary_add(upload_id=upload.pk, practice_id=upload.practice_id, rows=summary)
    _rejected_rows_insert(upload, result.errors)
    upload.file_format = result.file_format or upload.file_format
    upload.sheet_name = (result.sheet_name or "")[:200]
    upload.header_row = result.header_row
    upload.column_mapping = dict(result.mapping)
    upload.rows_total = result.rows_total
    upload.rows_accepted = accepted
    dates = result.lines["purchase_date"]
    upload.first_purchase_date = dates.min().date() if accepted else None
    upload.last_purchase_date = dates.max().date() if accepted else None
    upload.rows_rejected = result.rows_total - accepted
    upload.rows_skipped = result.rows_skipped
    upload.file_total = cents(result.file_total)
    upload.accepted_total = cents(result.accepted_total)
    upload.error = ""
    upload.save()


@transaction.atomic
def upload_delete(*, upload: PurchaseUpload, user: Any) -> None:
    """Delete an upload with its lines, rejected rows and stored file (finance of its practice or a coalition admin)."""
    if user is not None:
        right_require(user, upload.practice, Right.UPLOADS)
    practice_id = upload.practice_id
    # This transaction updates lines, then deletes lines and the upload they reference: queue behind (and ahead
    # of) other writers of lines now, rather than deadlock with another delete upgrading the same lock.
    line_references_lock()
    # Lines of later uploads that repeated these stop being repeats: reconcile them again afterwards.
    orphaned_ids = list(
        PurchaseLine.objects.filter(repeat_of__upload=upload).exclude(upload=upload).values_list("id", flat=True)
    )
    stored_name = upload.original_file.name
    storage = upload.original_file.storage
    _audit(upload=upload, action=UploadAuditEntry.Action.DELETED, user=user)
    upload.rejected_rows.all().delete()
    PurchaseLine.objects.filter(repeat_of__upload=upload).update(repeat_of=None)
    upload.lines.all().delete()
    upload.delete()
    if orphaned_ids:
        lines_reconcile(queryset=PurchaseLine.objects.filter(id__in=orphaned_ids))
    if stored_name:
        transaction.on_commit(lambda: storage.delete(stored_name))
    run_after_commit(lambda: savings_summary_refresh(practice_ids=[practice_id]))
