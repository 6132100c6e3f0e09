"""The lines explorer (`/lines/`): every counted line behind a figure, filtered, sorted, paginated and exported.

It reads through the same selector and filter set as `GET /api/lines/` (DESIGN §7), so the total a dashboard link
lands on is the figure that was clicked, and the xlsx or csv export holds exactly the lines and columns shown.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path

from contracts.selectors import catalog_contracts
from gpo.members import scoping
from gpo.members.rights import Right, practice_ids_with_right, right_require, scope_to_right
from gpo.xlsx import csv_download, workbook_bytes, xlsx_download
from reports.filters import LINE_STATUS_CHOICES, MONEY_COLUMNS, NONE_VALUE, PurchaseLineFilterSet
from reports.line_table import columns_shown, lines_sheet
from reports.models import PurchaseLine
from reports.periods import PERIOD_CHOICES, Period, month_bounds, month_label
from reports.selectors.lines import line_totals, purchase_line_list
from reports.views.common import request_period
from vendors.models import Category, Vendor

LINES_PER_PAGE = 50
# Query parameters that only move through the result (not what is selected).
VIEW_PARAMETERS = ("page", "ordering", "format")


def _filter_data(request: HttpRequest, period: Period) -> QueryDict:
    """The request's filters with the period written as the dates the filter set reads."""
    data = request.GET.copy()
    data.setlist("start", [period.start.isoformat()] if period.start else [])
    data.setlist("end", [period.end.isoformat()] if period.end else [])
    return data


def _query(request: HttpRequest, *, drop: tuple[str, ...] = (), **changes: str) -> str:
    """The current query string without `drop` and with `changes` (for sort headers, pages and exports)."""
    data = request.GET.copy()
    for name in (*drop, *changes):
        data.pop(name, None)
    for name, value in changes.items():
        data[name] = value
    return data.urlencode()


def _sort_links(request: HttpRequest, ordering: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the address that sorts by it (ascending first, then flipping) and its aria-sort."""
    links = {}
    for column in columns_shown(with_practice=True):
        if not column.sort:
            continue
        current = "ascending" if ordering == column.sort else "descending" if ordering == f"-{column.sort}" else ""
        target = f"-{column.sort}" if current == "ascending" else column.sort
        links[column.header] = {"url": "?" + _query(request, drop=("page",), ordering=target), "aria": current}
    return links


def _month_shown(month: str) -> str:
    try:
        return month_label(month_bounds(month)[0])
    except ValueError:
        return month  # a malformed month is reported by the form; the chip shows it as given


def _chips(data: QueryDict, lines_of_one_practice: bool) -> list[dict[str, str]]:
    """The active filters in words, each with the address that drops it."""
    labels = dict(LINE_STATUS_CHOICES)
    chips: list[dict[str, str]] = []
    described = {
        "practice": lambda v: f"Practice: {v}",
        "vendor": lambda v: "Vendor: " + (Vendor.objects.filter(slug=v).values_list("name", flat=True).first() or v),
        "category": lambda v: (
            "No category"
            if v == NONE_VALUE
            else "Category: " + (Category.objects.filter(slug=v).values_list("name", flat=True).first() or v)
        ),
        "contract": lambda v: "No contract" if v == NONE_VALUE else f"Contract {v}",
        "month": lambda v: f"Month: {_month_shown(v)}",
        "upload": lambda v: "One upload",
        "row": lambda v: f"Row {v}",
        "search": lambda v: f"Text: “{v}”",
        "nonzero": lambda v: "With " + str(dict(MONEY_COLUMNS).get(v, v)).lower(),
    }
    for name, describe in described.items():
        value = data.get(name)
        if value and not (name == "practice" and lines_of_one_practice):
            rest = data.copy()
            rest.pop(name, None)
            chips.append({"text": describe(value), "drop": rest.urlencode()})
    statuses = data.getlist("status")
    if statuses:
        rest = data.copy()
        rest.pop("status", None)
        chips.append(
            {"text": "Status: " + ", ".join(str(labels.get(s, s)) for s in statuses), "drop": rest.urlencode()}
        )
    return chips


def _export(lines: QuerySet[PurchaseLine], *, kind: str, with_practice: bool, name: str) -> HttpResponseBase:
    sheet = lines_sheet(lines.iterator(chunk_size=2000), columns_shown(with_practice=with_practice))
    if kind == "csv":
        return csv_download(sheet, filename=f"{name}.csv")
    return xlsx_download(workbook_bytes([sheet]), filename=f"{name}.xlsx")


def _choices(data: QueryDict, user: Any) -> dict[str, Any]:
    """Options of the filter form: the vendors and contracts the user may browse (plus an unresolved vendor name
    being filtered) and the categories."""
    vendors = list(Vendor.objects.order_by("name").values_list("slug", "name"))
    chosen = data.get("vendor")
    if chosen and chosen not in {slug for slug, _ in vendors}:
        vendors.insert(0, (chosen, f"{chosen} (not in the catalog)"))
    contracts = catalog_contracts(user=user).order_by("number").values_list("number", "title")
    return {
        "vendors": vendors,
        "categories": [(NONE_VALUE, "No category"), *Category.objects.order_by("name").values_list("slug", "name")],
        "contracts": [(NONE_VALUE, "No contract"), *contracts],
    }


@login_required
def lines_page(request: HttpRequest) -> HttpResponseBase:
    """Lines of the practices whose figures the user may read (403 without that right anywhere)."""
    slug = request.GET.get("practice")
    # Another practice's lines answer 404 before any right is asked (DESIGN §3), then the right answers 403.
    practice = scoping.practice_get(user=request.user, slug=slug) if slug else None
    if practice is not None:
        right_require(request.user, practice, Right.FIGURES)
    period = request_period(request)
    data = _filter_data(request, period)
    scoped = scope_to_right(purchase_line_list(user=request.user), user=request.user, right=Right.FIGURES)
    filterset = PurchaseLineFilterSet(data, queryset=scoped.select_related("practice"), request=request)
    valid = filterset.is_valid()
    lines = filterset.qs if valid else scoped.none()
    readable = practice_ids_with_right(request.user, Right.FIGURES)
    one_practice = bool(data.get("practice")) or (readable is not None and len(readable) == 1)
    export = request.GET.get("format")
    if export in {"xlsx", "csv"}:
        return _export(lines, kind=export, with_practice=not one_practice, name=f"lines-{period.start or 'all'}")
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    ordering = request.GET.get("ordering", "")
    context = {
        "period": period,
        "period_choices": PERIOD_CHOICES,
        "practice": practice,
        "form_errors": [] if valid else [f"{name}: {' '.join(e)}" for name, e in filterset.errors.items()],
        "total": line_totals(lines),
        "page_obj": page,
        "columns": columns_shown(with_practice=not one_practice),
        "with_practice": not one_practice,
        "sorts": _sort_links(request, ordering),
        "chips": _chips(request.GET, one_practice),
        "selected": {
            "statuses": request.GET.getlist("status"),
            **{name: request.GET.get(name, "") for name in ("vendor", "category", "contract", "search", "nonzero")},
        },
        "hidden": [(n, request.GET.get(n, "")) for n in ("practice", "upload", "row", "month", "ordering")],
        "statuses": LINE_STATUS_CHOICES,
        "money_columns": MONEY_COLUMNS,
        "page_query": _query(request, drop=("page",)),
        "xlsx_query": _query(request, drop=("page",), format="xlsx"),
        "csv_query": _query(request, drop=("page",), format="csv"),
        **_choices(request.GET, request.user),
    }
    return render(request, "reports/lines/explorer.html", context)


def lines_url(**filters: str) -> str:
    """The explorer's address for these filters (for pages that link to it without a period scope)."""
    return "/lines/?" + urlencode(filters)


urlpatterns: list[URLPattern | URLResolver] = [path("lines/", lines_page, name="lines")]
