"""Demo data for coalition economics (`seed_demo`): closed months with a restatement, and what later features need."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gpo.members.models import Practice
from reports.demo import DEMO_PURCHASERS
from reports.models import MonthClose, PurchaseLine, Restatement
from reports.periods import add_months
from reports.services.month_closes import month_close_create
from reports.services.uploads import upload_create, upload_process

LATE_CREDIT_FILENAME = "demo-late-credit-memo.csv"
CLOSED_MONTHS = 3


def seed_month_closes(*, today: date | None = None) -> dict[str, int]:
    """Close the last three whole months of every demo purchaser, then upload a late credit memo into one of
    Lakeside's closed months so it carries a restatement. Idempotent: closed months and the memo are kept."""
    today = today or timezone.localdate()
    months = [add_months(today.replace(day=1), -back) for back in range(CLOSED_MONTHS, 0, -1)]
    slugs = [slug for slug, _, _ in DEMO_PURCHASERS]
    for practice in Practice.objects.filter(slug__in=slugs):
        for month in months:
            if not MonthClose.objects.filter(practice=practice, month=month).exists():
                month_close_create(practice=practice, month=month, user=None)
    lakeside = Practice.objects.filter(slug="lakeside-radiology").first()
    if lakeside is not None and not lakeside.uploads.filter(original_filename=LATE_CREDIT_FILENAME).exists():
        _late_credit_upload(lakeside, months[1])
    return {
        "closed": MonthClose.objects.filter(practice__slug__in=slugs).count(),
        "restatements": Restatement.objects.filter(month_close__practice__slug__in=slugs).count(),
    }


def _late_credit_upload(practice: Practice, month: date) -> Any:
    """A vendor's credit memo for two on-contract lines of a closed month, arriving after the close."""
    lines = PurchaseLine.objects.filter(
        practice=practice,
        status=PurchaseLine.Status.ON_CONTRACT,
        purchase_date__gte=month,
        purchase_date__lt=add_months(month, 1),
        repeat_of__isnull=True,
    ).order_by("purchase_date", "id")[:2]
    rows = ["Invoice Date,Vendor,Item Number,Description,Qty,UOM,Unit Price,Invoice No"]
    for number, line in enumerate(lines, start=1):
        rows.append(
            f"{line.purchase_date.isoformat()},{line.vendor_name.replace(',', ' ')},{line.sku},"
            f"Credit: {line.description.replace(',', ' ')[:40]},-1,{line.uom},{line.unit_price},CM-{number:04d}"
        )
    if len(rows) == 1:
        return None
    content = ("\n".join(rows) + "\n").encode()
    upload = upload_create(
        practice=practice,
        user=None,
        file=SimpleUploadedFile(LATE_CREDIT_FILENAME, content),
        filename=LATE_CREDIT_FILENAME,
        enqueue=False,
    )
    return upload_process(upload_id=upload.pk, practice_id=practice.pk)
