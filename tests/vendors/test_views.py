"""Vendor pages of the catalog."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone

from contracts.models import Contract
from gpo.members.models import Role
from tests.factories import ContractFactory, ParticipationFactory, VendorAliasFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor():
    today = timezone.localdate()
    vendor = VendorFactory(
        name="Guerbet LLC",
        slug="guerbet",
        description="Contrast media maker.",
        website="https://www.guerbet.com/",
        contact_name="Ana Ruiz",
        contact_email="ana@example.org",
    )
    VendorAliasFactory(vendor=vendor, name="GUERBET, LLC")
    ContractFactory(vendor=vendor, number="NOW", start_date=today - timedelta(days=5), end_date=today + timedelta(5))
    ContractFactory(vendor=vendor, number="SOON", start_date=today + timedelta(days=5), end_date=today + timedelta(9))
    ContractFactory(vendor=vendor, number="OLD", start_date=today - timedelta(days=50), end_date=today - timedelta(9))
    ContractFactory(
        vendor=vendor,
        number="DRAFT",
        status=Contract.Status.DRAFT,
        start_date=today,
        end_date=today + timedelta(days=9),
    )
    return vendor


def _numbers(response):
    return {key: [c.number for c in contracts] for key, _, contracts in response.context["sections"]}


@pytest.mark.parametrize("role_case", [Role.VIEWER, Role.FINANCE, Role.EXECUTIVE])
def test_member_sees_contracts_by_period_without_drafts(client, make_member, practice_a, vendor, role_case):
    client.force_login(make_member(role_case, practice_a))

    response = client.get("/catalog/vendors/guerbet/")

    assert response.status_code == 200
    assert _numbers(response) == {"in-force": ["NOW"], "upcoming": ["SOON"], "expired": ["OLD"]}
    html = response.content.decode()
    assert "ana@example.org" in html
    assert "GUERBET, LLC" in html


def test_staff_also_see_drafts(client, coalition_admin, vendor):
    client.force_login(coalition_admin)

    response = client.get("/catalog/vendors/guerbet/")

    assert _numbers(response)["drafts"] == ["DRAFT"]


def test_vendor_page_shows_whether_viewer_practice_joined(client, finance_a, practice_a, practice_b, vendor):
    now = vendor.contracts.get(number="NOW")
    ParticipationFactory(practice=practice_a, contract=now, tier="Tier 2", joined_on=now.start_date)
    ParticipationFactory(practice=practice_b, contract=vendor.contracts.get(number="OLD"), joined_on=now.start_date)
    client.force_login(finance_a)

    response = client.get("/catalog/vendors/guerbet/")

    joined = {c.number: (c.joined_on, c.joined_tier) for _, _, group in response.context["sections"] for c in group}
    assert joined == {"NOW": (now.start_date, "Tier 2"), "SOON": (None, None), "OLD": (None, None)}


def test_vendor_page_for_another_practice_answers_404(client, finance_a, practice_b, vendor):
    client.force_login(finance_a)

    assert client.get("/catalog/vendors/guerbet/", {"practice": practice_b.slug}).status_code == 404


def test_unknown_vendor_answers_404(client, finance_a):
    client.force_login(finance_a)

    assert client.get("/catalog/vendors/nobody/").status_code == 404


def test_vendor_contracts_export_has_no_formula_cells(client, finance_a):
    evil = VendorFactory(name="Evil", slug="evil")
    ContractFactory(vendor=evil, number="E-1", title="=1+2")
    client.force_login(finance_a)

    response = client.get("/catalog/vendors/evil/", {"format": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
    assert sheet.cell(row=2, column=2).value == "'=1+2"
