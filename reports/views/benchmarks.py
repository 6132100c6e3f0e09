"""Pages: the anonymous peer price benchmark of a contract's items (`/benchmarks/contract/<id>/`).

The contract page (floor 3) shows it by loading this page's table as a fragment (`?fragment=1`, static/js/app.js),
so the catalog never imports the reports; without script it links here.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone

from contracts.selectors import contract_get_for_page
from gpo.members import scoping
from gpo.members.rights import Right, right_require
from reports.selectors.benchmarks import MIN_PEERS, price_benchmarks

ITEMS_PER_PAGE = 50


def _year(request: HttpRequest) -> int:
    today = timezone.localdate().year
    text = request.GET.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= today + 1 else today


@login_required
def contract_benchmarks(request: HttpRequest, pk: int) -> HttpResponse:
    """Each item of the contract: the practice's price per each against the coalition's median and best."""
    contract = contract_get_for_page(user=request.user, pk=pk)
    slug = request.GET.get("practice")
    practice = scoping.practice_get(user=request.user, slug=slug) if slug else scoping.current_practice(request)
    right_require(request.user, practice, Right.FIGURES)
    year = _year(request)
    page = Paginator(contract.items.order_by("description", "id"), ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    rows = price_benchmarks(user=request.user, practice=practice, items=list(page.object_list), year=year)
    context = {
        "contract": contract,
        "practice": practice,
        "year": year,
        "years": [year - 1, year + 1] if year < timezone.localdate().year else [year - 1],
        "page_query": f"year={year}",
        # Items with peer figures first, then those the practice bought alone or with too few others.
        "rows": sorted((r for r in rows if r.your_price is not None or r.shown), key=lambda r: not r.shown),
        "min_peers": MIN_PEERS,
        "page": page,
    }
    template = "reports/benchmarks/_table.html" if request.GET.get("fragment") else "reports/benchmarks/contract.html"
    return render(request, template, context)


urlpatterns: list[URLPattern | URLResolver] = [
    path("benchmarks/contract/<int:pk>/", contract_benchmarks, name="contract-benchmarks"),
]
