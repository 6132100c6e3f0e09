"""Demo dues for `seed_demo`: plans, each practice's standing and a few invoices, stored locally (no Stripe keys).

Dates are relative to today, so the demo reads right whenever it is seeded: most practices are paid up, one is past
due inside its grace period, one has lapsed (its members see the banner and no contract prices).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from gpo.billing import membership, selectors
from gpo.billing.models import BillingAccount, DuesPlan, Invoice
from gpo.billing.services import plan_save
from gpo.members.demo import DEMO_PASSWORD
from gpo.members.models import Practice, Role
from gpo.members.services import member_add

YEAR = timedelta(days=365)
CARD = BillingAccount.CollectionMethod.CHARGE_AUTOMATICALLY
INVOICE = BillingAccount.CollectionMethod.SEND_INVOICE

# The executive of the lapsed practice: signs in to see the banner, hidden prices, kept purchases and billing.
LAPSED_LOGIN = ("heartland-exec", Role.EXECUTIVE.value, "heartland-radiology")

# name, band, yearly dues
DEMO_PLANS: list[tuple[str, str, Decimal]] = [
    ("Small practice", "1–5 radiologists", Decimal("4800.00")),
    ("Mid-size practice", "6–15 radiologists", Decimal("9600.00")),
    ("Large practice", "16 or more radiologists", Decimal("16800.00")),
]


@dataclass(frozen=True)
class DemoAccount:
    """How one demo practice pays and stands: its renewal was `renewed_days_ago`; `behind_days_ago` if unpaid."""

    plan: str
    method: str
    renewed_days_ago: int
    behind_days_ago: int | None = None


DEMO_ACCOUNTS: dict[str, DemoAccount] = {
    "lakeside-radiology": DemoAccount("Mid-size practice", CARD, 74),
    "piedmont-imaging": DemoAccount("Large practice", CARD, 151),
    "summit-diagnostic": DemoAccount("Small practice", INVOICE, 40),
    "bayview-imaging": DemoAccount("Small practice", CARD, 12, behind_days_ago=12),
    "heartland-radiology": DemoAccount("Mid-size practice", INVOICE, 95, behind_days_ago=65),
    "cascade-valley": DemoAccount("Small practice", CARD, 98),
    "riverbend-imaging": DemoAccount("Small practice", INVOICE, 210),
    "northshore-radiology": DemoAccount("Mid-size practice", CARD, 263),
}


def _invoice_store(
    practice: Practice, plan: DuesPlan, which: str, number: str, issued: datetime, method: str, *, paid: bool
) -> None:
    """One of the practice's two demo invoices (`which`: previous or current year), dated from today."""
    due = issued + timedelta(days=30) if method == INVOICE else issued
    Invoice.objects.update_or_create(
        stripe_invoice_id=f"in_demo_{practice.slug}_{which}",
        defaults={
            "practice": practice,
            "number": number,
            "status": Invoice.Status.PAID if paid else Invoice.Status.OPEN,
            "currency": plan.currency,
            "amount_due": plan.annual_amount,
            "amount_paid": plan.annual_amount if paid else Decimal("0.00"),
            "amount_remaining": Decimal("0.00") if paid else plan.annual_amount,
            "issued_at": issued,
            "due_at": due,
            "paid_at": (due - timedelta(days=3) if method == INVOICE else issued) if paid else None,
            "period_start": issued,
            "period_end": issued + YEAR,
        },
    )


def _account_seed(practice: Practice, plan: DuesPlan, spec: DemoAccount, now: datetime, number: int) -> str:
    renewed = (now - timedelta(days=spec.renewed_days_ago)).replace(hour=9, minute=0, second=0, microsecond=0)
    behind_since = now - timedelta(days=spec.behind_days_ago) if spec.behind_days_ago is not None else None
    BillingAccount.objects.update_or_create(
        practice=practice,
        defaults={
            "plan": plan,
            "collection_method": spec.method,
            "subscription_status": "past_due" if behind_since else "active",
            "current_period_end": renewed + YEAR,
            "next_invoice_amount": plan.annual_amount,
            "currency": plan.currency,
            "past_due_since": behind_since,
        },
    )
    previous = renewed - YEAR
    _invoice_store(practice, plan, "previous", f"RPC-{previous.year}-{number:04d}", previous, spec.method, paid=True)
    current_number = f"RPC-{renewed.year}-{number:04d}"
    _invoice_store(practice, plan, "current", current_number, renewed, spec.method, paid=behind_since is None)
    status = (
        membership.standing_when_behind(behind_since=behind_since, now=now, grace=selectors.grace_period())
        if behind_since
        else membership.ACTIVE
    )
    Practice.objects.filter(pk=practice.pk).update(membership_status=status)
    return status


@transaction.atomic
def seed_billing() -> dict[str, str]:
    """Create the demo plans and put each demo practice on one; returns each practice's standing by slug."""
    plans = {
        name: plan_save(name=name, band=band, annual_amount=amount, plan=DuesPlan.objects.filter(name=name).first())
        for name, band, amount in DEMO_PLANS
    }
    now = timezone.now()
    standings = {}
    practices = Practice.objects.filter(slug__in=DEMO_ACCOUNTS).order_by("name")
    for number, practice in enumerate(practices, start=1):
        spec = DEMO_ACCOUNTS[practice.slug]
        standings[practice.slug] = _account_seed(practice, plans[spec.plan], spec, now, number)
    username, role, slug = LAPSED_LOGIN
    lapsed_practice = Practice.objects.filter(slug=slug).first()
    if lapsed_practice is not None:
        member_add(
            username=username,
            role=role,
            practice=lapsed_practice,
            email=f"{username}@example.org",
            password=DEMO_PASSWORD,
        )
    return standings
