"""Stripe webhook events read into plain facts (no ORM, no request): which events matter and what they say.

Payloads are read as the pinned API version writes them, and as older versions did where a field moved
(`invoice.subscription` -> `invoice.parent.subscription_details.subscription`, a subscription's period end ->
its items'), so a replayed old event still reads right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from gpo.money import from_minor_units


class EventKind(StrEnum):
    """What the app does with an event type."""

    CHECKOUT = "checkout"
    SUBSCRIPTION = "subscription"
    INVOICE = "invoice"


EVENT_KINDS: dict[str, EventKind] = {
    "checkout.session.completed": EventKind.CHECKOUT,
    "customer.subscription.created": EventKind.SUBSCRIPTION,
    "customer.subscription.updated": EventKind.SUBSCRIPTION,
    "customer.subscription.deleted": EventKind.SUBSCRIPTION,
    "customer.subscription.paused": EventKind.SUBSCRIPTION,
    "customer.subscription.resumed": EventKind.SUBSCRIPTION,
    "invoice.finalized": EventKind.INVOICE,
    "invoice.updated": EventKind.INVOICE,
    "invoice.paid": EventKind.INVOICE,
    "invoice.payment_failed": EventKind.INVOICE,
    "invoice.voided": EventKind.INVOICE,
    "invoice.marked_uncollectible": EventKind.INVOICE,
}

# Invoice events that say something about the practice's standing, beyond the invoice itself.
INVOICE_PAID = "invoice.paid"
INVOICE_PAYMENT_FAILED = "invoice.payment_failed"


def timestamp(value: Any) -> datetime | None:
    """A Stripe Unix timestamp as an aware UTC datetime (None stays None)."""
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def object_id(value: Any) -> str:
    """The id of a reference that may be an id or an expanded object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


@dataclass(frozen=True)
class EventFacts:
    """The envelope of an event: id, type, when Stripe created it, and the customer it is about."""

    id: str
    type: str
    created_at: datetime
    livemode: bool
    customer_id: str
    kind: EventKind | None
    data: dict[str, Any]

    @property
    def is_creation(self) -> bool:
        """Whether the event reports the creation of its object."""
        return self.type.endswith(".created")


def event_facts(event: dict[str, Any]) -> EventFacts:
    """The envelope facts of a verified event."""
    data = dict(event.get("data", {}).get("object") or {})
    created_at = timestamp(event.get("created"))
    if not event.get("id") or created_at is None:
        raise ValueError("The event has no id or creation time.")
    return EventFacts(
        id=str(event["id"]),
        type=str(event.get("type", "")),
        created_at=created_at,
        livemode=bool(event.get("livemode", False)),
        customer_id=object_id(data.get("customer")),
        kind=EVENT_KINDS.get(str(event.get("type", ""))),
        data=data,
    )


@dataclass(frozen=True)
class SubscriptionFacts:
    """A subscription snapshot: its status, how it is collected, the period it is paid to and the yearly amount."""

    id: str
    status: str
    collection_method: str
    current_period_end: datetime | None
    amount: Decimal | None
    currency: str
    cancel_at_period_end: bool


def _first_item(subscription: dict[str, Any]) -> dict[str, Any]:
    items = (subscription.get("items") or {}).get("data") or []
    return dict(items[0]) if items else {}


def subscription_facts(subscription: dict[str, Any]) -> SubscriptionFacts:
    """The facts of a subscription object."""
    item = _first_item(subscription)
    price = item.get("price") or {}
    unit_amount = price.get("unit_amount")
    quantity = int(item.get("quantity") or 1)
    period_end = item.get("current_period_end") or subscription.get("current_period_end")
    return SubscriptionFacts(
        id=str(subscription.get("id", "")),
        status=str(subscription.get("status", "")),
        collection_method=str(subscription.get("collection_method") or ""),
        current_period_end=timestamp(period_end),
        amount=from_minor_units(int(unit_amount) * quantity) if unit_amount is not None else None,
        currency=str(price.get("currency") or subscription.get("currency") or ""),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end", False)),
    )


@dataclass(frozen=True)
class InvoiceFacts:
    """An invoice snapshot: amounts in dollars, status, dates and the links Stripe hosts."""

    id: str
    subscription_id: str
    number: str
    status: str
    currency: str
    amount_due: Decimal
    amount_paid: Decimal
    amount_remaining: Decimal
    issued_at: datetime | None
    due_at: datetime | None
    paid_at: datetime | None
    period_start: datetime | None
    period_end: datetime | None
    hosted_invoice_url: str
    invoice_pdf: str


def _invoice_subscription_id(invoice: dict[str, Any]) -> str:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return object_id(details.get("subscription") or invoice.get("subscription"))


def _service_period(invoice: dict[str, Any]) -> tuple[Any, Any]:
    """The period the dues cover: the first line's (an invoice's own period is the one before it, for usage)."""
    lines = (invoice.get("lines") or {}).get("data") or []
    period = (lines[0].get("period") or {}) if lines else {}
    return (
        period.get("start") or invoice.get("period_start"),
        period.get("end") or invoice.get("period_end"),
    )


def invoice_facts(invoice: dict[str, Any]) -> InvoiceFacts:
    """The facts of an invoice object."""
    transitions = invoice.get("status_transitions") or {}
    period_start, period_end = _service_period(invoice)
    return InvoiceFacts(
        id=str(invoice.get("id", "")),
        subscription_id=_invoice_subscription_id(invoice),
        number=str(invoice.get("number") or ""),
        status=str(invoice.get("status") or "draft"),
        currency=str(invoice.get("currency") or "usd"),
        amount_due=from_minor_units(int(invoice.get("amount_due") or 0)),
        amount_paid=from_minor_units(int(invoice.get("amount_paid") or 0)),
        amount_remaining=from_minor_units(int(invoice.get("amount_remaining") or 0)),
        issued_at=timestamp(invoice.get("created")),
        due_at=timestamp(invoice.get("due_date")),
        paid_at=timestamp(transitions.get("paid_at")),
        period_start=timestamp(period_start),
        period_end=timestamp(period_end),
        hosted_invoice_url=str(invoice.get("hosted_invoice_url") or ""),
        invoice_pdf=str(invoice.get("invoice_pdf") or ""),
    )


@dataclass(frozen=True)
class CheckoutFacts:
    """A completed Checkout session: the subscription it started and whether the first payment went through."""

    id: str
    mode: str
    subscription_id: str
    is_paid: bool


def checkout_facts(session: dict[str, Any]) -> CheckoutFacts:
    """The facts of a Checkout session object."""
    return CheckoutFacts(
        id=str(session.get("id", "")),
        mode=str(session.get("mode") or ""),
        subscription_id=object_id(session.get("subscription")),
        is_paid=session.get("payment_status") == "paid",
    )
