"""Template helpers for dues: money as `$4,800.00`, the membership banner, and the catalog's price gate."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from gpo.billing import membership, selectors
from gpo.members.models import Practice
from gpo.members.rights import Right, has_right
from gpo.money import money_str

register = template.Library()


@register.filter
def dues_amount(value: Decimal | None) -> str:
    """$4,800.00 (two decimals through gpo.money); blank for None."""
    if value is None:
        return ""
    text = money_str(value)
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    return f"{sign}${intcomma(int(whole))}.{fraction}"


@register.filter
def prices_withheld(practice: Practice | None) -> bool:
    """Whether the catalog hides contract prices from this practice (it has lapsed)."""
    return selectors.prices_withheld(practice=practice)


@register.simple_tag
def prices_withheld_message(practice: Practice) -> str:
    """What the catalog says instead of prices to a lapsed practice."""
    return selectors.prices_withheld_message(practice=practice)


@register.inclusion_tag("billing/banner.html", takes_context=True)
def membership_banner(context: Any) -> dict[str, Any]:
    """A banner across every page for a practice whose dues are past due or lapsed."""
    practice = context.get("current_practice")
    request = context.get("request")
    if practice is None or request is None:
        return {"show": False}
    if practice.membership_status == membership.ACTIVE:
        return {"show": False}  # the common case asks the database nothing more
    account = selectors.account_of(practice)
    status = selectors.membership_status_now(practice=practice, account=account)
    if status == membership.ACTIVE:
        return {"show": False}
    return {
        "show": True,
        "practice": practice,
        "lapsed": status == membership.LAPSED,
        "grace_ends": membership.grace_ends(
            behind_since=account.past_due_since if account is not None else None, grace=selectors.grace_period()
        )
        if status == membership.PAST_DUE
        else None,
        "may_view_billing": has_right(request.user, practice, Right.BILLING_VIEW),
    }
