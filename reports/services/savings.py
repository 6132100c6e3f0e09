"""Keeping the savings summary in step with stored lines (DESIGN.md §4 rules 7-9)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth

from reports.models import SavingsSummary
from reports.selectors.savings import UNRESOLVED_VENDOR_NAME, cents_sum, counted_lines

_BATCH = 5000


@transaction.atomic
def savings_summary_refresh(*, practice_ids: Iterable[int]) -> int:
    """Recompute the savings summary rows of these practices from their stored lines; returns the rows written.

    Call it after lines of these practices are created, reconciled again or deleted: the savings figures read the
    summary for whole months, so a practice whose lines changed without a refresh would show stale totals.
    """
    ids = sorted(set(practice_ids))
    if not ids:
        return 0
    SavingsSummary.objects.filter(practice_id__in=ids).delete()
    grouped = (
        counted_lines()
        .filter(practice_id__in=ids)
        .annotate(month=TruncMonth("purchase_date"), unresolved=UNRESOLVED_VENDOR_NAME)
        .values("practice_id", "month", "status", "vendor_id", "unresolved", "category_id", "contract_id")
        .annotate(
            spend_sum=cents_sum("spend"),
            savings_sum=cents_sum("savings"),
            overcharge_sum=cents_sum("overcharge"),
            missed_sum=cents_sum("missed_savings"),
            lines=Count("id"),
        )
        .order_by()
    )
    # One scan of the lines at the full grain, folded into one small grain per breakdown.
    grains = {
        SavingsSummary.Breakdown.VENDOR: ("vendor_id", "unresolved_vendor_name"),
        SavingsSummary.Breakdown.CATEGORY: ("category_id",),
        SavingsSummary.Breakdown.CONTRACT: ("contract_id",),
    }
    merged: dict[tuple, SavingsSummary] = {}
    for row in grouped.iterator(chunk_size=_BATCH):
        row["unresolved_vendor_name"] = row.pop("unresolved") or ""
        for breakdown, columns in grains.items():
            key = (row["practice_id"], breakdown, row["month"], row["status"], *(row[c] for c in columns))
            summary = merged.get(key)
            if summary is None:
                summary = merged[key] = SavingsSummary(
                    practice_id=row["practice_id"],
                    breakdown=breakdown,
                    month=row["month"],
                    status=row["status"],
                    line_count=0,
                    **{c: row[c] for c in columns},
                )
            summary.spend_cents += int(row["spend_sum"] or 0)
            summary.savings_cents += int(row["savings_sum"] or 0)
            summary.overcharge_cents += int(row["overcharge_sum"] or 0)
            summary.missed_savings_cents += int(row["missed_sum"] or 0)
            summary.line_count += row["lines"]
    SavingsSummary.objects.bulk_create(merged.values(), batch_size=_BATCH)
    return len(merged)
