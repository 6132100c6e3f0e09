"""The bulk reconciliation path: DESIGN.md section 4 over the columns of a whole batch at once (numpy).

`reports.reconcile.reconcile_line` is the one-line reference; this module must agree with it line by line (the
property test in tests/reports/test_reconcile.py). Money is integer throughout: quantities and unit prices in
ten-thousandths (`_e4`, as they are stored), amounts in cents, each rounded once half away from zero.

How a batch is worked:
1. Vendor names, SKUs, part numbers and UOMs are resolved once per distinct value (Arrow hashes the texts and
   normalises the SKUs), then spread over the lines; a (vendor, SKU) or (vendor, part number) is an integer key.
2. Lines whose vendor has items matching their SKU (else their part number) find the interval of that group's time
   line holding their day (a `CatalogIndex` built once per catalog: cut wherever a row or contract starts or ends).
   Where the interval's rows carry no tier and no min_qty, its winner was chosen when the index was built, and a
   line takes it when P is in the winner's contract on d and the UOM converts. Other lines are joined to their
   interval's rows (in force and effective on d by construction) and the rest of DESIGN §4.4 is a mask over the
   joined rows: P in the contract on d, UOM convertible, P's tier else tier-blank per contract, min_qty. The
   lowest price per each wins (then the later start, the lower number, the lower ids).
3. Lines with no item of their vendor are decided per distinct (vendor, practice, day) by the reference engine:
   only the vendor's percent-off contracts can apply to them.
4. Status, overcharge cause and money are vectorised for what steps 2-3 decide.
5. What is left (no own price for a matched item: not participating, off contract with items, UOM mismatch; items
   of one SKU with price keys too big for exact integer comparison; money too large for int64) goes through the
   keyed reference loop (`reports.reconcile.reconcile_keyed`). On real files that is a small share of the lines.
   The loop gets a CatalogSlice: the one the index was built from, or one rebuilt from the index's columns for
   the vendors it needs (those of its lines and those whose items carry the lines' part numbers, DESIGN §4.7).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from contracts.pricing import (
    OVERCHARGE_CAUSE_PRIORITY,
    CatalogSlice,
    ContractTerms,
    ItemTerms,
    OverchargeCause,
    ParticipationTerms,
    PriceRow,
    Tolerance,
    deciding_order,
    earlier_price,
    effective_on,
    keeps_tier,
    min_qty_allows,
    other_tier_price,
    overcharge_cause,
    pack_size,
    per_each,
    percent_off_missed_amount,
    percent_off_savings_amount,
    practice_in,
    price_by_mfr_part,
    price_difference_amount,
    price_normalized,
    same_product,
    spend,
)
from gpo.money import cents, round_half_up_integers
from reports.reconcile import (
    STATUS_OF_RULE,
    LineInput,
    LineResult,
    Status,
    VendorDirectory,
    VendorMatch,
    missed_savings_by_part,
    reconcile_keyed,
    reconcile_line,
)
from vendors.normalize import EACH, fold_uom, normalize_skus

EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = EPOCH.toordinal()
OPEN_END = 10**8  # days: a price row open at its end
NONE = -1  # integer columns: no value (ids start at 1, prices are never negative)
E4 = 10_000
E4_TIMES_E4_PER_CENT = 10**6  # a product of two ten-thousandths figures, in cents
EACH_CODE = 1  # the UOM code of EACH in every index (`CatalogIndex.uoms` codes it first)
_MONEY_LIMIT = float(2**61)  # products above this (in e4 x e4 units) are done exactly in the keyed loop
_PRICE_KEY_LIMIT = 2**62
_LCM_LIMIT = 10**6

# Statuses, causes and vendor matches are carried as codes into the model's own choices (categoricals).
STATUS_TYPE = pd.CategoricalDtype(Status.values)
CAUSE_TYPE = pd.CategoricalDtype(OverchargeCause.values)
MATCH_TYPE = pd.CategoricalDtype(VendorMatch.values)


def _codes(dtype: pd.CategoricalDtype) -> dict[str, int]:
    """The code of each of the model's choices in its categorical."""
    return {str(value): code for code, value in enumerate(dtype.categories)}


STATUS_CODE, CAUSE_CODE, MATCH_CODE = _codes(STATUS_TYPE), _codes(CAUSE_TYPE), _codes(MATCH_TYPE)
_ON_CONTRACT = STATUS_CODE[Status.ON_CONTRACT]
_OVERCHARGED = STATUS_CODE[Status.OVERCHARGED]
_OFF_CONTRACT = STATUS_CODE[Status.OFF_CONTRACT]
_NON_GPO = STATUS_CODE[Status.NON_GPO_VENDOR]
_CAUSE_BY_PRIORITY = np.array([CAUSE_CODE[cause] for cause in OVERCHARGE_CAUSE_PRIORITY], dtype=np.int64)

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


class _Codes:
    """Small integer codes for strings (UOMs, tiers): "" is 0."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {"": 0}

    def __call__(self, text: str) -> int:
        return self.codes.setdefault(text, len(self.codes))

    def of(self, texts: pd.Series) -> np.ndarray:
        """The code of each text, worked out once per distinct text."""
        codes, uniques = pd.factorize(texts.fillna("").astype(object), use_na_sentinel=False)
        return np.array([self(str(u)) for u in uniques], dtype=np.int64)[codes] if len(uniques) else _ints([])


"""The catalog as `CatalogIndex.from_frames` reads it (contracts.selectors.catalog_frames_load): one frame each.

Days count from 1970-01-01; prices, quantities and discount percents are in ten-thousandths; UOMs are folded; a
missing value (end of a price row, list price, min_qty, category, discount) is null. Items and prices may carry an
`exact` column (False where a figure has more than 4 places: its groups go to the reference engine); such frames
need the CatalogSlice they came from as `source`.
"""

_DAY_BIAS = 2**30  # days shifted to be >= 0 inside an interval key
_DAY_BITS = 31
_WALK_STEPS = 8  # intervals stepped through per line before a binary search takes over
_TABLE_LIMIT = 4_000_000  # (practice, contract) pairs of a batch looked up in a dense table


def _ints(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _column(frame: pd.DataFrame, name: str, missing: int) -> np.ndarray:
    """An integer column with its nulls as `missing`."""
    column = frame[name]
    if column.dtype == object or column.hasnans:
        column = column.fillna(missing)
    return column.to_numpy(dtype=np.int64)


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The sorted distinct values (by sorting: numpy's hashing unique is slow on wide int64 keys)."""
    ordered = np.sort(keys)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _distinct_inverse(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values and, per key, the position of its value among them."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new = np.ones(len(ordered), dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def _interval_key(group: np.ndarray, day: np.ndarray) -> np.ndarray:
    """(group, day) as one sortable integer."""
    return (group << _DAY_BITS) | (np.clip(day, -_DAY_BIAS, _DAY_BIAS - 1) + _DAY_BIAS)


def _spans(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For spans [start, start + count): each position's span number and the positions, concatenated."""
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(counts)), counts)
    ends = np.cumsum(counts)
    return owner, np.repeat(starts - (ends - counts), counts) + np.arange(total)


def _e4_column(values: Sequence[Decimal | None]) -> tuple[np.ndarray, np.ndarray]:
    """Decimals in ten-thousandths (NONE where missing, 0 where not exact) and whether each is exact."""
    try:
        array = pa.array(values, type=pa.decimal128(38, 4))  # refuses a value with more than 4 places
        words = np.frombuffer(array.buffers()[1], dtype=np.int64).reshape(-1, 2)[: len(array)] if values else None
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        words = None
    if words is not None and (words[:, 1] == words[:, 0] >> 63).all():  # the 128-bit values fit in 64 bits
        return np.where(np.asarray(array.is_null(), dtype=bool), NONE, words[:, 0]), np.ones(len(values), bool)
    scaled = [e4(v) if v is not None else NONE for v in values]
    return _ints([v if v is not None else 0 for v in scaled]), np.array([v is not None for v in scaled], dtype=bool)


def catalog_frames(catalog: CatalogSlice) -> dict[str, pd.DataFrame]:
    """A CatalogSlice as the frames `CatalogIndex.from_frames` reads (figures with more than 4 places: not exact)."""
    list_e4, list_exact = _e4_column([i.list_price for i in catalog.items])
    price_e4, price_exact = _e4_column([r.price for r in catalog.prices])
    min_e4, min_exact = _e4_column([r.min_qty for r in catalog.prices])
    return {
        "contracts": pd.DataFrame(
            {
                "id": _ints([c.id for c in catalog.contracts]),
                "vendor_id": _ints([c.vendor_id for c in catalog.contracts]),
                "number": pd.Series([c.number for c in catalog.contracts], dtype=object),
                "start_day": _ints([day_number(c.start_date) for c in catalog.contracts]),
                "end_day": _ints([day_number(c.end_date) for c in catalog.contracts]),
                "is_draft": np.array([c.is_draft for c in catalog.contracts], dtype=bool),
                "discount_pct_e4": pd.Series(
                    [(e4(c.discount_pct) or 0) if c.discount_pct is not None else None for c in catalog.contracts],
                    dtype=object,
                ),
            }
        ),
        "items": pd.DataFrame(
            {
                "id": _ints([i.id for i in catalog.items]),
                "contract_id": _ints([i.contract_id for i in catalog.items]),
                "vendor_sku_normalized": pd.Series([i.vendor_sku_normalized for i in catalog.items], dtype=object),
                "mfr_part_normalized": pd.Series([i.mfr_part_normalized for i in catalog.items], dtype=object),
                "uom": pd.Series([i.uom for i in catalog.items], dtype=object),
                "units_per_uom": _ints([i.units_per_uom for i in catalog.items]),
                "list_price_e4": list_e4,
                "category_id": _ints([i.category_id if i.category_id is not None else NONE for i in catalog.items]),
                "exact": list_exact,
            }
        ),
        "prices": pd.DataFrame(
            {
                "id": _ints([r.id for r in catalog.prices]),
                "item_id": _ints([r.item_id for r in catalog.prices]),
                "price_e4": price_e4,
                "from_day": _ints([day_number(r.effective_from) for r in catalog.prices]),
                "to_day": _ints([day_number(r.effective_to) if r.effective_to else OPEN_END for r in catalog.prices]),
                "tier": pd.Series([r.tier for r in catalog.prices], dtype=object),
                "min_qty_e4": min_e4,
                "exact": price_exact & min_exact,
            }
        ),
        "participations": pd.DataFrame(
            {
                "practice_id": _ints([p.practice_id for p in catalog.participations]),
                "contract_id": _ints([p.contract_id for p in catalog.participations]),
                "joined_day": _ints([day_number(p.joined_on) for p in catalog.participations]),
                "tier": pd.Series([p.tier for p in catalog.participations], dtype=object),
            }
        ),
    }


@dataclass(frozen=True, eq=False)
class CatalogIndex:
    """The catalog as arrays for the bulk path, built once per catalog (from a CatalogSlice or from columns).

    A group is what DESIGN §4.2 matches for a (vendor, SKU) or a (vendor, part number): a set of items. Its entries
    are the price rows of its items, sorted by contract (`e_*` arrays hold each entry's contract, item and row
    figures). A group's time line is cut into intervals at every day a row or a contract starts or stops; per
    interval the candidates are the entries in force all through it, and when none of them has a tier or a min_qty
    the winner (lowest per each price, then DESIGN §4.4's tie-breaks) is worked out here once: a line of a practice
    in the winner's contract, in a UOM the winner converts, takes it with one lookup.
    """

    frames: dict[str, pd.DataFrame]
    source: CatalogSlice | None
    vocabulary: pa.Array
    vocabulary_is_mfr: np.ndarray
    sku_keys: pd.Index
    mfr_keys: pd.Index
    group_start: np.ndarray
    group_count: np.ndarray
    group_exact: np.ndarray
    c_id: np.ndarray
    c_vendor: np.ndarray
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
    e_list: np.ndarray
    e_category: np.ndarray
    e_price_id: np.ndarray
    e_price: np.ndarray
    e_from: np.ndarray
    e_to: np.ndarray
    e_tier: np.ndarray
    e_min: np.ndarray
    iv_keys: np.ndarray
    iv_day: np.ndarray
    group_iv_first: np.ndarray
    group_iv_count: np.ndarray
    iv_winner: np.ndarray
    iv_simple: np.ndarray
    iv_start: np.ndarray
    iv_count: np.ndarray
    candidates: np.ndarray
    uoms: _Codes
    tiers: _Codes
    vendors_with_contract: np.ndarray
    vendors_with_percent_off: np.ndarray
    key_span: int
    item_vendor: np.ndarray
    item_mfr: np.ndarray
    e_per_each: np.ndarray
    slices: dict[frozenset[int] | None, CatalogSlice] = field(default_factory=dict)

    @classmethod
    def build(cls, catalog: CatalogSlice) -> CatalogIndex:
        """The index of a CatalogSlice (the reference engine then works on that very slice)."""
        return cls.from_frames(catalog_frames(catalog), source=catalog)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame], *, source: CatalogSlice | None = None) -> CatalogIndex:
        """The index of a catalog given as frames "contracts", "items", "prices", "participations" (`*_COLUMNS`)."""
        contracts, items = frames["contracts"], frames["items"]
        prices, participations = frames["prices"], frames["participations"]
        uoms, tiers = _Codes(), _Codes()
        uoms(EACH)
        c_id = contracts["id"].to_numpy(dtype=np.int64)
        contract_at = pd.Index(c_id)
        c_vendor = contracts["vendor_id"].to_numpy(dtype=np.int64)
        numbers = [str(n) for n in contracts["number"].tolist()]
        rank = {number: r for r, number in enumerate(sorted(set(numbers)))}
        has_discount = contracts["discount_pct_e4"].notna().to_numpy(dtype=bool)

        # Participations keyed by practice and contract position, sorted for searchsorted.
        p_contract = contract_at.get_indexer(participations["contract_id"].to_numpy(dtype=np.int64))
        known = p_contract >= 0
        width = max(len(c_id), 1)
        part_keys = participations["practice_id"].to_numpy(dtype=np.int64)[known] * width + p_contract[known]
        part_order = np.argsort(part_keys, kind="stable")
        part_joined = participations["joined_day"].to_numpy(dtype=np.int64)[known][part_order]
        part_tier = tiers.of(participations["tier"][known])[part_order]

        # Items; their normalised SKUs and part numbers share one vocabulary (codes), "" has none.
        i_id = items["id"].to_numpy(dtype=np.int64)
        i_contract = contract_at.get_indexer(items["contract_id"].to_numpy(dtype=np.int64))
        i_vendor = c_vendor[i_contract]
        i_uom = uoms.of(items["uom"])
        i_units = items["units_per_uom"].to_numpy(dtype=np.int64)
        i_exact = items["exact"].to_numpy(dtype=bool) if "exact" in items else np.ones(len(items), bool)
        i_list = np.where(i_exact, _column(items, "list_price_e4", NONE), NONE)
        i_category = _column(items, "category_id", NONE)
        text_codes, words = _encoded(
            pa.concat_arrays([_texts(items["vendor_sku_normalized"]), _texts(items["mfr_part_normalized"])])
        )
        blank = np.asarray(pc.equal(words, ""), dtype=bool)
        text_codes = np.where(blank[text_codes], NONE, text_codes)
        i_sku, i_mfr = text_codes[: len(items)], text_codes[len(items) :]
        vocabulary_is_mfr = np.zeros(len(words), dtype=bool)
        vocabulary_is_mfr[i_mfr[i_mfr >= 0]] = True
        vocabulary = pc.if_else(pc.equal(words, ""), pa.scalar(None, pa.large_string()), words)
        span = len(words) + 1

        # Groups: (vendor, SKU) ones first, then (vendor, part number) ones; members sorted by contract, item.
        sku_members = np.flatnonzero(i_sku >= 0)
        sku_keys, sku_group = _distinct_inverse(i_vendor[sku_members] * span + i_sku[sku_members])
        mfr_members = np.flatnonzero(i_mfr >= 0)
        mfr_keys, mfr_group = _distinct_inverse(i_vendor[mfr_members] * span + i_mfr[mfr_members])
        groups = len(sku_keys) + len(mfr_keys)
        member_item = np.concatenate([sku_members, mfr_members])
        member_group = np.concatenate([sku_group, mfr_group + len(sku_keys)])
        order = np.lexsort((i_id[member_item], c_id[i_contract[member_item]], member_group))
        member_item, member_group = member_item[order], member_group[order]
        # Per each prices compare exactly as price * (lcm / units) with the lcm of the group's units.
        lcm = np.zeros(groups, dtype=np.int64)
        members = np.bincount(member_group, minlength=groups)
        single = members == 1
        first_member = np.cumsum(members) - members
        lcm[single] = i_units[member_item[first_member[single]]]
        for g in np.flatnonzero(members > 1).tolist():
            at = int(first_member[g])
            units = i_units[member_item[at : at + int(members[g])]].tolist()
            lcm[g] = math.lcm(*units) if all(0 < u <= _LCM_LIMIT for u in units) else 0
        lcm[lcm > _LCM_LIMIT] = 0

        # Price rows by item (then id), and a group's entries: its members' rows.
        r_item = pd.Index(i_id).get_indexer(prices["item_id"].to_numpy(dtype=np.int64))
        r_id = prices["id"].to_numpy(dtype=np.int64)
        row_order = np.lexsort((r_id, r_item))
        rows_of_item = np.bincount(r_item, minlength=len(i_id))
        first_row = np.cumsum(rows_of_item) - rows_of_item
        entry_member, entry_row = _spans(first_row[member_item], rows_of_item[member_item])
        entry_row = row_order[entry_row]
        entry_item = member_item[entry_member]
        entry_group = member_group[entry_member]
        count = np.bincount(entry_group, minlength=groups)
        r_exact = prices["exact"].to_numpy(dtype=bool) if "exact" in prices else np.ones(len(prices), bool)
        r_price = prices["price_e4"].to_numpy(dtype=np.int64)
        entry_lcm = lcm[entry_group]
        entry_ok = (
            r_exact[entry_row]
            & i_exact[entry_item]
            & (r_price[entry_row] < _PRICE_KEY_LIMIT // np.maximum(entry_lcm, 1))
        )
        bad = np.bincount(entry_group, weights=~entry_ok, minlength=groups) > 0
        exact = (lcm > 0) & ~bad
        c_start = contracts["start_day"].to_numpy(dtype=np.int64)
        c_end = contracts["end_day"].to_numpy(dtype=np.int64)
        c_draft = contracts["is_draft"].to_numpy(dtype=bool)
        e_contract = i_contract[entry_item]
        e_price = r_price[entry_row]
        e_from = prices["from_day"].to_numpy(dtype=np.int64)[entry_row]
        e_to = _column(prices, "to_day", OPEN_END)[entry_row]
        e_tier = tiers.of(prices["tier"])[entry_row]
        e_min = _column(prices, "min_qty_e4", NONE)[entry_row]
        e_item = i_id[entry_item]
        e_price_id = r_id[entry_row]
        c_rank = _ints([rank[n] for n in numbers])

        # Intervals of each group's time line, cut where any of its rows or contracts starts or stops.
        # A group's entries are sorted by contract: its contracts' days are taken once per run of entries.
        run = np.ones(len(entry_group), dtype=bool)
        run[1:] = (entry_group[1:] != entry_group[:-1]) | (e_contract[1:] != e_contract[:-1])
        run_group, run_contract = entry_group[run], e_contract[run]
        cuts_group = np.concatenate([np.arange(groups), entry_group, entry_group, run_group, run_group])
        cuts_day = np.concatenate(
            [
                np.full(groups, -_DAY_BIAS, dtype=np.int64),
                e_from,
                np.minimum(e_to, OPEN_END - 1) + 1,
                c_start[run_contract],
                c_end[run_contract] + 1,
            ]
        )
        iv_keys = _distinct(_interval_key(cuts_group, cuts_day))
        iv_group = iv_keys >> _DAY_BITS
        iv_day = (iv_keys & ((1 << _DAY_BITS) - 1)) - _DAY_BIAS
        iv_per_group = np.bincount(iv_group, minlength=groups)
        # An entry is live (row effective, contract in force) on the intervals from its first day to its last.
        first_day = np.maximum(e_from, c_start[e_contract])
        last_day = np.minimum(e_to, c_end[e_contract])
        first_iv = np.searchsorted(iv_keys, _interval_key(entry_group, first_day))
        last_iv = np.searchsorted(iv_keys, _interval_key(entry_group, last_day), side="right") - 1
        lives = np.where(~c_draft[e_contract] & (first_day <= last_day), last_iv - first_iv + 1, 0)
        entry, owner = _spans(first_iv, lives)
        by_interval = np.argsort(owner, kind="stable")  # entries stay in their order within an interval
        owner, entry = owner[by_interval], entry[by_interval]
        iv_count = np.bincount(owner, minlength=len(iv_keys))
        iv_start = np.cumsum(iv_count) - iv_count
        plain = (e_tier[entry] == 0) & (e_min[entry] < 0)
        iv_simple = (np.bincount(owner, weights=~plain, minlength=len(iv_keys)) == 0) & exact[iv_group]
        entry_per_each = per_each(
            e_price, np.maximum(i_units[entry_item], 1), np.where(exact[entry_group], entry_lcm, 0)
        )
        iv_winner = np.full(len(iv_keys), NONE, dtype=np.int64)
        alone = iv_count == 1
        iv_winner[alone] = entry[iv_start[alone]]
        shared = np.flatnonzero(iv_count[owner] > 1)
        ranked = shared[
            _rank(owner[shared], entry[shared], entry_per_each, c_start, e_contract, c_rank, e_item, e_price_id)
        ]
        iv_winner[owner[ranked]] = entry[ranked]
        iv_winner[~exact[iv_group]] = NONE

        return cls(
            frames={"contracts": contracts, "items": items, "prices": prices, "participations": participations},
            source=source,
            vocabulary=vocabulary,
            vocabulary_is_mfr=vocabulary_is_mfr,
            sku_keys=pd.Index(sku_keys),
            mfr_keys=pd.Index(mfr_keys),
            group_start=np.cumsum(count) - count,
            group_count=count,
            group_exact=exact,
            c_id=c_id,
            c_vendor=c_vendor,
            c_start=c_start,
            c_end=c_end,
            c_draft=c_draft,
            c_rank=c_rank,
            part_keys=part_keys[part_order],
            part_joined=part_joined,
            part_tier=part_tier,
            e_contract=e_contract,
            e_item=e_item,
            e_uom=i_uom[entry_item],
            e_units=i_units[entry_item],
            e_list=i_list[entry_item],
            e_category=i_category[entry_item],
            e_price_id=e_price_id,
            e_price=e_price,
            e_from=e_from,
            e_to=e_to,
            e_tier=e_tier,
            e_min=e_min,
            iv_keys=iv_keys,
            iv_day=iv_day,
            group_iv_first=np.cumsum(iv_per_group) - iv_per_group,
            group_iv_count=iv_per_group,
            iv_winner=iv_winner,
            iv_simple=iv_simple,
            iv_start=iv_start,
            iv_count=iv_count,
            candidates=entry,
            uoms=uoms,
            tiers=tiers,
            vendors_with_contract=np.unique(c_vendor),
            vendors_with_percent_off=np.unique(c_vendor[has_discount]),
            key_span=span,
            item_vendor=i_vendor,
            item_mfr=i_mfr,
            e_per_each=entry_per_each,
        )

    def catalog_for(self, vendor_ids: Collection[int] | None = None) -> CatalogSlice:
        """The catalog as the reference engine reads it: complete for these vendors (every vendor when None)."""
        if self.source is not None:
            return self.source
        wanted = frozenset(vendor_ids) if vendor_ids is not None else None
        for vendors, built in self.slices.items():
            if vendors is None or (wanted is not None and wanted <= vendors):
                return built
        built = self.slices[wanted] = _catalog_slice(self.frames, wanted)
        return built

    def vendors_of_parts(self, parts: Collection[str]) -> set[int]:
        """Vendors with an item whose manufacturer part number is one of these (DESIGN §4.7 looks at any vendor)."""
        codes = self.codes_of(pa.array(list(parts), type=pa.large_string()))
        return set(np.unique(self.item_vendor[np.isin(self.item_mfr, codes[codes >= 0])]).tolist())

    def codes_of(self, texts: pa.Array) -> np.ndarray:
        """The vocabulary code of each normalised SKU or part number (NONE when no item has it)."""
        found = pc.fill_null(pc.index_in(texts, value_set=self.vocabulary), NONE)
        return np.asarray(found, dtype=np.int64)

    def participation(self, practice: np.ndarray, contract: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(found, joined day, tier code) of each (practice id, contract position) pair."""
        if not len(self.part_keys):
            size = len(practice)
            return np.zeros(size, bool), np.zeros(size, np.int64), np.zeros(size, np.int64)
        width = max(len(self.c_id), 1)
        codes, distinct = pd.factorize(practice)
        if len(distinct) * width <= _TABLE_LIMIT:
            # A batch has few practices: a table of theirs by contract, read once per pair.
            keys = (np.asarray(distinct, dtype=np.int64)[:, None] * width + np.arange(width)).reshape(-1)
            at = np.minimum(np.searchsorted(self.part_keys, keys), len(self.part_keys) - 1)
            found = self.part_keys[at] == keys
            pair = codes * width + contract
            return found[pair], self.part_joined[at][pair], np.where(found, self.part_tier[at], NONE)[pair]
        keys = practice * width + contract
        at = np.minimum(np.searchsorted(self.part_keys, keys), len(self.part_keys) - 1)
        found = self.part_keys[at] == keys
        return found, self.part_joined[at], np.where(found, self.part_tier[at], NONE)

    def groups_of(self, vendor: np.ndarray, code: np.ndarray, *, by_sku: bool) -> np.ndarray:
        """The group of each (vendor id, vocabulary code) by SKU or by part number; NONE where there is none."""
        keys = self.sku_keys if by_sku else self.mfr_keys
        found = keys.get_indexer(vendor * self.key_span + code)
        found[code < 0] = NONE
        return np.where(found >= 0, found + (0 if by_sku else len(self.sku_keys)), NONE)

    def interval_of(self, group: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The interval of each group's time line that holds the day."""
        # Groups have few intervals: step each line forward from its group's first one while the next has begun.
        at = self.group_iv_first[group]
        last = at + self.group_iv_count[group] - 1
        moving = np.flatnonzero(at < last)
        for _ in range(_WALK_STEPS):
            if not len(moving):
                return at
            after = at[moving] + 1
            begun = self.iv_day[after] <= day[moving]
            at[moving[begun]] = after[begun]
            moving = moving[begun & (after < last[moving])]
        at[moving] = np.searchsorted(self.iv_keys, _interval_key(group[moving], day[moving]), side="right") - 1
        return at


def _rank(
    owner: np.ndarray,
    entry: np.ndarray,
    per_each_price: np.ndarray,
    c_start: np.ndarray,
    e_contract: np.ndarray,
    c_rank: np.ndarray,
    e_item: np.ndarray,
    e_price_id: np.ndarray,
) -> np.ndarray:
    """Per owner, the position of its winning entry: DESIGN §4.4 lowest per each, later start, lower number."""
    contract = e_contract[entry]
    keys = deciding_order(per_each_price[entry], c_start[contract], c_rank[contract], e_item[entry], e_price_id[entry])
    order = np.lexsort((*reversed(keys), owner))
    first = np.ones(len(order), dtype=bool)
    first[1:] = owner[order[1:]] != owner[order[:-1]]
    return order[first]


def _catalog_slice(frames: dict[str, pd.DataFrame], vendors: frozenset[int] | None) -> CatalogSlice:
    """The CatalogSlice of these vendors' contracts (all when None) from the index's frames (exact figures)."""
    contracts, items = frames["contracts"], frames["items"]
    prices, participations = frames["prices"], frames["participations"]
    if vendors is not None:
        contracts = contracts[contracts["vendor_id"].isin(list(vendors)).to_numpy(dtype=bool)]
        ids = contracts["id"].to_numpy()
        items = items[items["contract_id"].isin(ids).to_numpy(dtype=bool)]
        prices = prices[prices["item_id"].isin(items["id"].to_numpy()).to_numpy(dtype=bool)]
        participations = participations[participations["contract_id"].isin(ids).to_numpy(dtype=bool)]

    def day(value: int) -> date:
        return date.fromordinal(value + _EPOCH_ORDINAL)

    def figure(value: int) -> Decimal | None:
        return None if value == NONE else from_e4(value)

    def optional(value: int) -> int | None:
        return None if value == NONE else value

    return CatalogSlice(
        contracts=tuple(
            ContractTerms(cid, vendor, str(number), day(start), day(end), bool(draft), figure(k))
            for cid, vendor, number, start, end, draft, k in zip(
                contracts["id"].tolist(),
                contracts["vendor_id"].tolist(),
                contracts["number"].tolist(),
                contracts["start_day"].tolist(),
                contracts["end_day"].tolist(),
                contracts["is_draft"].tolist(),
                _column(contracts, "discount_pct_e4", NONE).tolist(),
                strict=True,
            )
        ),
        items=tuple(
            ItemTerms(iid, contract, str(sku or ""), str(mfr or ""), str(uom), units, figure(lp), optional(category))
            for iid, contract, sku, mfr, uom, units, lp, category in zip(
                items["id"].tolist(),
                items["contract_id"].tolist(),
                items["vendor_sku_normalized"].tolist(),
                items["mfr_part_normalized"].tolist(),
                items["uom"].tolist(),
                items["units_per_uom"].tolist(),
                _column(items, "list_price_e4", NONE).tolist(),
                _column(items, "category_id", NONE).tolist(),
                strict=True,
            )
        ),
        prices=tuple(
            PriceRow(
                pid, item, from_e4(price), day(start), None if end >= OPEN_END else day(end), str(tier), figure(least)
            )
            for pid, item, price, start, end, tier, least in zip(
                prices["id"].tolist(),
                prices["item_id"].tolist(),
                prices["price_e4"].tolist(),
                prices["from_day"].tolist(),
                _column(prices, "to_day", OPEN_END).tolist(),
                prices["tier"].fillna("").tolist(),
                _column(prices, "min_qty_e4", NONE).tolist(),
                strict=True,
            )
        ),
        participations=tuple(
            ParticipationTerms(practice, contract, day(joined), str(tier))
            for practice, contract, joined, tier in zip(
                participations["practice_id"].tolist(),
                participations["contract_id"].tolist(),
                participations["joined_day"].tolist(),
                participations["tier"].fillna("").tolist(),
                strict=True,
            )
        ),
    )


def _texts(values: pd.Series) -> pa.Array:
    """A column of text as an Arrow array (not copied when pandas keeps it in Arrow); other values as str()."""
    array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_large_string(array.type) or pa.types.is_string(array.type) or pa.types.is_null(array.type):
        return array.cast(pa.large_string())
    return pa.array([None if v is None or v != v else str(v) for v in values.tolist()], type=pa.large_string())


def _encoded(texts: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Codes per cell and the distinct texts (a missing value is blank), hashed by Arrow."""
    encoded = texts.dictionary_encode(null_encoding="encode")
    return np.asarray(encoded.indices, dtype=np.int64), pc.fill_null(encoded.dictionary, "")


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


def _pack(line_uom: np.ndarray, item_uom: np.ndarray, units: np.ndarray) -> np.ndarray:
    """DESIGN §4.3 (contracts.pricing.pack_size) on UOM codes: EACH is code 1, a blank UOM code 0."""
    return pack_size(line_uom, item_uom, units, each=EACH_CODE, blank=0)


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
    name_codes, name_texts = _encoded(_texts(lines["vendor_name"]))
    names = name_texts.to_pylist()
    resolved = [directory.resolve(name) for name in names]
    vendor_of_name = _ints([v if v is not None else NONE for v, _ in resolved])
    vendor = vendor_of_name[name_codes]
    match = _ints([MATCH_CODE[m] for _, m in resolved])[name_codes]
    vendor_category = {v.id: v.category_id for v in directory.vendors}
    vendor_cat = _ints([(vendor_category.get(v) if v is not None else None) or NONE for v, _ in resolved])[name_codes]
    has_contract = np.isin(vendor_of_name, index.vendors_with_contract)[name_codes]
    sku_codes, skus = _encoded(_texts(lines["sku"]))
    mfr_codes, mfrs = _encoded(_texts(lines["mfr_part_number"]))
    # DESIGN §4: the part number is the mfr column when not blank, else the SKU; one code space for both.
    part_codes, part_texts = _encoded(normalize_skus(pa.concat_arrays([skus, mfrs])))
    if not len(part_texts):
        part_texts = pa.array([""], type=pa.large_string())
    part_values = part_texts.to_pylist()
    sku_as_part, mfr_as_part = part_codes[: len(skus)], part_codes[len(skus) :]
    sku_part = sku_as_part[sku_codes] if len(skus) else np.zeros(size, dtype=np.int64)
    mfr_given = np.array([bool(m.strip()) for m in mfrs.to_pylist()], dtype=bool)
    part = np.where(mfr_given[mfr_codes], mfr_as_part[mfr_codes], sku_part) if len(mfrs) else sku_part
    in_catalog = index.codes_of(part_texts)
    uom_codes, uom_texts = _encoded(_texts(lines["uom"]))
    folded = [fold_uom(u) for u in uom_texts.to_pylist()]
    uom = _ints([index.uoms(f) for f in folded])[uom_codes]

    # DESIGN §4.2: the vendor's items by SKU, else by part number.
    group = np.full(size, NONE, dtype=np.int64)
    ask = np.flatnonzero(has_contract)
    group[ask] = index.groups_of(vendor[ask], in_catalog[sku_part[ask]], by_sku=True)
    ask = ask[group[ask] < 0]
    group[ask] = index.groups_of(vendor[ask], in_catalog[part[ask]], by_sku=False)

    # Spend for every line (DESIGN §4.7): the extended amount, else q * p; huge products are done in Python ints.
    product = np.zeros(size, dtype=np.int64)
    exact = ~has_extended & _fits(quantity, paid)
    product[exact] = round_half_up_integers(quantity[exact] * paid[exact], E4_TIMES_E4_PER_CENT)
    for k in np.flatnonzero(~has_extended & ~exact).tolist():
        product[k] = _cents_int(cents(from_e4(int(quantity[k])) * from_e4(int(paid[k]))))
    line_spend = spend(extended, has_extended, product)

    out.category[:] = vendor_cat
    # 2. Lines with matched items: the interval winners, else the join over the interval's candidates.
    priced = group >= 0
    exact_group = np.zeros(size, dtype=bool)
    exact_group[priced] = index.group_exact[group[priced]]
    out.todo |= priced & ~exact_group
    joined_lines = np.flatnonzero(priced & exact_group)
    if len(joined_lines):
        _item_prices(index, out, tolerance, joined_lines, group, practice, days, uom, quantity, paid)

    # 3. Vendors with contracts but no item of theirs matched: percent-off contracts, else off contract.
    itemless = np.flatnonzero(has_contract & (group < 0))
    out.status[itemless] = _OFF_CONTRACT
    with_percent = itemless[np.isin(vendor[itemless], index.vendors_with_percent_off)]
    if len(with_percent):
        _percent_off(index, out, with_percent, vendor, practice, days, quantity, paid)

    # DESIGN §4.7: off-contract and non-GPO lines miss savings against an item with their part number.
    lookout = np.flatnonzero(((out.status == _OFF_CONTRACT) | (out.status == _NON_GPO)) & ~out.todo)
    known = np.zeros(len(part_values), dtype=bool)
    known[in_catalog >= 0] = index.vocabulary_is_mfr[in_catalog[in_catalog >= 0]]
    lookout = lookout[known[part[lookout]]]
    if len(lookout):
        wanted = {part_values[p] for p in np.unique(part[lookout]).tolist()}
        catalog = index.catalog_for(index.vendors_of_parts(wanted))
        for k, line in zip(
            lookout.tolist(), _line_inputs(lines, lookout, days, quantity, paid, extended, has_extended), strict=True
        ):
            alternative = price_by_mfr_part(
                catalog,
                practice_id=line.practice_id,
                mfr_normalized=part_values[part[k]],
                uom=folded[uom_codes[k]],
                quantity=abs(line.quantity),
                on=line.purchase_date,
            )
            out.missed[k] = _cents_int(missed_savings_by_part(line, alternative))

    # 5. The rest through the keyed reference loop.
    rest = np.flatnonzero(out.todo)
    if len(rest):
        wanted = {part_values[p] for p in np.unique(part[rest]).tolist()}
        vendors = set(np.unique(vendor[rest]).tolist()) | index.vendors_of_parts(wanted)
        inputs = _line_inputs(lines, rest, days, quantity, paid, extended, has_extended)
        for k, result in zip(
            rest.tolist(),
            reconcile_keyed(index.catalog_for(vendors - {NONE}), directory, inputs, tolerance=tolerance),
            strict=True,
        ):
            _store_result(out, k, result)

    # Text answers as categoricals over their few distinct values: no string per line is built here.
    parts = pd.CategoricalDtype(pd.Index(part_values, dtype=object))

    return pd.DataFrame(
        {
            "vendor_id": vendor,
            "vendor_match": pd.Categorical.from_codes(match, dtype=MATCH_TYPE),
            "sku_normalized": pd.Categorical.from_codes(sku_part, dtype=parts, validate=False),
            "mfr_part_normalized": pd.Categorical.from_codes(part, dtype=parts, validate=False),
            "status": pd.Categorical.from_codes(out.status, dtype=STATUS_TYPE),
            "overcharge_cause": pd.Categorical.from_codes(out.cause, dtype=CAUSE_TYPE),
            "contract_id": out.contract,
            "item_id": out.item,
            "price_id": out.price,
            "category_id": out.category,
            "expected_unit_price_e4": out.expected,
            "list_price_e4": out.list_price,
            "spend_cents": line_spend,
            "savings_cents": out.savings,
            "overcharge_cents": out.overcharge,
            "missed_savings_cents": out.missed,
        },
        copy=False,
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
    """DESIGN §4.4 for lines with matched items: the interval's winner when it applies, else a join; then money."""
    interval = index.interval_of(group[lines], days[lines])
    count = index.iv_count[interval]
    out.todo[lines[count == 0]] = True
    # The winner applies when P is in its contract on d and the line's UOM converts to its item's (DESIGN §4.3).
    quick = np.flatnonzero(index.iv_simple[interval] & (count > 0))
    winner = index.iv_winner[interval[quick]]
    found, joined_on, _ = index.participation(practice[lines[quick]], index.e_contract[winner])
    pack = _pack(uom[lines[quick]], index.e_uom[winner], index.e_units[winner])
    taken = practice_in(found, joined_on, True, days[lines[quick]]) & (pack > 0)
    slow = np.ones(len(lines), dtype=bool)
    slow[count == 0] = False
    slow[quick[taken]] = False
    slow_at = np.flatnonzero(slow)
    won, best, packs = _joined_winners(index, out, lines[slow_at], interval[slow_at], practice, days, uom, quantity)
    won = np.concatenate([lines[quick[taken]], won])
    best = np.concatenate([winner[taken], best])
    packs = np.concatenate([pack[taken], packs])
    _settle(index, out, tolerance, won, best, packs, group, days, quantity, paid)


def _joined_winners(
    index: CatalogIndex,
    out: _Out,
    lines: np.ndarray,
    interval: np.ndarray,
    practice: np.ndarray,
    days: np.ndarray,
    uom: np.ndarray,
    quantity: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DESIGN §4.4 as masks over each line's interval candidates: (lines decided, winning entries, pack sizes)."""
    if not len(lines):
        return lines, lines, lines
    owner, at = _spans(index.iv_start[interval], index.iv_count[interval])
    entry = index.candidates[at]
    line = lines[owner]
    d = days[line]
    contract = index.e_contract[entry]
    # Candidates are in force and effective all through their interval: P in the contract on d is what is left.
    found, joined_on, tier = index.participation(practice[line], contract)
    pack = _pack(uom[line], index.e_uom[entry], index.e_units[entry])
    own = practice_in(found, joined_on, True, d) & (pack > 0)
    # Tier per contract: whether P's tier has rows on the contract (line by line: the owner, then the contract).
    row_tier = index.e_tier[entry]
    block = np.concatenate(([0], np.cumsum((owner[1:] != owner[:-1]) | (contract[1:] != contract[:-1]))))
    own_tier = own & (tier > 0) & (row_tier == tier)
    has_own_tier = (np.bincount(block, weights=own_tier) > 0)[block]
    keep = own & keeps_tier(row_tier, tier, has_own_tier, blank=0)
    keep &= min_qty_allows(index.e_min[entry], quantity[line], pack)

    kept = np.flatnonzero(keep)
    ranks = (index.e_per_each, index.c_start, index.e_contract, index.c_rank, index.e_item, index.e_price_id)
    best = kept[_rank(owner[kept], entry[kept], *ranks)]
    decided = np.zeros(len(lines), dtype=bool)
    decided[owner[best]] = True
    out.todo[lines[~decided]] = True
    return lines[owner[best]], entry[best], pack[best]


def _settle(
    index: CatalogIndex,
    out: _Out,
    tolerance: Tolerance,
    won: np.ndarray,
    best_entry: np.ndarray,
    pack: np.ndarray,
    group: np.ndarray,
    days: np.ndarray,
    quantity: np.ndarray,
    paid: np.ndarray,
) -> None:
    """Status (DESIGN §4.6) and money (§4.7) of lines priced by an item row: the entry that won, the pack size."""
    contract_price = index.e_price[best_entry]
    list_price = index.e_list[best_entry]
    q, p = quantity[won], paid[won]
    # Rows whose products could leave int64 go to the keyed loop, which works in Decimal.
    relative_numerator, relative_denominator = tolerance.relative.as_integer_ratio()
    largest = np.abs(p).astype(np.float64) * pack + np.maximum(contract_price, list_price)
    safe = (largest * np.abs(q) < _MONEY_LIMIT) & (
        largest * max(relative_denominator, relative_numerator) < _MONEY_LIMIT
    )
    absolute = e4(tolerance.absolute)
    if absolute is None:
        safe[:] = False
    if not safe.all():
        out.todo[won[~safe]] = True
        won, best_entry, pack, contract_price, list_price, q, p = (
            a[safe] for a in (won, best_entry, pack, contract_price, list_price, q, p)
        )
    out.contract[won] = index.c_id[index.e_contract[best_entry]]
    out.item[won] = index.e_item[best_entry]
    out.price[won] = index.e_price_id[best_entry]
    category = index.e_category[best_entry]
    out.category[won] = np.where(category >= 0, category, out.category[won])
    out.expected[won] = contract_price
    out.list_price[won] = list_price

    listed = np.flatnonzero(list_price >= 0)
    numerator, denominator = price_difference_amount(list_price[listed], p[listed], q[listed], pack[listed])
    out.savings[won[listed]] = round_half_up_integers(numerator, denominator * E4_TIMES_E4_PER_CENT)

    paid_item = p * pack
    allowance = tolerance.allowance(contract_price, absolute)
    over = tolerance.exceeded(paid_item, contract_price, allowance)
    out.status[won] = np.where(over, _OVERCHARGED, _ON_CONTRACT)
    hit = np.flatnonzero(over)
    if not len(hit):
        return
    numerator, denominator = price_difference_amount(contract_price[hit], p[hit], q[hit], pack[hit])
    overcharge = round_half_up_integers(-numerator, denominator * E4_TIMES_E4_PER_CENT)
    out.overcharge[won[hit]] = overcharge
    out.missed[won[hit]] = overcharge
    out.cause[won[hit]] = _overcharge_causes(
        index, tolerance, group[won[hit]], best_entry[hit], paid_item[hit], allowance[hit], days[won[hit]]
    )


def _overcharge_causes(
    index: CatalogIndex,
    tolerance: Tolerance,
    line_group: np.ndarray,
    deciding: np.ndarray,
    paid_item: np.ndarray,
    allowance: np.ndarray,
    line_day: np.ndarray,
) -> np.ndarray:
    """DESIGN §4.6 causes of overcharged lines (contracts.pricing), over every row of each line's group."""
    line, entry = _spans(index.group_start[line_group], index.group_count[line_group])
    deciding_entry = deciding[line]
    day = line_day[line]
    contract = index.e_contract[entry]
    matches = tolerance.matches(paid_item[line], index.e_price[entry], allowance[line])
    same = same_product(
        index.e_uom[entry], index.e_units[entry], index.e_uom[deciding_entry], index.e_units[deciding_entry]
    )
    old = same & earlier_price(
        index.c_draft[contract], index.c_end[contract], index.e_from[entry], index.e_to[entry], day
    )
    wrong = (index.e_item[entry] == index.e_item[deciding_entry]) & other_tier_price(
        effective_on(index.e_from[entry], index.e_to[entry], day), index.e_tier[entry], index.e_tier[deciding_entry]
    )
    any_old = np.bincount(line, weights=old & matches, minlength=len(deciding)) > 0
    any_wrong = np.bincount(line, weights=wrong & matches, minlength=len(deciding)) > 0
    list_price = index.e_list[deciding]
    not_loaded = (list_price >= 0) & tolerance.matches(paid_item, list_price, allowance)
    return _CAUSE_BY_PRIORITY[overcharge_cause(any_old, any_wrong, not_loaded)]


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
    catalog = index.catalog_for(set(np.unique(vendor[lines]).tolist()))
    answers = [
        price_normalized(
            catalog,
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
    status = _ints([STATUS_CODE[STATUS_OF_RULE[a.rule]] for a in answers])[inverse]
    contract = _ints([a.contract.id if a.contract is not None else NONE for a in answers])[inverse]
    ratios = [a.discount_pct.as_integer_ratio() if a.discount_pct is not None else (0, 1) for a in answers]
    discount = (_ints([r[0] for r in ratios])[inverse], _ints([r[1] for r in ratios])[inverse])
    q, p = quantity[lines], paid[lines]
    safe = _fits(q, p, np.maximum(discount[0], 1))
    out.todo[lines[~safe]] = True
    out.status[lines] = status
    out.contract[lines] = contract
    on_contract = np.flatnonzero(safe & (status == _ON_CONTRACT))
    numerator, denominator = percent_off_savings_amount(
        p[on_contract], q[on_contract], (discount[0][on_contract], discount[1][on_contract])
    )
    out.savings[lines[on_contract]] = round_half_up_integers(numerator, denominator * E4_TIMES_E4_PER_CENT)
    missing = np.flatnonzero(safe & (status == STATUS_CODE[Status.NOT_PARTICIPATING]))
    numerator, denominator = percent_off_missed_amount(
        p[missing], q[missing], (discount[0][missing], discount[1][missing])
    )
    out.missed[lines[missing]] = round_half_up_integers(numerator, denominator * E4_TIMES_E4_PER_CENT)


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
    out.status[k] = STATUS_CODE[result.status]
    out.cause[k] = CAUSE_CODE[result.overcharge_cause]
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
            results[k] = reconcile_line(index.catalog_for(None), directory, line, tolerance=tolerance)
    return [r for r in results if r is not None]
