"""The exact requests the app sends to Stripe, through the real StripeClient (only its HTTP layer is recorded).

SECURITY.md item 19: every create carries a deterministic idempotency key, so a retry or a double click makes one
object at Stripe. The API version is pinned in settings and sent on every request; no global `stripe.api_key`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import stripe
from django.conf import settings
from django.utils import timezone

from gpo.billing import services
from gpo.billing.models import BillingAccount, DuesPlan
from gpo.members.models import Practice, Role
from tests.gpo.billing.stripe_fakes import SECRET_KEY, RecordingHTTPClient

pytestmark = pytest.mark.django_db

PAGE = "http://testserver/billing/practices/alpha-radiology/"
CHECKOUT_URL = "https://checkout.stripe.com/c/pay/cs_test_dues_1"
PORTAL_URL = "https://billing.stripe.com/p/session/test_portal_1"


@pytest.fixture
def mid_plan() -> DuesPlan:
    """A dues plan already published to Stripe."""
    plan = services.plan_save(name="Mid-size practice", band="6–15 radiologists", annual_amount=Decimal("9600.00"))
    DuesPlan.objects.filter(pk=plan.pk).update(
        stripe_product_id="prod_mid", stripe_price_id="price_mid", stripe_price_amount=Decimal("9600.00")
    )
    return DuesPlan.objects.get(pk=plan.pk)


@pytest.fixture
def executive_a(make_member: Callable[..., Any], practice_a: Practice) -> Any:
    return make_member(Role.EXECUTIVE, practice_a, username="dana")


@pytest.fixture
def on_plan(practice_a: Practice, mid_plan: DuesPlan) -> BillingAccount:
    return services.practice_plan_set(practice=practice_a, plan=mid_plan)


def _answer(recorder: RecordingHTTPClient) -> None:
    recorder.responses.update(
        {
            ("POST", "/v1/customers"): {"id": "cus_test_alpha", "object": "customer"},
            ("POST", "/v1/checkout/sessions"): {
                "id": "cs_test_dues_1",
                "object": "checkout.session",
                "url": CHECKOUT_URL,
            },
            ("POST", "/v1/billing_portal/sessions"): {
                "id": "bps_1",
                "object": "billing_portal.session",
                "url": PORTAL_URL,
            },
        }
    )


def test_pay_dues_creates_the_customer_then_a_checkout_session_with_deterministic_keys(
    client, stripe_http, executive_a, practice_a, on_plan
):
    _answer(stripe_http)
    client.force_login(executive_a)

    response = client.post("/billing/practices/alpha-radiology/pay/")

    assert response.status_code == 303
    assert response["Location"] == CHECKOUT_URL
    customer, session = stripe_http.requests
    assert (customer.method, customer.path) == ("POST", "/v1/customers")
    assert customer.params == {
        "name": "Alpha Radiology",
        "email": "dana@example.org",
        "metadata[practice]": "alpha-radiology",
        "metadata[practice_id]": str(practice_a.pk),
    }
    assert customer.idempotency_key == f"gpo-customer-{practice_a.pk}"
    assert (session.method, session.path) == ("POST", "/v1/checkout/sessions")
    assert session.params == {
        "mode": "subscription",
        "customer": "cus_test_alpha",
        "client_reference_id": str(practice_a.pk),
        "line_items[0][price]": "price_mid",
        "line_items[0][quantity]": "1",
        "success_url": f"{PAGE}?checkout=success",
        "cancel_url": f"{PAGE}?checkout=cancelled",
        "metadata[practice]": "alpha-radiology",
        "subscription_data[metadata][practice]": "alpha-radiology",
    }
    today = timezone.now().date().isoformat()
    assert session.idempotency_key == f"gpo-dues-checkout-{practice_a.pk}-price_mid-{today}"
    for request in stripe_http.requests:
        assert request.headers["Stripe-Version"] == settings.STRIPE_API_VERSION
        assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    practice_a.refresh_from_db()
    assert practice_a.stripe_customer_id == "cus_test_alpha"


def test_a_second_click_reuses_the_customer_and_repeats_the_checkout_key(
    client, stripe_http, executive_a, practice_a, on_plan
):
    _answer(stripe_http)
    client.force_login(executive_a)

    client.post("/billing/practices/alpha-radiology/pay/")
    client.post("/billing/practices/alpha-radiology/pay/")

    paths = [request.path for request in stripe_http.requests]
    assert paths == ["/v1/customers", "/v1/checkout/sessions", "/v1/checkout/sessions"]
    first, second = stripe_http.requests[1:]
    assert first.idempotency_key == second.idempotency_key
    assert first.params == second.params


def test_manage_payment_method_opens_a_portal_session_for_the_practices_customer(
    client, stripe_http, executive_a, practice_a
):
    _answer(stripe_http)
    Practice.objects.filter(pk=practice_a.pk).update(stripe_customer_id="cus_existing")
    client.force_login(executive_a)
    before = timezone.now()

    response = client.post("/billing/practices/alpha-radiology/portal/")

    after = timezone.now()
    assert response.status_code == 303
    assert response["Location"] == PORTAL_URL
    (portal,) = stripe_http.requests
    assert (portal.method, portal.path) == ("POST", "/v1/billing_portal/sessions")
    assert portal.params == {"customer": "cus_existing", "return_url": PAGE}
    minutes = {moment.strftime("%Y%m%dT%H%M") for moment in (before, after)}
    assert portal.idempotency_key in {f"gpo-portal-{practice_a.pk}-{minute}" for minute in minutes}


def test_switching_a_subscription_to_invoice_billing_sends_collection_method_send_invoice(
    client, stripe_http, coalition_admin, practice_a, on_plan
):
    BillingAccount.objects.filter(pk=on_plan.pk).update(
        stripe_subscription_id="sub_dues_1", subscription_status="active"
    )
    stripe_http.responses[("POST", "/v1/subscriptions/sub_dues_1")] = {
        "id": "sub_dues_1",
        "object": "subscription",
        "status": "active",
        "collection_method": "send_invoice",
    }
    client.force_login(coalition_admin)

    response = client.post("/billing/practices/alpha-radiology/invoice-billing/")

    assert response.status_code == 303
    (update,) = stripe_http.requests
    assert (update.method, update.path) == ("POST", "/v1/subscriptions/sub_dues_1")
    assert update.params == {"collection_method": "send_invoice", "days_until_due": "30"}
    today = timezone.now().date().isoformat()
    assert update.idempotency_key == f"gpo-invoice-billing-{practice_a.pk}-sub_dues_1-{today}"
    on_plan.refresh_from_db()
    assert on_plan.collection_method == BillingAccount.CollectionMethod.SEND_INVOICE


def test_invoice_billing_without_a_subscription_subscribes_the_customer_invoiced(stripe_http, practice_a, on_plan):
    _answer(stripe_http)
    stripe_http.responses[("POST", "/v1/subscriptions")] = {
        "id": "sub_invoiced_1",
        "object": "subscription",
        "status": "active",
        "collection_method": "send_invoice",
    }

    account = services.invoice_billing_switch(practice=practice_a, email="office@alpha.example")

    customer, create = stripe_http.requests
    assert customer.path == "/v1/customers"
    assert customer.params["email"] == "office@alpha.example"
    assert (create.method, create.path) == ("POST", "/v1/subscriptions")
    assert create.params == {
        "customer": "cus_test_alpha",
        "items[0][price]": "price_mid",
        "items[0][quantity]": "1",
        "collection_method": "send_invoice",
        "days_until_due": "30",
        "metadata[practice]": "alpha-radiology",
    }
    today = timezone.now().date().isoformat()
    assert create.idempotency_key == f"gpo-invoice-billing-{practice_a.pk}-price_mid-{today}"
    assert (account.stripe_subscription_id, account.collection_method) == ("sub_invoiced_1", "send_invoice")


def test_publishing_a_plan_creates_its_product_once_and_a_yearly_price_per_amount(stripe_http):
    stripe_http.responses[("POST", "/v1/products")] = {"id": "prod_small", "object": "product"}
    stripe_http.responses[("POST", "/v1/prices")] = {"id": "price_small_4800", "object": "price"}
    plan = services.plan_save(name="Small practice", band="1–5 radiologists", annual_amount=Decimal("4800.00"))

    services.plan_publish(plan=plan)
    services.plan_save(plan=plan, name="Small practice", band="1–5 radiologists", annual_amount=Decimal("5100.50"))
    services.plan_publish(plan=DuesPlan.objects.get(pk=plan.pk))

    product, first_price, second_price = stripe_http.requests
    assert (product.path, product.params) == (
        "/v1/products",
        {"name": "Small practice", "metadata[dues_plan]": str(plan.pk)},
    )
    assert product.idempotency_key == f"gpo-plan-{plan.pk}-product"
    assert first_price.path == "/v1/prices"
    assert first_price.params == {
        "product": "prod_small",
        "unit_amount": "480000",
        "currency": "usd",
        "recurring[interval]": "year",
        "nickname": "Small practice",
        "metadata[dues_plan]": str(plan.pk),
    }
    assert first_price.idempotency_key == f"gpo-plan-{plan.pk}-price-480000-usd"
    assert second_price.params["unit_amount"] == "510050"
    assert second_price.idempotency_key == f"gpo-plan-{plan.pk}-price-510050-usd"
    plan.refresh_from_db()
    assert (plan.stripe_product_id, plan.stripe_price_amount, plan.is_published) == (
        "prod_small",
        Decimal("5100.50"),
        True,
    )


def test_publishing_an_unchanged_plan_again_sends_nothing(stripe_http):
    stripe_http.responses[("POST", "/v1/products")] = {"id": "prod_small", "object": "product"}
    stripe_http.responses[("POST", "/v1/prices")] = {"id": "price_small", "object": "price"}
    plan = services.plan_publish(plan=services.plan_save(name="Small practice", annual_amount=Decimal("4800")))

    services.plan_publish(plan=plan)

    assert len(stripe_http.requests) == 2


def test_stripe_refusing_the_customer_stores_nothing_and_says_so(client, stripe_http, executive_a, practice_a, on_plan):
    client.force_login(executive_a)  # no canned answers: Stripe answers 404

    response = client.post("/billing/practices/alpha-radiology/pay/", follow=True)

    assert response.redirect_chain == [("/billing/practices/alpha-radiology/", 303)]
    assert "Stripe refused the request" in response.content.decode()
    assert [request.path for request in stripe_http.requests] == ["/v1/customers"]
    practice_a.refresh_from_db()
    assert practice_a.stripe_customer_id == ""


def test_no_global_api_key_is_set(stripe_http, practice_a):
    _answer(stripe_http)

    services.customer_ensure(practice=practice_a)

    assert stripe.api_key is None
    assert len(stripe_http.requests) == 1


def test_the_pinned_api_version_is_the_one_the_installed_library_is_written_for():
    assert stripe.api_version == settings.STRIPE_API_VERSION
