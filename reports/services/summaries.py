"""The monthly summary email: each practice's executives get last month's headline figures and top claims."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from gpo.members.models import Membership, Practice, Role
from reports.selectors.claims import VendorToClaim, claim_candidates, recovery_totals
from reports.selectors.savings import savings_figures

TOP_CLAIMS = 5


@dataclass(frozen=True)
class MonthlySummary:
    """What one practice's email says about one month."""

    practice: Practice
    start: datetime.date
    end: datetime.date
    figures: Any
    to_claim: list[VendorToClaim]
    recovery: Any
    dashboard_url: str
    claims_url: str


def previous_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the month before `today`'s."""
    end = today.replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


def summary_for(*, practice: Practice, start: datetime.date, end: datetime.date) -> MonthlySummary:
    """The month's figures (as the dashboard shows them), the largest overcharges left to claim, and links."""
    figures = savings_figures(practice_ids=[practice.id], start=start, end=end)["total"]
    period = urlencode({"practice": practice.slug, "period": "custom", "start": start, "end": end})
    return MonthlySummary(
        practice=practice,
        start=start,
        end=end,
        figures=figures,
        to_claim=claim_candidates(practice=practice)[:TOP_CLAIMS],
        recovery=recovery_totals(practice=practice),
        dashboard_url=f"{settings.SITE_URL}/dashboard/?{period}",
        claims_url=f"{settings.SITE_URL}/claims/?practice={practice.slug}",
    )


def executive_addresses(practice: Practice) -> list[str]:
    """The e-mail addresses of the practice's active executives (DESIGN §3), each once."""
    found = Membership.objects.filter(
        practice=practice, role=Role.EXECUTIVE, user__is_active=True, user__email__gt=""
    ).values_list("user__email", flat=True)
    return sorted(set(found))


def monthly_summaries_send(*, today: datetime.date, practice_slugs: list[str] | None = None) -> dict[str, int]:
    """Send last month's summary to every practice's executives (or the named practices'); {slug: recipients}."""
    start, end = previous_month(today)
    practices = Practice.objects.order_by("name")
    if practice_slugs:
        practices = practices.filter(slug__in=practice_slugs)
    sent: dict[str, int] = {}
    with get_connection() as connection:
        for practice in practices:
            recipients = executive_addresses(practice)
            if not recipients:
                continue
            summary = summary_for(practice=practice, start=start, end=end)
            context = {"summary": summary, "month": start}
            message = EmailMultiAlternatives(
                subject=f"{practice.name}: purchasing summary for {start:%B %Y}",
                body=render_to_string("reports/email/monthly_summary.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=recipients,
                connection=connection,
            )
            message.attach_alternative(render_to_string("reports/email/monthly_summary.html", context), "text/html")
            message.send()
            sent[practice.slug] = len(recipients)
    return sent
