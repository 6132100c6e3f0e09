"""Reads of overcharge recovery: the lines still to claim, grouped by vendor, and the claims filed."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.http import Http404

from gpo.members import scoping
from gpo.members.models import Practice
from gpo.money import ZERO
from reports.claim_workbook import ClaimDocument, ClaimParty
from reports.models import ClaimLine, OverchargeClaim, PurchaseLine
from reports.selectors.savings import counted_lines, lines_in_periods
from vendors.models import Vendor

Status = PurchaseLine.Status
ClaimStatus = OverchargeClaim.Status


def claim_list(*, user: Any) -> QuerySet[OverchargeClaim]:
    """The claims of the practices the user may see, newest first."""
    return scoping.scope_to_practices(OverchargeClaim.objects.all(), user=user).select_related(
        "practice", "vendor", "created_by"
    )


def claim_get(*, user: Any, public_id: uuid.UUID | str) -> OverchargeClaim:
    """One claim by its public id; another practice's (or none) answers 404."""
    found = claim_list(user=user).filter(public_id=public_id).first()
    if found is None:
        raise Http404("No such claim.")
    return found


def claimable_lines(
    *,
    practice: Practice,
    vendor: Vendor | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> QuerySet[PurchaseLine]:
    """The practice's counted overcharged lines (DESIGN §4.6-7) that no claim of the practice holds yet."""
    lines = lines_in_periods(counted_lines(), [(start, end)], [practice.id])
    lines = lines.filter(status=Status.OVERCHARGED, vendor__isnull=False).exclude(overcharge=0)
    if vendor is not None:
        lines = lines.filter(vendor=vendor)
    claimed = ClaimLine.objects.filter(claim__practice=practice).values("purchase_line_id")
    return lines.exclude(id__in=claimed).select_related("vendor", "contract", "upload")


@dataclass(frozen=True)
class VendorToClaim:
    """A vendor's overcharged lines not claimed yet: what a new claim to it would hold."""

    vendor: Vendor
    lines: int
    amount: Decimal
    first_date: datetime.date
    last_date: datetime.date


def claim_candidates(
    *, practice: Practice, start: datetime.date | None = None, end: datetime.date | None = None
) -> list[VendorToClaim]:
    """Per vendor, the practice's unclaimed overcharge, largest first; vendors whose lines net to <= 0 left out."""
    rows = (
        claimable_lines(practice=practice, start=start, end=end)
        .order_by()
        .values("vendor_id")
        .annotate(lines=Count("id"), amount=Sum("overcharge"), first=Min("purchase_date"), last=Max("purchase_date"))
    )
    found = [row for row in rows if row["amount"] and row["amount"] > 0]
    vendors = Vendor.objects.in_bulk([row["vendor_id"] for row in found])
    candidates = [
        VendorToClaim(vendors[r["vendor_id"]], r["lines"], Decimal(r["amount"]), r["first"], r["last"]) for r in found
    ]
    return sorted(candidates, key=lambda c: (-c.amount, c.vendor.name))


@dataclass(frozen=True)
class RecoveryTotals:
    """What a practice has claimed back so far and what came back (all claims, whatever their period)."""

    claims: int
    claimed: Decimal
    recovered: Decimal
    pending: int


def recovery_totals(*, practice: Practice) -> RecoveryTotals:
    """The practice's claims summed: how many, claimed, recovered, and how many still await an answer."""
    sums = OverchargeClaim.objects.filter(practice=practice).aggregate(
        claims=Count("id"),
        claimed=Sum("amount_claimed"),
        recovered=Sum("amount_recovered"),
        pending=Count("id", filter=Q(status__in=[ClaimStatus.OPEN, ClaimStatus.SENT])),
    )
    return RecoveryTotals(
        claims=sums["claims"] or 0,
        claimed=Decimal(sums["claimed"] or ZERO),
        recovered=Decimal(sums["recovered"] or ZERO),
        pending=sums["pending"] or 0,
    )


def _person(user: Any) -> str:
    if user is None:
        return ""
    name = user.get_full_name() or user.get_username()
    return f"{name} <{user.email}>" if user.email else name


def claim_document(claim: OverchargeClaim, *, today: datetime.date) -> ClaimDocument:
    """The claim as its workbook shows it: parties, contacts, figures and the claimed lines in order."""
    location = claim.practice.locations.order_by("id").first()
    address = (
        ", ".join(p for p in (location.address, location.city, location.state, location.postal_code) if p)
        if (location)
        else ""
    )
    vendor = claim.vendor
    vendor_contact = " · ".join(p for p in (vendor.contact_name, vendor.contact_email, vendor.contact_phone) if p)
    rows = [
        [
            line.contract_number,
            line.invoice_number,
            line.po_number,
            line.purchase_date,
            line.sku,
            line.description,
            line.quantity,
            line.uom,
            line.unit_price,
            line.contract_price,
            line.overcharge,
        ]
        for line in claim.lines.all()
    ]
    return ClaimDocument(
        reference=str(claim.public_id),
        prepared_on=today,
        practice=ClaimParty(claim.practice.name, _person(claim.created_by), address),
        vendor=ClaimParty(vendor.name, vendor_contact),
        period_start=claim.period_start,
        period_end=claim.period_end,
        status=claim.get_status_display(),
        amount_claimed=claim.amount_claimed,
        amount_recovered=claim.amount_recovered,
        lines=rows,
    )
