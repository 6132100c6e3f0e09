"""Reads of purchase lines across uploads: the lines behind every figure (DESIGN.md §7 `GET /api/lines/`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from gpo.members import scoping
from gpo.money import ZERO
from reports.models import PurchaseLine
from reports.selectors.savings import ON_CONTRACT_STATUSES, Figures, cents_sum, counted_lines, from_cents
from reports.selectors.savings import lines_of_practices as lines_of_practices

Status = PurchaseLine.Status

# The order lines are listed in unless asked otherwise: as the exports list them.
LINE_ORDER = ("purchase_date", "upload_id", "row_number", "id")


def purchase_line_list(*, user: Any) -> QuerySet[PurchaseLine]:
    """The counted lines (reconciled, not repeats: DESIGN §4.9) of the practices the user may see.

    They are reached through the practices' uploads (`lines_of_practices`), the line table's only access path by
    practice; a period narrows them further through each upload's recorded purchase dates (`lines_in_periods`).
    """
    if not getattr(user, "is_authenticated", False):
        return PurchaseLine.objects.none()
    ids = scoping.practice_ids_for(user)
    lines = counted_lines() if ids is None else lines_of_practices(counted_lines(), ids)
    return lines.select_related("upload", "vendor", "contract", "category").order_by(*LINE_ORDER)


def line_search(lines: QuerySet[PurchaseLine], text: str) -> QuerySet[PurchaseLine]:
    """Lines whose vendor as given, SKU, part number, description, invoice or PO number contain the text."""
    text = text.strip()
    if not text:
        return lines
    return lines.filter(
        Q(vendor_name__icontains=text)
        | Q(sku__icontains=text)
        | Q(mfr_part_number__icontains=text)
        | Q(description__icontains=text)
        | Q(invoice_number__icontains=text)
        | Q(po_number__icontains=text)
    )


def line_vendor_filter(lines: QuerySet[PurchaseLine], value: str) -> QuerySet[PurchaseLine]:
    """A vendor as `/api/savings/` groups it: a vendor's slug, else an unresolved vendor's name as given."""
    from vendors.models import Vendor

    if Vendor.objects.filter(slug=value).exists():
        return lines.filter(vendor__slug=value)
    return lines.filter(vendor__isnull=True, vendor_name=value)


def line_totals(lines: QuerySet[PurchaseLine]) -> Figures:
    """The money of these lines summed exactly (integer cents), as the savings figures sum it."""
    # The aliases must not be field names: an aggregate named "spend" would shadow the column later sums read.
    sums = lines.order_by().aggregate(
        sum_spend=cents_sum("spend"),
        sum_on_contract_spend=cents_sum("spend", condition=Q(status__in=sorted(ON_CONTRACT_STATUSES))),
        sum_compliance_base=cents_sum("spend", condition=~Q(status=Status.NON_GPO_VENDOR)),
        sum_savings=cents_sum("savings"),
        sum_overcharge=cents_sum("overcharge"),
        sum_missed_savings=cents_sum("missed_savings"),
        line_count=Count("id"),
    )
    figures = Figures(lines=sums.pop("line_count") or 0)
    for name, value in sums.items():
        setattr(figures, name.removeprefix("sum_"), from_cents(value) if value is not None else ZERO)
    return figures


def upload_line_totals(*, upload: Any) -> Figures:
    """The counted lines' money of one upload (an upload the caller was given by `upload_get`)."""
    return line_totals(counted_lines().filter(upload=upload, practice_id=upload.practice_id))
