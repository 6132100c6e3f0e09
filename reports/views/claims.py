"""Pages: overcharge recovery (`/claims/`): what is left to claim per vendor, the claims filed, one claim's page."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from itertools import groupby
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from gpo.members import scoping
from gpo.members.rights import Right, has_right, right_require
from gpo.money import ZERO
from gpo.xlsx import wants_xlsx, workbook_bytes, xlsx_download
from reports.claim_workbook import claim_workbook, claims_sheet, to_claim_sheet
from reports.models import OverchargeClaim
from reports.selectors.claims import (
    claim_candidates,
    claim_document,
    claim_get,
    claim_list,
    claimable_lines,
    recovery_totals,
)
from reports.services.claims import claim_create, claim_status_update
from vendors.models import Vendor

LINES_SHOWN_PER_VENDOR = 50


def _practice(request: HttpRequest, slug: str | None) -> Any:
    """The practice named (404 when the user cannot see it), else the current one."""
    return scoping.practice_get(user=request.user, slug=slug) if slug else scoping.current_practice(request)


def _error_text(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


@login_required
def claims_page(request: HttpRequest) -> HttpResponse:
    """Overcharged lines not claimed yet, grouped by vendor with a button to claim them; then the claims filed."""
    practice = _practice(request, request.GET.get("practice"))
    if practice is None:
        return render(request, "reports/dashboards/no_practice.html", status=200)
    right_require(request.user, practice, Right.FIGURES)
    candidates = claim_candidates(practice=practice)
    lines = claimable_lines(practice=practice).order_by("vendor__name", "-overcharge", "purchase_date", "id")
    if wants_xlsx(request):
        sheets = [
            to_claim_sheet([c.vendor.id for c in candidates], lines.filter(vendor__in=[c.vendor for c in candidates])),
            claims_sheet(claim_list(user=request.user).filter(practice=practice)),
        ]
        return xlsx_download(workbook_bytes(sheets), filename=f"claims-{practice.slug}")
    by_vendor = {vendor_id: list(group) for vendor_id, group in groupby(lines, key=lambda line: line.vendor_id)}
    groups = [(c, by_vendor.get(c.vendor.id, [])[:LINES_SHOWN_PER_VENDOR]) for c in candidates]
    return render(
        request,
        "reports/claims/list.html",
        {
            "practice": practice,
            "groups": groups,
            "to_claim": sum((c.amount for c in candidates), ZERO),
            "claims": claim_list(user=request.user).filter(practice=practice),
            "totals": recovery_totals(practice=practice),
            "can_claim": has_right(request.user, practice, Right.CLAIMS),
            "lines_shown": LINES_SHOWN_PER_VENDOR,
        },
    )


@login_required
@require_POST
def claim_create_page(request: HttpRequest) -> HttpResponse:
    """File a claim to one vendor for the practice's unclaimed overcharged lines."""
    practice = _practice(request, request.POST.get("practice"))
    if practice is None:
        raise Http404("No such practice.")
    right_require(request.user, practice, Right.CLAIMS)
    vendor = Vendor.objects.filter(slug=request.POST.get("vendor", "")).first()
    if vendor is None:
        messages.error(request, "Choose a vendor to claim from.")
        return redirect(f"/claims/?practice={practice.slug}")
    try:
        claim = claim_create(practice=practice, vendor=vendor, user=request.user, notes=request.POST.get("notes", ""))
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect(f"/claims/?practice={practice.slug}")
    messages.success(request, f"Claim to {vendor.name} filed for ${claim.amount_claimed:,.2f}.")
    return redirect("claim-page", claim.public_id)


@login_required
def claim_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One claim: its cover, lines, status form and history."""
    claim = claim_get(user=request.user, public_id=public_id)
    right_require(request.user, claim.practice, Right.FIGURES)
    return render(
        request,
        "reports/claims/detail.html",
        {
            "claim": claim,
            "document": claim_document(claim, today=timezone.localdate()),
            "lines": claim.lines.all(),
            "events": claim.events.select_related("user"),
            "statuses": OverchargeClaim.Status.choices,
            "can_claim": has_right(request.user, claim.practice, Right.CLAIMS),
        },
    )


@login_required
@require_POST
def claim_status_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Record that the claim was sent, or the vendor's answer, with the amount recovered and a note."""
    claim = claim_get(user=request.user, public_id=public_id)
    right_require(request.user, claim.practice, Right.CLAIMS)
    raw_amount = request.POST.get("amount_recovered", "").strip().replace(",", "").lstrip("$")
    try:
        amount = Decimal(raw_amount) if raw_amount else None
    except InvalidOperation:
        messages.error(request, f"The amount recovered {raw_amount!r} is not a number.")
        return redirect("claim-page", claim.public_id)
    try:
        claim_status_update(
            claim=claim,
            user=request.user,
            status=request.POST.get("status", ""),
            amount_recovered=amount,
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Claim updated.")
    return redirect("claim-page", claim.public_id)


@login_required
def claim_workbook_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The credit-claim workbook for the vendor."""
    claim = claim_get(user=request.user, public_id=public_id)
    right_require(request.user, claim.practice, Right.FIGURES)
    content = claim_workbook(claim_document(claim, today=timezone.localdate()))
    return xlsx_download(content, filename=f"credit-claim-{claim.vendor.slug}-{claim.period_end}")


urlpatterns: list[URLPattern | URLResolver] = [
    path("claims/", claims_page, name="claims"),
    path("claims/new", claim_create_page, name="claim-create"),
    path("claims/<uuid:public_id>/", claim_page, name="claim-page"),
    path("claims/<uuid:public_id>/status", claim_status_page, name="claim-page-status"),
    path("claims/<uuid:public_id>/workbook.xlsx", claim_workbook_page, name="claim-page-workbook"),
]
