"""The facts behind an upload's warnings (reports.upload_warnings holds the rules), gathered as it is stored."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import Max, Min
from django.utils import timezone

from reports import ingest, upload_warnings
from reports.models import PurchaseLine, PurchaseUpload, SavingsSummary
from reports.services.savings import SummaryRows
from reports.upload_warnings import LineCounts, UploadFacts


def upload_warnings_for(
    upload: PurchaseUpload, result: ingest.IngestResult, summary: SummaryRows
) -> list[dict[str, str]]:
    """The warnings of an upload whose lines were just stored (counts and span already recorded on it)."""
    today = timezone.localdate()
    facts = UploadFacts(
        today=today,
        header_row=result.header_row,
        mapping=dict(result.mapping),
        confidence=dict(result.confidence),
        rows_total=upload.rows_total,
        rows_rejected=upload.rows_rejected,
        rows_skipped=upload.rows_skipped,
        lines=line_counts(summary, today=today),
        first_date=upload.first_purchase_date,
        last_date=upload.last_purchase_date,
        other_uploads_span=_other_uploads_span(upload),
        top_rejection=_top_rejection(result.errors),
    )
    return [warning.as_dict() for warning in upload_warnings.upload_warnings(facts)]


def line_counts(summary: SummaryRows, *, today: Any) -> LineCounts:
    """Counted lines by status and date range, read from the upload's own summary rows (no pass over the lines).

    Every counted line is in exactly one day row of the vendor breakdown.
    """
    columns = summary.columns()
    if columns is None:
        return LineCounts()
    day_rows = pc.and_(
        pc.equal(columns["breakdown"], SavingsSummary.Breakdown.VENDOR.value), pc.is_valid(columns["day"])
    )
    status = columns["status"].filter(day_rows)
    count = columns["line_count"].filter(day_rows)
    day = columns["day"].filter(day_rows)

    def total(mask: Any = None) -> int:
        return int(pc.sum(count if mask is None else count.filter(mask)).as_py() or 0)

    def before(limit: Any) -> Any:
        return pc.less(day, pa.scalar(limit, type=pa.date32()))

    return LineCounts(
        counted=total(),
        non_gpo_vendor=total(pc.equal(status, PurchaseLine.Status.NON_GPO_VENDOR.value)),
        off_contract=total(pc.equal(status, PurchaseLine.Status.OFF_CONTRACT.value)),
        older_than_range=total(before(upload_warnings.ten_years_before(today))),
        after_today=total(pc.greater(day, pa.scalar(upload_warnings.latest_plausible(today), type=pa.date32()))),
    )


def _other_uploads_span(upload: PurchaseUpload) -> Any:
    """The purchase dates the practice's other done uploads span (None when it has none)."""
    span = (
        PurchaseUpload.objects.filter(practice_id=upload.practice_id, status=PurchaseUpload.Status.DONE)
        .exclude(pk=upload.pk)
        .aggregate(first=Min("first_purchase_date"), last=Max("last_purchase_date"))
    )
    return (span["first"], span["last"]) if span["first"] and span["last"] else None


def _top_rejection(errors: list[ingest.RowError]) -> tuple[str, str, int] | None:
    """The most common reason rows were rejected (the reason's text before the quoted cell) with its column."""
    if not errors:
        return None
    reasons = Counter((error.reason.split(": ")[0], error.column) for error in errors)
    (reason, column), rows = max(reasons.items(), key=lambda item: (item[1], item[0]))
    return reason, column, int(np.int64(rows))
