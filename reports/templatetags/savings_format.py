"""Template filters for money and rates on the dashboards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html

from reports.line_table import could_have_paid
from reports.periods import month_label

register = template.Library()


@register.filter
def money(value: Decimal | float | int | None) -> str:
    """ "$1,234.50", "-$12.00"; blank as "$0.00"."""
    amount = Decimal(str(value)) if value is not None else Decimal("0")
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def rate(value: float | None) -> str:
    """A compliance rate as a percentage with one decimal, or an em dash when it is undefined."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def clip(value: object, length: int) -> str:
    """Text cut to `length` characters, the last one an ellipsis when cut: `truncatechars` without its per-call
    translation lookups, which cost the dashboards' 100-line tables more than the rest of their rendering."""
    text = "" if value is None else str(value)
    return text if len(text) <= length else text[: max(length - 1, 0)] + "…"


def _drill_text(drill: Any) -> str:
    if drill.figure == "compliance_rate":
        return rate(drill.value)
    if drill.figure == "lines":
        return f"{drill.value:,}"
    return money(drill.value)


@register.simple_tag
def drill(link: Any, text: str = "", css: str = "") -> str:
    """A figure as a link to the lines that sum to it (reports.drilldown.Drill); plain text when it has no link.

    The anchor carries the figure's key and exact value (`data-figure`, `data-value`) and, where it is one, the
    `/api/savings/` entry it shows (`data-savings`): the tie-out tests follow every such link.
    """
    if link is None:
        return ""
    shown = text or _drill_text(link)
    if not link.url:
        return format_html('<span class="{}">{}</span>', css, shown) if css else format_html("{}", shown)
    value = "" if link.value is None else str(link.value)
    return format_html(
        '<a class="drill {}" href="{}" data-figure="{}" data-value="{}" data-savings="{}">{}</a>',
        css,
        link.url,
        link.figure,
        value,
        link.savings,
        shown,
    )


@register.filter
def month_name(month: str) -> str:
    """ "2026-01" as "Jan 2026"."""
    return month_label(month) if month else ""


@register.simple_tag
def change(current: Any, earlier: Any, *, is_rate: bool = False) -> str:
    """The change from an earlier figure: "▲ 12.5 %", "▼ $40.00" when the earlier one is zero, points for rates."""
    if earlier is None or current is None:
        return "—"
    if is_rate:
        points = (float(current) - float(earlier)) * 100
        arrow = "▲" if points > 0 else "▼" if points < 0 else "="
        return f"{arrow} {abs(points):.1f} pts"
    difference = Decimal(str(current)) - Decimal(str(earlier))
    arrow = "▲" if difference > 0 else "▼" if difference < 0 else "="
    if earlier == 0:
        return f"{arrow} {money(abs(difference))}"
    percent = difference / abs(Decimal(str(earlier))) * 100
    return f"{arrow} {abs(percent):.1f}%"


@register.filter
def unit_money(value: Decimal | None) -> str:
    """A unit price: two decimals, up to four when the price has them ("$2.50", "$1.2345")."""
    if value is None:
        return "—"
    amount = Decimal(str(value))
    places = 4 if amount != amount.quantize(Decimal("0.01")) else 2
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{places}f}"


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """`mapping[key]` in a template (None when absent)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter(name="could_have_paid")
def could_have_paid_filter(line: Any) -> Decimal | None:
    """The unit price that would have missed nothing (reports.line_table.could_have_paid)."""
    return could_have_paid(line)
