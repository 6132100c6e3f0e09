"""Writes for member dues (STYLE.md rule 1): plans, customers, Checkout, the portal, invoice billing, Stripe events.

Calls to Stripe go through `stripe_client` only. A Stripe event is stored under its unique id in the same
transaction as its effects (SECURITY.md item 18).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gpo.billing import membership, selectors, stripe_client, webhooks
from gpo.billing.models import BillingAccount, DuesPlan, Invoice, WebhookEvent
from gpo.errors import ApplicationError
from gpo.members.models import Practice

logger = logging.getLogger(__name__)

Outcome = WebhookEvent.Outcome


class StripeUnavailableError(ApplicationError):
    """Stripe refused or could not be reached; the message is safe to show."""

    status_code = 502


@contextmanager
def _stripe_refusals() -> Iterator[None]:
    """Turn Stripe's errors into one the pages can show; the service's transaction rolls back what it wrote."""
    try:
        yield
    except stripe_client.StripeError as error:
        message = getattr(error, "user_message", None) or "Stripe could not be reached"
        logger.warning("Stripe call failed: %s", error)
        raise StripeUnavailableError(
            f"Stripe refused the request ({message}). Nothing was changed; please try again."
        ) from error


def _require_configured() -> None:
    if not stripe_client.is_configured():
        raise ApplicationError(stripe_client.NOT_CONFIGURED_MESSAGE)


def _account_for_update(practice: Practice) -> BillingAccount:
    """The practice's billing account, locked for this transaction (created on first use)."""
    account, _ = BillingAccount.objects.select_for_update().get_or_create(practice=practice)
    return account


def _practice_for_update(practice: Practice) -> Practice:
    return Practice.objects.select_for_update().get(pk=practice.pk)


# --- plans ---


@transaction.atomic
def plan_save(
    *,
    name: str,
    annual_amount: Decimal,
    band: str = "",
    currency: str = "usd",
    is_active: bool = True,
    plan: DuesPlan | None = None,
) -> DuesPlan:
    """Create a dues plan (or change `plan`); a changed amount is published to Stripe as a new Price."""
    plan = DuesPlan.objects.select_for_update().get(pk=plan.pk) if plan is not None and plan.pk else DuesPlan()
    plan.name = name
    plan.annual_amount = annual_amount
    plan.band = band
    plan.currency = currency.lower()
    plan.is_active = is_active
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def plan_publish(*, plan: DuesPlan) -> DuesPlan:
    """Create the plan's Stripe Product (once) and a yearly Price for its current amount (once per amount)."""
    _require_configured()
    plan = DuesPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.is_published:
        return plan
    with _stripe_refusals():
        if not plan.stripe_product_id:
            plan.stripe_product_id = stripe_client.product_create(plan_id=plan.pk, name=plan.name)
        plan.stripe_price_id = stripe_client.price_create(
            plan_id=plan.pk,
            product_id=plan.stripe_product_id,
            name=plan.name,
            amount=plan.annual_amount,
            currency=plan.currency,
        )
    plan.stripe_price_amount = plan.annual_amount
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def practice_plan_set(*, practice: Practice, plan: DuesPlan | None) -> BillingAccount:
    """Put the practice on a dues plan (its size band's, or one made for it)."""
    account = _account_for_update(practice)
    account.plan = plan
    if plan is not None and account.next_invoice_amount is None:
        account.currency = plan.currency
    account.full_clean()
    account.save()
    return account


# --- paying ---


@transaction.atomic
def customer_ensure(*, practice: Practice, email: str = "") -> str:
    """The practice's Stripe customer id, creating the customer the first time (one per practice, reused)."""
    _require_configured()
    locked = _practice_for_update(practice)
    if locked.stripe_customer_id:
        return locked.stripe_customer_id
    with _stripe_refusals():
        customer_id = stripe_client.customer_create(
            practice_id=locked.pk, name=locked.name, slug=locked.slug, email=email
        )
    locked.stripe_customer_id = customer_id
    locked.full_clean()
    locked.save(update_fields=["stripe_customer_id", "updated_at"])
    practice.stripe_customer_id = customer_id
    return customer_id


def _published_plan(practice: Practice) -> DuesPlan:
    account = selectors.account_of(practice)
    plan = account.plan if account is not None else None
    if plan is None:
        raise ApplicationError(f"{practice.name} has no dues plan yet; the coalition office sets one.")
    if not plan.is_published:
        raise ApplicationError(f"The dues plan {plan.name} is not in Stripe yet; the coalition office publishes it.")
    return plan


@transaction.atomic
def checkout_start(*, practice: Practice, email: str, success_url: str, cancel_url: str) -> str:
    """A Stripe Checkout session for the practice's yearly dues; returns the URL to send the browser to."""
    _require_configured()
    account = selectors.account_of(practice)
    if account is not None and account.subscription_status in membership.LIVE:
        raise ApplicationError(
            "This practice already has a dues subscription: pay an open invoice, or manage the payment method."
        )
    plan = _published_plan(practice)
    customer_id = customer_ensure(practice=practice, email=email)
    with _stripe_refusals():
        return stripe_client.checkout_session_create(
            practice_id=practice.pk,
            slug=practice.slug,
            customer_id=customer_id,
            price_id=plan.stripe_price_id,
            success_url=success_url,
            cancel_url=cancel_url,
            on=timezone.now().date(),
        )


@transaction.atomic
def portal_start(*, practice: Practice, email: str, return_url: str) -> str:
    """A Stripe customer-portal session (card, invoices) for the practice; returns the URL to send the browser to."""
    _require_configured()
    customer_id = customer_ensure(practice=practice, email=email)
    with _stripe_refusals():
        return stripe_client.portal_session_create(
            practice_id=practice.pk, customer_id=customer_id, return_url=return_url, at=timezone.now()
        )


@transaction.atomic
def invoice_billing_switch(*, practice: Practice, email: str = "") -> BillingAccount:
    """Bill the practice's dues by emailed invoice (`collection_method=send_invoice`), paid by bank transfer.

    A practice with a subscription has it switched; one without is subscribed to its plan, invoiced.
    """
    _require_configured()
    account = _account_for_update(practice)
    days = settings.BILLING_INVOICE_DAYS_UNTIL_DUE
    today = timezone.now().date()
    with _stripe_refusals():
        if account.stripe_subscription_id and account.subscription_status in membership.LIVE:
            subscription = stripe_client.subscription_switch_to_invoice(
                practice_id=practice.pk, subscription_id=account.stripe_subscription_id, days_until_due=days, on=today
            )
        else:
            plan = _published_plan(practice)
            customer_id = customer_ensure(practice=practice, email=email)
            subscription = stripe_client.subscription_create_invoiced(
                practice_id=practice.pk,
                slug=practice.slug,
                customer_id=customer_id,
                price_id=plan.stripe_price_id,
                days_until_due=days,
                on=today,
            )
    facts = webhooks.subscription_facts(subscription)
    # The standing itself moves only with Stripe's events, which carry Stripe's own clock.
    account.stripe_subscription_id = facts.id or account.stripe_subscription_id
    account.subscription_status = facts.status or account.subscription_status
    account.collection_method = BillingAccount.CollectionMethod.SEND_INVOICE
    account.full_clean()
    account.save()
    return account


# --- standing ---


def _standing_set(practice: Practice, status: str, at: datetime) -> None:
    practice.membership_status = status
    practice.stripe_status_at = at
    practice.full_clean()
    practice.save(update_fields=["membership_status", "stripe_status_at", "updated_at"])


@transaction.atomic
def membership_statuses_refresh() -> int:
    """Lapse every past-due practice whose grace period has run out; returns how many lapsed."""
    lapsed = 0
    past_due = Practice.objects.select_for_update().filter(membership_status=membership.PAST_DUE)
    accounts = {a.practice_id: a for a in BillingAccount.objects.filter(practice__in=past_due)}
    for practice in past_due:
        status = selectors.membership_status_now(practice=practice, account=accounts.get(practice.pk))
        if status != practice.membership_status:
            practice.membership_status = status
            practice.full_clean()
            practice.save(update_fields=["membership_status", "updated_at"])
            lapsed += 1
    return lapsed


# --- Stripe events ---


def _subscription_apply(practice: Practice, event: webhooks.EventFacts) -> str:
    facts = webhooks.subscription_facts(event.data)
    account = _account_for_update(practice)
    if account.stripe_subscription_id not in ("", facts.id) and facts.status not in membership.LIVE:
        return Outcome.STALE  # an earlier subscription ending; the current one decides the standing
    if not membership.event_is_newer(
        stored_at=practice.stripe_status_at, event_at=event.created_at, is_creation=event.is_creation
    ):
        return Outcome.STALE
    behind = facts.status in membership.BEHIND
    account.stripe_subscription_id = facts.id
    account.subscription_status = facts.status
    account.collection_method = facts.collection_method or account.collection_method
    account.current_period_end = facts.current_period_end
    account.next_invoice_amount = facts.amount
    account.currency = facts.currency or account.currency
    account.cancel_at_period_end = facts.cancel_at_period_end
    account.past_due_since = (account.past_due_since or event.created_at) if behind else None
    account.full_clean()
    account.save()
    status = membership.standing(
        subscription_status=facts.status,
        behind_since=account.past_due_since,
        previous=practice.membership_status,
        now=timezone.now(),
        grace=selectors.grace_period(),
    )
    _standing_set(practice, status, event.created_at)
    return Outcome.APPLIED


def _invoice_store(practice: Practice, facts: webhooks.InvoiceFacts, event_at: datetime) -> None:
    """Create or update the local copy of an invoice; an older or backward snapshot leaves it as it is."""
    invoice = Invoice.objects.select_for_update().filter(stripe_invoice_id=facts.id).first()
    if invoice is not None and not membership.invoice_update_wins(
        stored_status=invoice.status,
        stored_at=invoice.stripe_event_at,
        incoming_status=facts.status,
        incoming_at=event_at,
    ):
        return
    invoice = invoice or Invoice(stripe_invoice_id=facts.id)
    invoice.practice = practice
    for name in (
        "number",
        "status",
        "currency",
        "amount_due",
        "amount_paid",
        "amount_remaining",
        "issued_at",
        "due_at",
        "paid_at",
        "period_start",
        "period_end",
        "hosted_invoice_url",
        "invoice_pdf",
    ):
        setattr(invoice, name, getattr(facts, name))
    invoice.stripe_event_at = event_at
    invoice.full_clean()
    invoice.save()


def _invoice_apply(practice: Practice, event: webhooks.EventFacts) -> str:
    facts = webhooks.invoice_facts(event.data)
    _invoice_store(practice, facts, event.created_at)
    if event.type not in (webhooks.INVOICE_PAID, webhooks.INVOICE_PAYMENT_FAILED):
        return Outcome.APPLIED
    account = _account_for_update(practice)
    if account.subscription_status in membership.ENDED or not membership.event_is_newer(
        stored_at=practice.stripe_status_at, event_at=event.created_at, is_creation=False
    ):
        return Outcome.APPLIED  # the invoice is stored; the standing follows newer news
    if event.type == webhooks.INVOICE_PAID:
        account.past_due_since = None
        status = membership.ACTIVE
    else:
        account.past_due_since = account.past_due_since or event.created_at
        status = membership.standing_when_behind(
            behind_since=account.past_due_since, now=timezone.now(), grace=selectors.grace_period()
        )
    account.full_clean()
    account.save()
    _standing_set(practice, status, event.created_at)
    return Outcome.APPLIED


def _checkout_apply(practice: Practice, event: webhooks.EventFacts) -> str:
    facts = webhooks.checkout_facts(event.data)
    if facts.mode != "subscription":
        return Outcome.UNHANDLED
    account = _account_for_update(practice)
    if not account.stripe_subscription_id or account.subscription_status not in membership.LIVE:
        account.stripe_subscription_id = facts.subscription_id
        account.collection_method = BillingAccount.CollectionMethod.CHARGE_AUTOMATICALLY
        account.full_clean()
        account.save()
    newer = membership.event_is_newer(stored_at=practice.stripe_status_at, event_at=event.created_at, is_creation=False)
    if facts.is_paid and newer:
        account.past_due_since = None
        account.save(update_fields=["past_due_since", "updated_at"])
        _standing_set(practice, membership.ACTIVE, event.created_at)
    return Outcome.APPLIED


APPLIERS = {
    webhooks.EventKind.CHECKOUT: _checkout_apply,
    webhooks.EventKind.SUBSCRIPTION: _subscription_apply,
    webhooks.EventKind.INVOICE: _invoice_apply,
}


@transaction.atomic
def _stripe_event_record(*, event: webhooks.EventFacts) -> WebhookEvent:
    practice = None
    if event.kind is None:
        outcome: str = Outcome.UNHANDLED
    else:
        practice = (
            Practice.objects.select_for_update().filter(stripe_customer_id=event.customer_id).first()
            if event.customer_id
            else None
        )
        if practice is None:
            logger.warning(
                "Stripe event %s (%s) is about customer %r, which is no practice's: ignored.",
                event.id,
                event.type,
                event.customer_id,
            )
            outcome = Outcome.UNKNOWN_CUSTOMER
        else:
            outcome = APPLIERS[event.kind](practice, event)
    return WebhookEvent.objects.create(
        stripe_event_id=event.id,
        event_type=event.type,
        stripe_created_at=event.created_at,
        livemode=event.livemode,
        practice=practice,
        outcome=outcome,
    )


def stripe_event_apply(*, event: dict[str, Any]) -> tuple[WebhookEvent, bool]:
    """Apply a verified Stripe event once; returns its record and whether this delivery applied it (False: a replay).

    The event id is inserted in the same transaction as the effects, under a unique constraint: a replay, even one
    racing the first delivery, finds the id and changes nothing.
    """
    facts = webhooks.event_facts(event)
    existing = WebhookEvent.objects.filter(stripe_event_id=facts.id).first()
    if existing is not None:
        return existing, False
    try:
        return _stripe_event_record(event=facts), True
    except IntegrityError:
        existing = WebhookEvent.objects.filter(stripe_event_id=facts.id).first()
        if existing is None:
            raise
        return existing, False
