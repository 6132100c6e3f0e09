"""The pricing engine, DESIGN.md section 4 steps 2-5, table-driven with hand-worked answers (no database)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.pricing import (
    CatalogSlice,
    ContractTerms,
    ItemTerms,
    ParticipationTerms,
    PriceRow,
    Rule,
    applicable_days,
    effective_on,
    in_force,
    pack_size,
    price_by_mfr_part,
    price_line,
)

PRACTICE = 10
VENDOR = 1
OTHER_VENDOR = 2


def contract(cid: int, number: str = "", *, start=date(2026, 1, 1), end=date(2026, 12, 31), **kw) -> ContractTerms:
    return ContractTerms(
        id=cid, vendor_id=kw.pop("vendor", VENDOR), number=number or f"C-{cid}", start_date=start, end_date=end, **kw
    )


def item(iid: int, cid: int, sku: str, **kw) -> ItemTerms:
    kw.setdefault("list_price", Decimal("100"))
    return ItemTerms(id=iid, contract_id=cid, vendor_sku_normalized=sku, **kw)


def row(rid: int, iid: int, price: str, frm=date(2026, 1, 1), to=None, tier="", min_qty=None) -> PriceRow:
    return PriceRow(
        id=rid,
        item_id=iid,
        price=Decimal(price),
        effective_from=frm,
        effective_to=to,
        tier=tier,
        min_qty=Decimal(min_qty) if min_qty is not None else None,
    )


def joined(cid: int, on=date(2025, 12, 1), tier: str = "") -> ParticipationTerms:
    return ParticipationTerms(practice_id=PRACTICE, contract_id=cid, joined_on=on, tier=tier)


def ask(catalog: CatalogSlice, *, sku="SKU1", mfr="", uom="EA", q="1", on=date(2026, 3, 15), vendor=VENDOR):
    return price_line(
        catalog,
        practice_id=PRACTICE,
        vendor_id=vendor,
        sku=sku,
        mfr_part_number=mfr,
        uom=uom,
        quantity=Decimal(q),
        on=on,
    )


TIERED_ROWS = (row(1, 1, "80"), row(2, 1, "70", tier="gold"), row(3, 1, "75", tier="silver"))


def tiered(participation: ParticipationTerms | None, rows=TIERED_ROWS) -> CatalogSlice:
    return CatalogSlice(
        contracts=(contract(1),),
        items=(item(1, 1, "SKU1"),),
        prices=rows,
        participations=(participation,) if participation else (),
    )


ONLY_TIERS = (row(2, 1, "70", tier="gold"), row(3, 1, "75", tier="silver", min_qty="10"))

# (case, catalog, question, expected rule, expected deciding contract number, expected c, expected pack size)
CASES = [
    ("tier_row_beats_blank", tiered(joined(1, tier="gold")), {}, Rule.ITEM_PRICE, "C-1", "70", 1),
    ("blank_tier_takes_blank_rows", tiered(joined(1)), {}, Rule.ITEM_PRICE, "C-1", "80", 1),
    ("tier_without_rows_falls_back_to_blank", tiered(joined(1, tier="bronze")), {}, Rule.ITEM_PRICE, "C-1", "80", 1),
    (
        "tier_without_rows_and_no_blank_is_not_covered",
        tiered(joined(1, tier="bronze"), rows=TIERED_ROWS[1:]),
        {},
        Rule.NOT_COVERED,
        None,
        None,
        1,
    ),
    (
        "min_qty_reached",
        tiered(joined(1), rows=(row(1, 1, "80"), row(4, 1, "72", min_qty="10"))),
        {"q": "10"},
        Rule.ITEM_PRICE,
        "C-1",
        "72",
        1,
    ),
    (
        "min_qty_not_reached",
        tiered(joined(1), rows=(row(1, 1, "80"), row(4, 1, "72", min_qty="10"))),
        {"q": "9"},
        Rule.ITEM_PRICE,
        "C-1",
        "80",
        1,
    ),
    (
        "return_keeps_min_qty_price",
        tiered(joined(1), rows=(row(1, 1, "80"), row(4, 1, "72", min_qty="10"))),
        {"q": "-10"},
        Rule.ITEM_PRICE,
        "C-1",
        "72",
        1,
    ),
    (
        "last_day_of_old_price",
        tiered(joined(1), rows=(row(1, 1, "80", to=date(2026, 3, 31)), row(2, 1, "85", frm=date(2026, 4, 1)))),
        {"on": date(2026, 3, 31)},
        Rule.ITEM_PRICE,
        "C-1",
        "80",
        1,
    ),
    (
        "first_day_of_new_price",
        tiered(joined(1), rows=(row(1, 1, "80", to=date(2026, 3, 31)), row(2, 1, "85", frm=date(2026, 4, 1)))),
        {"on": date(2026, 4, 1)},
        Rule.ITEM_PRICE,
        "C-1",
        "85",
        1,
    ),
    ("contract_first_day", tiered(joined(1)), {"on": date(2026, 1, 1)}, Rule.ITEM_PRICE, "C-1", "80", 1),
    ("contract_last_day", tiered(joined(1)), {"on": date(2026, 12, 31)}, Rule.ITEM_PRICE, "C-1", "80", 1),
    ("before_contract_start", tiered(joined(1)), {"on": date(2025, 12, 31)}, Rule.NOT_COVERED, None, None, 1),
    ("after_contract_end", tiered(joined(1)), {"on": date(2027, 1, 1)}, Rule.NOT_COVERED, None, None, 1),
    (
        "draft_contract_never_in_force",
        CatalogSlice(
            contracts=(contract(1, is_draft=True),),
            items=(item(1, 1, "SKU1"),),
            prices=(row(1, 1, "80"),),
            participations=(joined(1),),
        ),
        {},
        Rule.NOT_COVERED,
        None,
        None,
        1,
    ),
    (
        "joined_before_start_counts_from_start",
        tiered(joined(1, on=date(2025, 6, 1))),
        {"on": date(2026, 1, 1)},
        Rule.ITEM_PRICE,
        "C-1",
        "80",
        1,
    ),
    ("joined_on_the_day_counts", tiered(joined(1, on=date(2026, 3, 15))), {}, Rule.ITEM_PRICE, "C-1", "80", 1),
    (
        "joined_after_d_gets_its_future_tier",
        tiered(joined(1, on=date(2026, 3, 16), tier="gold")),
        {},
        Rule.NOT_PARTICIPATING,
        "C-1",
        "70",
        1,
    ),
    ("never_joined_gets_blank_rows", tiered(None), {}, Rule.NOT_PARTICIPATING, "C-1", "80", 1),
    (
        "never_joined_no_blank_gets_highest_tier_after_min_qty",
        tiered(None, rows=ONLY_TIERS),
        {"q": "10"},
        Rule.NOT_PARTICIPATING,
        "C-1",
        "75",
        1,
    ),
    (
        "highest_tier_skips_tiers_below_their_min_qty",
        tiered(None, rows=ONLY_TIERS),
        {"q": "5"},
        Rule.NOT_PARTICIPATING,
        "C-1",
        "70",
        1,
    ),
]


@pytest.mark.parametrize(("_case", "catalog", "question", "rule", "number", "price", "pack"), CASES)
def test_price_line_rules(_case, catalog, question, rule, number, price, pack):
    answer = ask(catalog, **question)

    assert answer.rule == rule
    assert (answer.contract.number if answer.contract else None) == number
    assert answer.contract_price == (Decimal(price) if price else None)
    assert answer.pack_size == pack


def pack_catalog() -> CatalogSlice:
    return CatalogSlice(
        contracts=(contract(1),),
        items=(item(1, 1, "SKU1", uom="BX", units_per_uom=10, list_price=Decimal("200")),),
        prices=(row(1, 1, "180"),),
        participations=(joined(1),),
    )


@pytest.mark.parametrize(
    ("_case", "uom", "rule", "pack"),
    [
        ("each_line_against_box_of_10", "EA", Rule.ITEM_PRICE, 10),
        ("each_synonym", "each", Rule.ITEM_PRICE, 10),
        ("same_uom", "BX", Rule.ITEM_PRICE, 1),
        ("same_uom_synonym", "Box", Rule.ITEM_PRICE, 1),
        ("blank_uom_is_the_items", "", Rule.ITEM_PRICE, 1),
        ("case_against_box_mismatch", "CS", Rule.UOM_MISMATCH, 1),
    ],
)
def test_uom_conversion(_case, uom, rule, pack):
    answer = ask(pack_catalog(), uom=uom)

    assert answer.rule == rule
    assert answer.pack_size == pack


def test_prices_compared_per_each_when_uoms_differ():
    catalog = CatalogSlice(
        contracts=(contract(1), contract(2)),
        items=(item(1, 1, "SKU1", list_price=None), item(2, 2, "SKU1", uom="BX", units_per_uom=10)),
        prices=(row(1, 1, "2.00"), row(2, 2, "19.00")),
        participations=(joined(1), joined(2)),
    )

    answer = ask(catalog)

    assert (answer.contract.number, answer.contract_price, answer.pack_size) == ("C-2", Decimal("19.00"), 10)


@pytest.mark.parametrize(
    ("_case", "first", "second", "winner"),
    [
        ("later_start_wins", ("B", date(2026, 1, 1)), ("A", date(2026, 2, 1)), "A"),
        ("same_start_lower_number_as_text", ("GPO-9", date(2026, 1, 1)), ("GPO-10", date(2026, 1, 1)), "GPO-10"),
    ],
)
def test_tie_on_price_picks_later_start_then_lower_number(_case, first, second, winner):
    catalog = CatalogSlice(
        contracts=(contract(1, first[0], start=first[1]), contract(2, second[0], start=second[1])),
        items=(item(1, 1, "SKU1"), item(2, 2, "SKU1")),
        prices=(row(1, 1, "80", frm=date(2025, 1, 1)), row(2, 2, "80", frm=date(2025, 1, 1))),
        participations=(joined(1), joined(2)),
    )

    assert ask(catalog).contract.number == winner


def percent_catalog(participations=()) -> CatalogSlice:
    return CatalogSlice(
        contracts=(contract(1), contract(3, discount_pct=Decimal("10"))),
        items=(item(1, 1, "SKU1"),),
        prices=(row(1, 1, "80"),),
        participations=participations,
    )


@pytest.mark.parametrize(
    ("_case", "participations", "sku", "rule", "number", "pct"),
    [
        ("joined_percent_off_covers_unlisted_item", (joined(3),), "OTHER", Rule.PERCENT_OFF, "C-3", "10"),
        ("item_row_beats_percent_off", (joined(1), joined(3)), "SKU1", Rule.ITEM_PRICE, "C-1", None),
        ("not_joined_percent_off", (), "OTHER", Rule.NOT_PARTICIPATING, "C-3", "10"),
        ("not_joined_anything_item_row_first", (), "SKU1", Rule.NOT_PARTICIPATING, "C-1", None),
    ],
)
def test_percent_off_contracts(_case, participations, sku, rule, number, pct):
    answer = ask(percent_catalog(participations), sku=sku)

    assert (answer.rule, answer.contract.number) == (rule, number)
    assert answer.discount_pct == (Decimal(pct) if pct else None)


def test_percent_off_does_not_cover_an_item_its_own_rows_name():
    catalog = CatalogSlice(
        contracts=(contract(1, discount_pct=Decimal("10")),),
        items=(item(1, 1, "SKU1"),),
        prices=(row(1, 1, "80", to=date(2026, 2, 28)),),
        participations=(joined(1),),
    )

    assert ask(catalog).rule == Rule.NOT_COVERED
    assert ask(catalog, sku="OTHER").rule == Rule.PERCENT_OFF


def test_item_found_by_manufacturer_part_number_when_sku_unknown():
    catalog = CatalogSlice(
        contracts=(contract(1),),
        items=(item(1, 1, "V100", mfr_part_normalized="MP7"),),
        prices=(row(1, 1, "80"),),
        participations=(joined(1),),
    )

    assert ask(catalog, sku="X-1", mfr="mp-007").rule == Rule.NOT_COVERED  # "MP007" keeps inner zeros
    assert ask(catalog, sku="X-1", mfr="0MP7").contract_price == Decimal("80")
    assert ask(catalog, sku="mp7", mfr="").contract_price == Decimal("80")  # blank mfr column: the SKU is the part


@pytest.mark.parametrize(("_case", "vendor"), [("unknown_vendor", None), ("vendor_without_contract", OTHER_VENDOR)])
def test_no_vendor_contract(_case, vendor):
    assert ask(tiered(joined(1)), vendor=vendor).rule == Rule.NO_VENDOR_CONTRACT


def test_vendor_with_only_an_expired_contract_is_still_gpo():
    catalog = tiered(joined(1))

    assert ask(catalog, on=date(2030, 1, 1)).rule == Rule.NOT_COVERED


def test_price_by_manufacturer_part_on_a_contract_the_practice_is_in():
    catalog = CatalogSlice(
        contracts=(contract(1), contract(2, vendor=OTHER_VENDOR)),
        items=(item(1, 1, "V1", mfr_part_normalized="MP7"), item(2, 2, "W1", mfr_part_normalized="MP7")),
        prices=(row(1, 1, "80"), row(2, 2, "60")),
        participations=(joined(1),),
    )

    answer = price_by_mfr_part(
        catalog, practice_id=PRACTICE, mfr_normalized="MP7", uom="EA", quantity=Decimal("1"), on=date(2026, 3, 15)
    )

    assert answer is not None
    assert (answer.contract.number, answer.contract_price) == ("C-1", Decimal("80"))


# --- the rule helpers: one statement per rule, for one value or arrays alike ---

days_around = st.integers(min_value=0, max_value=40).map(lambda n: date(2026, 1, 1) + timedelta(days=n))


@given(
    start=days_around,
    end=days_around,
    effective_from=days_around,
    effective_to=st.one_of(st.none(), days_around),
    is_draft=st.booleans(),
    on=days_around,
)
def test_applicable_days_are_the_days_in_force_and_effective(start, end, effective_from, effective_to, is_draft, on):
    # Given a contract and one of its price rows
    last = effective_to if effective_to is not None else date.max

    # When the bulk path's window of the row is worked out
    first_day, last_day = applicable_days(start, end, effective_from, last)

    # Then a day is in it (for a contract that is not a draft) exactly when the row applies that day
    assert (not is_draft and first_day <= on <= last_day) == (
        in_force(is_draft, start, end, on) and effective_on(effective_from, last, on)
    )


@given(st.lists(st.tuples(st.sampled_from(["EA", "BX", "", "CS"]), st.sampled_from(["EA", "BX"]), st.integers(1, 12))))
def test_pack_size_answers_the_same_for_one_value_and_for_arrays(cases):
    # Given UOM pairs as texts, and the same as codes (EACH is 1, blank 0)
    codes = {"": 0, "EA": 1, "BX": 2, "CS": 3}
    line_uoms = np.array([codes[line] for line, _, _ in cases], dtype=np.int64)
    item_uoms = np.array([codes[item] for _, item, _ in cases], dtype=np.int64)
    units = np.array([n for _, _, n in cases], dtype=np.int64)

    # When both are asked
    one_by_one = [pack_size(line, item, n) for line, item, n in cases]
    at_once = pack_size(line_uoms, item_uoms, units, each=1, blank=0)

    # Then they agree: 1 for the same or a blank UOM, n for each against a pack, else 0
    assert list(at_once) == one_by_one
    assert all(
        p == (1 if line in ("", item) else n if line == "EA" else 0)
        for (line, item, n), p in zip(cases, one_by_one, strict=True)
    )
