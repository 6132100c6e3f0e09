"""Column recognition (reports/columns.py): real-world header spellings, values as evidence, a global assignment."""

from __future__ import annotations

import csv
import itertools
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from reports.columns import (
    EXACT,
    FIELDS,
    GUESS,
    LIKELY,
    MAP_THRESHOLD,
    column_scores,
    header_words,
    hungarian,
    recognise,
)
from tests.reports.upload_samples import SCMS_MAPPING

CORPUS = Path(__file__).parent / "data" / "header_corpus.csv"
# The plain companions a spelling is tried among when its corpus row names no context: one clear header per
# required field, so the spelling competes with real columns, never with an empty file.
COMPANIONS = {
    "purchase_date": "Invoice Date",
    "vendor_name": "Vendor Name",
    "sku": "Item Number",
    "quantity": "Quantity",
    "unit_price": "Unit Price",
    "extended_amount": "Extended Amount",
}


def corpus_rows() -> list[dict[str, str]]:
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def headers_for(row: dict[str, str]) -> list[str]:
    context = row["context"].split("|") if row["context"] else [h for f, h in COMPANIONS.items() if f != row["field"]]
    return [row["header"], *(header for header in context if header != row["header"])]


def field_of(headers: list[str], header: str) -> str:
    mapping = recognise(headers).mapping(headers)
    return next((name for name, text in mapping.items() if text == header), "")


ROWS = corpus_rows()
FILE_LAYOUTS = [
    headers_for(row) for row in ROWS if row["field"] and not row["context"] and row["field"] not in COMPANIONS
] + [headers_for(row) for row in ROWS if row["context"]]
UNRELATED = [row["header"] for row in ROWS if not row["field"]] + ["Notes", "Region", "Approved By", "Zone", "Ticket"]


def test_corpus_holds_at_least_200_spellings_of_every_field_and_headers_that_must_not_map() -> None:
    mapped = [row for row in ROWS if row["field"]]
    fields = Counter(row["field"] for row in mapped)

    assert len({(row["header"], row["context"]) for row in mapped}) >= 200
    assert set(fields) == set(FIELDS)
    assert min(fields.values()) >= 10
    assert sum(1 for row in ROWS if not row["field"]) >= 80
    assert len({row["source"] for row in ROWS}) >= 20


@pytest.mark.parametrize("row", ROWS, ids=[f"{row['header']}->{row['field'] or 'none'}" for row in ROWS])
def test_corpus_spelling_maps_to_its_field_among_the_others(row: dict[str, str]) -> None:
    headers = headers_for(row)

    assert field_of(headers, row["header"]) == row["field"]


@pytest.mark.parametrize(
    "row",
    [row for row in ROWS if not row["context"]],
    ids=[f"{row['header']}->{row['field'] or 'none'}" for row in ROWS if not row["context"]],
)
def test_corpus_spelling_alone_maps_to_its_field_or_to_none(row: dict[str, str]) -> None:
    assert field_of([row["header"]], row["header"]) == row["field"]


def test_most_corpus_spellings_are_recognised_with_confidence() -> None:
    confidences: Counter[str] = Counter()
    for row in ROWS:
        if row["field"]:
            headers = headers_for(row)
            recognition = recognise(headers)
            confidences[recognition.confidence[row["field"]]] += 1

    assert confidences[EXACT] + confidences[LIKELY] >= 0.95 * sum(confidences.values())


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("Vendor Item #", ("vendor", "item", "number")),
        ("Inv No.", ("invoice", "number")),
        ("P.O. Nbr", ("po", "number")),
        ("U/M", ("uom",)),
        ("Unit of Measure (Per Pack)", ("uom",)),
        ("Ext Amt", ("extended", "amount")),
        ("Mfg Part Num", ("manufacturer", "part", "number")),
        ("Qty Shpd", ("quantity", "shipped")),
        ("Desc", ("description",)),
        ("Inv Dt", ("invoice", "date")),
        ("VendorItemNumber", ("vendor", "item", "number")),
        ("VENDORNAME", ("vendor", "name")),
        ("vendor_item_no", ("vendor", "item", "number")),
        ("Cat #", ("catalog", "number")),
        ("Qty On Hand", ("quantity", "on_hand")),
    ],
)
def test_header_words_expand_abbreviations_and_split_run_together_words(header: str, words: tuple[str, ...]) -> None:
    assert header_words(header).words == words


def test_misspelt_words_are_corrected_and_marked() -> None:
    read = header_words("Quantty Shiped")

    assert read.words == ("quantity", "shipped")
    assert read.corrected


# --- values as evidence ------------------------------------------------------------------------------------------


def test_values_that_are_dates_confirm_a_date_column_and_raise_its_confidence() -> None:
    headers = ["Posting Date", "Vendor", "Qty", "Price"]
    samples = [["03/15/2026"] * 5, ["GE Healthcare", "Bayer", "GE Healthcare", "Bracco", "Bayer"], ["1"] * 5, ["2"] * 5]

    header_only = recognise(headers)
    with_values = recognise(headers, samples)

    assert header_only.confidence["purchase_date"] == LIKELY
    assert with_values.confidence["purchase_date"] == EXACT


def test_vendor_column_of_numbers_is_refuted_and_left_unmapped() -> None:
    headers = ["Invoice Date", "Vendor", "Qty", "Unit Price"]
    samples = [["2026-03-15"] * 5, ["100234", "100235", "100234", "100990", "100234"], ["1"] * 5, ["2.50"] * 5]

    recognition = recognise(headers, samples)

    assert "vendor_name" not in recognition.columns


def test_date_column_whose_values_are_placeholders_loses_to_one_whose_values_are_dates() -> None:
    headers = ["PO Date", "Ship Date", "Vendor", "Qty", "Unit Price"]
    placeholders = ["Date Not Captured", "N/A - From RDC", "Date Not Captured", "Pre-PQ Process", "N/A - From RDC"]
    samples = [placeholders, ["02-Jun-06"] * 5, ["Ranbaxy"] * 5, ["19"] * 5, ["29"] * 5]

    assert recognise(headers).mapping(headers)["purchase_date"] == "PO Date"
    assert recognise(headers, samples).mapping(headers)["purchase_date"] == "Ship Date"


def test_unit_column_holding_unit_codes_is_guessed_as_the_uom() -> None:
    headers = ["Invoice Date", "Vendor", "Qty", "Unit", "Unit Price"]
    samples = [["2026-03-15"] * 4, ["Bayer"] * 4, ["1"] * 4, ["EA", "BX", "CS", "EA"], ["2.50"] * 4]

    recognition = recognise(headers, samples)

    assert "uom" not in recognise(headers).columns
    assert recognition.mapping(headers)["uom"] == "Unit"
    assert recognition.confidence["uom"] == GUESS


def test_units_column_of_unit_names_is_the_uom_not_the_quantity() -> None:
    headers = ["Date", "Vendor", "Item", "Units", "Rate", "Amount"]
    samples = [["2026-03-15"] * 4, ["Bayer"] * 4, ["A1", "A2", "A3", "A4"], ["Each", "Case", "Each", "Box"]]
    samples += [["2.50"] * 4, ["5.00"] * 4]

    mapping = recognise(headers, samples).mapping(headers)

    assert mapping["uom"] == "Units"
    assert "quantity" not in mapping


def test_item_number_column_of_descriptions_is_refuted() -> None:
    scores = column_scores("Item", ["Syringe 10 ml luer lock", "Contrast media 100 ml vial", "Gauze pad 4x4 sterile"])

    assert scores[FIELDS.index("sku")] < 0.4


# --- the assignment as a whole -----------------------------------------------------------------------------------


def test_a_column_read_first_does_not_take_a_field_another_column_names_better() -> None:
    # Read left to right, "Units" would take the quantity; "Qty" names it better and "Units" holds unit names.
    headers = ["Units", "Qty", "Invoice Date", "Vendor", "Unit Price"]
    samples = [["Each", "Case", "Box", "Each"], ["1", "2", "5", "1"], ["2026-03-15"] * 4, ["Bayer"] * 4, ["2.5"] * 4]

    mapping = recognise(headers, samples).mapping(headers)

    assert (mapping["quantity"], mapping["uom"]) == ("Qty", "Units")


def best_total(scores: tuple[tuple[float, ...], ...]) -> float:
    """The highest total score of any one-to-one assignment of fields to columns (brute force)."""
    options = [[None, *(f for f in range(len(FIELDS)) if row[f] >= MAP_THRESHOLD)] for row in scores]
    best = 0.0
    for choice in itertools.product(*options):
        chosen = [f for f in choice if f is not None]
        if len(chosen) == len(set(chosen)):
            best = max(best, sum(scores[c][f] for c, f in enumerate(choice) if f is not None))
    return best


@given(st.sampled_from(FILE_LAYOUTS), st.data())
@hypothesis_settings(max_examples=200, deadline=None)
def test_the_assignment_has_the_highest_total_score_of_all(headers: list[str], data: st.DataObject) -> None:
    cells = st.lists(st.sampled_from(["", "12", "3/15/2026", "Bayer", "EA", "X-100", "$1,234.50", "Each"]), max_size=5)
    samples = [data.draw(cells) for _ in headers]

    recognition = recognise(headers, samples)

    total = sum(recognition.scores[c][FIELDS.index(name)] for name, c in recognition.columns.items())
    assert total == pytest.approx(best_total(recognition.scores), abs=1e-6)


def test_given_fields_are_fixed_exact_and_their_columns_taken() -> None:
    headers = ["Invoice Date", "Ship Date", "Vendor", "Qty", "Unit Price", "Ref"]

    recognition = recognise(headers, given={"purchase_date": "Ship Date", "invoice_number": "Ref", "uom": None})

    assert recognition.mapping(headers)["purchase_date"] == "Ship Date"
    assert recognition.mapping(headers)["invoice_number"] == "Ref"
    assert recognition.confidence["invoice_number"] == EXACT
    assert "uom" not in recognition.columns


def test_given_field_left_blank_is_not_recognised() -> None:
    headers = ["Invoice Date", "Vendor", "Qty", "Unit Price", "UOM"]

    assert "uom" not in recognise(headers, given={"uom": ""}).columns


@given(st.lists(st.lists(st.integers(-50, 0), min_size=1, max_size=6), min_size=1, max_size=5))
@hypothesis_settings(max_examples=200, deadline=None)
def test_hungarian_finds_the_cheapest_assignment(matrix: list[list[int]]) -> None:
    width = max(len(row) for row in matrix)
    rows = [row + [0] * (width - len(row)) for row in matrix]
    if len(rows) > width:
        rows = [row + [0] * (len(rows) - width) for row in rows]
        width = len(rows)
    chosen = hungarian(rows)

    best = min(
        sum(rows[r][c] for r, c in enumerate(columns)) for columns in itertools.permutations(range(width), len(rows))
    )
    assert len(set(chosen)) == len(rows)
    assert sum(rows[r][c] for r, c in enumerate(chosen)) == best


# --- properties: order and unrelated columns never change the mapping --------------------------------------------


def unrelated_to_every_field(header: str) -> bool:
    return max(column_scores(header)) < 0.4


@given(st.sampled_from(FILE_LAYOUTS), st.randoms(use_true_random=False))
@hypothesis_settings(max_examples=300, deadline=None)
def test_shuffling_the_columns_never_changes_the_mapping(headers: list[str], random: object) -> None:
    shuffled = list(headers)
    random.shuffle(shuffled)  # type: ignore[attr-defined]

    assert recognise(shuffled).mapping(shuffled) == recognise(headers).mapping(headers)


@given(
    st.sampled_from(FILE_LAYOUTS),
    st.lists(
        st.one_of(
            st.sampled_from(UNRELATED),
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz XYZ#_-", min_size=1, max_size=14),
        ).filter(unrelated_to_every_field),
        min_size=1,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
@hypothesis_settings(max_examples=300, deadline=None)
def test_adding_unrelated_columns_never_changes_the_mapping_of_the_others(
    headers: list[str], extra: list[str], random: object
) -> None:
    widened = headers + [header for header in extra if header not in headers]
    random.shuffle(widened)  # type: ignore[attr-defined]

    assert recognise(widened).mapping(widened) == recognise(headers).mapping(headers)


@given(st.sampled_from(FILE_LAYOUTS), st.data())
@hypothesis_settings(max_examples=200, deadline=None)
def test_values_under_other_columns_never_change_a_columns_scores(headers: list[str], data: st.DataObject) -> None:
    cells = st.lists(st.sampled_from(["", "12", "3/15/2026", "GE Healthcare", "EA", "X-100", "$1,234.50"]), max_size=6)
    samples = [data.draw(cells) for _ in headers]
    changed = [data.draw(cells) if index else samples[0] for index, _ in enumerate(headers)]

    assert recognise(headers, samples).scores[0] == recognise(headers, changed).scores[0]


# --- the real SCMS delivery history -------------------------------------------------------------------------------


@pytest.mark.slow
def test_real_scms_export_is_recognised_with_no_guess(real_data: Path) -> None:
    with (real_data / "scms_delivery_history.csv").open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        headers = next(reader)
        rows = list(itertools.islice(reader, 50))
    samples = [[row[i] for row in rows] for i in range(len(headers))]

    recognition = recognise(headers, samples)

    assert recognition.mapping(headers) == SCMS_MAPPING
    assert GUESS not in recognition.confidence.values()
