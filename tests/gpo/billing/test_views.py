"""Billing pages by role (DESIGN.md section 3): executives their own practice, coalition executives read every
practice, coalition admins everything; finance and viewer 403 on their own practice; another practice 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from gpo.billing import services
from gpo.billing.models import BillingAccount, DuesPlan, Invoice
from gpo.members.models import Practice, Role

pytestmark = pytest.mark.django_db

VIEWER, FINANCE, EXECUTIVE = Role.VIEWER, Role.FINANCE, Role.EXECUTIVE
COALITION_EXECUTIVE, COALITION_ADMIN = Role.COALITION_EXECUTIVE, Role.COALITION_ADMIN
ROLES = [VIEWER, FINANCE, EXECUTIVE, COALITION_EXECUTIVE, COALITION_ADMIN]


@pytest.fixture
def plan() -> DuesPlan:
    return services.plan_save(name="Mid-size practice", band="6–15 radiologists", annual_amount=Decimal("9600.00"))


@pytest.fixture
def member_of(make_member: Callable[..., Any], practice_a: Practice) -> Callable[[str], Any]:
    """A user with `role` (in practice A for practice roles)."""

    def make(role: str) -> Any:
        return make_member(role, practice_a if role in (VIEWER, FINANCE, EXECUTIVE) else None)

    return make


# (method, path, expected status per role in ROLES order); Stripe is not configured, so nothing leaves the app.
ENDPOINTS = [
    ("get", "/billing/practices/alpha-radiology/", [403, 403, 200, 200, 200]),
    ("post", "/billing/practices/alpha-radiology/pay/", [403, 403, 303, 403, 303]),
    ("post", "/billing/practices/alpha-radiology/portal/", [403, 403, 303, 403, 303]),
    ("post", "/billing/practices/alpha-radiology/invoice-billing/", [403, 403, 403, 403, 303]),
    ("post", "/billing/practices/alpha-radiology/plan/", [403, 403, 403, 403, 303]),
    ("get", "/billing/practices/", [403, 403, 403, 200, 200]),
    ("post", "/billing/plans/{plan}/publish/", [403, 403, 403, 403, 303]),
    ("get", "/billing/", [403, 403, 200, 302, 302]),
]
CASES = [(method, path, role, codes[i]) for method, path, codes in ENDPOINTS for i, role in enumerate(ROLES)]


@pytest.mark.parametrize(("method", "path", "role", "expected"), CASES, ids=[f"{c[2]}-{c[0]}-{c[1]}" for c in CASES])
def test_each_endpoint_answers_each_role_as_the_role_table_says_case(
    client, member_of, plan, method, path, role, expected
):
    client.force_login(member_of(role))

    response = getattr(client, method)(path.format(plan=plan.pk), {"plan": plan.pk} if method == "post" else None)

    assert response.status_code == expected


PRACTICE_ENDPOINTS = [
    ("get", "/billing/practices/beta-imaging/"),
    ("post", "/billing/practices/beta-imaging/pay/"),
    ("post", "/billing/practices/beta-imaging/portal/"),
    ("post", "/billing/practices/beta-imaging/invoice-billing/"),
    ("post", "/billing/practices/beta-imaging/plan/"),
]


@pytest.mark.parametrize("role", [VIEWER, FINANCE, EXECUTIVE])
@pytest.mark.parametrize(("method", "path"), PRACTICE_ENDPOINTS, ids=[f"{m}-{p}" for m, p in PRACTICE_ENDPOINTS])
def test_another_practices_billing_answers_404_case(client, member_of, practice_b, plan, role, method, path):
    client.force_login(member_of(role))

    response = getattr(client, method)(path, {"plan": plan.pk} if method == "post" else None)

    assert response.status_code == 404
    assert not BillingAccount.objects.filter(practice=practice_b).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/billing/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_forbidden_page_says_who_may_see_billing(client, member_of):
    client.force_login(member_of(FINANCE))

    response = client.get("/billing/")

    assert response.status_code == 403
    assert "for the practice&#x27;s executives and coalition staff" in response.content.decode()


def test_coalition_staff_without_a_practice_land_on_the_overview(client, member_of):
    client.force_login(member_of(COALITION_EXECUTIVE))

    assert client.get("/billing/")["Location"] == "/billing/practices/"


def test_practice_page_shows_status_plan_next_invoice_and_invoices_with_links(client, member_of, practice_a, plan):
    period_end = timezone.now() + timedelta(days=200)
    BillingAccount.objects.create(
        practice=practice_a,
        plan=plan,
        subscription_status="active",
        current_period_end=period_end,
        next_invoice_amount=Decimal("9600.00"),
    )
    Invoice.objects.create(
        practice=practice_a,
        stripe_invoice_id="in_1",
        number="RPC-2026-0001",
        status="paid",
        amount_due=Decimal("9600.00"),
        amount_paid=Decimal("9600.00"),
        issued_at=timezone.now() - timedelta(days=165),
        paid_at=timezone.now() - timedelta(days=165),
        hosted_invoice_url="https://invoice.stripe.com/i/acct_1/in_1",
        invoice_pdf="https://pay.stripe.com/invoice/acct_1/in_1/pdf",
    )
    client.force_login(member_of(EXECUTIVE))

    page = client.get("/billing/").content.decode()

    assert "Billing · Alpha Radiology" in page
    assert "badge-membership-active" in page
    assert "Mid-size practice" in page
    assert "$9,600.00 a year" in page
    assert period_end.strftime("%b %-d, %Y") in page
    assert "RPC-2026-0001" in page
    assert 'href="https://invoice.stripe.com/i/acct_1/in_1"' in page
    assert 'href="https://pay.stripe.com/invoice/acct_1/in_1/pdf"' in page
    assert "Pay dues" in page
    assert "Manage payment method" in page


def test_without_keys_pages_say_billing_is_not_configured_and_how(client, member_of, practice_a):
    client.force_login(member_of(EXECUTIVE))

    page = client.get("/billing/").content.decode()

    assert "Billing is not configured yet" in page
    assert "STRIPE_SECRET_KEY" in page
    assert "STRIPE_WEBHOOK_SECRET" in page
    assert "disabled" in page


def test_pay_dues_without_keys_explains_and_calls_nothing(client, member_of, practice_a):
    client.force_login(member_of(EXECUTIVE))

    response = client.post("/billing/practices/alpha-radiology/pay/", follow=True)

    assert "Billing is not configured yet" in response.content.decode()
    practice_a.refresh_from_db()
    assert practice_a.stripe_customer_id == ""


def test_pay_dues_without_a_plan_says_the_office_sets_it(client, member_of, stripe_http):
    client.force_login(member_of(EXECUTIVE))

    response = client.post("/billing/practices/alpha-radiology/pay/", follow=True)

    assert "has no dues plan yet" in response.content.decode()
    assert stripe_http.requests == []


def test_open_invoice_gives_pay_dues_its_hosted_page(client, member_of, practice_a, plan):
    BillingAccount.objects.create(practice=practice_a, plan=plan, subscription_status="past_due")
    Invoice.objects.create(
        practice=practice_a,
        stripe_invoice_id="in_open",
        status="open",
        amount_due=Decimal("9600.00"),
        amount_remaining=Decimal("9600.00"),
        hosted_invoice_url="https://invoice.stripe.com/i/acct_1/in_open",
    )
    client.force_login(member_of(EXECUTIVE))

    page = client.get("/billing/").content.decode()

    assert '<a class="button" href="https://invoice.stripe.com/i/acct_1/in_open"' in page
    assert "Pay dues ($9,600.00)" in page


def test_overview_lists_every_practice_the_overdue_first_and_plans(client, member_of, practice_a, practice_b, plan):
    Practice.objects.filter(pk=practice_b.pk).update(membership_status="lapsed")
    BillingAccount.objects.create(practice=practice_b, plan=plan, past_due_since=timezone.now() - timedelta(days=40))
    Invoice.objects.create(
        practice=practice_b,
        stripe_invoice_id="in_b",
        status="open",
        amount_due=Decimal("9600"),
        amount_remaining=Decimal("9600"),
    )
    client.force_login(member_of(COALITION_EXECUTIVE))

    response = client.get("/billing/practices/")

    overview = response.context["overview"]
    assert [row.practice.slug for row in overview.rows] == ["alpha-radiology", "beta-imaging"]
    assert [(row.practice.slug, row.status, row.amount_outstanding) for row in overview.overdue] == [
        ("beta-imaging", "lapsed", Decimal("9600.00"))
    ]
    assert overview.counts == {"active": 1, "past_due": 0, "lapsed": 1}
    page = response.content.decode()
    assert "Mid-size practice" in page
    assert "Switch to invoice billing" not in page  # coalition executives read only
    assert "Set plan" not in page


def test_admin_sets_a_practices_plan_from_the_overview(client, member_of, practice_a, plan):
    client.force_login(member_of(COALITION_ADMIN))

    response = client.post("/billing/practices/alpha-radiology/plan/", {"plan": plan.pk})

    assert response.status_code == 303
    assert BillingAccount.objects.get(practice=practice_a).plan == plan
    page = client.get("/billing/practices/").content.decode()
    assert "Switch to invoice billing" in page
    assert "Set plan" in page


def test_an_unknown_plan_answers_404(client, member_of, practice_a):
    client.force_login(member_of(COALITION_ADMIN))

    assert client.post("/billing/practices/alpha-radiology/plan/", {"plan": "nope"}).status_code == 404
    assert client.post("/billing/plans/999999/publish/").status_code == 404


@pytest.mark.parametrize(
    ("role", "shown"),
    [(VIEWER, False), (FINANCE, False), (EXECUTIVE, True), (COALITION_EXECUTIVE, True), (COALITION_ADMIN, True)],
)
def test_the_header_links_to_billing_only_for_roles_that_may_open_it_case(client, member_of, role, shown):
    client.force_login(member_of(role))

    page = client.get("/catalog/").content.decode()

    assert ('href="/billing/"' in page) is shown
