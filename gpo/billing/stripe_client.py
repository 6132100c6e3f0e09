"""Every call to Stripe (STYLE.md rule 10): one `stripe.StripeClient` with the API version pinned in settings.

No global `stripe.api_key`. Every create carries a deterministic idempotency key (SECURITY.md item 19), so a retried
request, a double click or two web processes racing make one object at Stripe, not two. Tests replace only the
HTTP layer (`http_client`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

from gpo.money import to_minor_units

# Stripe retries POSTs safely with the same idempotency key; two retries ride out a network blip.
MAX_NETWORK_RETRIES = 2

HOW_TO_CONFIGURE = (
    "Set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET (Stripe test keys work) in the "
    "environment or the .env file, then restart the server. The README section 'Billing with Stripe' walks through it."
)
NOT_CONFIGURED_MESSAGE = f"Billing is not configured yet. {HOW_TO_CONFIGURE}"


class BillingNotConfiguredError(Exception):
    """No Stripe secret key is set."""


StripeError = stripe.StripeError
SignatureVerificationError = stripe.SignatureVerificationError


def is_configured() -> bool:
    """Whether a Stripe secret key is set (the publishable key is not needed: no Stripe.js runs in the browser)."""
    return bool(settings.STRIPE_SECRET_KEY)


def webhook_is_configured() -> bool:
    """Whether the webhook signing secret is set."""
    return bool(settings.STRIPE_WEBHOOK_SECRET)


def http_client() -> stripe.HTTPClient | None:
    """The HTTP layer under the client; None is the library's default (tests substitute a recording one)."""
    return None


def client() -> stripe.StripeClient:
    """A Stripe client for the configured secret key and the pinned API version."""
    if not is_configured():
        raise BillingNotConfiguredError(NOT_CONFIGURED_MESSAGE)
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        stripe_version=settings.STRIPE_API_VERSION,
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=http_client(),
    )


def _options(idempotency_key: str) -> stripe.RequestOptions:
    return {"idempotency_key": idempotency_key}


# --- idempotency keys: the same intent always gives the same key ---


def customer_key(practice_id: Any) -> str:
    """One Stripe customer per practice, ever."""
    return f"gpo-customer-{practice_id}"


def checkout_key(practice_id: Any, price_id: str, on: date) -> str:
    """One Checkout session per practice, plan price and day (a session stays open 24 hours)."""
    return f"gpo-dues-checkout-{practice_id}-{price_id}-{on.isoformat()}"


def portal_key(practice_id: Any, at: datetime) -> str:
    """One portal session per practice and minute: a double click opens the same short-lived session."""
    return f"gpo-portal-{practice_id}-{at.strftime('%Y%m%dT%H%M')}"


def invoice_billing_key(practice_id: Any, target: str, on: date) -> str:
    """One switch to invoice billing per practice, subscription (or plan price) and day."""
    return f"gpo-invoice-billing-{practice_id}-{target}-{on.isoformat()}"


def product_key(plan_id: Any) -> str:
    """One Stripe Product per dues plan."""
    return f"gpo-plan-{plan_id}-product"


def price_key(plan_id: Any, amount: Decimal, currency: str) -> str:
    """One Stripe Price per dues plan, amount and currency (prices are immutable at Stripe)."""
    return f"gpo-plan-{plan_id}-price-{to_minor_units(amount)}-{currency}"


# --- calls ---


def customer_create(*, practice_id: Any, name: str, slug: str, email: str) -> str:
    """Create the practice's Stripe customer; returns its id."""
    params: stripe.params.CustomerCreateParams = {
        "name": name,
        "metadata": {"practice": slug, "practice_id": str(practice_id)},
    }
    if email:
        params["email"] = email
    customer = client().v1.customers.create(params=params, options=_options(customer_key(practice_id)))
    return str(customer.id)


def checkout_session_create(
    *,
    practice_id: Any,
    slug: str,
    customer_id: str,
    price_id: str,
    success_url: str,
    cancel_url: str,
    on: date,
) -> str:
    """A Stripe Checkout session subscribing the customer to the dues price; returns the URL to send the browser to."""
    session = client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": str(practice_id),
            "line_items": [{"price": price_id, "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": {"practice": slug},
            "subscription_data": {"metadata": {"practice": slug}},
        },
        options=_options(checkout_key(practice_id, price_id, on)),
    )
    return str(session.url)


def portal_session_create(*, practice_id: Any, customer_id: str, return_url: str, at: datetime) -> str:
    """A Stripe customer-portal session (card, invoices); returns the URL to send the browser to."""
    session = client().v1.billing_portal.sessions.create(
        params={"customer": customer_id, "return_url": return_url},
        options=_options(portal_key(practice_id, at)),
    )
    return str(session.url)


def subscription_switch_to_invoice(
    *, practice_id: Any, subscription_id: str, days_until_due: int, on: date
) -> dict[str, Any]:
    """Bill an existing subscription by emailed invoice (`collection_method=send_invoice`); returns the subscription."""
    subscription = client().v1.subscriptions.update(
        subscription_id,
        params={"collection_method": "send_invoice", "days_until_due": days_until_due},
        options=_options(invoice_billing_key(practice_id, subscription_id, on)),
    )
    return subscription.to_dict()


def subscription_create_invoiced(
    *, practice_id: Any, slug: str, customer_id: str, price_id: str, days_until_due: int, on: date
) -> dict[str, Any]:
    """Subscribe the customer to the dues price, billed by emailed invoice; returns the subscription."""
    subscription = client().v1.subscriptions.create(
        params={
            "customer": customer_id,
            "items": [{"price": price_id, "quantity": 1}],
            "collection_method": "send_invoice",
            "days_until_due": days_until_due,
            "metadata": {"practice": slug},
        },
        options=_options(invoice_billing_key(practice_id, price_id, on)),
    )
    return subscription.to_dict()


def product_create(*, plan_id: Any, name: str) -> str:
    """The Stripe Product of a dues plan; returns its id."""
    product = client().v1.products.create(
        params={"name": name, "metadata": {"dues_plan": str(plan_id)}}, options=_options(product_key(plan_id))
    )
    return str(product.id)


def price_create(*, plan_id: Any, product_id: str, name: str, amount: Decimal, currency: str) -> str:
    """A yearly Stripe Price of `amount` for the plan's product; returns its id."""
    price = client().v1.prices.create(
        params={
            "product": product_id,
            "unit_amount": to_minor_units(amount),
            "currency": currency,
            "recurring": {"interval": "year"},
            "nickname": name,
            "metadata": {"dues_plan": str(plan_id)},
        },
        options=_options(price_key(plan_id, amount, currency)),
    )
    return str(price.id)


def event_verify(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event of a webhook body, verified with the library against the raw body (default 300 s tolerance).

    Raises SignatureVerificationError for a missing, garbled, wrongly signed or stale signature, ValueError for a
    body that is not a Stripe event, BillingNotConfiguredError without a webhook secret.
    """
    if not webhook_is_configured():
        raise BillingNotConfiguredError(NOT_CONFIGURED_MESSAGE)
    event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    return event.to_dict()
