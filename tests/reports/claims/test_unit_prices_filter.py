"""Unit prices on the claim and benchmark pages keep the places they were stored with."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reports.templatetags.unit_prices import unit_money


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("13597.3400"), "$13,597.34"),
        (Decimal("0.0125"), "$0.0125"),
        (Decimal("-2.5"), "-$2.50"),
        (Decimal("1234567.1230"), "$1,234,567.123"),
        (None, "—"),
    ],
)
def test_unit_money_keeps_sub_cent_places_case(value, shown):
    assert unit_money(value) == shown
