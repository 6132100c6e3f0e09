"""Query building blocks over the purchase line table: which lines count, of which practices, in which periods,
and exact cent sums. Selectors (reads, scoped to the caller) and services (writes that refresh summaries) both
build on them; nothing here checks who is asking."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import BigIntegerField, Case, CharField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Round

from reports.models import PurchaseLine

Status = PurchaseLine.Status

# Resolved vendors' spellings fold into the vendor; unresolved lines group by the name as given (DESIGN §4.1).
UNRESOLVED_VENDOR_NAME = Case(
    When(vendor__isnull=True, then=F("vendor_name")), default=Value(""), output_field=CharField()
)


def cents_sum(field_name: str, condition: Q | None = None) -> Sum:
    """Sum of a money column (of the rows meeting `condition`, when given) as integer cents: exact on every backend.

    SQLite keeps decimals as floating point and would add them as floats; summing whole cents (each stored amount
    has exactly two places) keeps millions of lines exact to the cent on SQLite and PostgreSQL alike.
    """
    return Sum(Cast(Round(F(field_name) * Value(100)), output_field=BigIntegerField()), filter=condition)


def from_cents(value: int | Decimal | None) -> Decimal:
    """Integer cents (from `cents_sum`) as a Decimal amount with two places."""
    return Decimal(int(value or 0)).scaleb(-2)


def counted_lines() -> QuerySet[PurchaseLine]:
    """Lines that count in totals: reconciled (not pending) and not a repeat (DESIGN §4.9)."""
    return PurchaseLine.objects.filter(repeat_of__isnull=True).exclude(status=Status.PENDING)


def lines_of_practices(lines: QuerySet[PurchaseLine], practice_ids: Iterable[int]) -> QuerySet[PurchaseLine]:
    """The lines of these practices, reached through their uploads.

    The line table has no practice, date or invoice index (each would cost every upload's COPY 2-5 s per million
    lines): reads go from the practices' uploads to their lines by the (upload, row) index. The lines' own
    practice is filtered too, so the scope never rests on the join alone.
    """
    ids = list(practice_ids)
    return lines.filter(practice_id__in=ids, upload__practice_id__in=ids)


def lines_in_periods(
    lines: QuerySet[PurchaseLine],
    periods: Iterable[tuple[datetime.date | None, datetime.date | None]],
    practice_ids: Iterable[int] | None = None,
) -> QuerySet[PurchaseLine]:
    """The lines (of these practices, when given) purchased within any of the periods (both ends included; None:
    open). No period: no line.

    An upload records the first and last purchase date of its lines, so only the lines of uploads whose span meets
    a period are read. An upload without a recorded span (lines stored some other way) is always read.
    """
    if practice_ids is not None:
        lines = lines_of_practices(lines, practice_ids)
    line_condition, span_condition = Q(pk__in=[]), Q(pk__in=[])
    for low, high in periods:
        if low is None and high is None:
            return lines
        on = Q(purchase_date__gte=low) if low is not None else Q(purchase_date__lte=high)
        span = Q(upload__last_purchase_date__gte=low) if low is not None else Q(upload__first_purchase_date__lte=high)
        if low is not None and high is not None:
            on &= Q(purchase_date__lte=high)
            span &= Q(upload__first_purchase_date__lte=high)
        line_condition |= on
        span_condition |= span
    return lines.filter(line_condition, span_condition | Q(upload__first_purchase_date__isnull=True))
