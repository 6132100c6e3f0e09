"""The one rounding helper: half away from zero, to cents and to 4-place unit prices."""

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpo.money import (
    cents,
    cents_of,
    money_str,
    plain_decimal_str,
    round_half_up_integers,
    to_minor_units,
    unit_price_str,
)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0.125", "0.13"), ("-0.125", "-0.13"), ("2.675", "2.68"), ("1.004999", "1.00"), ("-0.005", "-0.01")],
)
def test_cents_rounds_half_away_from_zero(amount, expected):
    assert cents(Decimal(amount)) == Decimal(expected)


def test_money_str_shows_zero_as_two_decimals():
    assert money_str(None) == "0.00"
    assert money_str(Decimal("1234.5")) == "1234.50"


@pytest.mark.parametrize(
    ("price", "expected"), [("12.5", "12.50"), ("12.3456", "12.3456"), ("0.12345", "0.1235"), ("3.1400", "3.14")]
)
def test_unit_price_str_keeps_cents_or_four_places(price, expected):
    assert unit_price_str(Decimal(price)) == expected


def test_to_minor_units_rounds_then_converts():
    assert to_minor_units(Decimal("19.995")) == 2000


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False, allow_infinity=False))
def test_cents_is_within_half_a_cent(amount):
    assert abs(cents(amount) - amount) <= Decimal("0.005")


@pytest.mark.parametrize(
    ("value", "expected"), [("10.0000", "10"), ("2.5000", "2.5"), ("-3", "-3"), ("12.5000", "12.5"), ("-0.000", "0")]
)
def test_plain_decimal_str_drops_trailing_zeros(value, expected):
    assert plain_decimal_str(Decimal(value)) == expected


@given(
    numerators=st.lists(st.integers(min_value=-(10**15), max_value=10**15), min_size=1, max_size=20),
    denominator=st.integers(min_value=1, max_value=10**7),
)
def test_integer_rounding_agrees_with_cents(numerators, denominator):
    # Given amounts of numerator / denominator cents, as the bulk path holds them
    # When both representations round them
    rounded = round_half_up_integers(np.array(numerators, dtype=np.int64), denominator)

    # Then the integer path gives the cents that the Decimal path gives, half away from zero
    assert [Decimal(int(c)) / 100 for c in rounded] == [cents_of(Decimal(n) / 100, denominator) for n in numerators]
