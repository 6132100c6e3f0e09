"""Keeping the savings summary in step with stored lines (DESIGN.md §4 rules 7-9)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet, Sum, Value
from django.db.models.functions import TruncMonth

from reports.models import SavingsSummary
from reports.selectors.savings import UNRESOLVED_VENDOR_NAME, cents_sum, counted_lines

Breakdown = SavingsSummary.Breakdown

# The line columns each breakdown keeps (besides practice, month, day and status).
_BREAKDOWN_KEYS: dict[str, dict[str, Any]] = {
    Breakdown.VENDOR: {"vendor_id": F("vendor_id"), "unresolved_vendor_name": UNRESOLVED_VENDOR_NAME},
    Breakdown.CATEGORY: {"category_id": F("category_id"), "unresolved_vendor_name": Value("")},
    Breakdown.CONTRACT: {"contract_id": F("contract_id"), "unresolved_vendor_name": Value("")},
}
_MONEY = ("spend_cents", "savings_cents", "overcharge_cents", "missed_savings_cents")


@transaction.atomic
def savings_summary_refresh(*, practice_ids: Iterable[int]) -> int:
    """Recompute the savings summary rows of these practices from their stored lines; returns the rows written.

    Call it after lines of these practices are created, reconciled again or deleted: the savings figures read the
    summary, so a practice whose lines changed without a refresh would show stale totals.

    The database does the work (INSERT ... SELECT ... GROUP BY): per breakdown, the day rows come from the lines and
    the month rows from the day rows. Nothing passes through Python, so millions of lines refresh in seconds.
    """
    ids = sorted(set(practice_ids))
    if not ids:
        return 0
    SavingsSummary.objects.filter(practice_id__in=ids).delete()
    written = 0
    for breakdown, keys in _BREAKDOWN_KEYS.items():
        days = (
            counted_lines()
            .filter(practice_id__in=ids)
            .annotate(
                k_practice_id=F("practice_id"),
                k_breakdown=Value(breakdown.value),
                k_month=TruncMonth("purchase_date"),
                k_day=F("purchase_date"),
                k_status=F("status"),
                **{f"k_{name}": expression for name, expression in keys.items()},
            )
        )
        written += _insert_grouped(days, {name: cents_sum(name.removesuffix("_cents")) for name in _MONEY}, Count("id"))
        months = SavingsSummary.objects.filter(practice_id__in=ids, breakdown=breakdown, day__isnull=False).annotate(
            k_practice_id=F("practice_id"),
            k_breakdown=F("breakdown"),
            k_month=F("month"),
            k_status=F("status"),
            **{f"k_{name}": F(name) for name in keys},
        )
        written += _insert_grouped(months, {name: Sum(name) for name in _MONEY}, Sum("line_count"))
    return written


def _insert_grouped(queryset: QuerySet[Any], money: dict[str, Any], line_count: Any) -> int:
    """INSERT INTO the summary the rows of `queryset` grouped by its `k_<column>` annotations, with these sums."""
    keys = [name for name in queryset.query.annotations if name.startswith("k_")]
    sums = {f"k_{name}": expression for name, expression in money.items()} | {"k_line_count": line_count}
    grouped = queryset.values(*keys).annotate(**sums).order_by()
    compiler = grouped.query.get_compiler(connection=connection)
    select_sql, params = compiler.as_sql()
    # Columns in the order the SELECT gives them (every selected expression is a `k_` annotation).
    columns = [alias.removeprefix("k_") for _, _, alias in compiler.select]
    table = connection.ops.quote_name(SavingsSummary._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({column_sql}) {select_sql}", params)
        return max(cursor.rowcount, 0)
