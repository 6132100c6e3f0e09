"""Celery tasks of the reports app: thin wrappers taking ids and calling one service (STYLE.md rule 10)."""

from __future__ import annotations

from celery import shared_task

from reports.models import PurchaseUpload
from reports.services import upload_recovery
from reports.services import uploads as upload_services
from reports.services.reconciliation import lines_rereconcile_for_vendors as rereconcile


# acks_late and reject_on_worker_lost come from the settings (CELERY_TASK_*); the time limits from
# CELERY_TASK_ANNOTATIONS. The service is idempotent: a redelivered message for a done upload does nothing.
@shared_task(name="reports.upload_process")
def upload_process(upload_id: int, practice_id: int) -> str:
    """Parse, store and reconcile one upload; the practice id is re-checked by the service."""
    try:
        upload = upload_services.upload_process(upload_id=upload_id, practice_id=practice_id)
    except PurchaseUpload.DoesNotExist:  # deleted before its turn came: nothing to do
        return "missing"
    return str(upload.status)


@shared_task(name="reports.uploads_sweep_stale")
def uploads_sweep_stale() -> int:
    """Fail uploads a lost worker left in progress (run by Celery beat); returns how many were failed."""
    return len(upload_recovery.uploads_sweep_stale())


def catalog_change_rereconcile(vendor_ids: set[int]) -> None:
    """DESIGN §4 (last line): when a contract or price changes, the affected lines are reconciled again (in the
    background). A catalog change listener (settings.CATALOG_CHANGE_LISTENERS)."""
    lines_rereconcile_for_vendors.delay(sorted(vendor_ids))


@shared_task
def lines_rereconcile_for_vendors(vendor_ids: list[int]) -> int:
    """Re-reconcile the lines a catalog change of these vendors can affect; returns how many were updated."""
    return rereconcile(vendor_ids=vendor_ids)


@shared_task(name="reports.monthly_summaries_send")
def monthly_summaries_send() -> int:
    """Send last month's summary to every practice's executives (Celery beat, the 1st of each month)."""
    from django.utils import timezone

    from reports.services.summaries import monthly_summaries_send as send

    return sum(send(today=timezone.localdate()).values())
