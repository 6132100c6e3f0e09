"""The one fake of the billing tests: Stripe's HTTP layer. Plus payloads shaped and signed as Stripe sends them.

`RecordingHTTPClient` is a `stripe.HTTPClient`: the real `StripeClient` builds every request (path, form encoding,
headers, idempotency key, API version) and hands it here instead of to the network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

WEBHOOK_SECRET = "whsec_test_secret_for_offline_tests"
SECRET_KEY = "sk_test_offline"


@dataclass
class RecordedRequest:
    """One request as it would have gone over the wire."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


@dataclass
class RecordingHTTPClient(stripe.HTTPClient):
    """Records each request and answers it from `responses[(method, path)]` (404 when there is none)."""

    responses: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    status: int = 200
    name = "recording"

    def __post_init__(self) -> None:
        super().__init__()

    def request(
        self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None
    ) -> tuple[str, int, dict[str, str]]:
        parts = urlsplit(url)
        body = post_data if post_data is not None else parts.query
        body = body.decode() if isinstance(body, bytes) else body
        self.requests.append(
            RecordedRequest(
                method=method.upper(),
                path=parts.path,
                params=dict(parse_qsl(body or "", keep_blank_values=True)),
                headers=dict(headers or {}),
            )
        )
        answer = self.responses.get((method.upper(), parts.path))
        if answer is None or self.status != 200:
            error = {"error": {"type": "invalid_request_error", "message": "No such object (offline test)."}}
            return json.dumps(error), 404 if answer is None else self.status, {}
        return json.dumps(answer), 200, {"Request-Id": "req_offline"}

    def request_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("billing never streams")

    def close(self) -> None:
        return None


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header made exactly as Stripe makes it: t=<unix>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def event(event_type: str, data_object: dict[str, Any], *, event_id: str, created: int) -> dict[str, Any]:
    """A Stripe event envelope around a snapshot of its object."""
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": data_object},
    }


def subscription(
    *,
    customer: str,
    status: str,
    sub_id: str = "sub_dues_1",
    period_end: int = 1_800_000_000,
    unit_amount: int = 960_000,
    collection_method: str = "charge_automatically",
    cancel_at_period_end: bool = False,
) -> dict[str, Any]:
    """A subscription as the pinned API version writes it: the period lives on its item."""
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "collection_method": collection_method,
        "cancel_at_period_end": cancel_at_period_end,
        "created": 1_760_000_000,
        "days_until_due": 30 if collection_method == "send_invoice" else None,
        "metadata": {"practice": "alpha-radiology"},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_dues_1",
                    "object": "subscription_item",
                    "quantity": 1,
                    "current_period_start": period_end - 365 * 86400,
                    "current_period_end": period_end,
                    "price": {
                        "id": "price_dues_mid",
                        "object": "price",
                        "currency": "usd",
                        "unit_amount": unit_amount,
                        "recurring": {"interval": "year", "interval_count": 1},
                    },
                }
            ],
        },
    }


def invoice(
    *,
    customer: str,
    status: str,
    invoice_id: str = "in_dues_1",
    amount_due: int = 960_000,
    amount_paid: int = 0,
    amount_remaining: int | None = None,
    created: int = 1_770_000_000,
    due_date: int | None = None,
    paid_at: int | None = None,
    sub_id: str = "sub_dues_1",
) -> dict[str, Any]:
    """An invoice as the pinned API version writes it: the subscription under `parent`."""
    remaining = amount_due - amount_paid if amount_remaining is None else amount_remaining
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "number": "RPC-0001-2026",
        "status": status,
        "currency": "usd",
        "amount_due": amount_due,
        "amount_paid": amount_paid,
        "amount_remaining": remaining,
        "created": created,
        "due_date": due_date,
        "period_start": created,
        "period_end": created,
        "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_test/{invoice_id}",
        "invoice_pdf": f"https://pay.stripe.com/invoice/acct_test/{invoice_id}/pdf",
        "status_transitions": {"finalized_at": created, "paid_at": paid_at, "voided_at": None},
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub_id}},
        "lines": {
            "object": "list",
            "data": [{"id": "il_1", "period": {"start": created, "end": created + 365 * 86400}}],
        },
    }


def checkout_session(*, customer: str, payment_status: str = "paid", sub_id: str = "sub_dues_1") -> dict[str, Any]:
    """A completed Checkout session in subscription mode."""
    return {
        "id": "cs_test_dues_1",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "customer": customer,
        "subscription": sub_id,
        "payment_status": payment_status,
        "client_reference_id": "1",
        "metadata": {"practice": "alpha-radiology"},
    }
