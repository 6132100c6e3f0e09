"""Template filters for money and rates on the dashboards."""

from __future__ import annotations

from decimal import Decimal

from django import template

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
