"""Pages: the practice dashboard (`/dashboard/`) and the coalition dashboard (`/coalition/`), with xlsx exports."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone

from gpo.members import scoping
from gpo.members.rights import Right, right_require
from gpo.money import ZERO
from gpo.xlsx import Sheet, workbook_bytes, xlsx_download
from reports import charts, exports
from reports.models import PurchaseLine
from reports.selectors.claims import recovery_totals
from reports.selectors.dashboards import (
    contract_performance_list,
    leakage_list,
    missed_savings_list,
    overcharge_claims_list,
    practice_performance_list,
)
from reports.selectors.savings import Figures, savings_figures

Status = PurchaseLine.Status


# --- the period filter ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The dashboard period: a named choice and its inclusive dates (None = open)."""

    choice: str
    start: datetime.date | None
    end: datetime.date | None
    error: str = ""

    @property
    def label(self) -> str:
        if self.start is None and self.end is None:
            return "All time"
        return f"{self.start or '…'} to {self.end or '…'}"


PERIOD_CHOICES = [("year", "This year"), ("12m", "Last 12 months"), ("all", "All time"), ("custom", "Custom")]


def _parse_date(text: str) -> datetime.date | None:
    if not text:
        return None
    if len(text) != 10:
        raise ValueError(text)
    return datetime.date.fromisoformat(text)


def period_from_query(query: QueryDict, *, today: datetime.date) -> Period:
    """This year by default; last 12 whole months; all time; or custom start/end (both days included)."""
    choice = query.get("period") or ("custom" if query.get("start") or query.get("end") else "year")
    this_year = Period("year", datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31))
    if choice == "12m":
        first = today.replace(day=1)
        for _ in range(11):
            first = (first - datetime.timedelta(days=1)).replace(day=1)
        last = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
        return Period("12m", first, last)
    if choice == "all":
        return Period("all", None, None)
    if choice == "custom":
        try:
            start, end = _parse_date(query.get("start", "")), _parse_date(query.get("end", ""))
        except ValueError:
            return Period("year", this_year.start, this_year.end, "Dates must be YYYY-MM-DD; showing this year.")
        if start and end and start > end:
            return Period(
                "year", this_year.start, this_year.end, "The end date is before the start; showing this year."
            )
        return Period("custom", start, end)
    return this_year


def _period_query(period: Period, **extra: str) -> str:
    params = {"period": period.choice}
    if period.choice == "custom":
        params.update(
            start=period.start.isoformat() if period.start else "", end=period.end.isoformat() if period.end else ""
        )
    params.update(extra)
    return urlencode(params)


# --- shared context ---------------------------------------------------------------------------------------------


def _trend(figures: dict[str, Any], period: Period) -> charts.Chart:
    by_month: dict[str, Figures] = figures["by_month"]
    months = charts.months_between(period.start, period.end) if period.start and period.end else list(by_month)
    empty = Figures()
    return charts.grouped_bar_chart(
        months,
        [
            ("Spend", "bar-spend", [by_month.get(m, empty).spend for m in months]),
            ("Savings", "bar-savings", [by_month.get(m, empty).savings for m in months]),
            ("Overcharge", "bar-overcharge", [by_month.get(m, empty).overcharge for m in months]),
        ],
    )


def _status_share(figures: dict[str, Any]) -> list[charts.ShareRow]:
    labels = dict(Status.choices)
    return charts.share_rows([(labels.get(s, s), f.spend, f"share-{s}") for s, f in figures["by_status"].items()])


def _xlsx_response(sheets: list[Sheet], filename: str) -> HttpResponse:
    return xlsx_download(workbook_bytes(sheets), filename=filename)


def _pick(sheets: list[Sheet], table: str) -> list[Sheet]:
    """One table's sheet when `table` names one (its slugged title), else every sheet."""
    chosen = [s for s in sheets if s.title.lower().replace(" ", "_") == table]
    return chosen or sheets


def _file_part(period: Period) -> str:
    return f"{period.start or 'start'}_{period.end or 'end'}"


# --- the practice dashboard -------------------------------------------------------------------------------------


@login_required
def practice_dashboard(request: HttpRequest) -> HttpResponse:
    """KPIs, trend, breakdowns, the overcharge claim list and missed savings of the current practice."""
    # ?practice= names a practice explicitly (coalition staff drilling down); one the user cannot see answers 404.
    slug = request.GET.get("practice")
    practice = scoping.practice_get(user=request.user, slug=slug) if slug else scoping.current_practice(request)
    if practice is None:
        return render(request, "reports/dashboards/no_practice.html", status=200)
    right_require(request.user, practice, Right.FIGURES)
    period = period_from_query(request.GET, today=timezone.localdate())
    figures = savings_figures(practice_ids=[practice.id], start=period.start, end=period.end)
    claims = list(overcharge_claims_list(user=request.user, practice=practice, start=period.start, end=period.end))
    missed = list(missed_savings_list(user=request.user, practice=practice, start=period.start, end=period.end))
    if request.GET.get("format") == "xlsx":
        sheets = [
            exports.summary_sheet(practice_name=practice.name, start=period.start, end=period.end, figures=figures),
            *exports.breakdown_sheets(figures),
            exports.claims_sheet(claims),
            exports.missed_savings_sheet(missed),
        ]
        name = f"savings-{practice.slug}-{_file_part(period)}.xlsx"
        return _xlsx_response(_pick(sheets, request.GET.get("table", "")), name)
    return render(
        request,
        "reports/dashboards/practice.html",
        {
            "practice": practice,
            "period": period,
            "period_choices": PERIOD_CHOICES,
            "query": _period_query(period),
            "total": figures["total"],
            "by_status": [(s, dict(Status.choices).get(s, s), f) for s, f in figures["by_status"].items()],
            "by_vendor": list(figures["by_vendor"].items())[:25],
            "vendor_count": len(figures["by_vendor"]),
            "by_category": list(figures["by_category"].items()),
            "trend": _trend(figures, period),
            "status_share": _status_share(figures),
            "claims": claims,
            "claims_total": sum((c.overcharge for c in claims), ZERO),
            "missed": missed,
            "recovery": recovery_totals(practice=practice),
        },
    )


# --- the coalition dashboard ------------------------------------------------------------------------------------


@login_required
def coalition_dashboard(request: HttpRequest) -> HttpResponse:
    """All members: totals, per-practice and per-contract performance, leakage and trends (coalition staff)."""
    right_require(request.user, None, Right.FIGURES)
    period = period_from_query(request.GET, today=timezone.localdate())
    figures = savings_figures(practice_ids=None, start=period.start, end=period.end)
    practices = practice_performance_list(user=request.user, start=period.start, end=period.end)
    contracts = contract_performance_list(user=request.user, start=period.start, end=period.end)
    leakage = leakage_list(user=request.user, start=period.start, end=period.end)
    admin_fees = sum((c.admin_fee for c in contracts), ZERO)
    if request.GET.get("format") == "xlsx":
        sheets = [
            exports.summary_sheet(practice_name="All members", start=period.start, end=period.end, figures=figures),
            exports.practices_sheet(practices),
            exports.contracts_sheet(contracts),
            exports.leakage_sheet(leakage),
            *exports.breakdown_sheets(figures),
        ]
        name = f"coalition-savings-{_file_part(period)}.xlsx"
        return _xlsx_response(_pick(sheets, request.GET.get("table", "")), name)
    return render(
        request,
        "reports/dashboards/coalition.html",
        {
            "period": period,
            "period_choices": PERIOD_CHOICES,
            "query": _period_query(period),
            "total": figures["total"],
            "admin_fees": admin_fees,
            "practices": practices,
            "contracts": contracts,
            "leakage": leakage[:30],
            "leakage_total": sum((r.figures.spend for r in leakage), ZERO),
            "trend": _trend(figures, period),
            "status_share": _status_share(figures),
            "member_count": sum(1 for p in practices if p.figures.lines),
        },
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("dashboard/", practice_dashboard, name="dashboard"),
    path("coalition/", coalition_dashboard, name="coalition"),
]
