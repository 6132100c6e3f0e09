"""Catalog pages: search, contract detail with the viewer's prices, and the renewals calendar (thin views)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone

from contracts import selectors
from gpo.billing import selectors as billing_selectors
from gpo.cache import cached_html
from gpo.members import scoping
from gpo.members.context_processors import practice_context
from gpo.members.models import Practice
from gpo.xlsx import wants_xlsx, xlsx_response
from vendors import selectors as vendor_selectors

ITEMS_PER_PAGE = 25
VENDORS_PER_PAGE = 24
CONTRACT_ITEMS_PER_PAGE = 50
EXPORT_ROW_LIMIT = 50_000


def viewer_practice(request: HttpRequest) -> Practice | None:
    """The practice whose prices a page shows: `?practice=<slug>` (404 unless visible), else the header's choice."""
    slug = request.GET.get("practice")
    if slug:
        return scoping.practice_get(user=request.user, slug=slug)
    return scoping.current_practice(request)


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _price_gate(practice: Practice | None) -> dict[str, Any]:
    """Template context of the dues gate: whether prices are hidden from the practice, and what to say instead."""
    withheld = billing_selectors.prices_withheld(practice=practice)
    message = billing_selectors.prices_withheld_message(practice=practice) if withheld else ""
    return {"prices_withheld": withheld, "prices_withheld_message": message}


def _item_prices(*, items: list[Any], withheld: bool, **terms: Any) -> list[selectors.ItemPriceView]:
    """Each item's price for the page, or none at all for a practice whose dues have lapsed (gpo.billing)."""
    if withheld:
        return [selectors.ItemPriceView(item=item) for item in items]
    return selectors.contract_item_prices_for_page(items=items, **terms)


@login_required
def catalog_home(request: HttpRequest) -> HttpResponse:
    """`/catalog/`: search vendors, aliases, contracts, items and part numbers; filter by category."""
    query = request.GET.get("q", "").strip()[:200]
    category_slug = request.GET.get("category", "")
    if wants_xlsx(request):
        items = _catalog_items(request, query=query, category_slug=category_slug)[1]
        return xlsx_response(
            filename="catalog-items",
            title="Catalog items",
            headers=[
                "Vendor",
                "Contract",
                "Vendor SKU",
                "Manufacturer",
                "Mfr part number",
                "Description",
                "UOM",
                ("Units per UOM", "integer"),
                ("List price", "unit_price"),
            ],
            rows=(
                [
                    item.contract.vendor.name,
                    item.contract.number,
                    item.vendor_sku,
                    item.manufacturer,
                    item.mfr_part_number,
                    item.description,
                    item.uom,
                    item.units_per_uom,
                    item.list_price,
                ]
                for item in items[:EXPORT_ROW_LIMIT]
            ),
        )
    staff = scoping.is_coalition_staff(request.user)
    gate = _price_gate(scoping.current_practice(request))
    # The page but for its dues banner is the same for every viewer with the same rights and the same query: it is
    # cached under the catalog's version (every catalog write replaces it) and the day (contracts start and end).
    parameters = (staff, gate["prices_withheld"], sorted(request.GET.lists()), timezone.localdate())
    results = cached_html(
        "catalog-home",
        vendor_selectors.catalog_version(),
        parameters,
        lambda: _catalog_results(request, query=query, category_slug=category_slug, staff=staff, **gate),
    )
    return render(request, "contracts/catalog_home.html", {"results": results, **gate})


def _catalog_items(request: HttpRequest, *, query: str, category_slug: str) -> tuple[Any, Any, list[int] | None]:
    """The category tree, the items matching the search and the chosen category's subtree (None: every category)."""
    tree = vendor_selectors.category_options()
    category_ids = vendor_selectors.category_subtree_ids(slug=category_slug, tree=tree) if category_slug else None
    items = selectors.catalog_item_search(user=request.user, query=query, category_ids=category_ids)
    return tree, items, category_ids


def _catalog_results(request: HttpRequest, *, query: str, category_slug: str, staff: bool, **gate: Any) -> str:
    """The catalog page's search form and results (vendors, contracts, items) as HTML."""
    tree, items, category_ids = _catalog_items(request, query=query, category_slug=category_slug)
    vendor_q = vendor_selectors.vendor_search_q(query) if query else None
    vendors = selectors.catalog_vendor_list(
        user=request.user, query=query, category_ids=category_ids, vendor_q=vendor_q
    )
    vendor_page = Paginator(vendors, VENDORS_PER_PAGE).get_page(request.GET.get("vendor_page"))
    vendor_list = list(vendor_page.object_list)
    highlights = selectors.vendor_highlights(vendors=vendor_list, on=timezone.localdate())
    item_page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page")) if query or category_ids else None
    contracts = list(selectors.catalog_contract_search(user=request.user, query=query)[:20]) if query else []
    context: dict[str, Any] = {
        "query": query,
        "category_slug": category_slug,
        "category_options": tree,
        "unknown_category": bool(category_slug) and category_ids is None,
        "vendor_cards": [(vendor, highlights[vendor.id]) for vendor in vendor_list],
        "vendor_page": vendor_page,
        "item_page": item_page,
        "contracts": contracts,
        "items_query": _query_without(request, "page"),
        "vendors_query": _query_without(request, "vendor_page"),
        "export_query": _query_without(request, "page", "vendor_page", "format"),
        "staff": staff,
        **gate,
    }
    return render_to_string("contracts/_catalog_results.html", context)


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """`/catalog/contracts/<id>/`: terms, dates and every item with the price the viewer's practice pays today."""
    contract = selectors.contract_get_for_page(user=request.user, pk=pk)
    practice = viewer_practice(request)
    today = timezone.localdate()
    all_tiers = practice is None and scoping.is_coalition_staff(request.user)
    gate = _price_gate(practice)
    withheld = gate["prices_withheld"]
    items = contract.items.select_related("category").order_by("description", "id")
    if wants_xlsx(request):
        views = _item_prices(
            withheld=withheld,
            items=list(items[:EXPORT_ROW_LIMIT]),
            contract=contract,
            practice=practice,
            participation=selectors.participation_get(practice=practice, contract=contract),
            on=today,
            all_tiers=all_tiers,
        )
        return xlsx_response(
            filename=f"contract-{contract.number}",
            title=contract.number,
            headers=[
                "Vendor SKU",
                "Manufacturer",
                "Mfr part number",
                "Description",
                "UOM",
                ("Units per UOM", "integer"),
                ("List price", "unit_price"),
                ("Your price today", "unit_price"),
                "Price basis",
                ("Discount %", "percent"),
                "Volume breaks",
            ],
            rows=(
                [
                    v.item.vendor_sku,
                    v.item.manufacturer,
                    v.item.mfr_part_number,
                    v.item.description,
                    v.item.uom,
                    v.item.units_per_uom,
                    v.item.list_price,
                    v.price,
                    v.basis,
                    v.discount_pct,
                    "; ".join(f"{b.min_qty.normalize()}+ @ {b.price}" for b in v.volume_breaks),
                ]
                for v in views
            ),
        )
    # The content is the same for every viewer with the same practice, rights and query: cached under the catalog's
    # version (items, prices, participations and documents all replace it) and the day (prices take effect by day).
    header = practice_context(request)  # the rights the page shows links by, as the header has them
    rights = {"rights": header["rights"], "coalition_rights": header["coalition_rights"]}
    parameters = (
        contract.pk,
        practice.pk if practice else None,
        sorted(rights["rights"]),
        sorted(rights["coalition_rights"]),
        withheld,
        sorted(request.GET.lists()),
        today,
    )

    def body() -> str:
        participation = selectors.participation_get(practice=practice, contract=contract)
        page = Paginator(items, CONTRACT_ITEMS_PER_PAGE).get_page(request.GET.get("page"))
        views = _item_prices(
            withheld=withheld,
            items=list(page.object_list),
            contract=contract,
            practice=practice,
            participation=participation,
            on=today,
            all_tiers=all_tiers,
        )
        context = {
            "contract": contract,
            "practice": practice,
            "participation": participation,
            "joined_today": participation is not None and participation.joined_on <= today,
            "all_tiers": all_tiers,
            "in_force": selectors.contract_in_force(contract, today),
            "today": today,
            "page": page,
            "price_views": views,
            **gate,
            **rights,
            "page_query": _query_without(request, "page"),
            "export_query": _query_without(request, "page", "format"),
        }
        return render_to_string("contracts/_contract_body.html", context)

    content = cached_html("contract-page", vendor_selectors.catalog_version(), parameters, body)
    return render(request, "contracts/contract_detail.html", {"contract": contract, "body": content})


@login_required
def contract_by_number(request: HttpRequest, number: str) -> HttpResponse:
    """`/catalog/contracts/number/<number>/`: the same page, found by contract number."""
    contract = selectors.catalog_contracts(user=request.user).filter(number=number).first()
    if contract is None:
        raise Http404("No such contract.")
    return redirect("contract-detail", pk=contract.pk)


@login_required
def renewals(request: HttpRequest) -> HttpResponse:
    """`/catalog/renewals/` (coalition staff): contracts inside their renewal notice, and 12 months of end dates."""
    if not scoping.is_coalition_staff(request.user):
        raise PermissionDenied("The renewals calendar is for coalition staff.")
    today = timezone.localdate()
    calendar = selectors.contract_renewals(today=today)
    if wants_xlsx(request):
        return xlsx_response(
            filename="contract-renewals",
            title="Renewals",
            headers=[
                "Contract",
                "Title",
                "Vendor",
                ("Start", "date"),
                ("End", "date"),
                ("Notice days", "integer"),
                "Notice due now",
                ("Members", "integer"),
            ],
            rows=(
                [
                    c.number,
                    c.title,
                    c.vendor.name,
                    c.start_date,
                    c.end_date,
                    c.renewal_notice_days,
                    "yes" if c in calendar.due_now else "no",
                    c.member_count,
                ]
                for month in calendar.months
                for c in month.contracts
            ),
        )
    return render(request, "contracts/renewals.html", {"calendar": calendar, "today": today})
