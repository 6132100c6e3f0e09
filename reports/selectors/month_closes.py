"""Reads of month closes and their restatements (practice finance leads, executives and coalition staff)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from gpo.members import scoping
from reports.models import MonthClose, Restatement
from reports.selectors.savings import Figures, grouped_rows, next_month

# The published figures of a close, in the order pages and the API list them.
FIGURE_NAMES = ("spend", "on_contract_spend", "savings", "overcharge", "missed_savings")


def month_end(month: datetime.date) -> datetime.date:
    """The last day of the month that begins on `month`."""
    return next_month(month) - datetime.timedelta(days=1)


def month_figures(*, practice_id: int, month: datetime.date) -> Figures:
    """A practice's figures for one whole month, exactly as `/api/savings/` sums them for that period."""
    figures = Figures()
    for row in grouped_rows(practice_ids=[practice_id], start=month, end=month_end(month), dimensions=[]):
        figures.add(row)
    return figures


def month_close_list(*, user: Any) -> QuerySet[MonthClose]:
    """The closes (live and reopened) of the practices the user may see, newest month first, with restatements."""
    closes = MonthClose.objects.select_related("practice", "closed_by", "reopened_by").prefetch_related(
        Prefetch("restatements", queryset=Restatement.objects.order_by("recorded_at", "id"))
    )
    return scoping.scope_to_practices(closes, user=user)


def restatement_list(*, user: Any, practice_ids: list[int] | None) -> QuerySet[Restatement]:
    """Restatements of the given practices' closes (every practice the user may see when None), newest first."""
    restatements = Restatement.objects.select_related("month_close__practice").order_by("-recorded_at", "-id")
    restatements = scoping.scope_to_practices(restatements, user=user, field="month_close__practice")
    if practice_ids is not None:
        restatements = restatements.filter(month_close__practice_id__in=practice_ids)
    return restatements
