"""`GET /api/lines/`: the lines behind every figure; each filter's money sums to its `/api/savings/` group."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from gpo.members.models import Practice, Role
from reports.models import PurchaseUpload
from reports.services.savings import savings_summary_refresh
from tests.factories import CategoryFactory, ContractFactory, VendorFactory
from tests.reports.savings_data import Status, line, random_lines

URL = "/api/lines/"
MONEY = ("spend", "on_contract_spend", "savings", "overcharge", "missed_savings")
ClientFor = Callable[[Any], APIClient]
LINE_KEYS = {
    "id",
    "row",
    "purchase_date",
    "vendor_name",
    "vendor",
    "sku",
    "description",
    "quantity",
    "uom",
    "unit_price",
    "extended_amount",
    "spend",
    "status",
    "overcharge_cause",
    "repeat_of",
    "contract",
    "expected_unit_price",
    "list_price",
    "savings",
    "overcharge",
    "missed_savings",
    "invoice_number",
    "po_number",
    "upload",
}


def _all_lines(client: APIClient, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every page of a filter."""
    found: list[dict[str, Any]] = []
    response = client.get(URL, {**params, "page_size": 1000})
    assert response.status_code == 200, response.content
    body = response.json()
    found += body["results"]
    while body["next"]:
        body = client.get(body["next"]).json()
        found += body["results"]
    assert len(found) == response.json()["count"]
    return found


def _money_of(lines: list[dict[str, Any]]) -> dict[str, str]:
    """The savings money keys summed from lines as the API gives them."""
    total = {key: Decimal("0.00") for key in MONEY}
    for item in lines:
        for key in ("spend", "savings", "overcharge", "missed_savings"):
            total[key] += Decimal(item[key])
        if item["status"] in {Status.ON_CONTRACT, Status.OVERCHARGED}:
            total["on_contract_spend"] += Decimal(item["spend"])
    return {key: f"{value:.2f}" for key, value in total.items()}


def _filter_of(group: str, entry: dict[str, Any]) -> dict[str, str]:
    """The /api/lines/ filter that selects one /api/savings/ breakdown entry."""
    if group == "by_status":
        return {"status": entry["status"]}
    if group == "by_vendor":
        return {"vendor": entry["vendor"] or entry["vendor_name"]}
    if group == "by_category":
        return {"category": entry["category"] or "none"}
    return {"month": entry["month"]}


@pytest.fixture
def two_practices_of_lines(practice_a: Practice, practice_b: Practice) -> None:
    random_lines(practice_a, 160, seed=11)
    random_lines(practice_b, 60, seed=12)
    savings_summary_refresh(practice_ids=[practice_a.id, practice_b.id])


PERIODS = [{}, {"start": "2026-02-10", "end": "2026-09-20"}, {"start": "2026-03-01", "end": "2026-03-31"}]


@pytest.mark.usefixtures("two_practices_of_lines")
@pytest.mark.parametrize("period", PERIODS, ids=["all-time", "partial-months", "one-month"])
@pytest.mark.parametrize("scope", ["practice", "coalition"])
def test_every_filter_sums_to_its_savings_breakdown_to_the_cent(
    period: dict[str, str], scope: str, make_member: Callable[..., Any], practice_a: Practice, api_client_for: ClientFor
) -> None:
    if scope == "practice":
        client, params = api_client_for(make_member(Role.FINANCE, practice_a)), {"practice": "alpha-radiology"}
    else:
        client, params = api_client_for(make_member(Role.COALITION_EXECUTIVE)), {}
    params.update(period)
    savings = client.get("/api/savings/", params).json()

    checked = 0
    assert _money_of(_all_lines(client, params)) == {key: savings[key] for key in MONEY}
    for group in ("by_status", "by_vendor", "by_category", "by_month"):
        for entry in savings[group]:
            lines = _all_lines(client, {**params, **_filter_of(group, entry)})
            assert _money_of(lines) == {key: entry[key] for key in MONEY}, (group, entry)
            checked += 1
    assert checked >= 10


@pytest.mark.usefixtures("two_practices_of_lines")
def test_lines_have_the_upload_line_fields_plus_upload(practice_a: Practice, finance_a: Any, api_client_for: ClientFor):
    body = api_client_for(finance_a).get(URL, {"page_size": 5}).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 160
    assert all(set(item) == LINE_KEYS for item in body["results"])
    assert all(item["repeat_of"] is None and item["status"] != "pending" for item in body["results"])


@pytest.mark.usefixtures("two_practices_of_lines")
def test_lines_name_their_upload_by_its_public_id(practice_a: Practice, finance_a: Any, api_client_for: ClientFor):
    body = api_client_for(finance_a).get(URL, {"page_size": 200}).json()

    public_ids = {str(upload.public_id) for upload in PurchaseUpload.objects.filter(practice=practice_a)}
    assert {item["upload"] for item in body["results"]} == public_ids


@pytest.mark.usefixtures("two_practices_of_lines")
def test_lines_filter_by_the_uploads_public_id(practice_a: Practice, finance_a: Any, api_client_for: ClientFor):
    upload = PurchaseUpload.objects.filter(practice=practice_a, lines__isnull=False).distinct().first()
    client = api_client_for(finance_a)

    body = client.get(URL, {"upload": str(upload.public_id), "page_size": 200}).json()

    assert body["count"] == upload.lines.exclude(repeat_of__isnull=False).exclude(status="pending").count() > 0
    assert {item["upload"] for item in body["results"]} == {str(upload.public_id)}
    assert client.get(URL, {"upload": str(upload.id)}).status_code == 400


def test_list_takes_a_fixed_number_of_queries(
    practice_a: Practice, finance_a: Any, api_client_for: ClientFor, django_assert_num_queries
) -> None:
    vendor = VendorFactory(slug="bracco")
    contract = ContractFactory(vendor=vendor, number="GPO-1")
    for day in range(1, 30):
        line(practice_a, vendor=vendor, contract=contract, category=CategoryFactory(), purchase_date=date(2026, 4, day))
    client = api_client_for(finance_a)

    # token, memberships, vendor slug lookup, count, page
    with django_assert_num_queries(5):
        response = client.get(URL, {"vendor": "bracco", "start": "2026-04-01", "end": "2026-04-30"})

    assert response.json()["count"] == 29
    assert {item["contract"] for item in response.json()["results"]} == {"GPO-1"}


def test_another_practices_lines_never_show_and_naming_it_answers_404(
    practice_a: Practice, practice_b: Practice, finance_a: Any, api_client_for: ClientFor
) -> None:
    line(practice_a, spend="10.00", invoice_number="MINE")
    line(practice_b, spend="99.00", invoice_number="THEIRS")
    client = api_client_for(finance_a)

    assert [item["invoice_number"] for item in client.get(URL).json()["results"]] == ["MINE"]
    assert client.get(URL, {"practice": "beta-imaging"}).status_code == 404


@pytest.mark.parametrize("role", [Role.VIEWER])
def test_a_role_without_the_figures_right_gets_403_case(
    role: str, practice_a: Practice, make_member: Callable[..., Any], api_client_for: ClientFor
) -> None:
    line(practice_a, spend="10.00")
    client = api_client_for(make_member(role, practice_a))

    assert client.get(URL).status_code == 403
    assert client.get(URL, {"practice": "alpha-radiology"}).status_code == 403


def test_search_finds_invoice_sku_and_description(practice_a: Practice, finance_a: Any, api_client_for: ClientFor):
    line(practice_a, invoice_number="INV-7781", description="Omnipaque 350")
    line(practice_a, invoice_number="INV-1", sku="ABC-99", description="Gloves")
    client = api_client_for(finance_a)

    def found(text: str) -> list[str]:
        return [item["invoice_number"] for item in client.get(URL, {"search": text}).json()["results"]]

    assert found("7781") == ["INV-7781"]
    assert found("omnipaque") == ["INV-7781"]
    assert found("abc-9") == ["INV-1"]


def test_unresolved_vendor_and_no_contract_groups_filter_exactly(
    practice_a: Practice, finance_a: Any, api_client_for: ClientFor
):
    vendor = VendorFactory(name="Corner", slug="corner")
    line(practice_a, vendor=vendor, vendor_name="Corner", spend="5.00", contract=ContractFactory(number="C-1"))
    line(practice_a, vendor=None, vendor_name="Corner Office Supply", spend="7.00", status=Status.NON_GPO_VENDOR)
    client = api_client_for(finance_a)

    assert [i["spend"] for i in client.get(URL, {"vendor": "Corner Office Supply"}).json()["results"]] == ["7.00"]
    assert [i["spend"] for i in client.get(URL, {"vendor": "corner"}).json()["results"]] == ["5.00"]
    assert [i["spend"] for i in client.get(URL, {"contract": "none"}).json()["results"]] == ["7.00"]
    assert [i["spend"] for i in client.get(URL, {"contract": "C-1"}).json()["results"]] == ["5.00"]


def test_sorting_by_money_and_nonzero(practice_a: Practice, finance_a: Any, api_client_for: ClientFor):
    line(practice_a, spend="5.00", status=Status.OVERCHARGED, overcharge="1.00")
    line(practice_a, spend="9.00", status=Status.OVERCHARGED, overcharge="3.00")
    line(practice_a, spend="7.00")
    client = api_client_for(finance_a)

    by_overcharge = client.get(URL, {"ordering": "-overcharge", "nonzero": "overcharge"}).json()["results"]
    by_spend = client.get(URL, {"ordering": "spend"}).json()["results"]

    assert [i["overcharge"] for i in by_overcharge] == ["3.00", "1.00"]
    assert [i["spend"] for i in by_spend] == ["5.00", "7.00", "9.00"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"month": "2026-13"}, "month"), ({"start": "yesterday"}, "start"), ({"status": "lost"}, "status")],
)
def test_bad_filters_answer_400_naming_the_parameter(
    params: dict[str, str], field: str, finance_a: Any, api_client_for: ClientFor
) -> None:
    response = api_client_for(finance_a).get(URL, params)

    assert response.status_code == 400
    assert field in response.json()
