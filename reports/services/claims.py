"""Writes of overcharge recovery: file a claim to a vendor, record the vendor's answer (DESIGN §4.7 overcharge)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from gpo.members.models import Practice
from gpo.money import ZERO, cents
from reports.models import ClaimEvent, ClaimLine, OverchargeClaim
from reports.selectors.claims import claimable_lines
from vendors.models import Vendor

ClaimStatus = OverchargeClaim.Status


def _user_or_none(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


@transaction.atomic
def claim_create(
    *,
    practice: Practice,
    vendor: Vendor,
    user: Any = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    notes: str = "",
) -> OverchargeClaim:
    """A claim to `vendor` for every overcharged line of the practice (in the period) not claimed yet."""
    # One claim at a time per practice: two clicks must not claim the same lines twice.
    Practice.objects.select_for_update().filter(pk=practice.pk).first()
    lines = list(claimable_lines(practice=practice, vendor=vendor, start=start, end=end).order_by("purchase_date"))
    total = sum((line.overcharge for line in lines), ZERO)
    if not lines:
        raise ValidationError({"vendor": f"No unclaimed overcharges from {vendor.name} in this period."})
    if total <= 0:
        raise ValidationError({"vendor": f"The unclaimed lines from {vendor.name} net to {total}: nothing to claim."})
    claim = OverchargeClaim(
        practice=practice,
        vendor=vendor,
        amount_claimed=total,
        period_start=min(line.purchase_date for line in lines),
        period_end=max(line.purchase_date for line in lines),
        notes=notes.strip(),
        created_by=_user_or_none(user),
    )
    claim.full_clean()
    claim.save()
    ClaimLine.objects.bulk_create(
        ClaimLine(
            claim=claim,
            purchase_line_id=line.id,
            upload_public_id=line.upload.public_id,
            row_number=line.row_number,
            contract_number=line.contract.number if line.contract else "",
            invoice_number=line.invoice_number,
            po_number=line.po_number,
            purchase_date=line.purchase_date,
            sku=line.sku,
            description=line.description,
            quantity=line.quantity,
            uom=line.uom,
            unit_price=line.unit_price,
            contract_price=line.expected_unit_price or ZERO,
            overcharge=line.overcharge,
        )
        for line in lines
    )
    ClaimEvent.objects.create(claim=claim, user=claim.created_by, status=claim.status, note=claim.notes)
    return claim


def _recovered_for(status: str, claimed: Decimal, given: Decimal | None) -> Decimal:
    """The amount recovered a status implies: all of it when credited, none unless credited; a part in between."""
    if status == ClaimStatus.CREDITED:
        if given is not None and cents(given) != claimed:
            raise ValidationError({"amount_recovered": "A credited claim recovers the full amount claimed."})
        return claimed
    if status == ClaimStatus.PARTLY_CREDITED:
        if given is None:
            raise ValidationError({"amount_recovered": "Give the amount the vendor credited."})
        amount = cents(given)
        if not ZERO < amount < claimed:
            raise ValidationError(
                {"amount_recovered": f"A partial credit is more than 0.00 and less than the {claimed} claimed."}
            )
        return amount
    if given is not None and cents(given) != ZERO:
        raise ValidationError({"amount_recovered": "Only a credited or partly credited claim recovers money."})
    return ZERO


@transaction.atomic
def claim_status_update(
    *,
    claim: OverchargeClaim,
    status: str,
    user: Any = None,
    amount_recovered: Decimal | None = None,
    note: str = "",
) -> OverchargeClaim:
    """Record the vendor's answer (or that the claim was sent) with the amount recovered and a note, in the history."""
    if status not in ClaimStatus.values:
        raise ValidationError({"status": f"Unknown status {status!r}; one of {', '.join(ClaimStatus.values)}."})
    claim = OverchargeClaim.objects.select_for_update().get(pk=claim.pk)
    recovered = _recovered_for(status, claim.amount_claimed, amount_recovered)
    if status == claim.status and recovered == claim.amount_recovered and not note.strip():
        raise ValidationError({"status": "Nothing changed: give a new status, amount or a note."})
    claim.status = status
    claim.amount_recovered = recovered
    claim.full_clean()
    claim.save(update_fields=["status", "amount_recovered", "updated_at"])
    ClaimEvent.objects.create(
        claim=claim, user=_user_or_none(user), status=status, amount_recovered=recovered, note=note.strip()
    )
    return claim
