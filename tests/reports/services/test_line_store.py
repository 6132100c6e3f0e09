"""Bulk writes from typed Arrow columns (binary COPY on PostgreSQL, executemany on SQLite) store exact values."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from django.db import DataError, connection, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from reports.db import copy as bulk_copy
from reports.db.copy import decimal_array, moment_array, rows_insert_batches
from reports.models import PurchaseLine, PurchaseUpload, SavingsSummary
from reports.services.line_store import lines_insert, lines_insert_batches, lines_update
from tests.factories import PurchaseUploadFactory, VendorFactory

STAMP = datetime(2026, 3, 15, 10, 11, 12, 345_678, tzinfo=UTC)
# The largest magnitudes the columns allow, as integers of their smallest unit: numeric(18, 4) and numeric(16, 2).
LARGEST_E4 = 10**18 - 1
LARGEST_CENTS = 10**16 - 1
# SQLite keeps decimals as REAL, as Django's own save does: 15 significant digits come back exact, more do not.
SQLITE_DIGITS = 10**15 - 1


def _decimals(values: list[int | None], places: int) -> pa.Array:
    scaled = np.array([0 if value is None else value for value in values], dtype=np.int64)
    return decimal_array(scaled, places, missing=np.array([value is None for value in values]))


def _exact(values: list[int | None], places: int) -> list[str | None]:
    """The decimals as text with the column's places ("-0.0001"): equal value and scale."""
    return [None if value is None else str(Decimal(value).scaleb(-places)) for value in values]


def _line_columns(upload: PurchaseUpload, size: int, **columns: Any) -> dict[str, Any]:
    """Typed database columns of `size` pending lines of the upload, with the given columns replaced."""
    text = pa.array([""] * size, type=pa.string())
    zeros = np.zeros(size, dtype=np.int64)
    return {
        "upload_id": pa.array([upload.id] * size, type=pa.int64()),
        "practice_id": pa.array([upload.practice_id] * size, type=pa.int64()),
        "row_number": pa.array(range(2, size + 2), type=pa.int64()),
        "purchase_date": pa.array([date(2026, 3, 15)] * size, type=pa.date32()),
        "vendor_name": pa.array(["Vendor Medical"] * size, type=pa.string()),
        "sku": text,
        "sku_normalized": text,
        "mfr_part_number": text,
        "mfr_part_normalized": text,
        "description": text,
        "uom": pa.array(["EA"] * size, type=pa.string()),
        "invoice_number": text,
        "po_number": text,
        "vendor_match": text,
        "status": pa.array(["pending"] * size, type=pa.string()),
        "overcharge_cause": text,
        "quantity": decimal_array(np.full(size, 10_000), 4),
        "unit_price": decimal_array(np.full(size, 100_000), 4),
        "spend": decimal_array(np.full(size, 1_000), 2),
        "savings": decimal_array(zeros, 2),
        "overcharge": decimal_array(zeros, 2),
        "missed_savings": decimal_array(zeros, 2),
    } | columns


def _stored(upload: PurchaseUpload, *names: str) -> list[tuple[Any, ...]]:
    return list(PurchaseLine.objects.filter(upload=upload).order_by("row_number").values_list(*names))


def _as_text(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(None if value is None else str(value) for value in row) for row in rows]


def _raw(line_id: int, names: list[str]) -> tuple[Any, ...]:
    """The line's columns as the database holds them, as text (SQLite: its literal, which shows the storage type)."""
    quote = connection.ops.quote_name
    shown = [f"quote({quote(n)})" if connection.vendor == "sqlite" else f"{quote(n)}::text" for n in names]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(shown)} FROM {quote(PurchaseLine._meta.db_table)} WHERE id = %s", [line_id])
        return tuple(cursor.fetchone())


# Pure: the typed helpers.


@given(
    st.lists(st.tuples(st.integers(-LARGEST_E4, LARGEST_E4), st.booleans()), max_size=30),
    st.sampled_from([2, 4]),
)
def test_decimal_array_holds_the_scaled_integers_exactly(values: list[tuple[int, bool]], places: int) -> None:
    array = decimal_array(
        np.array([v for v, _ in values], dtype=np.int64), places, missing=np.array([m for _, m in values], dtype=bool)
    )
    assert array.type == pa.decimal128(18, places)
    assert array.to_pylist() == [None if m else Decimal(v).scaleb(-places) for v, m in values]


def test_moment_array_repeats_the_moment_and_refuses_a_naive_one() -> None:
    assert moment_array(STAMP, 2).to_pylist() == [STAMP, STAMP]
    with pytest.raises(ValueError, match="naive"):
        moment_array(STAMP.replace(tzinfo=None), 2)


# Through the database (both backends).


@pytest.mark.django_db
def test_decimals_come_back_exact_with_signs_zeros_and_trailing_zero_groups() -> None:
    # Given decimals of every shape in one batch (the batch shares one layout of digit groups)
    upload = PurchaseUploadFactory()
    e4 = [0, -1, 1, 12_300, 100_000_000, 10**12, -987_654_321_012_345, 10_000]
    cents = [0, -1, 1, 100, 10**10, -(10**8), 123_456_789_012_345, -99]
    extended = [None, -1, 0, 10**12, None, 5, -SQLITE_DIGITS, 100]
    columns = _line_columns(
        upload,
        len(e4),
        quantity=_decimals(e4, 4),
        unit_price=_decimals([-v for v in e4], 4),
        expected_unit_price=_decimals([None if v % 2 else v for v in e4], 4),
        spend=_decimals(cents, 2),
        extended_amount=_decimals(extended, 2),
    )
    # When they are stored
    assert lines_insert(columns) == len(e4)
    # Then the ORM reads the same values with the columns' places
    names = ["quantity", "unit_price", "expected_unit_price", "spend", "extended_amount"]
    expected = zip(
        _exact(e4, 4),
        _exact([-v for v in e4], 4),
        _exact([None if v % 2 else v for v in e4], 4),
        _exact(cents, 2),
        _exact(extended, 2),
        strict=True,
    )
    assert _as_text(_stored(upload, *names)) == list(expected)


@pytest.mark.django_db
def test_dates_moments_ids_and_text_round_trip() -> None:
    # Given dates around PostgreSQL's epoch and at the ends of the calendar, moments with and without microseconds
    # (one given in another zone), ids and NULLs, unicode, empty and full-width text with CSV's special characters
    upload = PurchaseUploadFactory()
    vendor = VendorFactory()
    days = [date(1999, 12, 31), date(2000, 1, 1), date(2026, 3, 15), date(9999, 12, 31), date(1, 1, 1)]
    moments = [
        STAMP,
        STAMP.replace(microsecond=0),
        datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        None,
        datetime(1970, 1, 1, tzinfo=UTC),
    ]
    names = ["Ünïcødé – 東京 🚀", "", "é" * 300, 'a,"b"\n\\c\t;', "\\N"]
    columns = _line_columns(
        upload,
        5,
        row_number=pa.array([2, 3, 4, 2**31 - 1, 0], type=pa.int64()),
        purchase_date=pa.array(days, type=pa.date32()),
        reconciled_at=pa.array(moments, type=pa.timestamp("us", tz="UTC")),
        vendor_id=pa.array([vendor.id, None, vendor.id, None, None], type=pa.int64()),
        vendor_name=pa.array(names, type=pa.string()),
        description=pa.array(["", "x", "", "z", "y"], type=pa.string()),
        status=pa.array(["pending", "on_contract", "pending", "overcharged", "pending"]).dictionary_encode(),
    )
    # When they are stored
    lines_insert(columns)
    # Then each comes back as given
    stored = sorted(
        PurchaseLine.objects.filter(upload=upload).values_list(
            "row_number", "purchase_date", "reconciled_at", "vendor_id", "vendor_name", "status"
        )
    )
    expected = sorted(
        zip(
            [2, 3, 4, 2**31 - 1, 0],
            days,
            moments,
            [vendor.id, None, vendor.id, None, None],
            names,
            ["pending", "on_contract", "pending", "overcharged", "pending"],
            strict=True,
        )
    )
    assert stored == expected


@pytest.mark.django_db
def test_a_moment_given_in_another_zone_is_stored_as_the_same_instant() -> None:
    upload = PurchaseUploadFactory()
    berlin = pa.array([STAMP], type=pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us", tz="Europe/Berlin"))
    lines_insert(_line_columns(upload, 1, reconciled_at=berlin))
    assert _stored(upload, "reconciled_at") == [(STAMP,)]


@pytest.mark.django_db
def test_the_database_holds_what_django_itself_saves_for_the_same_values() -> None:
    # Given the same values saved once by the ORM and once from typed columns
    upload = PurchaseUploadFactory()
    vendor = VendorFactory()
    values = {
        "purchase_date": date(1999, 12, 31),
        "vendor_name": 'Ünïcødé, "quoted"\nline',
        "quantity": Decimal("-0.0001"),
        "unit_price": Decimal("99999999999999.9999"),
        "spend": Decimal("-99999999999999.99"),
        "extended_amount": None,
        "expected_unit_price": Decimal("10000.0000"),
        "savings": Decimal("0.00"),
        "reconciled_at": STAMP,
        "vendor_id": vendor.id,
    }
    for row, moment in ((10, STAMP), (20, STAMP.replace(microsecond=0))):
        values["reconciled_at"] = moment
        saved = PurchaseLine.objects.create(
            upload=upload,
            practice_id=upload.practice_id,
            row_number=row,
            sku="",
            uom="EA",
            status="pending",
            overcharge=Decimal("0.00"),
            missed_savings=Decimal("0.00"),
            **values,
        )
        typed = {
            "row_number": pa.array([row + 1], type=pa.int64()),
            "purchase_date": pa.array([values["purchase_date"]], type=pa.date32()),
            "vendor_name": pa.array([values["vendor_name"]], type=pa.string()),
            "quantity": _decimals([-1], 4),
            "unit_price": _decimals([LARGEST_E4], 4),
            "spend": _decimals([-LARGEST_CENTS], 2),
            "extended_amount": _decimals([None], 2),
            "expected_unit_price": _decimals([100_000_000], 4),
            "reconciled_at": moment_array(moment, 1),
            "vendor_id": pa.array([vendor.id], type=pa.int64()),
        }
        # When the typed columns are stored
        lines_insert(_line_columns(upload, 1, **typed))
        copied = PurchaseLine.objects.filter(upload=upload, row_number=row + 1).values_list("id", flat=True).get()
        # Then the database holds the same thing for every column (SQLite: the same literal of the same type)
        names = [
            field.column for field in PurchaseLine._meta.concrete_fields if field.column not in {"id", "row_number"}
        ]
        assert _raw(copied, names) == _raw(saved.id, names)


@pytest.mark.django_db
def test_the_largest_decimals_the_columns_allow_come_back_exact() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite keeps decimals as REAL (15 digits), as Django's own save does: see the test above")
    upload = PurchaseUploadFactory()
    e4 = [LARGEST_E4, -LARGEST_E4, -1, 0, 10**14]
    cents = [-LARGEST_CENTS, LARGEST_CENTS, 0, -1, 10**14]
    lines_insert(_line_columns(upload, 5, quantity=_decimals(e4, 4), spend=_decimals(cents, 2)))
    assert _as_text(_stored(upload, "quantity", "spend")) == list(zip(_exact(e4, 4), _exact(cents, 2), strict=True))


@pytest.mark.django_db
def test_a_decimal_beyond_its_column_is_refused_by_the_database() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite does not check a decimal's digits (nor did it before typed columns)")
    upload = PurchaseUploadFactory()
    with pytest.raises(DataError, match="numeric field overflow"), transaction.atomic():
        lines_insert(_line_columns(upload, 1, spend=_decimals([LARGEST_CENTS + 1], 2)))
    assert not PurchaseLine.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "values", "error", "message"),
    [
        pytest.param("quantity", pa.array([1.5]), TypeError, "'quantity' is numeric(18, 4)", id="float_decimal_case"),
        pytest.param("quantity", _decimals([150], 2), TypeError, "type decimal128", id="other_scale_case"),
        pytest.param("spend", pa.array([150]), TypeError, "'spend' is numeric", id="scaled_integer_case"),
        pytest.param(
            "purchase_date", pa.array(["2026-03-15"]), TypeError, "'purchase_date' is date", id="text_date_case"
        ),
        pytest.param("purchase_date", pa.array([20_000]), TypeError, "'purchase_date' is date", id="day_number_case"),
        pytest.param(
            "reconciled_at",
            pa.array([STAMP.replace(tzinfo=None)], type=pa.timestamp("us")),
            TypeError,
            "'reconciled_at' is timestamptz",
            id="naive_moment_case",
        ),
        pytest.param("row_number", pa.array(["2"]), TypeError, "'row_number' is int4", id="text_integer_case"),
        pytest.param("vendor_name", pa.array([5]), TypeError, "'vendor_name' is text", id="integer_text_case"),
        pytest.param("row_number", pa.array([2**31]), ValueError, "'row_number'", id="beyond_int4_case"),
        pytest.param("purchase_date", ["15/03/2026"], ValueError, "'purchase_date'", id="unparsed_plain_date_case"),
        pytest.param("quantity", ["1.00001"], ValueError, "'quantity'", id="inexact_plain_decimal_case"),
        pytest.param("no_such_column", [1], ValueError, "no_such_column", id="unknown_column_case"),
    ],
)
def test_a_column_that_does_not_fit_its_type_is_refused_by_name(column, values, error, message) -> None:
    upload = PurchaseUploadFactory()
    with pytest.raises(error, match=re.escape(message)):
        lines_insert(_line_columns(upload, 1, **{column: values}))
    assert not PurchaseLine.objects.exists()


@pytest.mark.django_db
def test_plain_values_are_converted_exactly() -> None:
    upload = PurchaseUploadFactory()
    columns = _line_columns(upload, 2)
    # Given plain values: integers, text of dates and decimals, Decimals and a NULL
    plain = {
        "row_number": [2, 3],
        "purchase_date": ["2026-03-15", "2026-03-16"],
        "quantity": ["1.5", "-0.0001"],
        "extended_amount": [Decimal("1.25"), None],
    }
    # When they are stored
    lines_insert(columns | plain)
    # Then they are the columns' values, scale included
    stored = _stored(upload, "purchase_date", "quantity", "extended_amount")
    assert _as_text(stored) == [("2026-03-15", "1.5000", "1.25"), ("2026-03-16", "-0.0001", None)]


@pytest.mark.django_db
def test_a_batch_that_does_not_fit_after_the_first_stops_the_copy_and_nothing_stays() -> None:
    upload = PurchaseUploadFactory()
    good = _line_columns(upload, 3)
    bad = _line_columns(upload, 3, quantity=pa.array([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="'quantity'"), transaction.atomic():
        lines_insert_batches(iter([good, bad]))
    assert not PurchaseLine.objects.exists()


@pytest.mark.django_db
def test_batches_cut_into_slices_keep_every_row_and_null_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given slices of two rows (arrays that start inside their buffers), NULLs at every position
    monkeypatch.setattr(bulk_copy, "_COPY_ROWS", 2)
    monkeypatch.setattr(bulk_copy, "_EXECUTEMANY_ROWS", 2)
    upload = PurchaseUploadFactory()
    vendor = VendorFactory()
    extended = [[None, 1, -2], [300, None, None]]
    vendors = [[vendor.id, None, vendor.id], [None, None, vendor.id]]
    moments = [[STAMP, None, STAMP], [None, STAMP, None]]
    skus = [["a", "bb", "ccc"], ["é", "", "東"]]
    batches = [
        _line_columns(
            upload,
            3,
            row_number=pa.array([2 + 3 * b, 3 + 3 * b, 4 + 3 * b], type=pa.int64()),
            extended_amount=_decimals(extended[b], 2),
            vendor_id=pa.array(vendors[b], type=pa.int64()),
            reconciled_at=pa.array(moments[b], type=pa.timestamp("us", tz="UTC")),
            sku=pa.array(skus[b], type=pa.string()),
        )
        for b in range(2)
    ]
    # When they are stored
    assert lines_insert_batches(iter(batches)) == 6
    # Then every row is whole and in order
    stored = _stored(upload, "extended_amount", "vendor_id", "reconciled_at", "sku")
    expected = zip(
        _exact(extended[0] + extended[1], 2),
        vendors[0] + vendors[1],
        moments[0] + moments[1],
        skus[0] + skus[1],
        strict=True,
    )
    assert [(None if e is None else str(e), v, m, s) for e, v, m, s in stored] == list(expected)


@pytest.mark.django_db
def test_lines_update_sets_values_and_nulls_of_the_given_lines_only() -> None:
    # Given three stored lines, one with an expected price
    upload = PurchaseUploadFactory()
    vendor = VendorFactory()
    lines_insert(_line_columns(upload, 3, expected_unit_price=_decimals([None, 12_345, None], 4)))
    ids = [line_id for (line_id,) in _stored(upload, "id")]
    # When the first two get new results (a price set, a price cleared, a vendor, a moment)
    updated = lines_update(
        {
            "id": pa.array(ids[:2], type=pa.int64()),
            "expected_unit_price": _decimals([-1, None], 4),
            "spend": _decimals([LARGEST_CENTS // 10**3, -5], 2),
            "vendor_id": pa.array([vendor.id, None], type=pa.int64()),
            "status": pa.array(["overcharged", "on_contract"], type=pa.string()),
            "reconciled_at": moment_array(STAMP, 2),
        }
    )
    # Then those two hold them and the third is unchanged
    assert updated == 2
    stored = _stored(upload, "expected_unit_price", "spend", "vendor_id", "status", "reconciled_at")
    assert [(None if p is None else str(p), str(s), v, status, m) for p, s, v, status, m in stored] == [
        ("-0.0001", str(Decimal(LARGEST_CENTS // 10**3).scaleb(-2)), vendor.id, "overcharged", STAMP),
        (None, "-0.05", None, "on_contract", STAMP),
        (None, "10.00", None, "pending", None),
    ]


@pytest.mark.django_db
def test_summary_rows_store_counts_cents_and_null_days() -> None:
    upload = PurchaseUploadFactory()
    written = rows_insert_batches(
        SavingsSummary,
        [
            {
                "breakdown": pa.array(["vendor", "vendor"]),
                "practice_id": pa.array([upload.practice_id] * 2, type=pa.int64()),
                "month": pa.array([date(2026, 3, 1)] * 2, type=pa.date32()),
                "day": pa.array([date(2026, 3, 15), None], type=pa.date32()),
                "status": pa.array(["overcharged"] * 2),
                "vendor_id": pa.array([None, None], type=pa.int64()),
                "unresolved_vendor_name": pa.array(["Acme", ""]),
                "category_id": pa.array([None, None], type=pa.int64()),
                "contract_id": pa.array([None, None], type=pa.int64()),
                "spend_cents": pa.array([2**62, -(2**62)], type=pa.int64()),
                "savings_cents": pa.array([0, 1], type=pa.int64()),
                "overcharge_cents": pa.array([-1, 0], type=pa.int64()),
                "missed_savings_cents": pa.array([5, 6], type=pa.int64()),
                "line_count": pa.array([2**31 - 1, 1], type=pa.int64()),
            }
        ],
    )
    assert written == 2
    assert list(SavingsSummary.objects.order_by("line_count").values_list("day", "spend_cents", "line_count")) == [
        (None, -(2**62), 1),
        (date(2026, 3, 15), 2**62, 2**31 - 1),
    ]


def _within(value: int) -> int:
    return max(-SQLITE_DIGITS, min(SQLITE_DIGITS, value))


_MONEY = st.tuples(
    st.integers(-LARGEST_E4, LARGEST_E4),
    st.integers(-LARGEST_E4, LARGEST_E4),
    st.integers(-LARGEST_CENTS, LARGEST_CENTS),
    st.none() | st.integers(-LARGEST_CENTS, LARGEST_CENTS),
)


@pytest.mark.django_db
@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_MONEY, min_size=1, max_size=20))
def test_any_scaled_integers_in_the_columns_range_come_back_equal(rows: list[tuple[int, int, int, int | None]]) -> None:
    if connection.vendor == "sqlite":
        # SQLite keeps REAL (Django's own save too): there the property holds for 15 significant digits.
        rows = [(_within(q), _within(u), _within(s), None if e is None else _within(e)) for q, u, s, e in rows]
    upload = PurchaseUploadFactory()
    quantity, unit_price, spend = ([row[i] for row in rows] for i in range(3))
    extended = [row[3] for row in rows]
    lines_insert(
        _line_columns(
            upload,
            len(rows),
            quantity=_decimals(quantity, 4),
            unit_price=_decimals(unit_price, 4),
            spend=_decimals(spend, 2),
            extended_amount=_decimals(extended, 2),
        )
    )
    stored = _stored(upload, "quantity", "unit_price", "spend", "extended_amount")
    assert stored == [
        (
            Decimal(q).scaleb(-4),
            Decimal(u).scaleb(-4),
            Decimal(s).scaleb(-2),
            None if e is None else Decimal(e).scaleb(-2),
        )
        for q, u, s, e in rows
    ]
    upload.delete()


def test_every_purchase_line_column_has_a_type_to_write() -> None:
    types = bulk_copy.column_types(PurchaseLine)
    assert set(types) == {field.column for field in PurchaseLine._meta.concrete_fields}
    assert (str(types["quantity"]), str(types["spend"]), types["row_number"].kind, types["vendor_id"].kind) == (
        "numeric(18, 4)",
        "numeric(16, 2)",
        "int4",
        "int8",
    )


@pytest.mark.django_db
def test_a_column_of_nulls_only_is_stored_as_nulls() -> None:
    upload = PurchaseUploadFactory()
    lines_insert(
        _line_columns(upload, 2, extended_amount=pa.nulls(2), vendor_id=[None, None], reconciled_at=pa.nulls(2))
    )
    assert _stored(upload, "extended_amount", "vendor_id", "reconciled_at") == [(None, None, None)] * 2
