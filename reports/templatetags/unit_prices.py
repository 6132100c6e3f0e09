"""Template filter for unit prices: cents as usual, the stored 4 places when the price has them."""

from __future__ import annotations

from decimal import Decimal

from django import template

from gpo.money import unit_price_str

register = template.Library()


@register.filter
def unit_money(value: Decimal | None) -> str:
    """ "$13,597.34", "$0.0125", "-$2.50"; blank as an em dash (a per-each price below a cent keeps its places)."""
    if value is None:
        return "—"
    text = unit_price_str(Decimal(str(value))) or "0.00"
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    return f"{sign}${int(whole):,}.{fraction}"
