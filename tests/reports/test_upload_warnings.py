"""The warning rules of DESIGN §5 (reports/upload_warnings.py): each fires on its cause and stays quiet otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from reports import upload_warnings as rules
from reports.upload_warnings import LineCounts, UploadFacts, upload_warnings

TODAY = date(2026, 12, 6)
MAPPING = {
    "purchase_date": "Invoice Date",
    "vendor_name": "Vendor",
    "sku": "Item #",
    "quantity": "Qty",
    "unit_price": "Unit Price",
}
CLEAN = UploadFacts(
    today=TODAY,
    header_row=1,
    mapping=MAPPING,
    confidence=dict.fromkeys(MAPPING, "exact"),
    rows_total=500,
    rows_rejected=4,
    rows_skipped=1,
    lines=LineCounts(counted=496, non_gpo_vendor=30, off_contract=40),
    first_date=date(2026, 1, 5),
    last_date=date(2026, 11, 20),
    other_uploads_span=(date(2025, 6, 1), date(2026, 6, 30)),
    top_rejection=("date is unreadable", "Invoice Date", 2),
)


def codes(facts: UploadFacts) -> list[str]:
    return [warning.code for warning in upload_warnings(facts)]


def test_a_clean_upload_has_no_warning() -> None:
    assert upload_warnings(CLEAN) == []


def test_no_item_number_column_names_the_lines_it_leaves_unmatched() -> None:
    facts = replace(CLEAN, mapping={k: v for k, v in MAPPING.items() if k != "sku"})

    (warning,) = upload_warnings(facts)

    assert warning.code == rules.ITEM_NUMBER_MISSING
    assert warning.message.startswith("No column was recognised as the vendor item number; 466 lines from vendors")
    assert "Choose the item-number column and reprocess." in warning.message


def test_no_item_number_column_is_no_warning_when_no_vendor_has_a_contract() -> None:
    facts = replace(
        CLEAN,
        mapping={k: v for k, v in MAPPING.items() if k != "sku"},
        lines=LineCounts(counted=496, non_gpo_vendor=496),
    )

    assert rules.ITEM_NUMBER_MISSING not in codes(facts)


def test_a_manufacturer_part_number_column_is_enough_to_match_items() -> None:
    mapping = {**{k: v for k, v in MAPPING.items() if k != "sku"}, "mfr_part_number": "MPN"}

    assert codes(replace(CLEAN, mapping=mapping)) == []


@pytest.mark.parametrize(("off_contract", "warned"), [(40, False), (372, False), (373, True), (466, True)])
def test_few_lines_of_contracted_vendors_matching_an_item_is_a_warning(off_contract: int, warned: bool) -> None:
    # 466 lines from contracted vendors: fewer than 20 % (93.2) matching warns.
    facts = replace(CLEAN, lines=LineCounts(counted=496, non_gpo_vendor=30, off_contract=off_contract))

    assert (rules.FEW_ITEMS_MATCHED in codes(facts)) is warned


def test_few_items_matched_is_quiet_below_twenty_lines() -> None:
    facts = replace(CLEAN, lines=LineCounts(counted=19, off_contract=19))

    assert rules.FEW_ITEMS_MATCHED not in codes(facts)


def test_every_vendor_outside_the_catalog_is_a_warning_naming_the_vendor_column() -> None:
    facts = replace(CLEAN, lines=LineCounts(counted=496, non_gpo_vendor=496))

    (warning,) = upload_warnings(facts)

    assert warning.code == rules.NO_VENDOR_IN_CATALOG
    assert "“Vendor”" in warning.message


def test_a_guessed_column_is_named_with_its_header() -> None:
    facts = replace(CLEAN, confidence={**CLEAN.confidence, "unit_price": "guess"})

    (warning,) = upload_warnings(facts)

    assert warning.code == rules.MAPPING_GUESSED
    assert "unit price from “Unit Price”" in warning.message


def test_likely_columns_are_no_warning() -> None:
    assert upload_warnings(replace(CLEAN, confidence=dict.fromkeys(MAPPING, "likely"))) == []


def test_dates_older_than_ten_years_or_after_today_are_a_warning() -> None:
    old = replace(CLEAN, lines=replace(CLEAN.lines, older_than_range=12), first_date=date(2006, 6, 2))
    future = replace(CLEAN, lines=replace(CLEAN.lines, after_today=3), last_date=date(2027, 3, 1))

    assert "12 lines are dated more than 10 years ago (earliest 2006-06-02)" in upload_warnings(old)[0].message
    assert "3 lines are dated after today (latest 2027-03-01)" in upload_warnings(future)[0].message


def test_ten_years_back_and_tomorrow_bound_the_plausible_dates() -> None:
    assert rules.ten_years_before(date(2026, 12, 6)) == date(2016, 12, 6)
    assert rules.ten_years_before(date(2028, 2, 29)) == date(2018, 2, 28)
    assert rules.latest_plausible(date(2026, 12, 6)) == date(2026, 12, 7)


@pytest.mark.parametrize(
    ("first", "last", "warned"),
    [
        (date(2028, 6, 29), date(2028, 8, 1), False),  # 730 days after 2026-06-30
        (date(2028, 6, 30), date(2028, 8, 1), True),
        (date(2023, 1, 1), date(2023, 5, 31), True),
        (date(2023, 6, 1), date(2023, 7, 1), False),
    ],
)
def test_dates_far_from_the_practices_other_uploads_are_a_warning(first: date, last: date, warned: bool) -> None:
    facts = replace(CLEAN, first_date=first, last_date=last, today=date(2030, 1, 1))

    assert (rules.DATES_FAR_FROM_OTHER_UPLOADS in codes(facts)) is warned


def test_rejected_rows_in_bulk_name_the_most_common_reason() -> None:
    facts = replace(CLEAN, rows_rejected=60, top_rejection=("date is unreadable", "Invoice Date", 55))

    (warning,) = upload_warnings(facts)

    assert warning.code == rules.ROWS_REJECTED_IN_BULK
    assert warning.message.startswith("60 of 500 data rows (12%) were rejected")
    assert "(55 rows): date is unreadable in column “Invoice Date”." in warning.message


def test_a_few_rejected_rows_are_no_warning() -> None:
    assert codes(replace(CLEAN, rows_rejected=49)) == []


def test_every_row_of_a_small_file_rejected_is_a_warning() -> None:
    facts = replace(CLEAN, rows_total=3, rows_rejected=3, lines=LineCounts())

    assert codes(facts) == [rules.ROWS_REJECTED_IN_BULK]


def test_rows_skipped_in_bulk_is_a_warning() -> None:
    assert codes(replace(CLEAN, rows_skipped=60)) == [rules.ROWS_SKIPPED_IN_BULK]
    assert codes(replace(CLEAN, rows_skipped=9)) == []


def test_a_header_without_data_rows_is_a_warning_naming_its_row() -> None:
    facts = replace(CLEAN, header_row=4, rows_total=0, rows_rejected=0, rows_skipped=0, lines=LineCounts())

    (warning,) = upload_warnings(facts)

    assert warning.code == rules.NO_DATA_ROWS
    assert warning.message.startswith("The header row (row 4) was found but there are no data rows under it")


def test_every_code_is_listed() -> None:
    assert len(set(rules.CODES)) == len(rules.CODES) == 9
