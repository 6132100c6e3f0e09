"""The bulk reconciliation path: DESIGN.md section 4 over the columns of a whole batch at once (numpy).

`reports.reconcile.reconcile_line` is the one-line reference; this module must agree with it line by line (the
property test in tests/reports/test_reconcile.py). Money is integer throughout: quantities and unit prices in
ten-thousandths (`_e4`, as they are stored), amounts in cents, each rounded once half away from zero.

How a batch is worked:
1. Vendor names, SKUs, part numbers and UOMs are resolved once per distinct value, then spread over the lines.
2. Lines whose vendor has items matching their SKU (else their part number) are joined to those items' price rows
   (a `CatalogIndex` built once per catalog) and every filter of DESIGN §4.4 is a mask over the joined rows:
   contract in force, P in it on d, row effective on d, UOM convertible, P's tier else tier-blank per contract,
   min_qty. The lowest price per each wins (then the later start, the lower number, the lower ids).
3. Lines with no item of their vendor are decided per distinct (vendor, practice, day) by the reference engine:
   only the vendor's percent-off contracts can apply to them.
4. Status, overcharge cause and money are vectorised for what steps 2-3 decide.
5. What is left (no own price for a matched item: not participating, off contract with items, UOM mismatch; items
   of one SKU with price keys too big for exact integer comparison; money too large for int64) goes through the
   keyed reference loop (`reports.reconcile.reconcile_keyed`). On real files that is a small share of the lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from contracts.pricing import CatalogSlice, price_by_mfr_part, price_normalized
from gpo.money import cents
from reports.reconcile import (
    LineInput,
    LineResult,
    LineStatus,
    OverchargeCause,
    Tolerance,
    VendorDirectory,
    VendorMatch,
    _mfr_missed,
    reconcile_keyed,
    reconcile_line,
)
from vendors.normalize import EACH, fold_uom, normalize_sku

EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = EPOCH.toordinal()
OPEN_END = 10**8  # days: a price row open at its end
NONE = -1  # integer columns: no value (ids start at 1, prices are never negative)
E4 = 10_000
_MONEY_LIMIT = float(2**61)  # products above this (in e4 x e4 units) are done exactly in the keyed loop
_PRICE_KEY_LIMIT = 2**62
_LCM_LIMIT = 10**6

STATUSES = [str(s) for s in LineStatus]
CAUSES = [str(c) for c in OverchargeCause]
_ON_CONTRACT = STATUSES.index(LineStatus.ON_CONTRACT)
_OVERCHARGED = STATUSES.index(LineStatus.OVERCHARGED)
_NOT_PARTICIPATING = STATUSES.index(LineStatus.NOT_PARTICIPATING)
_OFF_CONTRACT = STATUSES.index(LineStatus.OFF_CONTRACT)
_NON_GPO = STATUSES.index(LineStatus.NON_GPO_VENDOR)

RESULT_COLUMNS = (
    "vendor_id",
    "vendor_match",
    "sku_normalized",
    "mfr_part_normalized",
    "status",
    "overcharge_cause",
    "contract_id",
    "item_id",
    "price_id",
    "category_id",
    "expected_unit_price_e4",
    "list_price_e4",
    "spend_cents",
    "savings_cents",
    "overcharge_cents",
    "missed_savings_cents",
)
"""Columns of `reconcile_columns`' answer: ids and prices are NONE (-1) where the line has none."""

LINE_COLUMNS = (
    "practice_id",
    "purchase_date",
    "vendor_name",
    "sku",
    "mfr_part_number",
    "uom",
    "quantity_e4",
    "unit_price_e4",
    "extended_cents",
    "has_extended",
)
"""Columns `reconcile_columns` reads (the accepted-lines frame of reports.ingest plus practice_id)."""


def day_number(on: date) -> int:
    """Days since 1970-01-01, the integer date of the bulk path."""
    return on.toordinal() - _EPOCH_ORDINAL


def e4(value: Decimal) -> int | None:
    """A Decimal in ten-thousandths as an exact int, or None when it has more than 4 places."""
    scaled = value.scaleb(4)
    if scaled != scaled.to_integral_value():
        return None
    return int(scaled)


def from_e4(value: int) -> Decimal:
    """An int in ten-thousandths as a Decimal with 4 places."""
    return Decimal(value).scaleb(-4)


def from_cents(value: int) -> Decimal:
    """An int amount in cents as a Decimal with 2 places."""
    return Decimal(value).scaleb(-2)


def round_half_away(numerator: np.ndarray, denominator: np.ndarray | int) -> np.ndarray:
    """numerator / denominator (> 0) rounded to an integer, half away from zero (ROUND_HALF_UP), exactly."""
    quotient, remainder = np.divmod(np.abs(numerator), denominator)
    quotient = quotient + (2 * remainder >= denominator)
    return np.where(numerator < 0, -quotient, quotient)


class _Codes:
    """Small integer codes for strings (UOMs, tiers): "" is 0."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {"": 0}

    def __call__(self, text: str) -> int:
        return self.codes.setdefault(text, len(self.codes))


@dataclass(frozen=True)
class CatalogIndex:
    """A CatalogSlice as arrays for the bulk path, built once per catalog.

    A group is what DESIGN §4.2 matches for a (vendor, SKU) or a (vendor, part number): a set of items. Its
    entries are the price rows of its items, sorted by contract, so that a line joins its group's entries with
    one repeat. Per entry the contract, item and row figures sit in flat arrays (`e_*`).
    """

    catalog: CatalogSlice
    sku_group: dict[tuple[int, str], int]
    mfr_group: dict[tuple[int, str], int]
    group_items: list[tuple[Any, ...]]
    group_start: np.ndarray
    group_count: np.ndarray
    group_exact: np.ndarray
    contract_pos: dict[int, int]
    c_id: np.ndarray
    c_start: np.ndarray
    c_end: np.ndarray
    c_draft: np.ndarray
    c_rank: np.ndarray
    part_keys: np.ndarray
    part_joined: np.ndarray
    part_tier: np.ndarray
    e_contract: np.ndarray
    e_item: np.ndarray
    e_uom: np.ndarray
    e_units: np.ndarray
    e_scale: np.ndarray
    e_list: np.ndarray
    e_category: np.ndarray
    e_price_id: np.ndarray
    e_price: np.ndarray
    e_from: np.ndarray
    e_to: np.ndarray
    e_tier: np.ndarray
    e_min: np.ndarray
    uoms: _Codes
    tiers: _Codes
    vendors_with_contract: frozenset[int]
    vendors_with_percent_off: frozenset[int]
    mfr_parts: frozenset[str]

    @classmethod
    def build(cls, catalog: CatalogSlice) -> CatalogIndex:
        uoms, tiers = _Codes(), _Codes()
        uoms(EACH)
        contracts = catalog.contracts
        contract_pos = {c.id: k for k, c in enumerate(contracts)}
        rank = {number: r for r, number in enumerate(sorted({c.number for c in contracts}))}
        participations = sorted(
            (
                p.practice_id * max(len(contracts), 1) + contract_pos[p.contract_id],
                day_number(p.joined_on),
                tiers(p.tier),
            )
            for p in catalog.participations
            if p.contract_id in contract_pos
        )
        group_items: list[tuple[Any, ...]] = []
        sku_group: dict[tuple[int, str], int] = {}
        mfr_group: dict[tuple[int, str], int] = {}
        for key, items in catalog.items_by_vendor_sku.items():
            sku_group[key] = len(group_items)
            group_items.append(items)
        for key, items in catalog.items_by_vendor_mfr.items():
            mfr_group[key] = len(group_items)
            group_items.append(items)

        # Items and price rows as arrays once; a group's entries are then positions into the price rows.
        items_all = catalog.items
        item_pos = {item.id: k for k, item in enumerate(items_all)}
        list_e4 = [e4(i.list_price) if i.list_price is not None else NONE for i in items_all]
        i_exact = np.array([v is not None for v in list_e4], dtype=bool)
        i_list = np.array([v if v is not None else 0 for v in list_e4], dtype=np.int64)
        i_contract = np.array([contract_pos[i.contract_id] for i in items_all], dtype=np.int64)
        i_id = np.array([i.id for i in items_all], dtype=np.int64)
        i_uom = np.array([uoms(i.uom) for i in items_all], dtype=np.int64)
        i_units = np.array([i.units_per_uom for i in items_all], dtype=np.int64)
        i_category = np.array([i.category_id if i.category_id is not None else NONE for i in items_all], np.int64)
        rows_all = [row for item in items_all for row in catalog.prices_by_item.get(item.id, ())]
        rows_of_item: dict[int, list[int]] = {}
        for k, row in enumerate(rows_all):
            rows_of_item.setdefault(row.item_id, []).append(k)
        prices = [e4(r.price) for r in rows_all]
        minimums = [e4(r.min_qty) if r.min_qty is not None else NONE for r in rows_all]
        r_exact = np.array([p is not None and m is not None for p, m in zip(prices, minimums, strict=True)], bool)
        r_item = np.array([item_pos[r.item_id] for r in rows_all], dtype=np.int64)
        r_price = np.array([p if p is not None else 0 for p in prices], dtype=np.int64)
        r_min = np.array([m if m is not None else NONE for m in minimums], dtype=np.int64)
        r_from = np.fromiter((r.effective_from.toordinal() for r in rows_all), np.int64, len(rows_all)) - _EPOCH_ORDINAL
        r_to = np.fromiter(
            (r.effective_to.toordinal() - _EPOCH_ORDINAL if r.effective_to else OPEN_END for r in rows_all),
            np.int64,
            len(rows_all),
        )
        r_id = np.array([r.id for r in rows_all], dtype=np.int64)
        r_tier = np.array([tiers(r.tier) for r in rows_all], dtype=np.int64)

        entry_rows: list[int] = []
        counts: list[int] = []
        lcms: list[int] = []
        for items in group_items:
            before = len(entry_rows)
            for item in sorted(items, key=lambda i: (i.contract_id, i.id)):
                entry_rows.extend(rows_of_item.get(item.id, ()))
            counts.append(len(entry_rows) - before)
            lcms.append(math.lcm(*(item.units_per_uom for item in items)))
        count = np.array(counts, dtype=np.int64)
        lcm = np.array(lcms, dtype=np.int64)
        entry_row = np.array(entry_rows, dtype=np.int64)
        entry_item = r_item[entry_row]
        entry_group = np.repeat(np.arange(len(group_items)), count)
        entry_lcm = lcm[entry_group]
        # Per each prices compare exactly as price * (lcm / units); groups where that could overflow, or a figure
        # has more than 4 places, are left to the keyed loop.
        entry_ok = (
            r_exact[entry_row]
            & i_exact[entry_item]
            & (r_price[entry_row] < _PRICE_KEY_LIMIT // np.maximum(entry_lcm, 1))
        )
        bad = np.bincount(entry_group, weights=~entry_ok, minlength=len(group_items)) > 0
        exact = (lcm > 0) & (lcm <= _LCM_LIMIT) & ~bad
        columns = [
            i_contract[entry_item],
            i_id[entry_item],
            i_uom[entry_item],
            i_units[entry_item],
            entry_lcm // np.maximum(i_units[entry_item], 1),
            np.where(i_exact[entry_item], i_list[entry_item], NONE),
            i_category[entry_item],
            r_id[entry_row],
            r_price[entry_row],
            r_from[entry_row],
            r_to[entry_row],
            r_tier[entry_row],
            r_min[entry_row],
        ]
        starts = np.cumsum(count) - count
        return cls(
            catalog=catalog,
            sku_group=sku_group,
            mfr_group=mfr_group,
            group_items=group_items,
            group_start=starts,
            group_count=count,
            group_exact=exact,
            contract_pos=contract_pos,
            c_id=np.array([c.id for c in contracts], dtype=np.int64),
            c_start=np.array([day_number(c.start_date) for c in contracts], dtype=np.int64),
            c_end=np.array([day_number(c.end_date) for c in contracts], dtype=np.int64),
            c_draft=np.array([c.is_draft for c in contracts], dtype=bool),
            c_rank=np.array([rank[c.number] for c in contracts], dtype=np.int64),
            part_keys=np.array([p[0] for p in participations], dtype=np.int64),
            part_joined=np.array([p[1] for p in participations], dtype=np.int64),
            part_tier=np.array([p[2] for p in participations], dtype=np.int64),
            e_contract=columns[0],
            e_item=columns[1],
            e_uom=columns[2],
            e_units=columns[3],
            e_scale=columns[4],
            e_list=columns[5],
            e_category=columns[6],
            e_price_id=columns[7],
            e_price=columns[8],
            e_from=columns[9],
            e_to=columns[10],
            e_tier=columns[11],
            e_min=columns[12],
            uoms=uoms,
            tiers=tiers,
            vendors_with_contract=frozenset(c.vendor_id for c in contracts),
            vendors_with_percent_off=frozenset(c.vendor_id for c in contracts if c.discount_pct is not None),
            mfr_parts=frozenset(catalog.items_by_mfr),
        )

    def participation(self, practice: np.ndarray, contract: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(found, joined day, tier code) of each (practice id, contract position) pair."""
        if not len(self.part_keys):
            size = len(practice)
            return np.zeros(size, bool), np.zeros(size, np.int64), np.zeros(size, np.int64)
        keys = practice * max(len(self.c_id), 1) + contract
        at = np.minimum(np.searchsorted(self.part_keys, keys), len(self.part_keys) - 1)
        found = self.part_keys[at] == keys
        return found, self.part_joined[at], np.where(found, self.part_tier[at], NONE)


def _factorized(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes per line and the distinct texts (blank for a missing value), without converting every cell."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    texts = ["" if u is None or u != u else str(u) for u in uniques.tolist()]
    return np.asarray(codes, dtype=np.int64), texts


def _pair_lookup(
    first: np.ndarray, second: np.ndarray, second_values: Sequence[str], table: dict[tuple[int, str], int]
) -> np.ndarray:
    """table[(first, second_values[second])] per line (NONE when absent), looked up once per distinct pair."""
    width = len(second_values) + 1
    pairs, inverse = np.unique(first * width + second, return_inverse=True)
    found = np.array(
        [
            table.get((int(pair // width), second_values[int(pair % width)]), NONE) if pair >= 0 else NONE
            for pair in pairs.tolist()
        ],
        dtype=np.int64,
    )
    return found[inverse] if len(found) else np.full(len(first), NONE, dtype=np.int64)


@dataclass
class _Out:
    """The answer columns being filled in; `todo` marks lines the keyed reference loop still has to do."""

    size: int

    def __post_init__(self) -> None:
        n = self.size
        self.status = np.full(n, _NON_GPO, dtype=np.int64)
        self.cause = np.zeros(n, dtype=np.int64)
        self.contract = np.full(n, NONE, dtype=np.int64)
        self.item = np.full(n, NONE, dtype=np.int64)
        self.price = np.full(n, NONE, dtype=np.int64)
        self.category = np.full(n, NONE, dtype=np.int64)
        self.expected = np.full(n, NONE, dtype=np.int64)
        self.list_price = np.full(n, NONE, dtype=np.int64)
        self.savings = np.zeros(n, dtype=np.int64)
        self.overcharge = np.zeros(n, dtype=np.int64)
        self.missed = np.zeros(n, dtype=np.int64)
        self.todo = np.zeros(n, dtype=bool)


def _fits(*magnitudes: np.ndarray) -> np.ndarray:
    """Whether a product of these magnitudes stays well inside int64."""
    product = np.ones(len(magnitudes[0]), dtype=np.float64)
    for magnitude in magnitudes:
        product = product * np.abs(magnitude).astype(np.float64)
    return product < _MONEY_LIMIT


def reconcile_columns(
    index: CatalogIndex, directory: VendorDirectory, lines: pd.DataFrame, *, tolerance: Tolerance
) -> pd.DataFrame:
    """Status and money of every line of a batch (columns LINE_COLUMNS), as a frame of RESULT_COLUMNS."""
    size = len(lines)
    practice = lines["practice_id"].to_numpy(dtype=np.int64)
    days = (lines["purchase_date"].to_numpy().astype("datetime64[D]").astype(np.int64)).astype(np.int64)
    quantity = lines["quantity_e4"].to_numpy(dtype=np.int64)
    paid = lines["unit_price_e4"].to_numpy(dtype=np.int64)
    extended = lines["extended_cents"].to_numpy(dtype=np.int64)
    has_extended = lines["has_extended"].to_numpy(dtype=bool)
    out = _Out(size)

    # 1. Vendors, SKUs, part numbers and UOMs, once per distinct value.
    name_codes, names = _factorized(lines["vendor_name"])
    resolved = [directory.resolve(name) for name in names]
    vendor = np.array([v if v is not None else NONE for v, _ in resolved], dtype=np.int64)[name_codes]
    match_names = [str(m) for m in VendorMatch]
    match = np.array([match_names.index(str(m)) for _, m in resolved], dtype=np.int64)[name_codes]
    vendor_category = {v.id: v.category_id for v in directory.vendors}
    vendor_cat = np.array(
        [(vendor_category.get(v) if v is not None else None) or NONE for v, _ in resolved], dtype=np.int64
    )[name_codes]
    sku_codes, skus = _factorized(lines["sku"])
    sku_norm_values = [normalize_sku(s) for s in skus]
    mfr_codes, mfrs = _factorized(lines["mfr_part_number"])
    mfr_given = np.array([bool(m.strip()) for m in mfrs], dtype=bool)[mfr_codes] if mfrs else np.zeros(size, bool)
    # DESIGN §4: the part number is the mfr column when not blank, else the SKU; one code space for both.
    part_values = sorted({normalize_sku(m) for m in mfrs} | set(sku_norm_values))
    part_code = {text: k for k, text in enumerate(part_values)}
    sku_as_part = np.array([part_code[t] for t in sku_norm_values], dtype=np.int64)
    mfr_as_part = np.array([part_code[normalize_sku(m)] for m in mfrs], dtype=np.int64)
    part = np.where(mfr_given, mfr_as_part[mfr_codes] if len(mfrs) else 0, sku_as_part[sku_codes])
    uom_codes, uom_texts = _factorized(lines["uom"])
    folded = [fold_uom(u) for u in uom_texts]
    uom = np.array([index.uoms(f) for f in folded], dtype=np.int64)[uom_codes]

    has_contract = np.isin(vendor, np.fromiter(index.vendors_with_contract, dtype=np.int64))
    group = _pair_lookup(np.where(has_contract, vendor, NONE), sku_codes, sku_norm_values, index.sku_group)
    by_part = _pair_lookup(np.where(has_contract & (group < 0), vendor, NONE), part, part_values, index.mfr_group)
    group = np.where(group >= 0, group, by_part)

    # Spend for every line (DESIGN §4.7): the extended amount, else q * p; huge products are done in Python ints.
    spend = np.where(has_extended, extended, 0)
    product = ~has_extended & _fits(quantity, paid)
    spend[product] = round_half_away(quantity[product] * paid[product], 10**6)
    for k in np.flatnonzero(~has_extended & ~product).tolist():
        spend[k] = _cents_int(cents(from_e4(int(quantity[k])) * from_e4(int(paid[k]))))

    out.category[:] = vendor_cat
    # 2. Lines with matched items: the join.
    priced = has_contract & (group >= 0)
    exact_group = np.zeros(size, dtype=bool)
    exact_group[priced] = index.group_exact[group[priced]]
    out.todo |= priced & ~exact_group
    joined_lines = np.flatnonzero(priced & exact_group)
    if len(joined_lines):
        _item_prices(index, out, tolerance, joined_lines, group, practice, days, uom, quantity, paid)

    # 3. Vendors with contracts but no item of theirs matched: percent-off contracts, else off contract.
    itemless = np.flatnonzero(has_contract & (group < 0))
    out.status[itemless] = _OFF_CONTRACT
    with_percent = itemless[np.isin(vendor[itemless], np.fromiter(index.vendors_with_percent_off, dtype=np.int64))]
    if len(with_percent):
        _percent_off(index, out, with_percent, vendor, practice, days, quantity, paid)

    # DESIGN §4.7: off-contract and non-GPO lines miss savings against an item with their part number.
    lookout = np.flatnonzero(((out.status == _OFF_CONTRACT) | (out.status == _NON_GPO)) & ~out.todo)
    if len(lookout) and index.mfr_parts:
        known = np.array([t in index.mfr_parts for t in part_values], dtype=bool)
        lookout = lookout[known[part[lookout]]]
        for k, line in zip(
            lookout.tolist(), _line_inputs(lines, lookout, days, quantity, paid, extended, has_extended), strict=True
        ):
            alternative = price_by_mfr_part(
                index.catalog,
                practice_id=line.practice_id,
                mfr_normalized=part_values[part[k]],
                uom=folded[uom_codes[k]],
                quantity=abs(line.quantity),
                on=line.purchase_date,
            )
            out.missed[k] = int(_mfr_missed(index.catalog, line, alternative).scaleb(2))

    # 5. The rest through the keyed reference loop.
    rest = np.flatnonzero(out.todo)
    if len(rest):
        inputs = _line_inputs(lines, rest, days, quantity, paid, extended, has_extended)
        for k, result in zip(
            rest.tolist(), reconcile_keyed(index.catalog, directory, inputs, tolerance=tolerance), strict=True
        ):
            _store_result(out, k, result)

    # Text answers as categoricals over their few distinct values: no string per line is built here.
    def text(codes: np.ndarray, values: list[str]) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=pd.Index(values, dtype=object))

    sku_part = sku_as_part[sku_codes] if len(skus) else np.zeros(size, dtype=np.int64)
    return pd.DataFrame(
        {
            "vendor_id": vendor,
            "vendor_match": text(match, match_names),
            "sku_normalized": text(sku_part, part_values or [""]),
            "mfr_part_normalized": text(part, part_values or [""]),
            "status": text(out.status, STATUSES),
            "overcharge_cause": text(out.cause, CAUSES),
            "contract_id": out.contract,
            "item_id": out.item,
            "price_id": out.price,
            "category_id": out.category,
            "expected_unit_price_e4": out.expected,
            "list_price_e4": out.list_price,
            "spend_cents": spend,
            "savings_cents": out.savings,
            "overcharge_cents": out.overcharge,
            "missed_savings_cents": out.missed,
        }
    )


def _item_prices(
    index: CatalogIndex,
    out: _Out,
    tolerance: Tolerance,
    lines: np.ndarray,
    group: np.ndarray,
    practice: np.ndarray,
    days: np.ndarray,
    uom: np.ndarray,
    quantity: np.ndarray,
    paid: np.ndarray,
) -> None:
    """DESIGN §4.4 for lines with matched items, as masks over their groups' price rows; then status and money."""
    groups = group[lines]
    counts = index.group_count[groups]
    total = int(counts.sum())
    if not total:
        out.todo[lines] = True
        return
    owner = np.repeat(np.arange(len(lines)), counts)
    ends = np.cumsum(counts)
    entry = np.repeat(index.group_start[groups] - (ends - counts), counts) + np.arange(total)
    line = lines[owner]
    d = days[line]
    contract = index.e_contract[entry]
    in_force = ~index.c_draft[contract] & (index.c_start[contract] <= d) & (d <= index.c_end[contract])
    found, joined_on, tier = index.participation(practice[line], contract)
    joined = found & (joined_on <= d)
    line_uom = uom[line]
    item_uom = index.e_uom[entry]
    pack = np.where((line_uom == 0) | (line_uom == item_uom), 1, np.where(line_uom == 1, index.e_units[entry], 0))
    own = in_force & joined & (pack > 0) & (index.e_from[entry] <= d) & (d <= index.e_to[entry])
    # Tier per contract: P's own tier rows when the contract has any on d, else the tier-blank rows (§4.4).
    row_tier = index.e_tier[entry]
    block = np.concatenate(([0], np.cumsum((owner[1:] != owner[:-1]) | (contract[1:] != contract[:-1]))))
    own_tier = own & (tier > 0) & (row_tier == tier)
    has_own_tier = (np.bincount(block, weights=own_tier, minlength=int(block[-1]) + 1 if total else 0) > 0)[block]
    keep = own & np.where(has_own_tier, row_tier == tier, row_tier == 0)
    minimum = index.e_min[entry]
    keep &= (minimum < 0) | (minimum * pack <= np.abs(quantity[line]))

    kept = np.flatnonzero(keep)
    order = np.lexsort(
        (
            index.e_price_id[entry[kept]],
            index.e_item[entry[kept]],
            index.c_rank[contract[kept]],
            -index.c_start[contract[kept]],
            index.e_price[entry[kept]] * index.e_scale[entry[kept]],
            owner[kept],
        )
    )
    ranked = kept[order]
    first = np.ones(len(ranked), dtype=bool)
    first[1:] = owner[ranked[1:]] != owner[ranked[:-1]]
    best = ranked[first]
    decided = np.zeros(len(lines), dtype=bool)
    decided[owner[best]] = True
    out.todo[lines[~decided]] = True

    won = lines[owner[best]]
    best_entry = entry[best]
    n = pack[best]
    c = index.e_price[best_entry]
    list_price = index.e_list[best_entry]
    q, p = quantity[won], paid[won]
    rel_num, rel_den = tolerance.relative.as_integer_ratio()
    # Rows whose products could leave int64 go to the keyed loop, which works in Decimal.
    paid_float = np.abs(p).astype(np.float64) * n
    largest = paid_float + np.maximum(c, list_price)
    safe = (largest * np.abs(q) < _MONEY_LIMIT) & (largest * max(rel_den, rel_num) < _MONEY_LIMIT)
    out.todo[won[~safe]] = True
    won, best, best_entry, n, c, list_price, q, p = (a[safe] for a in (won, best, best_entry, n, c, list_price, q, p))
    paid_item = p * n
    out.contract[won] = index.c_id[contract[best]]
    out.item[won] = index.e_item[best_entry]
    out.price[won] = index.e_price_id[best_entry]
    category = index.e_category[best_entry]
    out.category[won] = np.where(category >= 0, category, out.category[won])
    out.expected[won] = c
    out.list_price[won] = list_price
    per = n * 10**6
    out.savings[won] = np.where(list_price >= 0, round_half_away((list_price - paid_item) * q, per), 0)

    # DESIGN §4.6: overcharged when p > c + max(absolute, relative * c), all in e4 times the relative denominator.
    absolute = e4(tolerance.absolute)
    if absolute is None:
        out.todo[won] = True
        return
    allowed = np.maximum(absolute * rel_den, rel_num * c)
    over = paid_item * rel_den > c * rel_den + allowed
    out.status[won] = np.where(over, _OVERCHARGED, _ON_CONTRACT)
    overcharge = np.where(over, round_half_away((paid_item - c) * q, per), 0)
    out.overcharge[won] = overcharge
    out.missed[won] = overcharge
    if not over.any():
        return

    # Overcharge cause (DESIGN §4.6), over the same joined rows of the overcharged lines.
    hit = np.flatnonzero(over)
    line_of = np.full(len(out.status), -1, dtype=np.int64)
    line_of[won[hit]] = np.arange(len(hit))
    slot = line_of[line]
    mine = slot >= 0
    rows = np.flatnonzero(mine)
    k = slot[rows]
    deciding = best_entry[hit][k]
    x = paid_item[hit][k]
    tol = allowed[hit][k]
    row_price = index.e_price[entry[rows]]
    matches = np.abs(x - row_price) * rel_den <= tol
    rd = d[rows]
    rc = contract[rows]
    same_product = (index.e_uom[entry[rows]] == index.e_uom[deciding]) & (
        index.e_units[entry[rows]] == index.e_units[deciding]
    )
    ended = (index.e_to[entry[rows]] < rd) | (index.c_end[rc] < rd)
    old = same_product & ~index.c_draft[rc] & (index.e_from[entry[rows]] < rd) & ended & matches
    effective = (index.e_from[entry[rows]] <= rd) & (rd <= index.e_to[entry[rows]])
    wrong = (
        (index.e_item[entry[rows]] == index.e_item[deciding]) & effective & (row_tier[rows] != index.e_tier[deciding])
    )
    wrong &= matches
    any_old = np.bincount(k, weights=old, minlength=len(hit)) > 0
    any_wrong = np.bincount(k, weights=wrong, minlength=len(hit)) > 0
    lp = list_price[hit]
    not_loaded = (lp >= 0) & (np.abs(paid_item[hit] - lp) * rel_den <= allowed[hit])
    out.cause[won[hit]] = np.select(
        [any_old, any_wrong, not_loaded],
        [
            CAUSES.index(OverchargeCause.OLD_PRICE),
            CAUSES.index(OverchargeCause.WRONG_TIER),
            CAUSES.index(OverchargeCause.NOT_LOADED),
        ],
        CAUSES.index(OverchargeCause.PRICE_ERROR),
    )


def _percent_off(
    index: CatalogIndex,
    out: _Out,
    lines: np.ndarray,
    vendor: np.ndarray,
    practice: np.ndarray,
    days: np.ndarray,
    quantity: np.ndarray,
    paid: np.ndarray,
) -> None:
    """Lines of a vendor with percent-off contracts and no matched item: decided once per (vendor, P, day)."""
    keys = np.stack([vendor[lines], practice[lines], days[lines]], axis=1)
    distinct, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    answers = [
        price_normalized(
            index.catalog,
            practice_id=int(p),
            vendor_id=int(v),
            sku_normalized="",
            mfr_normalized="",
            uom="",
            quantity=Decimal(1),
            on=EPOCH + timedelta(days=int(d)),
        )
        for v, p, d in distinct.tolist()
    ]
    status = np.array(
        [
            _ON_CONTRACT
            if a.rule == "percent_off"
            else _NOT_PARTICIPATING
            if a.rule == "not_participating"
            else _OFF_CONTRACT
            for a in answers
        ],
        dtype=np.int64,
    )[inverse]
    contract = np.array([a.contract.id if a.contract is not None else NONE for a in answers], dtype=np.int64)[inverse]
    ratios = [a.discount_pct.as_integer_ratio() if a.discount_pct is not None else (0, 1) for a in answers]
    k_num = np.array([r[0] for r in ratios], dtype=np.int64)[inverse]
    k_den = np.array([r[1] for r in ratios], dtype=np.int64)[inverse]
    q, p = quantity[lines], paid[lines]
    safe = _fits(q, p, np.maximum(k_num, 1))
    out.todo[lines[~safe]] = True
    out.status[lines] = status
    out.contract[lines] = contract
    on_contract = safe & (status == _ON_CONTRACT)
    # p * q * k / (1 - k) with k = pct / 100: p * q * pct / (100 - pct); p * q * k on not_participating lines.
    savings_den = np.maximum(100 * k_den - k_num, 1) * 10**6
    out.savings[lines[on_contract]] = round_half_away((p * q * k_num)[on_contract], savings_den[on_contract])
    missing = safe & (status == _NOT_PARTICIPATING)
    out.missed[lines[missing]] = round_half_away((p * q * k_num)[missing], (100 * k_den * 10**6)[missing])


def _line_inputs(
    lines: pd.DataFrame,
    rows: np.ndarray,
    days: np.ndarray,
    quantity: np.ndarray,
    paid: np.ndarray,
    extended: np.ndarray,
    has_extended: np.ndarray,
) -> list[LineInput]:
    """The given rows of the batch as LineInputs, for the reference engine."""
    texts = lines.iloc[rows][["practice_id", "vendor_name", "sku", "uom", "mfr_part_number"]].fillna("")
    return [
        LineInput(
            practice_id=int(practice_id),
            purchase_date=EPOCH + timedelta(days=int(days[k])),
            vendor_name=str(vendor_name),
            sku=str(sku),
            quantity=from_e4(int(quantity[k])),
            unit_price=from_e4(int(paid[k])),
            uom=str(uom),
            mfr_part_number=str(mfr),
            extended_amount=from_cents(int(extended[k])) if has_extended[k] else None,
        )
        for k, (practice_id, vendor_name, sku, uom, mfr) in zip(
            rows.tolist(), texts.itertuples(index=False, name=None), strict=True
        )
    ]


def _cents_int(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _store_result(out: _Out, k: int, result: LineResult) -> None:
    out.status[k] = STATUSES.index(result.status)
    out.cause[k] = CAUSES.index(result.overcharge_cause)
    out.contract[k] = result.contract_id if result.contract_id is not None else NONE
    out.item[k] = result.item_id if result.item_id is not None else NONE
    out.price[k] = result.price_id if result.price_id is not None else NONE
    out.category[k] = result.category_id if result.category_id is not None else NONE
    expected = e4(result.expected_unit_price) if result.expected_unit_price is not None else None
    list_price = e4(result.list_price) if result.list_price is not None else None
    out.expected[k] = expected if expected is not None else NONE
    out.list_price[k] = list_price if list_price is not None else NONE
    out.savings[k] = _cents_int(result.savings)
    out.overcharge[k] = _cents_int(result.overcharge)
    out.missed[k] = _cents_int(result.missed_savings)


# ---------------------------------------------------------------------------------------------------------------
# The same path for plain LineInputs (tests, small batches).


def lines_frame(lines: Sequence[LineInput]) -> pd.DataFrame:
    """LineInputs as the columns `reconcile_columns` reads (every figure must fit in e4 / cents exactly)."""
    return pd.DataFrame(
        {
            "practice_id": np.array([line.practice_id for line in lines], dtype=np.int64),
            "purchase_date": np.array([line.purchase_date for line in lines], dtype="datetime64[D]"),
            "vendor_name": [line.vendor_name for line in lines],
            "sku": [line.sku for line in lines],
            "mfr_part_number": [line.mfr_part_number for line in lines],
            "uom": [line.uom for line in lines],
            "quantity_e4": np.array([e4(line.quantity) for line in lines], dtype=np.int64),
            "unit_price_e4": np.array([e4(line.unit_price) for line in lines], dtype=np.int64),
            "extended_cents": np.array(
                [_cents_int(cents(line.extended_amount)) if line.extended_amount is not None else 0 for line in lines],
                dtype=np.int64,
            ),
            "has_extended": np.array([line.extended_amount is not None for line in lines], dtype=bool),
        }
    )


def results_from_frame(frame: pd.DataFrame) -> list[LineResult]:
    """`reconcile_columns`' answer as LineResults (Decimal money), in line order."""

    def optional(value: int) -> int | None:
        return None if value == NONE else int(value)

    def price(value: int) -> Decimal | None:
        return None if value == NONE else from_e4(int(value))

    return [
        LineResult(
            vendor_id=optional(row[0]),
            vendor_match=row[1],
            sku_normalized=row[2],
            mfr_part_normalized=row[3],
            status=row[4],
            overcharge_cause=row[5],
            contract_id=optional(row[6]),
            item_id=optional(row[7]),
            price_id=optional(row[8]),
            category_id=optional(row[9]),
            expected_unit_price=price(row[10]),
            list_price=price(row[11]),
            spend=from_cents(int(row[12])),
            savings=from_cents(int(row[13])),
            overcharge=from_cents(int(row[14])),
            missed_savings=from_cents(int(row[15])),
        )
        for row in frame[list(RESULT_COLUMNS)].itertuples(index=False, name=None)
    ]


def _representable(line: LineInput) -> bool:
    return e4(line.quantity) is not None and e4(line.unit_price) is not None


def reconcile_batch(
    catalog: CatalogSlice | CatalogIndex,
    directory: VendorDirectory,
    lines: Sequence[LineInput],
    *,
    tolerance: Tolerance,
) -> list[LineResult]:
    """The bulk path for LineInputs; lines with more than 4 places in a figure go through the reference."""
    index = catalog if isinstance(catalog, CatalogIndex) else CatalogIndex.build(catalog)
    results: list[LineResult | None] = [None] * len(lines)
    plain = [k for k, line in enumerate(lines) if _representable(line)]
    if plain:
        frame = lines_frame([lines[k] for k in plain])
        for k, result in zip(
            plain, results_from_frame(reconcile_columns(index, directory, frame, tolerance=tolerance)), strict=True
        ):
            results[k] = result
    for k, line in enumerate(lines):
        if results[k] is None:
            results[k] = reconcile_line(index.catalog, directory, line, tolerance=tolerance)
    return [r for r in results if r is not None]
