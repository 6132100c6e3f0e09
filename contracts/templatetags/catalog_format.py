"""Template filters for catalog prices: unit prices keep cents when exact, else their 4 stored places."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from gpo.money import unit_price_str

register = template.Library()


@register.filter
def unit_price(value: Decimal | None) -> str:
    """$1,234.50 or $0.1235 (gpo.money.unit_price_str with thousands separators); blank for None."""
    text = unit_price_str(value)
    if text is None:
        return ""
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    return f"{sign}${intcomma(int(whole))}.{fraction}"


@register.filter
def quantity(value: Decimal | None) -> str:
    """A quantity without trailing zeros ("10", "2.5")."""
    if value is None:
        return ""
    return f"{value.normalize():f}"
