"""Keeping the savings summary in step with stored lines (DESIGN.md §4 rules 7-9)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncMonth

from reports.models import PurchaseLine, PurchaseUpload, SavingsSummary
from reports.selectors.savings import UNRESOLVED_VENDOR_NAME, cents_sum, counted_lines

Breakdown = SavingsSummary.Breakdown

# Summary column -> line column of the full grain (one GROUP BY of the lines, read once).
_GRAIN = {
    "practice_id": F("practice_id"),
    "month": TruncMonth("purchase_date"),
    "day": F("purchase_date"),
    "status": F("status"),
    "vendor_id": F("vendor_id"),
    "unresolved_vendor_name": UNRESOLVED_VENDOR_NAME,
    "category_id": F("category_id"),
    "contract_id": F("contract_id"),
}
_MONEY = ("spend_cents", "savings_cents", "overcharge_cents", "missed_savings_cents")
# The columns each breakdown keeps besides practice, month, day and status; the others stay NULL ('' for the name).
_BREAKDOWN_KEYS = {
    Breakdown.VENDOR: ("vendor_id", "unresolved_vendor_name"),
    Breakdown.CATEGORY: ("category_id",),
    Breakdown.CONTRACT: ("contract_id",),
}


@transaction.atomic
def savings_summary_refresh(*, practice_ids: Iterable[int], between: tuple[date, date] | None = None) -> int:
    """Recompute the savings summary rows of these practices from their stored lines; returns the rows written.

    Call it after lines of these practices are reconciled again or deleted: the savings figures read the
    summary, so a practice whose lines changed without a refresh would show stale totals. `between` (first and
    last purchase date of the lines that changed) limits the work to the whole months those dates fall in.
    """
    ids = sorted(set(practice_ids))
    if not ids:
        return 0
    stale = SavingsSummary.objects.filter(practice_id__in=ids)
    lines = counted_lines().filter(practice_id__in=ids)
    if between is not None:
        first_month = between[0].replace(day=1)
        last_month = between[1].replace(day=1)
        after_last = (last_month + timedelta(days=32)).replace(day=1)
        stale = stale.filter(month__gte=first_month, month__lte=last_month)
        lines = lines.filter(purchase_date__gte=first_month, purchase_date__lt=after_last)
    stale.delete()
    return _summary_insert(lines)


@transaction.atomic
def savings_summary_add(*, upload_id: int, practice_id: int) -> int:
    """Add a new upload's lines to its practice's summary; returns the rows written.

    A new upload changes no earlier line (its repeats point back at them), so its own lines' sums are added as
    rows of their own: readers sum every row of a key, so a key may have one row per upload. A practice whose
    summary was never built (lines stored before the summary existed) is rebuilt whole instead.
    """
    if not SavingsSummary.objects.filter(practice_id=practice_id).exists():
        # Looked up by upload (an index), not by practice: the new upload's own lines would all be read first.
        others = PurchaseUpload.objects.filter(practice_id=practice_id).exclude(pk=upload_id).values("pk")
        if PurchaseLine.objects.filter(upload_id__in=others).exists():
            return savings_summary_refresh(practice_ids=[practice_id])
    return _summary_insert(counted_lines().filter(practice_id=practice_id, upload_id=upload_id))


def _summary_insert(lines: QuerySet[Any]) -> int:
    """Insert the summary rows of these lines (day and month rows of every breakdown); returns how many.

    The database does the work, nothing passes through Python: one scan groups the lines by day at the full grain,
    and each breakdown's day rows and month rows are grouped from that (all integer cents).
    """
    full = (
        lines.annotate(**{f"k_{name}": expression for name, expression in _GRAIN.items()})
        .values(*(f"k_{name}" for name in _GRAIN))
        .annotate(
            **{f"k_{name}": cents_sum(name.removesuffix("_cents")) for name in _MONEY},
            k_line_count=Count("id"),
        )
        .order_by()
    )
    full_sql, params = _select_sql(full, [*_GRAIN, *_MONEY, "line_count"])
    quote = connection.ops.quote_name
    table = quote(SavingsSummary._meta.db_table)
    columns = ["breakdown", *_GRAIN, *_MONEY, "line_count"]
    selects = []
    for breakdown, keys in _BREAKDOWN_KEYS.items():
        for grain in ("day", "month"):
            # Month rows carry a NULL day; every key column outside the breakdown is NULL ('' for the name).
            group = ["practice_id", "month", *(["day"] if grain == "day" else []), "status", *keys]
            values = [f"'{breakdown.value}'"]
            for column in _GRAIN:
                if column in group:
                    values.append(quote(column))
                elif column == "day":
                    values.append("CAST(NULL AS DATE)")
                else:
                    values.append("''" if column == "unresolved_vendor_name" else "CAST(NULL AS BIGINT)")
            values += [f"SUM({quote(column)})" for column in [*_MONEY, "line_count"]]
            selects.append(
                f"SELECT {', '.join(values)} FROM full_grain GROUP BY {', '.join(quote(column) for column in group)}"
            )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Lines just stored have no statistics yet: the planner expects one row and sorts them by text (slow
            # under a locale's collation) where hashing is right at any size. A million-line upload has ~10^5
            # groups: hashed in memory they take a second, spilled to disk several.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(
            f"WITH full_grain AS ({full_sql}) INSERT INTO {table} ({', '.join(map(quote, columns))}) "
            + " UNION ALL ".join(selects),
            params,
        )
        written = max(cursor.rowcount, 0)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_sort TO DEFAULT")
            cursor.execute("SET LOCAL work_mem TO DEFAULT")
        return written


def _select_sql(queryset: QuerySet[Any], columns: list[str]) -> tuple[str, tuple[Any, ...]]:
    """The queryset's SQL with its `k_<column>` selections renamed to the given column names, in that order."""
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    selected = [alias for _, _, alias in compiler.select]
    if selected != [f"k_{column}" for column in columns]:
        raise AssertionError(f"Unexpected SELECT order {selected}")
    quote = connection.ops.quote_name
    names = ", ".join(f"{quote(f'k_{column}')} AS {quote(column)}" for column in columns)
    return f"SELECT {names} FROM ({sql}) grouped", tuple(params)
