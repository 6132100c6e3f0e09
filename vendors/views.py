"""Vendor pages of the catalog (thin views)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from gpo.billing import selectors as billing_selectors
from gpo.cache import cached_html
from gpo.members import scoping
from gpo.members.models import Practice
from gpo.xlsx import wants_xlsx, xlsx_response
from vendors import selectors
from vendors.models import Vendor


@login_required
def vendor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """`/catalog/vendors/<slug>/`: description, website, contacts, contracts by period and their documents."""
    vendor = selectors.vendor_page_get(slug=slug)
    slug_param = request.GET.get("practice")
    practice = (
        scoping.practice_get(user=request.user, slug=slug_param) if slug_param else scoping.current_practice(request)
    )
    staff = scoping.is_coalition_staff(request.user)
    today = timezone.localdate()
    withheld = billing_selectors.prices_withheld(practice=practice)
    if wants_xlsx(request):
        contracts = _vendor_contracts(vendor=vendor, practice=practice, staff=staff)
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
    # The content is the same for every viewer with the same practice and rights: cached under the catalog's version
    # (contracts, participations, documents and aliases all replace it) and the day (contracts start and end).
    parameters = (vendor.pk, practice.pk if practice else None, staff, withheld, slug_param, today)
    body = cached_html(
        "vendor-page",
        selectors.catalog_version(),
        parameters,
        lambda: _vendor_body(vendor=vendor, practice=practice, staff=staff, withheld=withheld, slug_param=slug_param),
    )
    return render(request, "vendors/vendor_detail.html", {"vendor": vendor, "body": body})


def _vendor_contracts(*, vendor: Vendor, practice: Practice | None, staff: bool) -> list[Any]:
    """The vendor's contracts the viewer may see (drafts for staff), with the practice's joins."""
    practice_id = practice.id if practice else None
    return list(selectors.vendor_contract_list(vendor=vendor, user=None, practice_id=practice_id, show_drafts=staff))


def _vendor_body(
    *, vendor: Vendor, practice: Practice | None, staff: bool, withheld: bool, slug_param: str | None
) -> str:
    """The vendor page's content as HTML: about, contact, contracts by period (with the practice's joins), documents."""
    today = timezone.localdate()
    contracts = _vendor_contracts(vendor=vendor, practice=practice, staff=staff)
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
        "practice_param": slug_param,
    }
    return render_to_string("vendors/_vendor_body.html", context)
