"""Status and money per line, DESIGN.md section 4 rules 6-7, hand-computed to the cent; bulk path vs reference."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.pricing import CatalogSlice, ContractTerms, ItemTerms, ParticipationTerms, PriceRow, Tolerance
from reports.catalog_index import CatalogIndex, catalog_frames
from reports.reconcile import LineInput, VendorDirectory, VendorRecord, reconcile_line
from tests.reports.bulk_engine import reconcile_batch

PRACTICE = 10
D = date(2026, 3, 15)
TOLERANCE = Tolerance(absolute=Decimal("0.01"), relative=Decimal("0.005"))

DIRECTORY = VendorDirectory(
    vendors=(
        VendorRecord(1, "acme medical", category_id=7),
        VendorRecord(2, "beta supply"),
        VendorRecord(3, "nocontract"),
        VendorRecord(4, "delta"),
    ),
    aliases=(("acme med", 1),),
)


def catalog(*, tier: str = "gold", joined_on: date = date(2025, 12, 1)) -> CatalogSlice:
    """C-1 (Acme): SKU1 EA L=100: blank 80 (old 85 in 2025), gold 70; BOX1 BX/10 L=200 at 180; SMALL at 1.00.
    C-2 (Acme) 10 % off list, no items. C-3 (Beta): MP7 at 50, joined. C-4 (Acme) not joined: NP1 blank 60.
    C-5 (Delta) expired in 2020."""
    return CatalogSlice(
        contracts=(
            ContractTerms(1, 1, "C-1", date(2026, 1, 1), date(2026, 12, 31)),
            ContractTerms(2, 1, "C-2", date(2026, 1, 1), date(2026, 12, 31), discount_pct=Decimal("10")),
            ContractTerms(3, 2, "C-3", date(2026, 1, 1), date(2026, 12, 31)),
            ContractTerms(4, 1, "C-4", date(2026, 1, 1), date(2026, 12, 31)),
            ContractTerms(5, 4, "C-5", date(2020, 1, 1), date(2020, 12, 31)),
        ),
        items=(
            ItemTerms(1, 1, "SKU1", list_price=Decimal("100"), category_id=5),
            ItemTerms(2, 1, "BOX1", uom="BX", units_per_uom=10, list_price=Decimal("200")),
            ItemTerms(3, 1, "SMALL", list_price=None),
            ItemTerms(4, 3, "B7", mfr_part_normalized="MP7", list_price=Decimal("70")),
            ItemTerms(5, 4, "NP1", list_price=Decimal("90")),
        ),
        prices=(
            PriceRow(1, 1, Decimal("85"), date(2025, 1, 1), date(2025, 12, 31)),
            PriceRow(2, 1, Decimal("80"), date(2026, 1, 1)),
            PriceRow(3, 1, Decimal("70"), date(2026, 1, 1), tier="gold"),
            PriceRow(4, 2, Decimal("180"), date(2026, 1, 1)),
            PriceRow(5, 3, Decimal("1.00"), date(2026, 1, 1)),
            PriceRow(6, 4, Decimal("50"), date(2026, 1, 1)),
            PriceRow(7, 5, Decimal("60"), date(2026, 1, 1)),
        ),
        participations=(
            ParticipationTerms(PRACTICE, 1, joined_on, tier),
            ParticipationTerms(PRACTICE, 3, date(2025, 12, 1), ""),
        ),
    )


def line(sku="SKU1", q="1", p="80", *, vendor="Acme Medical", uom="EA", mfr="", on=D, extended=None) -> LineInput:
    return LineInput(
        practice_id=PRACTICE,
        purchase_date=on,
        vendor_name=vendor,
        sku=sku,
        quantity=Decimal(q),
        unit_price=Decimal(p),
        uom=uom,
        mfr_part_number=mfr,
        extended_amount=Decimal(extended) if extended is not None else None,
    )


BLANK_TIER = {"tier": ""}

# (case, catalog kwargs, line, status, cause, expected c, savings, overcharge, missed)
CASES = [
    ("on_contract_blank_tier", BLANK_TIER, line(q="3"), "on_contract", "", "80", "60.00", "0", "0"),
    ("on_contract_return_negative", BLANK_TIER, line(q="-3"), "on_contract", "", "80", "-60.00", "0", "0"),
    ("tolerance_boundary_on_contract", BLANK_TIER, line(q="3", p="80.40"), "on_contract", "", "80", "58.80", "0", "0"),
    (
        "one_cent_over_tolerance",
        BLANK_TIER,
        line(q="3", p="80.41"),
        "overcharged",
        "price_error",
        "80",
        "58.77",
        "1.23",
        "1.23",
    ),
    ("absolute_tolerance_floor", BLANK_TIER, line("SMALL", p="1.01"), "on_contract", "", "1.00", "0", "0", "0"),
    (
        "absolute_tolerance_exceeded",
        BLANK_TIER,
        line("SMALL", q="5", p="1.02"),
        "overcharged",
        "price_error",
        "1.00",
        "0",
        "0.10",
        "0.10",
    ),
    ("old_price", BLANK_TIER, line(q="2", p="85"), "overcharged", "old_price", "80", "30.00", "10.00", "10.00"),
    ("wrong_tier", {}, line(q="2", p="80"), "overcharged", "wrong_tier", "70", "40.00", "20.00", "20.00"),
    ("not_loaded", BLANK_TIER, line(q="2", p="100"), "overcharged", "not_loaded", "80", "0.00", "40.00", "40.00"),
    ("tier_price_on_contract", {}, line(q="2", p="70"), "on_contract", "", "70", "60.00", "0", "0"),
    (
        "pack_each_line_on_contract",
        BLANK_TIER,
        line("BOX1", q="25", p="18"),
        "on_contract",
        "",
        "180",
        "50.00",
        "0",
        "0",
    ),
    (
        "pack_each_line_overcharged",
        BLANK_TIER,
        line("BOX1", q="25", p="19"),
        "overcharged",
        "price_error",
        "180",
        "25.00",
        "25.00",
        "25.00",
    ),
    ("uom_mismatch", BLANK_TIER, line("BOX1", q="2", p="500", uom="CS"), "uom_mismatch", "", None, "0", "0", "0"),
    (
        "percent_off_not_participating",
        BLANK_TIER,
        line("ANY", q="2", p="90"),
        "not_participating",
        "",
        None,
        "0",
        "0",
        "18.00",
    ),
    (
        "not_participating_item",
        BLANK_TIER,
        line("NP1", q="3", p="80"),
        "not_participating",
        "",
        "60",
        "0",
        "0",
        "60.00",
    ),
    (
        "not_participating_return",
        BLANK_TIER,
        line("NP1", q="-3", p="80"),
        "not_participating",
        "",
        "60",
        "0",
        "0",
        "-60.00",
    ),
    ("not_participating_cheaper", BLANK_TIER, line("NP1", q="3", p="55"), "not_participating", "", "60", "0", "0", "0"),
    ("off_contract_before_start", BLANK_TIER, line(on=date(2025, 12, 31)), "off_contract", "", None, "0", "0", "0"),
    (
        "off_contract_missed_via_mfr_on_other_contract",
        BLANK_TIER,
        line("ZZ", q="2", p="65", mfr="MP-7", vendor="Delta"),
        "off_contract",
        "",
        None,
        "0",
        "0",
        "30.00",
    ),
    (
        "non_gpo_unknown_vendor_missed_via_mfr",
        BLANK_TIER,
        line("MP7", q="-2", p="65", vendor="Zeta Corp"),
        "non_gpo_vendor",
        "",
        None,
        "0",
        "0",
        "-30.00",
    ),
    (
        "non_gpo_vendor_without_contract",
        BLANK_TIER,
        line("MP7", q="2", p="40", vendor="NoContract Inc."),
        "non_gpo_vendor",
        "",
        None,
        "0",
        "0",
        "0",
    ),
    (
        "rounding_half_up",
        BLANK_TIER,
        line(q="1", p="80.405"),
        "overcharged",
        "price_error",
        "80",
        "19.60",
        "0.41",
        "0.41",
    ),
    (
        "rounding_half_away_from_zero_on_return",
        BLANK_TIER,
        line(q="-1", p="80.405"),
        "overcharged",
        "price_error",
        "80",
        "-19.60",
        "-0.41",
        "-0.41",
    ),
]


@pytest.mark.parametrize(
    ("_case", "catalog_kwargs", "purchase", "status", "cause", "c", "savings", "overcharge", "missed"), CASES
)
def test_line_status_and_money(_case, catalog_kwargs, purchase, status, cause, c, savings, overcharge, missed):
    result = reconcile_line(catalog(**catalog_kwargs), DIRECTORY, purchase, tolerance=TOLERANCE)

    assert (result.status, result.overcharge_cause) == (status, cause)
    assert result.expected_unit_price == (Decimal(c) if c else None)
    assert (result.savings, result.overcharge, result.missed_savings) == (
        Decimal(savings),
        Decimal(overcharge),
        Decimal(missed),
    )


def test_percent_off_on_contract_savings_p_q_k_over_one_minus_k():
    joined_both = catalog()
    joined_both = CatalogSlice(
        contracts=joined_both.contracts,
        items=joined_both.items,
        prices=joined_both.prices,
        participations=(*joined_both.participations, ParticipationTerms(PRACTICE, 2, date(2025, 12, 1), "")),
    )

    result = reconcile_line(joined_both, DIRECTORY, line("ANY", q="2", p="90"), tolerance=TOLERANCE)

    # 90 * 2 * 0.10 / 0.90 = 20.00
    assert (result.status, result.savings, result.missed_savings) == ("on_contract", Decimal("20.00"), Decimal("0"))
    assert result.contract_id == 2


def test_spend_rounds_half_up_and_prefers_extended_amount():
    assert reconcile_line(catalog(), DIRECTORY, line(p="2.005"), tolerance=TOLERANCE).spend == Decimal("2.01")
    assert reconcile_line(catalog(), DIRECTORY, line(extended="79.99"), tolerance=TOLERANCE).spend == Decimal("79.99")


def test_records_deciding_contract_item_price_and_category():
    result = reconcile_line(catalog(tier=""), DIRECTORY, line(), tolerance=TOLERANCE)

    assert (result.contract_id, result.item_id, result.price_id, result.category_id) == (1, 1, 2, 5)
    assert (result.list_price, result.vendor_id, result.vendor_match) == (Decimal("100"), 1, "exact")


@pytest.mark.parametrize(
    ("_case", "name", "vendor_id", "match"),
    [
        ("exact_after_normalising", "ACME Medical, Inc.", 1, "exact"),
        ("alias", "Acme Med.", 1, "alias"),
        ("fuzzy", "Acme Medicall", 1, "fuzzy"),
        ("unresolved", "Gamma Imaging", None, ""),
        ("blank", "  ", None, ""),
    ],
)
def test_vendor_resolution(_case, name, vendor_id, match):
    assert DIRECTORY.resolve(name) == (vendor_id, match)


def test_vendor_marked_non_gpo_is_not_fuzzy_matched():
    directory = VendorDirectory(vendors=DIRECTORY.vendors, non_gpo_names=frozenset({"acme medicall"}))

    assert directory.resolve("Acme Medicall") == (None, "")


# --- property: the bulk path agrees with the one-line reference ---

days = st.integers(min_value=0, max_value=60).map(lambda n: date(2026, 1, 1) + timedelta(days=n))
early = st.integers(min_value=0, max_value=25).map(lambda n: date(2026, 1, 1) + timedelta(days=n))
money = st.integers(min_value=1, max_value=20000).map(lambda n: Decimal(n) / 100)


@st.composite
def catalogs(draw: st.DrawFn, *, plain: bool = False) -> CatalogSlice:
    """Random catalogs; plain ones have no tiers and no min_qty (the bulk path's interval winners decide them)."""
    contracts = []
    for cid in range(1, draw(st.integers(1, 4)) + 1):
        start = draw(early)
        contracts.append(
            ContractTerms(
                cid,
                draw(st.sampled_from([1, 1, 1, 2])),
                draw(st.sampled_from(["A", "B", "C-10", "C-9"])) + str(cid),
                start,
                start + timedelta(days=draw(st.integers(10, 50))),
                is_draft=draw(st.integers(0, 5)) == 0,
                discount_pct=draw(st.sampled_from([None, None, None, Decimal("5"), Decimal("12.5")])),
            )
        )
    items, prices = [], []
    for iid in range(1, draw(st.integers(1, 6)) + 1):
        items.append(
            ItemTerms(
                iid,
                draw(st.sampled_from(contracts)).id,
                f"S{iid % 3}",
                draw(st.sampled_from(["", "M1", "M2"])),
                draw(st.sampled_from(["EA", "BX"])),
                draw(st.sampled_from([1, 10])),
                draw(st.one_of(st.none(), money)),
            )
        )
    # One item per (contract, sku), as the database guarantees.
    items = list({(i.contract_id, i.vendor_sku_normalized): i for i in items}.values())
    for rid in range(1, draw(st.integers(1, 12)) + 1):
        start = draw(early)
        prices.append(
            PriceRow(
                rid,
                draw(st.sampled_from(items)).id,
                draw(money),
                start,
                draw(st.one_of(st.none(), st.just(start + timedelta(days=30)))),
                "" if plain else draw(st.sampled_from(["", "", "gold", "silver"])),
                None if plain else draw(st.one_of(st.none(), st.sampled_from([Decimal("2"), Decimal("10")]))),
            )
        )
    # Two practices, often with the same standing on a contract (the bulk path shares answers between them).
    participations = []
    for c in contracts:
        standing = (draw(early), draw(st.sampled_from(["", "gold"])))
        for practice in (PRACTICE, PRACTICE + 1):
            if draw(st.integers(0, 3)) > 0:
                joined_on, tier = (
                    standing if draw(st.booleans()) else (draw(early), draw(st.sampled_from(["", "gold"])))
                )
                participations.append(ParticipationTerms(practice, c.id, joined_on, tier))
    return CatalogSlice(
        contracts=tuple(contracts), items=tuple(items), prices=tuple(prices), participations=tuple(participations)
    )


def purchases(catalog_slice: CatalogSlice) -> st.SearchStrategy[LineInput]:
    """Purchases priced near the catalog's own figures (so every status and cause turns up), some returns."""
    figures = [r.price for r in catalog_slice.prices] + [i.list_price for i in catalog_slice.items if i.list_price]
    near = st.builds(
        lambda x, delta, per_each: (x + delta) / (10 if per_each else 1),
        st.sampled_from(figures),
        st.sampled_from([Decimal("0"), Decimal("0.01"), Decimal("0.02"), Decimal("0.5"), Decimal("-1")]),
        st.booleans(),
    ).filter(lambda p: p > 0)
    return st.builds(
        LineInput,
        # PRACTICE + 2 joins nothing: every covered line of it is not participating (the bulk path's own case)
        practice_id=st.sampled_from([PRACTICE, PRACTICE + 1, PRACTICE + 2]),
        purchase_date=days,
        vendor_name=st.sampled_from(["Acme Medical", "Acme Medical", "Acme Medical", "Beta Supply", "Zeta"]),
        sku=st.sampled_from(["S0", "S1", "s-2", "0S1", "X"]),
        quantity=st.sampled_from([-12, -1, 1, 2, 5, 10, 12, 30]).map(Decimal),
        unit_price=st.one_of(near, money),
        uom=st.sampled_from(["EA", "EA", "BX", "", "CS"]),
        mfr_part_number=st.sampled_from(["", "", "M1", "M2"]),
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_bulk_path_agrees_with_one_line_reference(data):
    catalog_slice = data.draw(catalogs())
    lines = data.draw(st.lists(purchases(catalog_slice), min_size=1, max_size=60))

    bulk = reconcile_batch(catalog_slice, DIRECTORY, lines, tolerance=TOLERANCE)

    assert bulk == [reconcile_line(catalog_slice, DIRECTORY, one, tolerance=TOLERANCE) for one in lines]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_bulk_path_from_columns_agrees_with_one_line_reference(data):
    # Given a catalog with no tiers or minimums (interval winners price most lines), indexed from columns as the
    # database loads it (the reference engine then works on slices the index rebuilds), and many lines per key
    catalog_slice = data.draw(catalogs(plain=data.draw(st.booleans())))
    index = CatalogIndex.from_frames(catalog_frames(catalog_slice))
    lines = data.draw(st.lists(purchases(catalog_slice), min_size=1, max_size=12))
    lines = lines * data.draw(st.integers(1, 8))

    bulk = reconcile_batch(index, DIRECTORY, lines, tolerance=TOLERANCE)

    assert bulk == [reconcile_line(catalog_slice, DIRECTORY, one, tolerance=TOLERANCE) for one in lines]


def test_interval_winner_prices_a_line_of_a_practice_in_its_contract():
    # SKU1 has one tier-blank row on C-1 from 2026-01-01: its winner is worked out once, when the index is built
    plain = slice_with(prices=(PriceRow(2, 1, Decimal("80"), date(2026, 1, 1)),))
    index = CatalogIndex.build(plain)
    group = index.groups_of(np.array([1]), index.vocabulary.codes_of(pa.array(["SKU1"])), by_sku=True)
    interval = index.interval_of(group, np.array([(D - date(1970, 1, 1)).days]))

    assert index.time_line.is_simple[interval].tolist() == [True]
    assert index.entries.price_id[index.time_line.winner[interval]].tolist() == [2]
    assert reconcile_batch(index, DIRECTORY, [line(q="2", p="80")], tolerance=TOLERANCE) == [
        reconcile_line(plain, DIRECTORY, line(q="2", p="80"), tolerance=TOLERANCE)
    ]


def test_catalog_figure_with_more_than_four_places_is_priced_by_the_reference_engine():
    # Given a min_qty with five places (no exact ten-thousandths; results are stored with 4 places, so only such
    # a figure can reach the engine without changing what is stored)
    precise = slice_with(prices=(PriceRow(2, 1, Decimal("80"), date(2026, 1, 1), min_qty=Decimal("2.00001")),))
    lines = [line(q="3", p="80"), line(q="2", p="80"), line(q="3", p="81")]

    # Then the bulk path leaves SKU1's group to the reference engine, which it agrees with
    assert not CatalogIndex.build(precise).groups.is_exact.all()
    assert reconcile_batch(precise, DIRECTORY, lines, tolerance=TOLERANCE) == [
        reconcile_line(precise, DIRECTORY, one, tolerance=TOLERANCE) for one in lines
    ]


# --- readings of DESIGN §4 that the tables above do not pin down ---


def slice_with(**overrides) -> CatalogSlice:
    base = catalog(tier="")
    fields = {
        "contracts": base.contracts,
        "items": base.items,
        "prices": base.prices,
        "participations": base.participations,
    }
    fields.update(overrides)
    return CatalogSlice(**fields)


def test_old_price_of_a_renewed_contract_is_recognised():
    # C-1 ends on 2026-02-28 at 85 (its row left open); C-9 renews SKU1 at 80 from 2026-03-01.
    renewed = slice_with(
        contracts=(
            ContractTerms(1, 1, "C-1", date(2025, 1, 1), date(2026, 2, 28)),
            ContractTerms(9, 1, "C-9", date(2026, 3, 1), date(2026, 12, 31)),
        ),
        items=(ItemTerms(1, 1, "SKU1", list_price=Decimal("100")), ItemTerms(9, 9, "SKU1", list_price=Decimal("100"))),
        prices=(PriceRow(1, 1, Decimal("85"), date(2025, 1, 1)), PriceRow(9, 9, Decimal("80"), date(2026, 3, 1))),
        participations=(
            ParticipationTerms(PRACTICE, 1, date(2025, 1, 1)),
            ParticipationTerms(PRACTICE, 9, date(2026, 2, 1)),
        ),
    )

    result = reconcile_line(renewed, DIRECTORY, line(q="2", p="85"), tolerance=TOLERANCE)

    assert (result.status, result.overcharge_cause, result.contract_id) == ("overcharged", "old_price", 9)
    assert result.overcharge == Decimal("10.00")


def test_practice_in_no_contract_of_the_vendor_misses_savings_at_the_price_it_would_get_by_joining():
    # Given a catalog without tiers or minimums, indexed from columns, and a practice in none of Acme's contracts
    plain = slice_with(
        prices=tuple(replace(row, tier="") for row in catalog(tier="").prices if row.tier == ""),
        participations=(ParticipationTerms(PRACTICE + 1, 1, date(2025, 12, 1)),),
    )
    index = CatalogIndex.from_frames(catalog_frames(plain))
    lines = [
        line(q="3", p="82"),  # above c = 80 (C-1's blank row): (82 - 80) x 3 missed
        line(q="-3", p="82"),  # its return reverses it
        line(q="3", p="79"),  # below c: nothing missed
        line("BOX1", q="25", p="18.50"),  # each against a box of 10 at 180: (185 - 180) x 2.5
        line("BOX1", q="2", p="500", uom="CS"),  # no conversion: left to the reference engine
    ]

    # When the bulk path prices them
    bulk = reconcile_batch(index, DIRECTORY, lines, tolerance=TOLERANCE)

    # Then each is not participating with the reference's figures
    assert bulk == [reconcile_line(plain, DIRECTORY, one, tolerance=TOLERANCE) for one in lines]
    assert [(r.status, r.contract_id, r.expected_unit_price, r.missed_savings) for r in bulk[:4]] == [
        ("not_participating", 1, Decimal("80"), Decimal("6.00")),
        ("not_participating", 1, Decimal("80"), Decimal("-6.00")),
        ("not_participating", 1, Decimal("80"), Decimal("0")),
        ("not_participating", 1, Decimal("180"), Decimal("12.50")),
    ]


@pytest.mark.parametrize(
    ("_case", "silver_price", "price_id"),
    [("dearer_tier_wins", "65", 11), ("tie_goes_to_the_first_tier_by_name", "60", 10)],
)
def test_not_participating_without_blank_rows_takes_the_dearest_tier(_case, silver_price, price_id):
    # Given C-4's NP1 priced only per tier (gold 60, silver as given), indexed from columns, and a practice in none
    # of Acme's contracts
    tiered = slice_with(
        prices=(
            PriceRow(10, 5, Decimal("60"), date(2026, 1, 1), tier="gold"),
            PriceRow(11, 5, Decimal(silver_price), date(2026, 1, 1), tier="silver"),
        ),
        participations=(),
    )
    one = line("NP1", q="2", p="70")

    # When the bulk path prices a purchase of it
    [bulk] = reconcile_batch(CatalogIndex.from_frames(catalog_frames(tiered)), DIRECTORY, [one], tolerance=TOLERANCE)

    # Then it is not participating at the dearest tier's price (the reference's answer)
    assert bulk == reconcile_line(tiered, DIRECTORY, one, tolerance=TOLERANCE)
    assert (bulk.status, bulk.price_id) == ("not_participating", price_id)


def test_min_qty_leaving_no_row_for_a_joined_contract_is_off_contract():
    only_volume = slice_with(prices=(PriceRow(2, 1, Decimal("80"), date(2026, 1, 1), min_qty=Decimal("10")),))

    result = reconcile_line(only_volume, DIRECTORY, line(q="9"), tolerance=TOLERANCE)

    assert (result.status, result.missed_savings) == ("off_contract", Decimal("0"))


def test_not_participating_with_unconvertible_uom_misses_nothing():
    without_percent_off = slice_with(contracts=tuple(c for c in catalog().contracts if c.discount_pct is None))

    result = reconcile_line(without_percent_off, DIRECTORY, line("NP1", q="3", p="80", uom="CS"), tolerance=TOLERANCE)

    assert (result.status, result.expected_unit_price, result.missed_savings) == (
        "not_participating",
        None,
        Decimal("0"),
    )


def test_not_participating_falls_to_percent_off_when_the_item_uom_cannot_be_converted():
    # C-2 (10 % off, not joined) covers NP1, which its rows do not name: 80 * 3 * 0.10 = 24.00
    result = reconcile_line(catalog(tier=""), DIRECTORY, line("NP1", q="3", p="80", uom="CS"), tolerance=TOLERANCE)

    assert (result.status, result.contract_id, result.missed_savings) == ("not_participating", 2, Decimal("24.00"))


def test_not_participating_in_pack_compares_per_item_uom():
    # NP1 on C-4 as BX/10 at 60: an EA line of 25 at 7 is 2.5 boxes at 70 -> (70 - 60) * 2.5 = 25.00
    packed = slice_with(
        items=(*catalog().items[:4], ItemTerms(5, 4, "NP1", uom="BX", units_per_uom=10, list_price=Decimal("90")))
    )

    result = reconcile_line(packed, DIRECTORY, line("NP1", q="25", p="7"), tolerance=TOLERANCE)

    assert (result.status, result.expected_unit_price, result.missed_savings) == (
        "not_participating",
        Decimal("60"),
        Decimal("25.00"),
    )


def test_uom_mismatch_records_the_item_and_contract_but_no_money():
    result = reconcile_line(catalog(tier=""), DIRECTORY, line("BOX1", q="2", p="500", uom="CS"), tolerance=TOLERANCE)

    assert (result.contract_id, result.item_id, result.price_id) == (1, 2, None)
    assert (result.savings, result.overcharge, result.missed_savings) == (Decimal("0"), Decimal("0"), Decimal("0"))
    assert result.spend == Decimal("1000.00")


def test_fuzzy_vendor_line_is_priced_and_flagged():
    result = reconcile_line(catalog(tier=""), DIRECTORY, line(vendor="Acme Medicall", q="3"), tolerance=TOLERANCE)

    assert (result.vendor_id, result.vendor_match, result.status, result.savings) == (
        1,
        "fuzzy",
        "on_contract",
        Decimal("60.00"),
    )


def test_category_falls_back_to_the_vendors():
    result = reconcile_line(catalog(tier=""), DIRECTORY, line("BOX1", q="1", p="180", uom="BX"), tolerance=TOLERANCE)

    assert result.category_id == 7


def shared_answer_cases() -> list[tuple[str, CatalogSlice, list[LineInput]]]:
    volume = slice_with(
        prices=(
            PriceRow(2, 1, Decimal("80"), date(2026, 1, 1)),
            PriceRow(8, 1, Decimal("75"), date(2026, 1, 1), min_qty=Decimal("10")),
        )
    )
    joining = slice_with(participations=(ParticipationTerms(PRACTICE, 1, date(2026, 3, 10), "gold"),))
    two_practices = slice_with(
        participations=(
            ParticipationTerms(PRACTICE, 1, date(2025, 1, 1), "gold"),
            ParticipationTerms(PRACTICE + 1, 1, date(2025, 1, 1), ""),
        )
    )
    price_change = slice_with(
        prices=(
            PriceRow(2, 1, Decimal("80"), date(2026, 1, 1), date(2026, 3, 9)),
            PriceRow(9, 1, Decimal("82"), date(2026, 3, 10)),
        )
    )
    return [
        ("quantity_straddles_min_qty", volume, [line(q="9", p="80"), line(q="10", p="80"), line(q="-10", p="80")]),
        ("date_straddles_joining", joining, [line(on=date(2026, 3, 9)), line(on=date(2026, 3, 10))]),
        ("date_straddles_price_change", price_change, [line(on=date(2026, 3, 9)), line(on=date(2026, 3, 10))]),
        (
            "practices_with_different_tiers",
            two_practices,
            [line(), LineInput(PRACTICE + 1, D, "Acme Medical", "SKU1", Decimal("1"), Decimal("80"), "EA")],
        ),
    ]


@pytest.mark.parametrize(("_case", "catalog_slice", "lines"), shared_answer_cases())
def test_bulk_path_does_not_share_answers_across_rule_boundaries(_case, catalog_slice, lines):
    bulk = reconcile_batch(catalog_slice, DIRECTORY, lines, tolerance=TOLERANCE)

    assert bulk == [reconcile_line(catalog_slice, DIRECTORY, one, tolerance=TOLERANCE) for one in lines]
    assert len({(r.status, r.expected_unit_price) for r in bulk}) > 1
