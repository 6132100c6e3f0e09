"""`seed_demo`'s dues: a believable state without Stripe keys, safe to seed twice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from gpo.billing.demo import seed_billing
from gpo.billing.models import BillingAccount, DuesPlan, Invoice
from gpo.members.demo import DEMO_PASSWORD, seed_members
from gpo.members.models import Practice

pytestmark = pytest.mark.django_db


def _sign_in(client: Any, username: str) -> None:
    user = get_user_model().objects.get(username=username)
    assert user.check_password(DEMO_PASSWORD)
    client.force_login(user)


@pytest.fixture
def seeded() -> dict[str, str]:
    seed_members()
    return seed_billing()


def test_demo_practices_are_mostly_paid_up_one_past_due_one_lapsed_each_with_a_plan_and_invoices(seeded):
    assert seeded.pop("bayview-imaging") == "past_due"
    assert seeded.pop("heartland-radiology") == "lapsed"
    assert set(seeded.values()) == {"active"}
    assert dict(
        Practice.objects.filter(slug__in=["bayview-imaging", "heartland-radiology"]).values_list(
            "slug", "membership_status"
        )
    ) == {
        "bayview-imaging": "past_due",
        "heartland-radiology": "lapsed",
    }
    assert list(DuesPlan.objects.values_list("name", "annual_amount")) == [
        ("Small practice", Decimal("4800.00")),
        ("Mid-size practice", Decimal("9600.00")),
        ("Large practice", Decimal("16800.00")),
    ]
    assert BillingAccount.objects.filter(plan__isnull=False).count() == 8
    assert Invoice.objects.count() == 16
    assert sorted(Invoice.objects.filter(status="open").values_list("practice__slug", flat=True)) == [
        "bayview-imaging",
        "heartland-radiology",
    ]


def test_seeding_twice_changes_nothing(seeded):
    before = (Invoice.objects.count(), BillingAccount.objects.count(), DuesPlan.objects.count())

    assert seed_billing() == {**seeded}
    assert (Invoice.objects.count(), BillingAccount.objects.count(), DuesPlan.objects.count()) == before


def test_demo_executives_see_a_lapsed_and_a_paid_up_practice(seeded, client):
    _sign_in(client, "heartland-exec")

    page = client.get("/billing/").content.decode()

    assert "Billing · Heartland Radiology Group" in page
    assert "membership has lapsed" in page
    assert "RPC-" in page
    assert "Billing is not configured yet" in page
    client.logout()
    _sign_in(client, "executive")

    response = client.get("/billing/")

    billing = response.context["billing"]
    assert (billing.status, billing.plan.name, billing.next_invoice_amount) == (
        "active",
        "Mid-size practice",
        Decimal("9600.00"),
    )
    assert [invoice.status for invoice in billing.invoices] == ["paid", "paid"]
