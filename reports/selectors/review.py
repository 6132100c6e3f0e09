"""Reads for the vendor review queue (coalition staff only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.http import Http404

from gpo.members.scoping import is_coalition_staff
from reports.models import NonGpoVendorName, PurchaseLine
from vendors.models import Vendor
from vendors.normalize import normalize_vendor_name


@dataclass
class VendorReviewEntry:
    """One vendor name (normalised) that needs a decision: unresolved, or fuzzy-matched to a vendor."""

    normalized_name: str
    names: list[str] = field(default_factory=list)
    vendor_id: int | None = None
    vendor_slug: str | None = None
    vendor_display: str = ""
    match: str = ""
    spend: Decimal = Decimal("0.00")
    lines: int = 0
    # Context for the decision: which practices bought under the name, and a few of the items bought.
    practices: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)


SAMPLES_SHOWN = 3


def _require_staff(user: Any) -> None:
    if not is_coalition_staff(user):
        raise Http404("No such page.")


def review_lines() -> Any:
    """Lines whose vendor name needs staff review: unresolved (and not marked non-GPO) or matched fuzzily."""
    return PurchaseLine.objects.filter(Q(vendor__isnull=True) | Q(vendor_match=PurchaseLine.VendorMatch.FUZZY)).exclude(
        status=PurchaseLine.Status.PENDING
    )


def vendor_review_list(*, user: Any) -> list[VendorReviewEntry]:
    """Unresolved and fuzzy-matched vendor names with their spend (repeats left out) and line counts, biggest first.

    Non-staff callers get 404: the queue spans every practice.
    """
    _require_staff(user)
    marked = set(NonGpoVendorName.objects.values_list("normalized_name", flat=True))
    grouped = (
        review_lines()
        .values("vendor_name", "vendor_id", "vendor_match")
        .annotate(lines=Count("id"), spend=Sum("spend", filter=Q(repeat_of__isnull=True)))
        .order_by()
    )
    entries: dict[tuple[str, int | None], VendorReviewEntry] = {}
    for row in grouped:
        normalized = normalize_vendor_name(row["vendor_name"])
        if row["vendor_id"] is None and normalized in marked:
            continue
        entry = entries.setdefault(
            (normalized, row["vendor_id"]),
            VendorReviewEntry(normalized_name=normalized, vendor_id=row["vendor_id"], match=row["vendor_match"]),
        )
        if row["vendor_name"] not in entry.names:
            entry.names.append(row["vendor_name"])
        entry.lines += row["lines"]
        entry.spend += row["spend"] or Decimal("0")
    _add_context(entries)
    vendors = Vendor.objects.in_bulk({e.vendor_id for e in entries.values() if e.vendor_id is not None})
    for entry in entries.values():
        entry.names.sort()
        if entry.vendor_id is not None:
            entry.vendor_slug = vendors[entry.vendor_id].slug
            entry.vendor_display = vendors[entry.vendor_id].name
    return sorted(entries.values(), key=lambda e: (-e.spend, e.normalized_name))


def _add_context(entries: dict[tuple[str, int | None], VendorReviewEntry]) -> None:
    """Each entry's practices (by name) and up to SAMPLES_SHOWN items bought (SKU and description)."""
    practice_rows = review_lines().values("vendor_name", "vendor_id", "practice__name").distinct().order_by()
    for row in practice_rows:
        entry = entries.get((normalize_vendor_name(row["vendor_name"]), row["vendor_id"]))
        if entry is not None and row["practice__name"] and row["practice__name"] not in entry.practices:
            entry.practices.append(row["practice__name"])
    items = review_lines().values("vendor_name", "vendor_id", "sku", "description")
    item_rows = items.order_by("sku", "description").distinct()
    for row in item_rows:
        entry = entries.get((normalize_vendor_name(row["vendor_name"]), row["vendor_id"]))
        sample = " ".join(part for part in (row["sku"], row["description"]) if part)
        if entry is not None and sample and len(entry.samples) < SAMPLES_SHOWN and sample not in entry.samples:
            entry.samples.append(sample)
    for entry in entries.values():
        entry.practices.sort()
        entry.samples.sort()
