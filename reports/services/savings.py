"""Keeping the savings summary in step with stored lines (DESIGN.md §4 rules 7-9)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncMonth

from reports.catalog_index import NONE
from reports.db.copy import ids_or_null, rows_insert_batches
from reports.figures_cache import figures_versions_bump
from reports.lines import UNRESOLVED_VENDOR_NAME, cents_sum, counted_lines, lines_in_periods, lines_of_practices
from reports.models import PurchaseLine, PurchaseUpload, Restatement, SavingsSummary
from reports.services.month_closes import month_closes_restate

if TYPE_CHECKING:
    from reports.services.reconciliation import ReconciledBatch

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
# The full grain of SummaryRows (month follows from day).
_ROW_KEYS = ["practice_id", "day", "status", "vendor_id", "unresolved_vendor_name", "category_id", "contract_id"]
# The columns each breakdown keeps besides practice, month, day and status; the others stay NULL ('' for the name).
_BREAKDOWN_KEYS = {
    Breakdown.VENDOR: ("vendor_id", "unresolved_vendor_name", "contract_id"),
    Breakdown.CATEGORY: ("category_id",),
}


@transaction.atomic
def savings_summary_refresh(
    *,
    practice_ids: Iterable[int],
    between: tuple[date, date] | None = None,
    cause: str = Restatement.Cause.RECALCULATED,
) -> int:
    """Recompute the savings summary rows of these practices from their stored lines; returns the rows written.

    Call it after lines of these practices are reconciled again or deleted: the savings figures read the
    summary, so a practice whose lines changed without a refresh would show stale totals. `between` (first and
    last purchase date of the lines that changed) limits the work to the whole months those dates fall in. A closed
    month whose figures moved gets a restatement saying why (`cause`).
    """
    ids = sorted(set(practice_ids))
    if not ids:
        return 0
    # Their cached figures are unreachable from here on, for whoever reads after this transaction commits.
    figures_versions_bump(practice_ids=ids)
    stale = SavingsSummary.objects.filter(practice_id__in=ids)
    lines = lines_of_practices(counted_lines(), ids)
    if between is not None:
        first_month = between[0].replace(day=1)
        last_month = between[1].replace(day=1)
        month_end = (last_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        stale = stale.filter(month__gte=first_month, month__lte=last_month)
        lines = lines_in_periods(lines, [(first_month, month_end)])
    stale.delete()
    written = _summary_insert(lines)
    month_closes_restate(practice_ids=ids, cause=cause, between=between)
    return written


class SummaryRows:
    """The savings summary rows of lines being stored, summed batch by batch while they are priced.

    The same rows `_summary_insert` groups from stored lines (its SQL is the reference; a test holds them equal):
    repeats and pending lines left out, sums per practice, day, status, vendor (unresolved: the name as given),
    category and contract, then each breakdown's day and month rows. Working in memory lets an upload sum its
    lines while PostgreSQL is still copying them, instead of reading them back afterwards.
    """

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []
        self._columns: dict[str, pa.Array] | None = None
        self._summed = True  # _columns holds the rows of every part added so far

    def add(self, batch: ReconciledBatch, *, vendor_names: pa.Array) -> None:
        """Sum a priced batch; `vendor_names` are the names as stored (cut to the column's width)."""
        self._summed = False
        results = batch.results
        status = np.asarray(results["status"].astype(str), dtype=object)
        counted = (batch.repeat_of == NONE) & (status != PurchaseLine.Status.PENDING.value)
        if not counted.any():
            return
        vendor_id = results["vendor_id"].to_numpy(dtype=np.int64)
        names = np.asarray(vendor_names.to_numpy(zero_copy_only=False), dtype=object)
        frame = pd.DataFrame(
            {
                "practice_id": batch.lines["practice_id"].to_numpy(dtype=np.int64),
                "day": batch.lines["purchase_date"].to_numpy().astype("datetime64[D]"),
                "status": status,
                "vendor_id": vendor_id,
                "unresolved_vendor_name": np.where(vendor_id == NONE, names, ""),
                "category_id": results["category_id"].to_numpy(dtype=np.int64),
                "contract_id": results["contract_id"].to_numpy(dtype=np.int64),
                **{name: results[name].to_numpy(dtype=np.int64) for name in _MONEY},
                "line_count": np.ones(len(results), dtype=np.int64),
            }
        )[counted]
        self._parts.append(frame.groupby(_ROW_KEYS, sort=False).sum().reset_index())

    def columns(self) -> dict[str, pa.Array] | None:
        """The summary rows as SavingsSummary's database columns (None when no line counts).

        Worked out once after the last `add` and kept: an upload asks for them as soon as its last batch is priced,
        while PostgreSQL is still copying the lines, and again when it inserts them.
        """
        if not self._summed:
            self._columns = self._summed_columns()
            self._summed = True
        return self._columns

    def _summed_columns(self) -> dict[str, pa.Array] | None:
        if not self._parts:
            return None
        full = pd.concat(self._parts, ignore_index=True).groupby(_ROW_KEYS, sort=False).sum().reset_index()
        full["month"] = full["day"].to_numpy().astype("datetime64[M]").astype("datetime64[D]")
        sums = [*_MONEY, "line_count"]
        rows = []
        for breakdown, keys in _BREAKDOWN_KEYS.items():
            for grain in ("day", "month"):
                group = ["practice_id", "month", *(["day"] if grain == "day" else []), "status", *keys]
                part = full.groupby(group, sort=False)[sums].sum().reset_index()
                part["breakdown"] = breakdown.value
                rows.append(part)
        # Every key column is present after the concat: NaN (NaT for day) on the rows outside its breakdown.
        table = pd.concat(rows, ignore_index=True)

        def ids(name: str) -> pa.Array:
            values = table[name].to_numpy(dtype=np.float64)
            return ids_or_null(np.nan_to_num(values, nan=NONE).astype(np.int64))

        def dates(name: str) -> pa.Array:
            values = table[name].to_numpy().astype("datetime64[D]")
            return pa.array(values, mask=np.isnat(values), type=pa.date32())

        names = table["unresolved_vendor_name"]
        return {
            "breakdown": pa.array(table["breakdown"], type=pa.string()),
            "practice_id": pa.array(table["practice_id"].to_numpy(dtype=np.int64)),
            "month": dates("month"),
            "day": dates("day"),
            "status": pa.array(table["status"], type=pa.string()),
            "vendor_id": ids("vendor_id"),
            "unresolved_vendor_name": pa.array(names.fillna(""), type=pa.string()),
            "category_id": ids("category_id"),
            "contract_id": ids("contract_id"),
            **{name: pa.array(table[name].to_numpy(dtype=np.int64)) for name in sums},
        }


@transaction.atomic
def savings_summary_add(*, upload_id: int, practice_id: int, rows: SummaryRows) -> int:
    """Add a new upload's summary rows (summed while its lines were stored); returns the rows written.

    A new upload changes no earlier line (its repeats point back at them), so its own lines' sums are added as
    rows of their own: readers sum every row of a key, so a key may have one row per upload. A practice whose
    summary was never built (lines stored before the summary existed) is rebuilt whole instead.
    """
    figures_versions_bump(practice_ids=[practice_id])
    if not SavingsSummary.objects.filter(practice_id=practice_id).exists():
        # Looked up by upload (an index), not by practice: the new upload's own lines would all be read first.
        others = PurchaseUpload.objects.filter(practice_id=practice_id).exclude(pk=upload_id).values("pk")
        if PurchaseLine.objects.filter(upload_id__in=others).exists():
            return savings_summary_refresh(practice_ids=[practice_id], cause=Restatement.Cause.UPLOAD_ADDED)
    columns = rows.columns()
    written = 0 if columns is None else rows_insert_batches(SavingsSummary, [columns])
    span = PurchaseUpload.objects.filter(pk=upload_id).values_list("first_purchase_date", "last_purchase_date").first()
    first, last = span if span else (None, None)
    if first is not None and last is not None:
        # A late upload into a closed month is a change to published figures too.
        month_closes_restate(practice_ids=[practice_id], cause=Restatement.Cause.UPLOAD_ADDED, between=(first, last))
    return written


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
