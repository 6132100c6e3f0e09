"""`POST /billing/stripe/webhook/`: payloads signed exactly as Stripe signs them (SECURITY.md items 17 and 18).

Anything not verified is a 400 with no side effect; a verified event is applied once, stored under its unique id in
the same transaction as its effects; events arriving out of order never move a practice or an invoice backwards;
an event about a customer that is no practice's is answered 2xx, logged, and changes nothing.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from gpo.billing import services
from gpo.billing.models import BillingAccount, Invoice, WebhookEvent
from gpo.members.models import Practice
from tests.gpo.billing import stripe_fakes as fake

pytestmark = pytest.mark.django_db

URL = "/billing/stripe/webhook/"
CUSTOMER = "cus_alpha"


@pytest.fixture
def customer_a(practice_a: Practice) -> Practice:
    """Practice A, active, with its Stripe customer."""
    Practice.objects.filter(pk=practice_a.pk).update(stripe_customer_id=CUSTOMER)
    practice_a.refresh_from_db()
    return practice_a


def _post(client: Any, body: dict[str, Any], **signing: Any) -> Any:
    payload = json.dumps(body)
    return client.post(
        URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=fake.sign(payload, **signing)
    )


def _send(client: Any, event_type: str, data: dict[str, Any], *, event_id: str, created: int | None = None) -> Any:
    created = int(time.time()) if created is None else created
    response = _post(client, fake.event(event_type, data, event_id=event_id, created=created))
    assert response.status_code == 200, response.content
    return response


def _status(practice: Practice) -> str:
    practice.refresh_from_db()
    return practice.membership_status


def _nothing_stored(practice: Practice) -> None:
    assert WebhookEvent.objects.count() == 0
    assert Invoice.objects.count() == 0
    assert not BillingAccount.objects.exists()
    practice.refresh_from_db()
    assert (practice.membership_status, practice.stripe_status_at) == ("active", None)


# --- refused ---

PAST_DUE_EVENT = fake.event(
    "customer.subscription.updated",
    fake.subscription(customer=CUSTOMER, status="past_due"),
    event_id="evt_refused",
    created=int(time.time()),
)


def test_unsigned_request_is_refused_with_400(client, stripe_keys, customer_a):
    response = client.post(URL, data=json.dumps(PAST_DUE_EVENT), content_type="application/json")

    assert response.status_code == 400
    _nothing_stored(customer_a)


@pytest.mark.parametrize("header_case", ["garbage", "t=abc,v1=", "v1=deadbeef", "t=1700000000"])
def test_garbage_signature_is_refused_with_400(client, stripe_keys, customer_a, header_case):
    response = client.post(
        URL, data=json.dumps(PAST_DUE_EVENT), content_type="application/json", HTTP_STRIPE_SIGNATURE=header_case
    )

    assert response.status_code == 400
    _nothing_stored(customer_a)


def test_payload_signed_with_another_secret_is_refused_with_400(client, stripe_keys, customer_a):
    response = _post(client, PAST_DUE_EVENT, secret="whsec_someone_else")

    assert response.status_code == 400
    _nothing_stored(customer_a)


def test_signature_an_hour_old_is_refused_with_400(client, stripe_keys, customer_a):
    response = _post(client, PAST_DUE_EVENT, timestamp=int(time.time()) - 3600)

    assert response.status_code == 400
    _nothing_stored(customer_a)


def test_body_changed_after_signing_is_refused_with_400(client, stripe_keys, customer_a):
    payload = json.dumps(PAST_DUE_EVENT)
    header = fake.sign(payload)

    response = client.post(
        URL, data=payload.replace("past_due", "active"), content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )

    assert response.status_code == 400
    _nothing_stored(customer_a)


def test_signed_garbage_body_is_refused_with_400(client, stripe_keys, customer_a):
    response = client.post(
        URL, data="not json", content_type="application/json", HTTP_STRIPE_SIGNATURE=fake.sign("not json")
    )

    assert response.status_code == 400
    _nothing_stored(customer_a)


def test_without_a_webhook_secret_events_are_refused_and_nothing_breaks(client, customer_a):
    response = _post(client, PAST_DUE_EVENT)

    assert response.status_code == 400
    assert "not configured" in response.json()["detail"]
    _nothing_stored(customer_a)


def test_webhook_answers_only_post(client, stripe_keys):
    assert client.get(URL).status_code == 405


# --- applied ---


def test_subscription_past_due_makes_the_practice_past_due(client, stripe_keys, customer_a):
    created = int(time.time())

    _send(
        client,
        "customer.subscription.updated",
        fake.subscription(customer=CUSTOMER, status="past_due"),
        event_id="evt_1",
        created=created,
    )

    assert _status(customer_a) == "past_due"
    account = BillingAccount.objects.get(practice=customer_a)
    assert account.past_due_since == datetime.fromtimestamp(created, tz=UTC)
    assert (account.stripe_subscription_id, account.subscription_status) == ("sub_dues_1", "past_due")
    assert account.current_period_end == datetime.fromtimestamp(1_800_000_000, tz=UTC)
    assert account.next_invoice_amount == Decimal("9600.00")
    event = WebhookEvent.objects.get()
    assert (event.stripe_event_id, event.outcome, event.practice_id) == ("evt_1", "applied", customer_a.pk)


def test_past_due_beyond_the_grace_period_lapses(client, stripe_keys, customer_a, settings):
    settings.BILLING_GRACE_PERIOD_DAYS = 30
    long_ago = int((timezone.now() - timedelta(days=31)).timestamp())
    _send(
        client,
        "invoice.payment_failed",
        fake.invoice(customer=CUSTOMER, status="open"),
        event_id="evt_f",
        created=long_ago,
    )
    _send(
        client,
        "customer.subscription.updated",
        fake.subscription(customer=CUSTOMER, status="past_due"),
        event_id="evt_u",
        created=long_ago + 60,
    )

    assert _status(customer_a) == "lapsed"
    assert BillingAccount.objects.get(practice=customer_a).past_due_since == datetime.fromtimestamp(long_ago, tz=UTC)


def test_subscription_deleted_lapses_the_practice(client, stripe_keys, customer_a):
    _send(
        client,
        "customer.subscription.deleted",
        fake.subscription(customer=CUSTOMER, status="canceled"),
        event_id="evt_d",
    )

    assert _status(customer_a) == "lapsed"


def test_subscription_created_active_keeps_the_practice_active_and_records_the_plan_amount(
    client, stripe_keys, customer_a
):
    data = fake.subscription(customer=CUSTOMER, status="active", unit_amount=480_000, collection_method="send_invoice")

    _send(client, "customer.subscription.created", data, event_id="evt_c")

    assert _status(customer_a) == "active"
    account = BillingAccount.objects.get(practice=customer_a)
    assert (account.collection_method, account.next_invoice_amount) == ("send_invoice", Decimal("4800.00"))


def test_checkout_completed_records_the_subscription_and_activates(client, stripe_keys, customer_a):
    Practice.objects.filter(pk=customer_a.pk).update(membership_status="lapsed")

    _send(client, "checkout.session.completed", fake.checkout_session(customer=CUSTOMER), event_id="evt_cs")

    assert _status(customer_a) == "active"
    assert BillingAccount.objects.get(practice=customer_a).stripe_subscription_id == "sub_dues_1"


def test_invoice_finalized_stores_the_invoice_with_its_links(client, stripe_keys, customer_a):
    due = int(time.time()) + 30 * 86400
    data = fake.invoice(customer=CUSTOMER, status="open", amount_due=960_050, due_date=due)

    _send(client, "invoice.finalized", data, event_id="evt_fin")

    invoice = Invoice.objects.get()
    assert (invoice.practice_id, invoice.stripe_invoice_id, invoice.number, invoice.status) == (
        customer_a.pk,
        "in_dues_1",
        "RPC-0001-2026",
        "open",
    )
    assert (invoice.amount_due, invoice.amount_paid, invoice.amount_remaining) == (
        Decimal("9600.50"),
        Decimal("0.00"),
        Decimal("9600.50"),
    )
    assert invoice.hosted_invoice_url == "https://invoice.stripe.com/i/acct_test/in_dues_1"
    assert invoice.invoice_pdf == "https://pay.stripe.com/invoice/acct_test/in_dues_1/pdf"
    assert invoice.due_at == datetime.fromtimestamp(due, tz=UTC)
    assert (invoice.period_start, invoice.period_end) == (
        datetime.fromtimestamp(1_770_000_000, tz=UTC),
        datetime.fromtimestamp(1_770_000_000 + 365 * 86400, tz=UTC),
    )
    assert _status(customer_a) == "active"


def test_invoice_paid_brings_a_past_due_practice_back(client, stripe_keys, customer_a):
    now = int(time.time())
    _send(
        client,
        "invoice.payment_failed",
        fake.invoice(customer=CUSTOMER, status="open"),
        event_id="evt_f",
        created=now - 60,
    )
    assert _status(customer_a) == "past_due"

    paid = fake.invoice(customer=CUSTOMER, status="paid", amount_paid=960_000, paid_at=now)
    _send(client, "invoice.paid", paid, event_id="evt_p", created=now)

    assert _status(customer_a) == "active"
    assert BillingAccount.objects.get(practice=customer_a).past_due_since is None
    invoice = Invoice.objects.get()
    assert (invoice.status, invoice.amount_remaining, invoice.paid_at) == (
        "paid",
        Decimal("0.00"),
        datetime.fromtimestamp(now, tz=UTC),
    )


def test_an_event_type_not_handled_is_acknowledged_and_changes_nothing(client, stripe_keys, customer_a):
    _send(client, "customer.updated", {"id": CUSTOMER, "object": "customer", "customer": CUSTOMER}, event_id="evt_x")

    assert WebhookEvent.objects.get().outcome == "unhandled"
    assert _status(customer_a) == "active"


# --- once ---


def test_the_same_event_twice_has_one_effect(client, stripe_keys, customer_a):
    now = int(time.time())
    behind = fake.subscription(customer=CUSTOMER, status="past_due")
    _send(client, "customer.subscription.updated", behind, event_id="evt_behind", created=now)
    paid = fake.invoice(customer=CUSTOMER, status="paid", amount_paid=960_000, paid_at=now)
    _send(client, "invoice.paid", paid, event_id="evt_paid", created=now)
    assert _status(customer_a) == "active"

    # Same second as the payment, so only its id tells the replay apart from news.
    replay = _send(client, "customer.subscription.updated", behind, event_id="evt_behind", created=now)

    assert replay.json() == {"received": True, "outcome": "applied", "replay": True}
    assert _status(customer_a) == "active"
    assert WebhookEvent.objects.count() == 2


def test_event_ids_are_unique_in_the_database(customer_a):
    WebhookEvent.objects.create(
        stripe_event_id="evt_1", event_type="x", stripe_created_at=timezone.now(), outcome="applied"
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.create(
            stripe_event_id="evt_1", event_type="x", stripe_created_at=timezone.now(), outcome="applied"
        )


def test_an_event_whose_effects_fail_is_not_recorded_either(stripe_keys, customer_a):
    broken = fake.invoice(customer=CUSTOMER, status="open", amount_remaining=-100)
    event = fake.event("invoice.payment_failed", broken, event_id="evt_broken", created=int(time.time()))

    with pytest.raises(ValidationError):
        services.stripe_event_apply(event=event)

    assert not WebhookEvent.objects.exists()
    assert not Invoice.objects.exists()
    assert _status(customer_a) == "active"


def test_an_event_whose_effects_fail_answers_400_so_stripe_retries(client, stripe_keys, customer_a):
    broken = fake.invoice(customer=CUSTOMER, status="open", amount_remaining=-100)

    response = _post(client, fake.event("invoice.finalized", broken, event_id="evt_broken", created=int(time.time())))

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


# --- order ---


def test_updated_arriving_before_created_leaves_the_updated_state(client, stripe_keys, customer_a):
    now = int(time.time())
    active = fake.subscription(customer=CUSTOMER, status="active")
    behind = fake.subscription(customer=CUSTOMER, status="past_due")

    _send(client, "customer.subscription.updated", active, event_id="evt_updated", created=now)
    _send(client, "customer.subscription.created", behind, event_id="evt_created", created=now - 5)

    assert _status(customer_a) == "active"
    assert BillingAccount.objects.get(practice=customer_a).subscription_status == "active"
    assert WebhookEvent.objects.get(stripe_event_id="evt_created").outcome == "stale"


def test_created_in_the_same_second_as_an_update_does_not_undo_it(client, stripe_keys, customer_a):
    now = int(time.time())

    _send(
        client,
        "customer.subscription.updated",
        fake.subscription(customer=CUSTOMER, status="active"),
        event_id="e2",
        created=now,
    )
    _send(
        client,
        "customer.subscription.created",
        fake.subscription(customer=CUSTOMER, status="past_due"),
        event_id="e1",
        created=now,
    )

    assert _status(customer_a) == "active"


def test_an_old_update_after_the_deletion_does_not_revive_the_subscription(client, stripe_keys, customer_a):
    now = int(time.time())

    _send(
        client,
        "customer.subscription.deleted",
        fake.subscription(customer=CUSTOMER, status="canceled"),
        event_id="e3",
        created=now,
    )
    _send(
        client,
        "customer.subscription.updated",
        fake.subscription(customer=CUSTOMER, status="active"),
        event_id="e2",
        created=now - 30,
    )

    assert _status(customer_a) == "lapsed"


def test_a_late_payment_failure_does_not_undo_a_later_payment(client, stripe_keys, customer_a):
    now = int(time.time())
    paid = fake.invoice(customer=CUSTOMER, status="paid", amount_paid=960_000, paid_at=now)

    _send(client, "invoice.paid", paid, event_id="evt_paid", created=now)
    _send(
        client,
        "invoice.payment_failed",
        fake.invoice(customer=CUSTOMER, status="open"),
        event_id="evt_failed",
        created=now - 120,
    )

    assert _status(customer_a) == "active"
    assert Invoice.objects.get().status == "paid"


def test_a_finalized_invoice_arriving_after_its_payment_stays_paid(client, stripe_keys, customer_a):
    now = int(time.time())
    paid = fake.invoice(customer=CUSTOMER, status="paid", amount_paid=960_000, paid_at=now)

    _send(client, "invoice.paid", paid, event_id="evt_paid", created=now)
    _send(
        client, "invoice.finalized", fake.invoice(customer=CUSTOMER, status="open"), event_id="evt_fin", created=now + 5
    )

    invoice = Invoice.objects.get()
    assert (invoice.status, invoice.amount_paid) == ("paid", Decimal("9600.00"))


def test_an_earlier_subscription_ending_does_not_lapse_the_current_one(client, stripe_keys, customer_a):
    now = int(time.time())
    _send(
        client,
        "customer.subscription.created",
        fake.subscription(customer=CUSTOMER, status="active", sub_id="sub_new"),
        event_id="e1",
        created=now - 10,
    )

    _send(
        client,
        "customer.subscription.deleted",
        fake.subscription(customer=CUSTOMER, status="canceled", sub_id="sub_old"),
        event_id="e2",
        created=now,
    )

    assert _status(customer_a) == "active"
    assert BillingAccount.objects.get(practice=customer_a).stripe_subscription_id == "sub_new"


# --- unknown customer ---


def test_unknown_customer_is_acknowledged_logged_and_changes_nothing(
    client, stripe_keys, customer_a, practice_b, caplog
):
    caplog.set_level(logging.WARNING, logger="gpo.billing.services")
    data = fake.subscription(customer="cus_nobody", status="canceled")

    response = _send(client, "customer.subscription.deleted", data, event_id="evt_stranger")

    assert response.json()["outcome"] == "unknown_customer"
    assert (_status(customer_a), _status(practice_b)) == ("active", "active")
    assert not BillingAccount.objects.exists()
    assert not Invoice.objects.exists()
    assert "cus_nobody" in caplog.text
    assert "evt_stranger" in caplog.text


def test_unknown_customers_invoice_is_not_stored(client, stripe_keys, customer_a):
    _send(
        client,
        "invoice.paid",
        fake.invoice(customer="cus_nobody", status="paid", amount_paid=960_000),
        event_id="evt_s",
    )

    assert not Invoice.objects.exists()
    assert _status(customer_a) == "active"
