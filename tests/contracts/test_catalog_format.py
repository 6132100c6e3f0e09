"""Price formatting on catalog pages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contracts.templatetags.catalog_format import quantity, unit_price


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("81.2300"), "$81.23"),
        (Decimal("1234567.5000"), "$1,234,567.50"),
        (Decimal("0.1235"), "$0.1235"),
        (Decimal("-12.5000"), "-$12.50"),
        (None, ""),
    ],
    ids=["cents", "thousands", "four-places", "negative", "none"],
)
def test_unit_price_keeps_cents_or_the_four_stored_places(value, expected):
    assert unit_price(value) == expected


def test_quantity_drops_trailing_zeros():
    assert (quantity(Decimal("10.0000")), quantity(Decimal("2.5000")), quantity(None)) == ("10", "2.5", "")
