"""Drill-down: every figure on both dashboards links to the lines that sum to it, to the cent.

Each figure is an anchor carrying its money key and exact value (`data-figure`, `data-value`); these tests follow
every one of them through `GET /api/lines/` and the lines explorer, and check the figures that name an
`/api/savings/` entry (`data-savings`) against the API and the dashboard's own xlsx export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from openpyxl import load_workbook

from gpo.members.models import Practice, Role
from reports.services.savings import savings_summary_refresh
from reports.templatetags.savings_format import money, rate
from tests.reports.savings_data import Status, line, random_lines

ON_CONTRACT = {Status.ON_CONTRACT, Status.OVERCHARGED}
PERIODS = [{"period": "all"}, {"period": "custom", "start": "2026-02-10", "end": "2026-09-20"}]


class Links(HTMLParser):
    """Every anchor with a `data-figure`: its attributes and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "a" and "data-figure" in values:
            self._open = {**values, "text": ""}
            self.found.append(self._open)

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None


def _links(html: str) -> list[dict[str, str]]:
    parser = Links()
    parser.feed(html)
    return parser.found


def _query(href: str) -> list[tuple[str, str]]:
    parts = urlsplit(href)
    assert parts.path == "/lines/", href
    return parse_qsl(parts.query)


def _api_lines(client: Client, query: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Every line of the link's filter through `GET /api/lines/` (the page's period is written as dates)."""
    params: dict[str, Any] = {}
    for name, value in query:
        if name != "period":
            params.setdefault(name, []).append(value)
    params["page_size"] = 1000
    body = client.get("/api/lines/", params).json()
    found = list(body["results"])
    while body["next"]:
        body = client.get(body["next"]).json()
        found += body["results"]
    return found


def _figure_of(lines: list[dict[str, Any]], figure: str) -> Decimal | float | int | None:
    """The figure a link stands for, recomputed from its lines."""
    if figure == "lines":
        return len(lines)
    on_contract = sum((Decimal(x["spend"]) for x in lines if x["status"] in ON_CONTRACT), Decimal("0.00"))
    if figure == "on_contract_spend":
        return on_contract
    if figure == "compliance_rate":
        base = sum((Decimal(x["spend"]) for x in lines if x["status"] != Status.NON_GPO_VENDOR), Decimal("0.00"))
        return None if base == 0 else float(on_contract / base)
    return sum((Decimal(x[figure]) for x in lines), Decimal("0.00"))


def _value(link: dict[str, str]) -> Decimal | float | int | None:
    text = link["data-value"]
    if link["data-figure"] == "lines":
        return int(text)
    if link["data-figure"] == "compliance_rate":
        return float(text) if text else None
    return Decimal(text)


@pytest.fixture
def lines_of_two_practices(practice_a: Practice, practice_b: Practice) -> None:
    random_lines(practice_a, 70, seed=21)
    random_lines(practice_a, 25, seed=22, year=2025)  # last year: the comparisons have figures
    random_lines(practice_b, 30, seed=23)
    savings_summary_refresh(practice_ids=[practice_a.id, practice_b.id])


def _page(user: Any, path: str, params: dict[str, str]) -> tuple[Client, str]:
    client = Client()
    client.force_login(user)
    response = client.get(path, params)
    assert response.status_code == 200
    return client, response.content.decode()


PAGES = [("practice", "/dashboard/", Role.FINANCE), ("coalition", "/coalition/", Role.COALITION_EXECUTIVE)]


@pytest.mark.usefixtures("lines_of_two_practices")
@pytest.mark.parametrize("params", PERIODS, ids=["all-time", "partial-months"])
@pytest.mark.parametrize(("page", "path", "role"), PAGES, ids=[p[0] for p in PAGES])
def test_every_drill_down_links_lines_that_sum_to_its_figure(
    page: str, path: str, role: str, params: dict[str, str], make_member: Callable[..., Any], practice_a: Practice
) -> None:
    user = make_member(role, practice_a if page == "practice" else None)
    client, html = _page(user, path, params)

    links = _links(html)
    checked: dict[tuple[str, str], Any] = {}
    for link in links:
        key = (link["href"], link["data-figure"])
        if key not in checked:
            checked[key] = _figure_of(_api_lines(client, _query(link["href"])), link["data-figure"])
        assert checked[key] == _value(link), (link, checked[key])

    assert len(links) >= 150
    figures = {link["data-figure"] for link in links}
    assert figures >= {"spend", "on_contract_spend", "savings", "overcharge", "missed_savings", "compliance_rate"}


@pytest.mark.usefixtures("lines_of_two_practices")
@pytest.mark.parametrize(("page", "path", "role"), PAGES, ids=[p[0] for p in PAGES])
def test_every_linked_figure_shows_its_value(
    page: str, path: str, role: str, make_member: Callable[..., Any], practice_a: Practice
) -> None:
    user = make_member(role, practice_a if page == "practice" else None)
    _, html = _page(user, path, {"period": "all"})

    for link in _links(html):
        text = link["text"].strip()
        if not text or "chart-bar" in link.get("class", ""):
            continue  # a chart bar shows its value in its tooltip
        if link["data-figure"] == "compliance_rate":
            assert text == rate(_value(link)), link  # type: ignore[arg-type]
        elif link["data-figure"] != "lines" and text.startswith(("$", "-$")):
            assert text == money(_value(link)), link


def _savings_entry(savings: dict[str, Any], name: str) -> dict[str, Any]:
    """The `/api/savings/` entry a `data-savings` names ("total", "by_vendor:<slug or name>"...); zero if absent."""
    if name == "total":
        return savings
    group, _, key = name.partition(":")
    field = {"by_status": "status", "by_vendor": "vendor", "by_category": "category", "by_month": "month"}[group]
    for entry in savings[group]:
        found = entry[field] or (entry["vendor_name"] if field == "vendor" else "none")
        if found == key:
            return entry
    return {
        "spend": "0.00",
        "on_contract_spend": "0.00",
        "savings": "0.00",
        "overcharge": "0.00",
        "missed_savings": "0.00",
    }


def _api_value(entry: dict[str, Any], figure: str) -> Any:
    if figure == "compliance_rate":
        return entry["compliance_rate"]
    return Decimal(entry[figure])


@pytest.mark.usefixtures("lines_of_two_practices")
@pytest.mark.parametrize("params", PERIODS, ids=["all-time", "partial-months"])
@pytest.mark.parametrize(("page", "path", "role"), PAGES, ids=[p[0] for p in PAGES])
def test_every_dashboard_figure_equals_the_savings_api_and_the_export(
    page: str,
    path: str,
    role: str,
    params: dict[str, str],
    make_member: Callable[..., Any],
    practice_a: Practice,
    api_client_for: Callable[[Any], Any],
) -> None:
    user = make_member(role, practice_a if page == "practice" else None)
    _, html = _page(user, path, params)
    api_params = {k: v for k, v in params.items() if k != "period"}
    scope = {"practice": practice_a.slug} if page == "practice" else {}
    savings = api_client_for(user).get("/api/savings/", {**api_params, **scope}).json()
    practices = {}
    if page == "coalition":
        for slug in ("alpha-radiology", "beta-imaging"):
            practices[slug] = api_client_for(user).get("/api/savings/", {**api_params, "practice": slug}).json()

    compared = 0
    for link in _links(html):
        name = link["data-savings"]
        if not name or link["data-figure"] == "lines":
            continue
        entry = practices[name.split(":")[1]] if name.startswith("practice:") else _savings_entry(savings, name)
        assert _api_value(entry, link["data-figure"]) == _value(link), (link, entry)
        compared += 1
    assert compared >= 60

    export = Client()
    export.force_login(user)
    workbook = load_workbook(io.BytesIO(export.get(path, {**params, "format": "xlsx"}).content))
    by_vendor = {(row[1] or row[0]): row for row in workbook["By vendor"].iter_rows(min_row=2, values_only=True)}
    assert {
        slug_or_name: Decimal(str(row[2])).quantize(Decimal("0.01")) for slug_or_name, row in by_vendor.items()
    } == {(e["vendor"] or e["vendor_name"]): Decimal(e["spend"]) for e in savings["by_vendor"]}
    by_month = {row[0]: row for row in workbook["By month"].iter_rows(min_row=2, values_only=True)}
    assert {
        m: (Decimal(str(r[1])).quantize(Decimal("0.01")), Decimal(str(r[5])).quantize(Decimal("0.01")))
        for m, r in by_month.items()
    } == {e["month"]: (Decimal(e["spend"]), Decimal(e["missed_savings"])) for e in savings["by_month"]}
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(min_row=2, values_only=True)}
    assert Decimal(str(summary["Spend"])).quantize(Decimal("0.01")) == Decimal(savings["spend"])
    assert Decimal(str(summary["Overcharge to claim back"])).quantize(Decimal("0.01")) == Decimal(savings["overcharge"])


def test_missed_off_contract_card_is_missed_savings_less_overcharge(
    finance_a: Any, practice_a: Practice, api_client_for: Callable[[Any], Any]
) -> None:
    # DESIGN §4.7: an overcharged line's missed saving is its overcharge; the card beside it must not count it twice.
    line(practice_a, status=Status.OVERCHARGED, spend="120.00", overcharge="20.00", missed_savings="20.00")
    line(practice_a, status=Status.NOT_PARTICIPATING, spend="300.00", missed_savings="45.50")
    line(practice_a, status=Status.OFF_CONTRACT, spend="80.00", missed_savings="4.25")
    line(practice_a, status=Status.ON_CONTRACT, spend="500.00", savings="60.00")
    savings_summary_refresh(practice_ids=[practice_a.id])
    _, html = _page(finance_a, "/dashboard/", {"period": "all"})
    savings = api_client_for(finance_a).get("/api/savings/", {"practice": practice_a.slug}).json()

    card = html.split('data-card="missed"')[1].split('data-card="compliance_rate"')[0]
    first = _links(card)[0]

    assert Decimal(first["data-value"]) == Decimal(savings["missed_savings"]) - Decimal(savings["overcharge"])
    assert first["data-value"] == "49.75"
    assert "Overcharges are not counted here" in card


@pytest.mark.usefixtures("lines_of_two_practices")
@pytest.mark.parametrize(("page", "path", "role"), PAGES, ids=[p[0] for p in PAGES])
def test_explorer_totals_and_exports_equal_the_figure_clicked(
    page: str, path: str, role: str, make_member: Callable[..., Any], practice_a: Practice
) -> None:
    user = make_member(role, practice_a if page == "practice" else None)
    client, html = _page(user, path, {"start": "2026-01-01", "end": "2026-12-31"})
    cards = _links(html.split('aria-label="Key figures"')[1].split("</section>")[0])
    money_cards = [link for link in cards if link["data-figure"] not in {"lines", "compliance_rate"}]
    assert len(money_cards) >= 9  # four money cards and the total missed, then the four of the year before

    for link in money_cards:
        explorer = client.get(link["href"]).content.decode()
        shown = explorer.split(f'data-total="{link["data-figure"]}">')[1].split("<")[0]
        assert shown == money(_value(link)), link
        column = {
            "spend": "Spend",
            "savings": "Savings",
            "overcharge": "Overcharge",
            "missed_savings": "Missed savings",
        }
        if link["data-figure"] not in column:
            continue
        book = load_workbook(io.BytesIO(client.get(link["href"] + "&format=xlsx").content))
        rows = list(book["Lines"].iter_rows(values_only=True))
        index = rows[0].index(column[link["data-figure"]])
        xlsx_sum = sum((Decimal(str(r[index])) for r in rows[1:] if r[index] is not None), Decimal("0"))
        assert xlsx_sum.quantize(Decimal("0.01")) == _value(link), link
        text = client.get(link["href"] + "&format=csv").getvalue().decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(text)))
        index = table[0].index(column[link["data-figure"]])
        assert sum((Decimal(r[index]) for r in table[1:] if r[index]), Decimal("0.00")) == _value(link), link
