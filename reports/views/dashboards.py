"""Pages: the practice dashboard (`/dashboard/`) and the coalition dashboard (`/coalition/`), with xlsx exports.

Every figure links to the lines explorer with the filter whose lines sum to it (reports.drilldown); headline
figures compare with the previous equal period and the same period a year earlier (reports.periods).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import URLPattern, URLResolver, path

from gpo.cache import cached_html
from gpo.members import scoping
from gpo.members.models import Practice
from gpo.members.rights import Right, right_require
from gpo.money import ZERO
from gpo.xlsx import Sheet, workbook_bytes, xlsx_download
from reports import charts, exports
from reports.drilldown import MISSED_NOT_OVERCHARGE, Drill, Scope
from reports.figures_cache import scope_version
from reports.models import PurchaseLine
from reports.periods import PERIOD_CHOICES, Period, month_label, previous_period, year_earlier
from reports.selectors.claims import recovery_totals
from reports.selectors.dashboards import (
    contract_performance_list,
    leakage_list,
    missed_savings_list,
    overcharge_claims_list,
    practice_performance_list,
)
from reports.selectors.savings import Figures, savings_figures
from reports.views.common import request_period

Status = PurchaseLine.Status
TREND_FIGURES = {"Spend": "spend", "Savings": "savings", "Overcharge": "overcharge"}

# What each headline card means, in the words its tooltip and note use (DESIGN §4 rule 7 for the money).
MEANINGS = {
    "spend": "Everything the uploaded purchase lines say was paid in the period; returns and credits net off.",
    "savings": "What contract prices saved against the vendor's list price on lines bought on contract.",
    "overcharge": "Billed above the contract price (beyond the tolerance): money to claim back from the vendor.",
    "missed": "What contract prices would have saved on lines bought off contract, from vendors outside the GPO, "
    "or under contracts the practice has not joined. Overcharges are not counted here: they have their own card.",
    "compliance_rate": "On-contract spend as a share of the spend with vendors that have a coalition contract.",
    "admin_fee": "The vendors' admin fees: on-contract spend of each contract times its admin fee percentage.",
}


# --- headline cards with their comparisons ----------------------------------------------------------------------


@dataclass
class Comparison:
    """A headline figure of an earlier period: which one, its value and its link."""

    label: str
    period: Period
    drill: Drill
    current: Any


@dataclass
class Card:
    """One headline card: its label, the figure (a drill link), what it means, and its comparisons."""

    key: str
    label: str
    drill: Drill
    css: str = ""
    note: str = ""
    note_drill: Drill | None = None
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def meaning(self) -> str:
        return MEANINGS.get(self.key, "")

    @property
    def is_rate(self) -> bool:
        return self.drill.figure == "compliance_rate"


def _missed_off_contract(figures: dict[str, Any]) -> Decimal:
    """Missed savings that are not overcharges: missed_savings - overcharge, as DESIGN §4.7 counts an overcharge as
    missed too. Summed from the statuses it comes from, so it ties out to the lines its link lists."""
    by_status: dict[str, Figures] = figures["by_status"]
    return sum((by_status[s].missed_savings for s in MISSED_NOT_OVERCHARGE if s in by_status), ZERO)


def _headline(scope: Scope, figures: dict[str, Any], savings: str = "total") -> dict[str, Drill]:
    """The drill links of the headline figures of one period (`savings`: the API entry they show, if any)."""
    total: Figures = figures["total"]
    return {
        "spend": scope.drill("spend", total.spend, savings),
        "savings": scope.drill("savings", total.savings, savings),
        "overcharge": scope.drill("overcharge", total.overcharge, savings, status=Status.OVERCHARGED),
        "missed": scope.drill("missed_savings", _missed_off_contract(figures), "", status=MISSED_NOT_OVERCHARGE),
        "compliance_rate": Drill("compliance_rate", total.compliance_rate, scope.url({}), savings),
    }


def _cards(period: Period, practice: Practice | None, figures: dict[str, Any], *, spend_label: str) -> list[Card]:
    """Headline cards of the period, each compared with the previous equal period and the same period a year ago."""
    slug = practice.slug if practice else None
    scope = Scope(period, slug)
    total: Figures = figures["total"]
    now = _headline(scope, figures)
    cards = [
        Card("spend", spend_label, now["spend"], note=f"{total.lines:,} line{'s' if total.lines != 1 else ''}"),
        Card("savings", "Savings", now["savings"], "good", "vs list price"),
        Card("overcharge", "Overcharge to claim back", now["overcharge"], "bad", "billed above contract price"),
        Card(
            "missed",
            "Missed by buying off contract / not joining",
            now["missed"],
            "warn",
            "total missed incl. overcharge:",
            scope.drill("missed_savings", total.missed_savings, "total"),
        ),
        Card("compliance_rate", "Compliance rate", now["compliance_rate"], note="on-contract share of GPO spend"),
    ]
    before, year_ago = previous_period(period), year_earlier(period)
    comparisons = [("the previous period", before), ("a year earlier", year_ago)]
    if before is not None and year_ago is not None and (before.start, before.end) == (year_ago.start, year_ago.end):
        comparisons = [("the year before", before)]  # a whole year: both comparisons are the same dates
    for label, earlier in comparisons:
        if earlier is None:
            continue
        earlier_figures = savings_figures(practice_ids=_ids(practice), start=earlier.start, end=earlier.end)
        then = _headline(Scope(earlier, slug), earlier_figures, savings="")
        for card in cards:
            card.comparisons.append(Comparison(label, earlier, then[card.key], card.drill.value))
    return cards


def _ids(practice: Practice | None) -> list[int] | None:
    return [practice.id] if practice is not None else None


# --- tables and charts ------------------------------------------------------------------------------------------


@dataclass
class Row:
    """A breakdown row: its key, label, figures and the drill link of every figure."""

    key: Any
    label: str
    figures: Figures
    drills: dict[str, Drill]
    link: Drill | None = None


def _breakdowns(scope: Scope, figures: dict[str, Any]) -> dict[str, list[Row]]:
    """By status, vendor, category and month, each row's figures linked to its lines."""
    labels = dict(Status.choices)
    return {
        "by_status": [
            Row(s, str(labels.get(s, s)), f, scope.figures(f, f"by_status:{s}", status=s))
            for s, f in figures["by_status"].items()
        ],
        "by_vendor": [
            Row(key, name, f, scope.figures(f, f"by_vendor:{slug or name}", vendor=slug or name))
            for key, f in figures["by_vendor"].items()
            for slug, name in [key]
        ],
        "by_category": [
            Row(
                key,
                name or "Uncategorised",
                f,
                scope.figures(f, f"by_category:{slug or 'none'}", category=slug or "none"),
            )
            for key, f in figures["by_category"].items()
            for slug, name in [key]
        ],
        "by_month": [
            Row(m, month_label(m), f, scope.figures(f, f"by_month:{m}", month=m))
            for m, f in figures["by_month"].items()
        ],
    }


def _trend(scope: Scope, figures: dict[str, Any], period: Period) -> dict[str, Any]:
    """The monthly bar chart, each bar a link to the month's lines carrying that money."""
    by_month: dict[str, Figures] = figures["by_month"]
    months = charts.months_between(period.start, period.end) if period.start and period.end else list(by_month)
    empty = Figures()
    chart = charts.grouped_bar_chart(
        months,
        [
            ("Spend", "bar-spend", [by_month.get(m, empty).spend for m in months]),
            ("Savings", "bar-savings", [by_month.get(m, empty).savings for m in months]),
            ("Overcharge", "bar-overcharge", [by_month.get(m, empty).overcharge for m in months]),
        ],
    )
    bars = []
    for bar in chart.bars:
        figure = TREND_FIGURES[bar.series]
        value = getattr(by_month.get(bar.key, empty), figure)
        bars.append((bar, scope.drill(figure, value, f"by_month:{bar.key}", month=bar.key)))
    return {"chart": chart, "bars": bars}


def _status_share(scope: Scope, figures: dict[str, Any]) -> list[tuple[charts.ShareRow, Drill]]:
    labels = dict(Status.choices)
    items = list(figures["by_status"].items())
    rows = charts.share_rows([(str(labels.get(s, s)), f.spend, f"share-{s}") for s, f in items])
    return [
        (row, scope.drill("spend", f.spend, f"by_status:{s}", status=s))
        for row, (s, f) in zip(rows, items, strict=True)
    ]


def _pick(sheets: list[Sheet], table: str) -> list[Sheet]:
    """One table's sheet when `table` names one (its slugged title), else every sheet."""
    chosen = [s for s in sheets if s.title.lower().replace(" ", "_") == table]
    return chosen or sheets


def _file_part(period: Period) -> str:
    return f"{period.start or 'start'}_{period.end or 'end'}"


def _page_query(period: Period, practice: Practice | None, explicit: bool) -> str:
    """This page's period (and practice, when the address named it) for its export links."""
    params = {"practice": practice.slug} if practice is not None and explicit else {}
    params["period"] = period.choice
    if period.choice == "custom":
        params.update(
            start=period.start.isoformat() if period.start else "", end=period.end.isoformat() if period.end else ""
        )
    return urlencode(params)


def _common(
    scope: Scope, period: Period, figures: dict[str, Any], practice: Practice | None, explicit: bool
) -> dict[str, Any]:
    return {
        "period": period,
        "period_choices": PERIOD_CHOICES,
        "query": _page_query(period, practice, explicit),
        "total": figures["total"],
        "trend": _trend(scope, figures, period),
        "status_share": _status_share(scope, figures),
        **_breakdowns(scope, figures),
    }


# --- the practice dashboard -------------------------------------------------------------------------------------


def _line_drill(scope: Scope, line: PurchaseLine, figure: str) -> Drill:
    """One line's figure: the explorer narrowed to its upload and row."""
    return scope.drill(figure, getattr(line, figure), "", upload=str(line.upload.public_id), row=str(line.row_number))


def _line_lists(request: HttpRequest, practice: Practice, period: Period) -> tuple[list[Any], list[Any]]:
    """The period's largest overcharged lines and largest missed-savings lines of the practice (50 each)."""
    user, start, end = request.user, period.start, period.end
    claims = list(overcharge_claims_list(user=user, practice=practice, start=start, end=end))
    return claims, list(missed_savings_list(user=user, practice=practice, start=start, end=end))


@login_required
def practice_dashboard(request: HttpRequest) -> HttpResponse:
    """KPIs, trend, breakdowns, the overcharge claim list and missed savings of the current practice."""
    # ?practice= names a practice explicitly (coalition staff drilling down); one the user cannot see answers 404.
    slug = request.GET.get("practice")
    practice = scoping.practice_get(user=request.user, slug=slug) if slug else scoping.current_practice(request)
    if practice is None:
        return render(request, "reports/dashboards/no_practice.html", status=200)
    right_require(request.user, practice, Right.FIGURES)
    period = request_period(request)
    figures = savings_figures(practice_ids=[practice.id], start=period.start, end=period.end)
    if request.GET.get("format") == "xlsx":
        claims, missed = _line_lists(request, practice, period)
        sheets = [
            exports.summary_sheet(practice_name=practice.name, start=period.start, end=period.end, figures=figures),
            *exports.breakdown_sheets(figures),
            exports.claims_sheet(claims),
            exports.missed_savings_sheet(missed),
        ]
        name = f"savings-{practice.slug}-{_file_part(period)}.xlsx"
        return xlsx_download(workbook_bytes(_pick(sheets, request.GET.get("table", ""))), filename=name)
    scope = Scope(period, practice.slug)
    query = _page_query(period, practice, bool(slug))

    def tables() -> str:
        """The trend, the breakdowns, the overcharges to claim and the missed savings: most of the page's work."""
        claims, missed = _line_lists(request, practice, period)
        context = {
            **_common(scope, period, figures, practice, bool(slug)),
            "practice": practice,
            "vendor_count": len(figures["by_vendor"]),
            "claims": [(line, _line_drill(scope, line, "overcharge")) for line in claims],
            "claims_total": sum((c.overcharge for c in claims), ZERO),
            "claims_all": scope.drill("overcharge", figures["total"].overcharge, "total", status=Status.OVERCHARGED),
            "claims_complete": len(claims) < 50,
            "missed": [(line, _line_drill(scope, line, "missed_savings")) for line in missed],
            "missed_all": scope.drill(
                "missed_savings", _missed_off_contract(figures), "", status=MISSED_NOT_OVERCHARGE
            ),
        }
        context["by_vendor"] = context["by_vendor"][:25]
        return render_to_string("reports/dashboards/_practice_tables.html", context)

    # Cached like the figures they show (reports.figures_cache): an upload, a reprocess, a catalog change or a
    # rename replaces the version; the period is in the key as dates, so "this year" moves on with the calendar.
    version = scope_version([practice.id], with_names=True)
    parameters = (practice.pk, practice.slug, period.choice, period.start, period.end, query)
    context = {
        "period": period,
        "period_choices": PERIOD_CHOICES,
        "query": query,
        "practice": practice,
        "cards": _cards(period, practice, figures, spend_label="Spend"),
        "recovery": recovery_totals(practice=practice),
        "tables": cached_html("practice-dashboard-tables", version, parameters, tables),
    }
    return render(request, "reports/dashboards/practice.html", context)


# --- the coalition dashboard ------------------------------------------------------------------------------------


@login_required
def coalition_dashboard(request: HttpRequest) -> HttpResponse:
    """All members: totals, per-practice and per-contract performance, leakage and trends (coalition staff)."""
    right_require(request.user, None, Right.FIGURES)
    period = request_period(request)
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
        return xlsx_download(workbook_bytes(_pick(sheets, request.GET.get("table", ""))), filename=name)
    scope = Scope(period)
    on_contract_all = ("on_contract", "overcharged")
    context = {
        **_common(scope, period, figures, None, False),
        "cards": _cards(period, None, figures, spend_label="Member spend"),
        "admin_fees": admin_fees,
        "practices": [
            (row, Scope(period, row.practice.slug).figures(row.figures, f"practice:{row.practice.slug}"))
            for row in practices
        ],
        "contracts": [
            (
                row,
                {
                    "on_contract_spend": scope.drill(
                        "on_contract_spend", row.figures.on_contract_spend, "", contract=row.contract.number
                    ),
                    "savings": scope.drill(
                        "savings", row.figures.savings, "", contract=row.contract.number, status=on_contract_all
                    ),
                    "overcharge": scope.drill(
                        "overcharge", row.figures.overcharge, "", contract=row.contract.number, status=on_contract_all
                    ),
                    "missed": scope.drill(
                        "missed_savings",
                        row.missed_by_non_participants,
                        "",
                        contract=row.contract.number,
                        status=Status.NOT_PARTICIPATING,
                    ),
                },
            )
            for row in contracts
        ],
        "leakage": [
            (
                row,
                scope.drill(
                    "spend",
                    row.figures.spend,
                    "",
                    status=Status.NON_GPO_VENDOR,
                    vendor=row.vendor_slug or row.vendor_name,
                ),
                Drill(
                    "lines",
                    row.figures.lines,
                    scope.url({"status": Status.NON_GPO_VENDOR, "vendor": row.vendor_slug or row.vendor_name}),
                ),
            )
            for row in leakage[:30]
        ],
        "leakage_total": scope.drill(
            "spend",
            sum((r.figures.spend for r in leakage), ZERO),
            f"by_status:{Status.NON_GPO_VENDOR}",
            status=Status.NON_GPO_VENDOR,
        ),
        "member_count": sum(1 for p in practices if p.figures.lines),
    }
    return render(request, "reports/dashboards/coalition.html", context)


urlpatterns: list[URLPattern | URLResolver] = [
    path("dashboard/", practice_dashboard, name="dashboard"),
    path("coalition/", coalition_dashboard, name="coalition"),
]
