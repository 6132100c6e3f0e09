"""Panels the dashboards include with one tag each: restatements of closed months and the coalition economics links.

Kept apart from the dashboard views so the dashboards' own templates change by one delimited line.
"""

from __future__ import annotations

from typing import Any

from django import template

from gpo.members.rights import Right, has_right
from reports.selectors.admin_fees import admin_fee_revenue
from reports.selectors.month_closes import restatement_list

register = template.Library()


@register.inclusion_tag("reports/dashboards/_restatements.html", takes_context=True)
def restatements_panel(context: dict[str, Any], practice: Any = None) -> dict[str, Any]:
    """The latest restatements of the practice's closed months (every member's, on the coalition dashboard)."""
    user = context["request"].user
    restatements = restatement_list(user=user, practice_ids=[practice.id] if practice is not None else None)
    return {
        "restatements": list(restatements[:10]),
        "restatement_count": restatements.count(),
        "show_practice": practice is None,
    }


@register.inclusion_tag("reports/dashboards/_economics_links.html", takes_context=True)
def coalition_economics_links(context: dict[str, Any]) -> dict[str, Any]:
    """Links to the coalition economics pages the user may open."""
    user = context["request"].user
    return {"coalition": has_right(user, None, Right.COALITION_FIGURES)}


@register.inclusion_tag("reports/dashboards/_admin_fee_kpi.html")
def admin_fee_kpi(period: Any, estimate: Any) -> dict[str, Any]:
    """The coalition's admin-fee revenue: what vendors paid by their own reports for the quarters in the period,
    beside the estimate from uploaded on-contract spend x fee %."""
    revenue = admin_fee_revenue(start=getattr(period, "start", None), end=getattr(period, "end", None))
    return {"revenue": revenue, "estimate": estimate, "has_reports": bool(revenue["reports"])}
