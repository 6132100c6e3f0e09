"""Reads for member dues (STYLE.md rule 2): a practice's standing, its billing page, the coalition's overview.

Who may read what is asked by the views (`gpo.members.rights`, `gpo.members.scoping`); these functions take the
practice or the user already checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from gpo.billing import membership
from gpo.billing.models import BillingAccount, DuesPlan, Invoice
from gpo.members import scoping
from gpo.members.models import Practice

PRICES_WITHHELD_MESSAGE = (
    "Contract prices are hidden while {practice}'s coalition dues are unpaid. They return as soon as the dues are paid."
)


def grace_period() -> timedelta:
    """How long a practice stays `past_due`, prices still shown, before it lapses."""
    return timedelta(days=settings.BILLING_GRACE_PERIOD_DAYS)


def account_of(practice: Practice) -> BillingAccount | None:
    """The practice's billing account, if it has one."""
    return BillingAccount.objects.select_related("plan").filter(practice=practice).first()


def membership_status_now(*, practice: Practice, account: BillingAccount | None = None) -> str:
    """The practice's standing now: the stored one, lapsed once a past-due practice's grace period has run out."""
    if practice.membership_status != membership.PAST_DUE:
        return practice.membership_status
    account = account or account_of(practice)
    return membership.standing_now(
        stored=practice.membership_status,
        behind_since=account.past_due_since if account is not None else None,
        now=timezone.now(),
        grace=grace_period(),
    )


def prices_withheld(*, practice: Practice | None) -> bool:
    """Whether contract prices are hidden from this practice: it has lapsed (the one gate the catalog asks)."""
    return practice is not None and membership_status_now(practice=practice) == membership.LAPSED


def prices_withheld_message(*, practice: Practice | None) -> str:
    """What the catalog says instead of prices to a lapsed practice."""
    return PRICES_WITHHELD_MESSAGE.format(practice=practice.name if practice is not None else "your practice")


@dataclass(frozen=True)
class PracticeBilling:
    """Everything the practice billing page shows."""

    practice: Practice
    status: str
    status_label: str
    account: BillingAccount | None
    plan: DuesPlan | None
    grace_ends: datetime | None
    next_invoice_at: datetime | None
    next_invoice_amount: Decimal | None
    invoices: list[Invoice]
    invoice_to_pay: Invoice | None
    has_live_subscription: bool
    amount_outstanding: Decimal


def _status_label(status: str) -> str:
    return str(Practice.MembershipStatus(status).label)


def _next_invoice(account: BillingAccount | None, plan: DuesPlan | None) -> tuple[datetime | None, Decimal | None]:
    """When the next dues invoice comes and for how much; none once the subscription ends or is set to end."""
    if account is None or account.subscription_status not in membership.LIVE or account.cancel_at_period_end:
        return None, None
    amount = account.next_invoice_amount
    if amount is None and plan is not None:
        amount = plan.annual_amount
    return account.current_period_end, amount


def practice_billing_get(*, practice: Practice) -> PracticeBilling:
    """The practice's standing, plan, next invoice and invoices (newest first)."""
    account = account_of(practice)
    plan = account.plan if account is not None else None
    status = membership_status_now(practice=practice, account=account)
    invoices = list(Invoice.objects.filter(practice=practice).order_by("-issued_at", "-id"))
    unpaid = [invoice for invoice in invoices if invoice.status == Invoice.Status.OPEN]
    next_at, next_amount = _next_invoice(account, plan)
    behind_since = account.past_due_since if account is not None and status != membership.ACTIVE else None
    return PracticeBilling(
        practice=practice,
        status=status,
        status_label=_status_label(status),
        account=account,
        plan=plan,
        grace_ends=membership.grace_ends(behind_since=behind_since, grace=grace_period()),
        next_invoice_at=next_at,
        next_invoice_amount=next_amount,
        invoices=invoices,
        invoice_to_pay=next((invoice for invoice in unpaid if invoice.hosted_invoice_url), None),
        has_live_subscription=account is not None and account.subscription_status in membership.LIVE,
        amount_outstanding=sum((invoice.amount_remaining for invoice in unpaid), Decimal("0.00")),
    )


@dataclass(frozen=True)
class PracticeRow:
    """One practice on the coalition's billing overview."""

    practice: Practice
    status: str
    status_label: str
    plan: DuesPlan | None
    collection_method: str
    next_invoice_at: datetime | None
    amount_outstanding: Decimal
    behind_since: datetime | None
    grace_ends: datetime | None


@dataclass
class BillingOverview:
    """Every practice's standing, the overdue ones first, and the dues plans."""

    rows: list[PracticeRow]
    overdue: list[PracticeRow]
    plans: list[DuesPlan]
    counts: dict[str, int] = field(default_factory=dict)


def _outstanding_by_practice(practice_ids: list[Any]) -> dict[Any, Decimal]:
    totals: dict[Any, Decimal] = {}
    open_invoices = Invoice.objects.filter(practice_id__in=practice_ids, status=Invoice.Status.OPEN)
    for practice_id, remaining in open_invoices.values_list("practice_id", "amount_remaining"):
        totals[practice_id] = totals.get(practice_id, Decimal("0.00")) + remaining
    return totals


def _practice_row(practice: Practice, account: BillingAccount | None, outstanding: Decimal) -> PracticeRow:
    status = membership_status_now(practice=practice, account=account)
    plan = account.plan if account is not None else None
    behind_since = account.past_due_since if account is not None and status != membership.ACTIVE else None
    next_at, _ = _next_invoice(account, plan)
    return PracticeRow(
        practice=practice,
        status=status,
        status_label=_status_label(status),
        plan=plan,
        collection_method=account.collection_method if account is not None else "",
        next_invoice_at=next_at,
        amount_outstanding=outstanding,
        behind_since=behind_since,
        grace_ends=membership.grace_ends(behind_since=behind_since, grace=grace_period()),
    )


def billing_overview_get(*, user: Any) -> BillingOverview:
    """Every practice the user may see with its standing, plan and what it owes (four queries)."""
    practices = list(scoping.practices_visible(user).order_by("name"))
    accounts = {
        account.practice_id: account
        for account in BillingAccount.objects.select_related("plan").filter(practice__in=practices)
    }
    outstanding = _outstanding_by_practice([practice.id for practice in practices])
    rows = [
        _practice_row(practice, accounts.get(practice.id), outstanding.get(practice.id, Decimal("0.00")))
        for practice in practices
    ]
    overdue = sorted(
        (row for row in rows if row.status != membership.ACTIVE),
        key=lambda row: (row.status != membership.LAPSED, row.behind_since or timezone.now(), row.practice.name),
    )
    counts = {status: sum(1 for row in rows if row.status == status) for status in Practice.MembershipStatus.values}
    return BillingOverview(rows=rows, overdue=overdue, plans=list(plan_list()), counts=counts)


def plan_list() -> QuerySet[DuesPlan]:
    """The dues plans, cheapest first."""
    return DuesPlan.objects.order_by("annual_amount", "name")
