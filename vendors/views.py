"""Vendor pages of the catalog (thin views)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from gpo.billing import selectors as billing_selectors
from gpo.members import scoping
from gpo.xlsx import wants_xlsx, xlsx_response
from vendors import selectors


@login_required
def vendor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """`/catalog/vendors/<slug>/`: description, website, contacts, contracts by period and their documents."""
    vendor = selectors.vendor_page_get(slug=slug)
    slug_param = request.GET.get("practice")
    practice = (
        scoping.practice_get(user=request.user, slug=slug_param) if slug_param else scoping.current_practice(request)
    )
    staff = scoping.is_coalition_staff(request.user)
    contracts = list(
        selectors.vendor_contract_list(
            vendor=vendor, user=request.user, practice_id=practice.id if practice else None, show_drafts=staff
        )
    )
    today = timezone.localdate()
    withheld = billing_selectors.prices_withheld(practice=practice)
    if wants_xlsx(request):
        return xlsx_response(
            filename=f"vendor-{vendor.slug}-contracts",
            title=vendor.name,
            headers=[
                "Contract",
                "Title",
                "Status",
                ("Start", "date"),
                ("End", "date"),
                ("Admin fee %", "percent"),
                ("Discount % off list", "percent"),
                "Your practice joined",
                "Your tier",
            ],
            rows=(
                [
                    c.number,
                    c.title,
                    c.get_status_display(),
                    c.start_date,
                    c.end_date,
                    c.admin_fee_pct,
                    None if withheld else c.discount_pct,
                    c.joined_on,
                    c.joined_tier or "",
                ]
                for c in contracts
            ),
        )
    groups = selectors.contracts_by_period(contracts, today=today)
    sections = [
        ("in-force", "In force", groups.in_force),
        ("upcoming", "Upcoming", groups.upcoming),
        ("expired", "Expired", groups.expired),
    ]
    if staff:
        sections.append(("drafts", "Drafts", groups.drafts))
    documents = [(contract, document) for contract in contracts for document in contract.documents.all()]
    context = {
        "vendor": vendor,
        "practice": practice,
        "sections": sections,
        "documents": documents,
        "today": today,
        "prices_withheld": withheld,
    }
    return render(request, "vendors/vendor_detail.html", context)
