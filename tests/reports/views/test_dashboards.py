"""Dashboard pages: per role, scoped to the current practice, coalition page for staff only, xlsx exports."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from gpo.members.models import Practice, Role
from reports.periods import period_from_query
from reports.services.savings import savings_summary_refresh
from tests.factories import ContractFactory, VendorFactory
from tests.reports.savings_data import Status, line

TODAY = date(2026, 11, 23)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_practices(practice_a: Practice, practice_b: Practice) -> None:
    vendor = VendorFactory(name="Bracco Diagnostics", slug="bracco")
    contract = ContractFactory(vendor=vendor, number="GPO-CONTRAST", admin_fee_pct=Decimal("2.5"))
    line(practice_a, vendor=vendor, contract=contract, spend="1000.00", savings="150.00", invoice_number="INV-A-1")
    line(
        practice_a,
        status=Status.OVERCHARGED,
        vendor=vendor,
        contract=contract,
        spend="200.00",
        overcharge="40.00",
        invoice_number="=HYPERLINK(1)",
        overcharge_cause="old_price",
    )
    line(
        practice_a,
        status=Status.NON_GPO_VENDOR,
        vendor=None,
        vendor_name="Corner Office Supply",
        spend="300.00",
        invoice_number="INV-A-3",
    )
    line(
        practice_b, status=Status.OVERCHARGED, vendor=vendor, spend="77.00", overcharge="7.77", invoice_number="INV-B-9"
    )
    savings_summary_refresh(practice_ids=[practice_a.id, practice_b.id])


@pytest.mark.parametrize(
    ("query", "start", "end"),
    [
        ({}, date(2026, 1, 1), date(2026, 12, 31)),
        ({"period": "12m"}, date(2025, 12, 1), date(2026, 11, 30)),
        ({"period": "all"}, None, None),
        ({"start": "2026-03-05", "end": "2026-03-09"}, date(2026, 3, 5), date(2026, 3, 9)),
        ({"period": "custom", "start": "bad"}, date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_period_filter_choices(query: dict[str, str], start: date | None, end: date | None) -> None:
    period = period_from_query(query, today=TODAY)

    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("role", [Role.FINANCE, Role.EXECUTIVE])
@pytest.mark.usefixtures("two_practices")
def test_practice_dashboard_shows_own_figures_and_claims(
    role: str, practice_a: Practice, make_member: Callable[..., Any]
) -> None:
    response = _client(make_member(role, practice_a)).get("/dashboard/", {"period": "all"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "$1,500.00" in html  # spend
    assert "$150.00" in html  # savings
    assert "$40.00" in html  # overcharge to claim back
    assert "Corner Office Supply" in html
    assert "INV-B-9" not in html
    assert "$77.00" not in html
    assert "<svg" in html
    assert 'style="' not in html
    assert "<script>" not in html


@pytest.mark.usefixtures("two_practices")
def test_viewer_gets_403_not_the_practice_figures(practice_a: Practice, make_member: Callable[..., Any]) -> None:
    response = _client(make_member(Role.VIEWER, practice_a)).get("/dashboard/", {"period": "all"})

    html = response.content.decode()
    assert response.status_code == 403
    assert "$1,500.00" not in html
    assert "INV-A-1" not in html


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE])
def test_coalition_dashboard_is_403_for_practice_users(
    role: str, practice_a: Practice, make_member: Callable[..., Any]
) -> None:
    client = _client(make_member(role, practice_a))

    assert client.get("/coalition/").status_code == 403
    assert client.get("/coalition/", {"format": "xlsx"}).status_code == 403


@pytest.mark.parametrize("role", [Role.COALITION_ADMIN, Role.COALITION_EXECUTIVE])
@pytest.mark.usefixtures("two_practices")
def test_coalition_dashboard_shows_every_member_contracts_and_leakage(
    role: str, make_member: Callable[..., Any]
) -> None:
    response = _client(make_member(role)).get("/coalition/", {"period": "all"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Alpha Radiology" in html
    assert "Beta Imaging" in html
    assert "$1,577.00" in html  # all members' spend
    assert "GPO-CONTRAST" in html
    assert "$30.00" in html  # admin fee: 2.5 % of 1,200.00 on-contract spend (B's line has no contract)
    assert "Corner Office Supply" in html


@pytest.mark.usefixtures("two_practices")
def test_practice_export_has_every_table_and_no_formula_cells(practice_a: Practice, finance_a: Any) -> None:
    response = _client(finance_a).get("/dashboard/", {"period": "all", "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="savings-alpha-radiology-')
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "Summary",
        "By status",
        "By vendor",
        "By category",
        "By month",
        "Overcharges",
        "Missed savings",
    ]
    assert all(c.data_type != "f" for ws in workbook for row in ws.iter_rows() for c in row)
    claims = list(workbook["Overcharges"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[13]) for r in claims] == [("'=HYPERLINK(1)", 40.0)]


@pytest.mark.usefixtures("two_practices")
def test_one_table_exports_alone(finance_a: Any) -> None:
    response = _client(finance_a).get("/dashboard/", {"period": "all", "format": "xlsx", "table": "by_vendor"})

    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["By vendor"]
    assert [r[0] for r in workbook["By vendor"].iter_rows(min_row=2, values_only=True)] == [
        "Bracco Diagnostics",
        "Corner Office Supply",
    ]


@pytest.mark.usefixtures("two_practices")
def test_coalition_export_lists_contracts_with_fee_revenue(coalition_admin: Any) -> None:
    response = _client(coalition_admin).get("/coalition/", {"period": "all", "format": "xlsx", "table": "contracts"})

    rows = list(load_workbook(io.BytesIO(response.content))["Contracts"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3], r[8]) for r in rows] == [("GPO-CONTRAST", 1200.0, 30.0)]


def test_dashboard_for_someone_without_a_practice_explains(db: None, make_member: Callable[..., Any]) -> None:
    response = _client(make_member(Role.COALITION_EXECUTIVE)).get("/dashboard/")

    assert response.status_code == 200
    assert "coalition dashboard" in response.content.decode()


def test_signed_out_visitor_is_sent_to_login(db: None) -> None:
    assert Client().get("/dashboard/").status_code == 302
