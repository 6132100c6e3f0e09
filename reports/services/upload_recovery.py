"""Uploads that a dead worker left behind: the sweeper fails them with a reason, and a failed one can be retried.

DESIGN.md section 5: a worker that dies mid-upload leaves no lines (the store is one transaction) and the upload is
retried or marked failed with the reason, never left in progress. The broker hands the message of a killed pool
child back at once (task_reject_on_worker_lost); a whole worker lost with its messages is what the sweeper is for.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gpo.errors import ConflictError
from gpo.jobs import run_after_commit
from gpo.members.rights import Right, right_require
from reports.models import PurchaseUpload, UploadAuditEntry
from reports.services.uploads import _audit, _duplicate_error, _enqueue, _live_upload_of, upload_claim

IN_PROGRESS = (PurchaseUpload.Status.QUEUED, PurchaseUpload.Status.PARSING, PurchaseUpload.Status.RECONCILING)


def _stale_reason(upload: PurchaseUpload, quiet_for: timedelta) -> str:
    minutes = max(1, int(quiet_for.total_seconds() // 60))
    where = "queued" if upload.status == PurchaseUpload.Status.QUEUED else f"{upload.status} at {upload.progress}%"
    return (
        f"Processing stopped ({where}) and showed no sign of life for {minutes} minutes: the worker was lost. "
        "Nothing was stored; retry the upload."
    )


def uploads_sweep_stale(*, quiet_for: timedelta | None = None) -> list[PurchaseUpload]:
    """Fail the uploads left in progress with no sign of life for `quiet_for` (default: the settings' limit).

    An upload counts as alive while a worker holds its claim (PostgreSQL) or while its progress keeps moving
    (`updated_at`). Each stale upload is failed with the reason and an audit entry; the swept uploads are returned.
    """
    quiet_for = quiet_for if quiet_for is not None else timedelta(seconds=settings.UPLOAD_STALE_AFTER_SECONDS)
    cutoff = timezone.now() - quiet_for
    swept = []
    for upload in PurchaseUpload.objects.filter(status__in=IN_PROGRESS, updated_at__lte=cutoff).order_by("pk"):
        with upload_claim(upload.pk) as claimed:
            if not claimed:
                continue  # a live worker holds it: slow, not lost
            now = timezone.now()
            changed = PurchaseUpload.objects.filter(
                pk=upload.pk, status=upload.status, updated_at=upload.updated_at
            ).update(
                status=PurchaseUpload.Status.FAILED,
                error=_stale_reason(upload, now - upload.updated_at),
                finished_at=now,
                updated_at=now,
            )
            if changed:
                upload.refresh_from_db()
                _audit(upload=upload, action=UploadAuditEntry.Action.FAILED, detail=upload.error)
                swept.append(upload)
    return swept


@transaction.atomic
def upload_retry(*, upload: PurchaseUpload, user: Any) -> PurchaseUpload:
    """Queue a failed upload to be processed again from its kept original (finance of its practice, coalition admin).

    Only a failed upload can be retried (409 otherwise); if the same file was uploaded again meanwhile and that
    upload is live, the answer is 409 pointing at it, as for a new upload of the file.
    """
    if user is not None:
        right_require(user, upload.practice, Right.UPLOADS)
    if upload.status != PurchaseUpload.Status.FAILED:
        raise ConflictError(
            f"Only a failed upload can be retried; this one is {upload.get_status_display().lower()}.",
            extra={"upload_id": str(upload.public_id)},
        )
    try:
        with transaction.atomic():
            PurchaseUpload.objects.filter(pk=upload.pk).update(
                status=PurchaseUpload.Status.QUEUED,
                progress=0,
                error="",
                attempts=0,
                finished_at=None,
                updated_at=timezone.now(),
            )
    except IntegrityError as exc:
        first = _live_upload_of(practice=upload.practice, sha256=upload.sha256)
        if first is None:
            raise
        raise _duplicate_error(first) from exc
    upload.refresh_from_db()
    _audit(upload=upload, action=UploadAuditEntry.Action.RETRIED, user=user)
    upload_id, practice_id = upload.pk, upload.practice_id
    run_after_commit(lambda: _enqueue(upload_id, practice_id))
    return upload
