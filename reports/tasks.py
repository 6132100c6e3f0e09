"""Celery tasks of the reports app: thin wrappers around services (STYLE.md rule 10)."""

from __future__ import annotations

from celery import shared_task

from reports.services.reconciliation import lines_rereconcile_for_vendors as rereconcile


@shared_task
def lines_rereconcile_for_vendors(vendor_ids: list[int]) -> int:
    """Re-reconcile the lines a catalog change of these vendors can affect; returns how many were updated."""
    return rereconcile(vendor_ids=vendor_ids)
