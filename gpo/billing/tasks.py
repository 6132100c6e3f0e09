"""Celery tasks for dues (thin wrappers around services)."""

from __future__ import annotations

from celery import shared_task

from gpo.billing import services


@shared_task(name="billing.membership_statuses_refresh")
def membership_statuses_refresh() -> int:
    """Lapse past-due practices whose grace period has run out (run hourly by `celery beat`)."""
    return services.membership_statuses_refresh()
