"""Money helpers: the only place rounding happens (STYLE.md rule 6, DESIGN.md section 4 rule 7)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

CENT = Decimal("0.01")
UNIT_PRICE_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    """Round an amount to cents, half away from zero."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def cents_of(numerator: Decimal, denominator: Decimal | int) -> Decimal:
    """numerator / denominator rounded to cents, half away from zero (a money formula of DESIGN §4.7)."""
    return cents(numerator / denominator)


def round_half_up_integers(numerator: np.ndarray, denominator: np.ndarray | int) -> np.ndarray:
    """numerator / denominator (> 0) rounded to an integer, half away from zero (ROUND_HALF_UP), exactly.

    The bulk reconciliation's `cents_of`: money as integers (ten-thousandths, cents) divided down to cents.
    """
    magnitude = np.abs(numerator)
    quotient = magnitude // denominator  # floor division then a product: numpy's divmod is several times slower
    quotient += 2 * (magnitude - quotient * denominator) >= denominator
    return np.where(numerator < 0, -quotient, quotient)


def unit_price(amount: Decimal) -> Decimal:
    """Round a unit price to the 4 places it is stored with, half away from zero."""
    return amount.quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP)


def to_minor_units(amount: Decimal) -> int:
    """Stripe amount in minor units (cents) of a Decimal dollar amount."""
    return int(cents(amount) * 100)


def from_minor_units(minor: int) -> Decimal:
    """A Decimal dollar amount of a Stripe amount in minor units (cents); exact, never through float."""
    return cents(Decimal(int(minor)) / 100)


def money_str(amount: Decimal | None) -> str:
    """Money as the API shows it: a string with two decimals, zero as "0.00"."""
    return f"{cents(amount if amount is not None else ZERO):.2f}"


def unit_price_str(price: Decimal | None) -> str | None:
    """A unit price as the API shows it: two decimals when exact ("12.50"), else up to the 4 stored ("0.1235")."""
    if price is None:
        return None
    stored = unit_price(price)
    if stored == cents(stored):
        return f"{cents(stored):.2f}"
    return f"{stored:.4f}".rstrip("0")


def plain_decimal_str(value: Decimal | None) -> str | None:
    """A quantity or percentage without trailing zeros ("10", "2.5", "-3", "12.5"); None when absent."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text
