"""Celery tasks of the reports app: thin wrappers taking ids and calling one service (STYLE.md rule 10)."""

from __future__ import annotations

from celery import shared_task

from reports.services import uploads as upload_services
from reports.services.reconciliation import lines_rereconcile_for_vendors as rereconcile


@shared_task(name="reports.upload_process")
def upload_process(upload_id: int, practice_id: int) -> str:
    """Parse, store and reconcile one upload; the practice id is re-checked by the service."""
    upload = upload_services.upload_process(upload_id=upload_id, practice_id=practice_id)
    return str(upload.status)


@shared_task
def lines_rereconcile_for_vendors(vendor_ids: list[int]) -> int:
    """Re-reconcile the lines a catalog change of these vendors can affect; returns how many were updated."""
    return rereconcile(vendor_ids=vendor_ids)
