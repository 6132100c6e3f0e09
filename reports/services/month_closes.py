"""Month close: publishing a practice's month and recording every later change to it as a restatement."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from gpo.errors import ApplicationError, ConflictError
from gpo.members.models import Practice
from gpo.members.rights import Right, right_require
from gpo.money import ZERO
from reports.models import MonthClose, PurchaseUpload, Restatement
from reports.selectors.month_closes import FIGURE_NAMES, month_end, month_figures
from reports.selectors.savings import Figures

IN_FLIGHT = (PurchaseUpload.Status.QUEUED, PurchaseUpload.Status.PARSING, PurchaseUpload.Status.RECONCILING)


def _figure_values(figures: Figures) -> dict[str, Decimal]:
    return {name: getattr(figures, name) for name in FIGURE_NAMES}


@transaction.atomic
def month_close_create(*, practice: Practice, month: datetime.date, user: Any) -> MonthClose:
    """Close (publish) a practice's month once it has ended and none of the practice's uploads is in flight.

    `user` None is the system itself (seed_demo, commands), which needs no right."""
    if user is not None:
        right_require(user, practice, Right.MONTH_CLOSE)
    month = month.replace(day=1)
    if month_end(month) >= timezone.localdate():
        raise ApplicationError(f"{month:%Y-%m} has not ended yet: a month is closed once it is over.")
    if PurchaseUpload.objects.filter(practice=practice, status__in=IN_FLIGHT).exists():
        raise ApplicationError("An upload of this practice is still being processed: close the month once it is in.")
    if MonthClose.objects.filter(practice=practice, month=month, reopened_at__isnull=True).exists():
        raise ConflictError(f"{month:%Y-%m} is already closed for {practice.name}.")
    figures = month_figures(practice_id=practice.id, month=month)
    close = MonthClose(
        practice=practice,
        month=month,
        closed_by=user,
        closed_at=timezone.now(),
        line_count=figures.lines,
        **_figure_values(figures),
    )
    close.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            close.save()
    except IntegrityError as exc:  # a concurrent close of the same month won the race
        raise ConflictError(f"{month:%Y-%m} is already closed for {practice.name}.") from exc
    return close


@transaction.atomic
def month_close_reopen(*, month_close: MonthClose, user: Any, reason: str) -> MonthClose:
    """Reopen a closed month (coalition admins), saying why; its restatements stay as they were recorded."""
    right_require(user, month_close.practice, Right.MONTH_REOPEN)
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the month is reopened.")
    month_close = MonthClose.objects.select_for_update().get(pk=month_close.pk)
    if month_close.reopened_at is not None:
        raise ConflictError(f"{month_close.month:%Y-%m} was already reopened.")
    month_close.reopened_at = timezone.now()
    month_close.reopened_by = user
    month_close.reopen_reason = reason
    month_close.full_clean(validate_constraints=False)
    month_close.save(update_fields=["reopened_at", "reopened_by", "reopen_reason", "updated_at"])
    return month_close


def published_figures(month_close: MonthClose) -> dict[str, Decimal]:
    """The figures as last published: those at close plus every restatement's deltas (and the line count)."""
    published = {name: getattr(month_close, name) for name in FIGURE_NAMES}
    published["line_count"] = Decimal(month_close.line_count)
    for restatement in month_close.restatements.all():
        for name in FIGURE_NAMES:
            published[name] += getattr(restatement, f"{name}_delta")
        published["line_count"] += restatement.line_count_delta
    return published


@transaction.atomic
def month_closes_restate(
    *,
    practice_ids: Iterable[int],
    cause: str,
    between: tuple[datetime.date, datetime.date] | None = None,
) -> list[Restatement]:
    """Record a restatement for every closed month of these practices whose figures no longer match what was
    published; `between` limits the check to the months of those purchase dates. Returns the restatements made.

    Called wherever the savings figures change (reports.services.savings), so no path changes a published figure
    without leaving a restatement behind.
    """
    closes = MonthClose.objects.filter(practice_id__in=list(practice_ids), reopened_at__isnull=True)
    if between is not None:
        closes = closes.filter(Q(month__gte=between[0].replace(day=1)) & Q(month__lte=between[1]))
    made = []
    for month_close in closes.prefetch_related("restatements").order_by("month", "id"):
        now = month_figures(practice_id=month_close.practice_id, month=month_close.month)
        published = published_figures(month_close)
        deltas = {name: getattr(now, name) - published[name] for name in FIGURE_NAMES}
        line_delta = now.lines - int(published["line_count"])
        if all(delta == ZERO for delta in deltas.values()) and line_delta == 0:
            continue
        made.append(
            Restatement.objects.create(
                month_close=month_close,
                cause=cause,
                line_count_delta=line_delta,
                **{f"{name}_delta": delta for name, delta in deltas.items()},
            )
        )
    return made
