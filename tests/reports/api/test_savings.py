"""`GET /api/savings/`: the shape of DESIGN.md section 7, scoping and exact totals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from gpo.members.models import Membership, Practice, Role
from reports.services.savings import savings_summary_refresh
from tests.factories import CategoryFactory, VendorFactory
from tests.reports.savings_data import Status, line, random_lines

URL = "/api/savings/"
MONEY = ("spend", "on_contract_spend", "savings", "overcharge", "missed_savings")
TOP_KEYS = {
    "practice",
    "start",
    "end",
    *MONEY,
    "compliance_rate",
    "by_status",
    "by_vendor",
    "by_category",
    "by_month",
}
ClientFor = Callable[[Any], APIClient]


def test_empty_practice_answers_zero_money_and_null_rate(finance_a: Any, api_client_for: ClientFor) -> None:
    response = api_client_for(finance_a).get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "practice": "alpha-radiology",
        "start": None,
        "end": None,
        "spend": "0.00",
        "on_contract_spend": "0.00",
        "savings": "0.00",
        "overcharge": "0.00",
        "missed_savings": "0.00",
        "compliance_rate": None,
        "by_status": [],
        "by_vendor": [],
        "by_category": [],
        "by_month": [],
    }


def test_shape_has_every_key_with_two_decimal_money(
    practice_a: Practice, finance_a: Any, api_client_for: ClientFor
) -> None:
    vendor = VendorFactory(name="Bracco Diagnostics", slug="bracco")
    category = CategoryFactory(name="Contrast media", slug="contrast-media")
    line(practice_a, vendor=vendor, category=category, spend="1234.5", savings="10", purchase_date=date(2026, 2, 3))
    line(practice_a, status=Status.OVERCHARGED, vendor=vendor, spend="100.00", overcharge="12.34")
    line(practice_a, status=Status.NON_GPO_VENDOR, vendor=None, vendor_name="Corner Shop", spend="5.00")
    savings_summary_refresh(practice_ids=[practice_a.id])

    body = api_client_for(finance_a).get(URL, {"start": "2026-01-01", "end": "2026-12-31"}).json()

    assert set(body) == TOP_KEYS
    assert (body["practice"], body["start"], body["end"]) == ("alpha-radiology", "2026-01-01", "2026-12-31")
    assert {k: body[k] for k in MONEY} == {
        "spend": "1339.50",
        "on_contract_spend": "1334.50",
        "savings": "10.00",
        "overcharge": "12.34",
        "missed_savings": "0.00",
    }
    assert body["compliance_rate"] == 1.0
    assert [g["status"] for g in body["by_status"]] == ["on_contract", "overcharged", "non_gpo_vendor"]
    assert [(g["vendor"], g["vendor_name"], g["spend"]) for g in body["by_vendor"]] == [
        ("bracco", "Bracco Diagnostics", "1334.50"),
        (None, "Corner Shop", "5.00"),
    ]
    assert [(g["category"], g["category_name"], g["spend"]) for g in body["by_category"]] == [
        ("contrast-media", "Contrast media", "1234.50"),
        (None, None, "105.00"),
    ]
    assert [(g["month"], g["spend"]) for g in body["by_month"]] == [("2026-02", "1234.50"), ("2026-03", "105.00")]
    for group in body["by_status"] + body["by_vendor"] + body["by_category"] + body["by_month"]:
        assert all(isinstance(group[k], str) and group[k].count(".") == 1 for k in MONEY)
        assert all(len(group[k].split(".")[1]) == 2 for k in MONEY)


def test_totals_equal_the_sum_of_the_lines_exactly(
    practice_a: Practice, finance_a: Any, api_client_for: ClientFor
) -> None:
    lines = random_lines(practice_a, 250, seed=3)
    savings_summary_refresh(practice_ids=[practice_a.id])
    counted = [x for x in lines if x.repeat_of_id is None and x.status != Status.PENDING]

    body = api_client_for(finance_a).get(URL, {"start": "2026-01-10", "end": "2026-11-20"}).json()

    period = [x for x in counted if date(2026, 1, 10) <= x.purchase_date <= date(2026, 11, 20)]
    for key in ("spend", "savings", "overcharge", "missed_savings"):
        assert Decimal(body[key]) == sum((getattr(x, key) for x in period), Decimal("0.00"))
        assert sum(Decimal(g[key]) for g in body["by_month"]) == Decimal(body[key])
        assert sum(Decimal(g[key]) for g in body["by_vendor"]) == Decimal(body[key])


def test_coalition_staff_without_practice_get_every_member(
    practice_a: Practice, practice_b: Practice, coalition_admin: Any, api_client_for: ClientFor
) -> None:
    line(practice_a, spend="10.00")
    line(practice_b, spend="32.50")
    savings_summary_refresh(practice_ids=[practice_a.id, practice_b.id])

    body = api_client_for(coalition_admin).get(URL).json()

    assert (body["practice"], body["spend"]) == (None, "42.50")


def test_coalition_executive_may_ask_for_one_practice(
    practice_a: Practice, practice_b: Practice, make_member: Callable[..., Any], api_client_for: ClientFor
) -> None:
    line(practice_a, spend="10.00")
    line(practice_b, spend="32.50")
    savings_summary_refresh(practice_ids=[practice_a.id, practice_b.id])
    executive = make_member(Role.COALITION_EXECUTIVE)

    body = api_client_for(executive).get(URL, {"practice": "beta-imaging"}).json()

    assert (body["practice"], body["spend"]) == ("beta-imaging", "32.50")


@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE])
def test_practice_roles_see_their_own_practice(
    role: str, practice_a: Practice, practice_b: Practice, make_member: Callable[..., Any], api_client_for: ClientFor
) -> None:
    line(practice_a, spend="10.00")
    line(practice_b, spend="32.50")
    savings_summary_refresh(practice_ids=[practice_a.id, practice_b.id])
    client = api_client_for(make_member(role, practice_a))

    assert client.get(URL).json()["spend"] == "10.00"
    assert client.get(URL, {"practice": "alpha-radiology"}).json()["spend"] == "10.00"


def test_viewer_may_not_read_its_own_practices_savings(
    practice_a: Practice, make_member: Callable[..., Any], api_client_for: ClientFor
) -> None:
    line(practice_a, spend="10.00")
    savings_summary_refresh(practice_ids=[practice_a.id])
    client = api_client_for(make_member(Role.VIEWER, practice_a))

    assert client.get(URL).status_code == 403
    assert client.get(URL, {"practice": "alpha-radiology"}).status_code == 403


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE])
def test_another_practice_answers_404(
    role: str, practice_a: Practice, practice_b: Practice, make_member: Callable[..., Any], api_client_for: ClientFor
) -> None:
    line(practice_b, spend="32.50")
    savings_summary_refresh(practice_ids=[practice_b.id])

    response = api_client_for(make_member(role, practice_a)).get(URL, {"practice": "beta-imaging"})

    assert response.status_code == 404
    assert "32.50" not in response.content.decode()


def test_member_of_two_practices_must_choose(
    practice_a: Practice, practice_b: Practice, make_member: Callable[..., Any], api_client_for: ClientFor
) -> None:
    user = make_member(Role.FINANCE, practice_a)

    Membership.objects.create(user=user, practice=practice_b, role=Role.VIEWER)

    response = api_client_for(user).get(URL)

    assert response.status_code == 400
    assert "practice" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": "03/15/2026"}, "start"),
        ({"start": "2026-03-02", "end": "2026-03-01"}, "end"),
    ],
)
def test_bad_dates_answer_400_naming_the_parameter(
    params: dict[str, str], field: str, finance_a: Any, api_client_for: ClientFor
) -> None:
    response = api_client_for(finance_a).get(URL, params)

    assert response.status_code == 400
    assert field in response.json()


def test_signed_out_caller_is_refused() -> None:
    assert APIClient().get(URL).status_code in {401, 403}


def test_query_count_does_not_grow_with_lines(
    practice_a: Practice,
    finance_a: Any,
    api_client_for: ClientFor,
    django_assert_max_num_queries: Any,
) -> None:
    random_lines(practice_a, 120, seed=5)
    savings_summary_refresh(practice_ids=[practice_a.id])
    client = api_client_for(finance_a)

    # token, memberships, practice, summary built?; one summary read per breakdown (vendor, category, month), one
    # read of the partial-month lines; vendor and category names
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"practice": "alpha-radiology", "start": "2026-01-15", "end": "2026-10-20"})

    assert response.status_code == 200
