"""Reconciling stored purchase lines against the catalog (DESIGN.md section 4). Filled by the reconciliation issue."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

from reports.models import PurchaseLine


def lines_reconcile(*, queryset: QuerySet[PurchaseLine], progress: Callable[[int], None] | None = None) -> int:
    """Reconcile the given lines (status, money, repeats) and store the results; returns how many were updated."""
    return 0
