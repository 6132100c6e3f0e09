"""The catalog as arrays for the bulk reconciliation (reports.reconcile_bulk), built once per catalog.

The catalog arrives as four frames (contracts.selectors.catalog_frames_load reads them from the database;
`catalog_frames` makes them from a CatalogSlice): days count from 1970-01-01; prices, quantities and discount
percents are in ten-thousandths; UOMs are folded; a missing value (end of a price row, list price, min_qty,
category, discount) is null. Items and prices may carry an `exact` column (False where a figure has more than 4
places: their groups go to the reference engine); such frames need the CatalogSlice they came from as `source`.

`CatalogIndex.from_frames` works in named steps:
1. `_contract_arrays`: one position per contract (vendor, days, draft, the rank of its number as text).
2. `_participation_table`: (practice, contract position) keys, sorted, with the joining day and tier.
3. `_item_arrays`: one position per item; its normalised SKU and part number coded in one vocabulary.
4. `_item_groups`: what DESIGN §4.2 matches for a (vendor, SKU) or a (vendor, part number) is a group of items;
   prices per each compare exactly as price * (common units / units), the common units being the lcm of the
   group's units per UOM.
5. `_group_entries`: a group's entries are the price rows of its items, sorted by contract, then item.
6. `_time_line`: each group's time line is cut into intervals wherever one of its rows or contracts starts or
   stops. Per interval, the candidates are the entries that apply all through it (contract in force, row
   effective: `contracts.pricing.applicable_days`), and when none has a tier or a min_qty, the winner (DESIGN
   §4.4's order, `contracts.pricing.deciding_order`) is chosen here once: a line of a practice in the winner's
   contract, in a UOM the winner converts, takes it with one lookup.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from contracts.pricing import (
    CatalogSlice,
    ContractTerms,
    ItemTerms,
    ParticipationTerms,
    PriceRow,
    applicable_days,
    deciding_order,
    per_each,
)
from vendors.normalize import EACH

EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = EPOCH.toordinal()
OPEN_END = 10**8  # days: a price row open at its end
NONE = -1  # integer columns: no value (ids start at 1, prices are never negative)
_PRICE_KEY_LIMIT = 2**62  # a price per each (price x common units / units) must stay below this to compare exactly
_COMMON_UNITS_LIMIT = 10**6
_DAY_BIAS = 2**30  # days shifted to be >= 0 inside an interval key
_DAY_BITS = 31
_WALK_STEPS = 8  # intervals stepped through per line before a binary search takes over
_TABLE_LIMIT = 4_000_000  # (practice, contract) pairs of a batch looked up in a dense table


def day_number(on: date) -> int:
    """Days since 1970-01-01, the integer date of the bulk path."""
    return on.toordinal() - _EPOCH_ORDINAL


def day_of(number: int) -> date:
    """The date of a day number."""
    return date.fromordinal(number + _EPOCH_ORDINAL)


def e4(value: Decimal) -> int | None:
    """A Decimal in ten-thousandths as an exact int, or None when it has more than 4 places."""
    scaled = value.scaleb(4)
    if scaled != scaled.to_integral_value():
        return None
    return int(scaled)


def from_e4(value: int) -> Decimal:
    """An int in ten-thousandths as a Decimal with 4 places."""
    return Decimal(value).scaleb(-4)


def ints(values: Any) -> np.ndarray:
    """Values as an int64 array."""
    return np.asarray(values, dtype=np.int64)


class TextCodes:
    """Small integer codes for texts (UOMs, tiers): "" is 0."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {"": 0}

    def __call__(self, text: str) -> int:
        return self.codes.setdefault(text, len(self.codes))

    def of(self, texts: pd.Series) -> np.ndarray:
        """The code of each text, worked out once per distinct text."""
        codes, uniques = pd.factorize(texts.fillna("").astype(object), use_na_sentinel=False)
        return ints([self(str(u)) for u in uniques])[codes] if len(uniques) else ints([])


def texts_of(values: pd.Series) -> pa.Array:
    """A column of text as an Arrow array (not copied when pandas keeps it in Arrow); other values as str()."""
    array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_large_string(array.type) or pa.types.is_string(array.type) or pa.types.is_null(array.type):
        return array.cast(pa.large_string())
    return pa.array([None if v is None or v != v else str(v) for v in values.tolist()], type=pa.large_string())


def encoded(texts: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Codes per cell and the distinct texts (a missing value is blank), hashed by Arrow."""
    dictionary = texts.dictionary_encode(null_encoding="encode")
    return np.asarray(dictionary.indices, dtype=np.int64), pc.fill_null(dictionary.dictionary, "")


def spans(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For spans [start, start + count): each position's span number and the positions, concatenated."""
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(counts)), counts)
    ends = np.cumsum(counts)
    return owner, np.repeat(starts - (ends - counts), counts) + np.arange(total)


def winning_entries(
    owner: np.ndarray,
    entry: np.ndarray,
    entry_per_each: np.ndarray,
    contracts: ContractArrays,
    entries: EntryArrays,
) -> np.ndarray:
    """Per owner (a line, an interval), the position of its winning entry in DESIGN §4.4's order."""
    contract = entries.contract[entry]
    keys = deciding_order(
        entry_per_each[entry],
        contracts.start_day[contract],
        contracts.number_rank[contract],
        entries.item_id[entry],
        entries.price_id[entry],
    )
    order = np.lexsort((*reversed(keys), owner))
    first = np.ones(len(order), dtype=bool)
    first[1:] = owner[order[1:]] != owner[order[:-1]]
    return order[first]


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


def _first_positions(counts: np.ndarray) -> np.ndarray:
    """The first position of each run, runs of these lengths laid end to end."""
    return np.cumsum(counts) - counts


# --- the arrays of each build step ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractArrays:
    """One position per contract (the frame's order)."""

    id: np.ndarray
    vendor_id: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray
    is_draft: np.ndarray
    number_rank: np.ndarray  # the rank of the contract number compared as text
    has_discount: np.ndarray
    position_of_id: pd.Index


@dataclass(frozen=True)
class ParticipationTable:
    """Letters of participation keyed by practice id x contract count + contract position, sorted."""

    keys: np.ndarray
    joined_day: np.ndarray
    tier: np.ndarray  # tier codes
    contract_count: int

    def lookup(self, practice: np.ndarray, contract: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(found, joined day, tier code) of each (practice id, contract position) pair."""
        if not len(self.keys):
            size = len(practice)
            return np.zeros(size, bool), np.zeros(size, np.int64), np.zeros(size, np.int64)
        codes, distinct = pd.factorize(practice)
        if len(distinct) * self.contract_count <= _TABLE_LIMIT:
            # A batch has few practices: a table of theirs by contract, read once per pair.
            keys = (ints(distinct)[:, None] * self.contract_count + np.arange(self.contract_count)).reshape(-1)
            at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            found = self.keys[at] == keys
            pair = codes * self.contract_count + contract
            return found[pair], self.joined_day[at][pair], np.where(found, self.tier[at], NONE)[pair]
        keys = practice * self.contract_count + contract
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        found = self.keys[at] == keys
        return found, self.joined_day[at], np.where(found, self.tier[at], NONE)


@dataclass(frozen=True)
class ItemArrays:
    """One position per item (the frame's order); SKU and part number as vocabulary codes (NONE when blank)."""

    id: np.ndarray
    contract: np.ndarray  # contract position
    vendor_id: np.ndarray
    uom: np.ndarray  # UOM codes
    units_per_uom: np.ndarray
    is_exact: np.ndarray
    list_price: np.ndarray
    category_id: np.ndarray
    sku_code: np.ndarray
    part_code: np.ndarray


@dataclass(frozen=True)
class Vocabulary:
    """The items' normalised SKUs and part numbers, one code each (blank has none)."""

    texts: pa.Array
    is_part_number: np.ndarray

    @property
    def key_span(self) -> int:
        """Codes are below this: (vendor, code) is vendor * key_span + code."""
        return len(self.texts) + 1

    def codes_of(self, texts: pa.Array) -> np.ndarray:
        """The code of each normalised SKU or part number (NONE when no item has it)."""
        found = pc.fill_null(pc.index_in(texts, value_set=self.texts), NONE)
        return np.asarray(found, dtype=np.int64)


@dataclass(frozen=True)
class _Members:
    """Which items make each group: (vendor, SKU) groups first, then (vendor, part number) groups."""

    item: np.ndarray  # item position of each member, sorted by group, contract id, item id
    group: np.ndarray
    sku_keys: np.ndarray
    part_keys: np.ndarray
    common_units: np.ndarray  # per group: the lcm of its units per UOM, 0 when too large to compare exactly

    @property
    def group_count(self) -> int:
        return len(self.sku_keys) + len(self.part_keys)


@dataclass(frozen=True)
class EntryArrays:
    """One position per (group, price row of a member item), sorted by group, contract, item, row."""

    group: np.ndarray
    contract: np.ndarray  # contract position
    item_id: np.ndarray
    uom: np.ndarray
    units_per_uom: np.ndarray
    list_price: np.ndarray
    category_id: np.ndarray
    price_id: np.ndarray
    price: np.ndarray
    from_day: np.ndarray
    to_day: np.ndarray  # OPEN_END when open-ended
    tier: np.ndarray  # tier codes
    min_qty: np.ndarray  # NONE when blank
    per_each: np.ndarray  # price x common units / units (0 in groups that cannot compare exactly)


@dataclass(frozen=True)
class GroupArrays:
    """Per group: its entries, whether its figures compare exactly, its intervals; and the group keys."""

    sku_keys: pd.Index
    part_keys: pd.Index
    first_entry: np.ndarray
    entry_count: np.ndarray
    is_exact: np.ndarray
    first_interval: np.ndarray
    interval_count: np.ndarray
    first_item: np.ndarray  # the item position of its member with the lowest id: DESIGN §4.2's first match


@dataclass(frozen=True)
class TimeLine:
    """The intervals of every group's time line, with their candidate entries and winners."""

    keys: np.ndarray  # (group, first day) as one integer, sorted
    first_day: np.ndarray
    first_candidate: np.ndarray
    candidate_count: np.ndarray
    candidates: np.ndarray  # entry positions, interval by interval
    winner: np.ndarray  # the entry chosen at build time, NONE where the lines must be joined to the candidates
    is_simple: np.ndarray  # no candidate has a tier or a min_qty, and the group compares exactly


# --- the build steps --------------------------------------------------------------------------------------------


def _contract_arrays(frame: pd.DataFrame) -> ContractArrays:
    numbers = [str(n) for n in frame["number"].tolist()]
    rank = {number: position for position, number in enumerate(sorted(set(numbers)))}
    contract_id = frame["id"].to_numpy(dtype=np.int64)
    return ContractArrays(
        id=contract_id,
        vendor_id=frame["vendor_id"].to_numpy(dtype=np.int64),
        start_day=frame["start_day"].to_numpy(dtype=np.int64),
        end_day=frame["end_day"].to_numpy(dtype=np.int64),
        is_draft=frame["is_draft"].to_numpy(dtype=bool),
        number_rank=ints([rank[n] for n in numbers]),
        has_discount=frame["discount_pct_e4"].notna().to_numpy(dtype=bool),
        position_of_id=pd.Index(contract_id),
    )


def _participation_table(frame: pd.DataFrame, contracts: ContractArrays, tiers: TextCodes) -> ParticipationTable:
    contract = contracts.position_of_id.get_indexer(pd.Index(frame["contract_id"].to_numpy(dtype=np.int64)))
    known = contract >= 0
    width = max(len(contracts.id), 1)
    keys = frame["practice_id"].to_numpy(dtype=np.int64)[known] * width + contract[known]
    order = np.argsort(keys, kind="stable")
    return ParticipationTable(
        keys=keys[order],
        joined_day=frame["joined_day"].to_numpy(dtype=np.int64)[known][order],
        tier=tiers.of(frame["tier"][known])[order],
        contract_count=width,
    )


def _item_arrays(frame: pd.DataFrame, contracts: ContractArrays, uoms: TextCodes) -> tuple[ItemArrays, Vocabulary]:
    contract = contracts.position_of_id.get_indexer(pd.Index(frame["contract_id"].to_numpy(dtype=np.int64)))
    is_exact = frame["exact"].to_numpy(dtype=bool) if "exact" in frame else np.ones(len(frame), bool)
    # SKUs and part numbers share one vocabulary; "" has no code.
    text_codes, words = encoded(
        pa.concat_arrays([texts_of(frame["vendor_sku_normalized"]), texts_of(frame["mfr_part_normalized"])])
    )
    blank = np.asarray(pc.equal(words, ""), dtype=bool)
    text_codes = np.where(blank[text_codes], NONE, text_codes)
    sku_code, part_code = text_codes[: len(frame)], text_codes[len(frame) :]
    is_part_number = np.zeros(len(words), dtype=bool)
    is_part_number[part_code[part_code >= 0]] = True
    items = ItemArrays(
        id=frame["id"].to_numpy(dtype=np.int64),
        contract=contract,
        vendor_id=contracts.vendor_id[contract],
        uom=uoms.of(frame["uom"]),
        units_per_uom=frame["units_per_uom"].to_numpy(dtype=np.int64),
        is_exact=is_exact,
        list_price=np.where(is_exact, _column(frame, "list_price_e4", NONE), NONE),
        category_id=_column(frame, "category_id", NONE),
        sku_code=sku_code,
        part_code=part_code,
    )
    texts = pc.if_else(pc.equal(words, ""), pa.scalar(None, pa.large_string()), words)
    return items, Vocabulary(texts=texts, is_part_number=is_part_number)


def _item_groups(items: ItemArrays, contracts: ContractArrays, key_span: int) -> _Members:
    by_sku = np.flatnonzero(items.sku_code >= 0)
    sku_keys, sku_group = _distinct_inverse(items.vendor_id[by_sku] * key_span + items.sku_code[by_sku])
    by_part = np.flatnonzero(items.part_code >= 0)
    part_keys, part_group = _distinct_inverse(items.vendor_id[by_part] * key_span + items.part_code[by_part])
    member_item = np.concatenate([by_sku, by_part])
    member_group = np.concatenate([sku_group, part_group + len(sku_keys)])
    order = np.lexsort((items.id[member_item], contracts.id[items.contract[member_item]], member_group))
    member_item, member_group = member_item[order], member_group[order]
    groups = len(sku_keys) + len(part_keys)
    return _Members(
        item=member_item,
        group=member_group,
        sku_keys=sku_keys,
        part_keys=part_keys,
        common_units=_common_units(items.units_per_uom[member_item], member_group, groups),
    )


def _first_items(members: _Members, item_ids: np.ndarray) -> np.ndarray:
    """Per group, the position of its member with the lowest item id: DESIGN §4.2's first match, as the reference
    (contracts.pricing.matched_items) takes it, whatever order the catalog's items come in."""
    counts = np.bincount(members.group, minlength=members.group_count)
    if not len(members.item):
        return np.zeros(0, dtype=np.int64)
    lowest = np.minimum.reduceat(item_ids[members.item], _first_positions(counts))
    by_id = np.argsort(item_ids)
    return by_id[np.searchsorted(item_ids, lowest, sorter=by_id)]


def _common_units(member_units: np.ndarray, member_group: np.ndarray, groups: int) -> np.ndarray:
    """Per group, the lcm of its members' units per UOM (0 when it is too large to compare per each exactly)."""
    common = np.zeros(groups, dtype=np.int64)
    members = np.bincount(member_group, minlength=groups)
    single = members == 1
    first_member = _first_positions(members)
    common[single] = member_units[first_member[single]]
    for group in np.flatnonzero(members > 1).tolist():
        at = int(first_member[group])
        units = member_units[at : at + int(members[group])].tolist()
        common[group] = math.lcm(*units) if all(0 < u <= _COMMON_UNITS_LIMIT for u in units) else 0
    common[common > _COMMON_UNITS_LIMIT] = 0
    return common


def _group_entries(
    frame: pd.DataFrame, items: ItemArrays, members: _Members, tiers: TextCodes
) -> tuple[EntryArrays, np.ndarray]:
    """The entries of every group, and per group whether all its figures compare exactly."""
    row_item = pd.Index(items.id).get_indexer(frame["item_id"].to_numpy(dtype=np.int64))
    row_id = frame["id"].to_numpy(dtype=np.int64)
    row_order = np.lexsort((row_id, row_item))
    rows_of_item = np.bincount(row_item, minlength=len(items.id))
    entry_member, entry_row = spans(_first_positions(rows_of_item)[members.item], rows_of_item[members.item])
    entry_row = row_order[entry_row]
    entry_item = members.item[entry_member]
    entry_group = members.group[entry_member]
    row_exact = frame["exact"].to_numpy(dtype=bool) if "exact" in frame else np.ones(len(frame), bool)
    row_price = frame["price_e4"].to_numpy(dtype=np.int64)
    common = members.common_units[entry_group]
    fits = (
        row_exact[entry_row]
        & items.is_exact[entry_item]
        & (row_price[entry_row] < _PRICE_KEY_LIMIT // np.maximum(common, 1))
    )
    inexact = np.bincount(entry_group, weights=~fits, minlength=members.group_count) > 0
    group_is_exact = (members.common_units > 0) & ~inexact
    units = np.maximum(items.units_per_uom[entry_item], 1)
    price = row_price[entry_row]
    entries = EntryArrays(
        group=entry_group,
        contract=items.contract[entry_item],
        item_id=items.id[entry_item],
        uom=items.uom[entry_item],
        units_per_uom=items.units_per_uom[entry_item],
        list_price=items.list_price[entry_item],
        category_id=items.category_id[entry_item],
        price_id=row_id[entry_row],
        price=price,
        from_day=frame["from_day"].to_numpy(dtype=np.int64)[entry_row],
        to_day=_column(frame, "to_day", OPEN_END)[entry_row],
        tier=tiers.of(frame["tier"])[entry_row],
        min_qty=_column(frame, "min_qty_e4", NONE)[entry_row],
        per_each=per_each(price, units, np.where(group_is_exact[entry_group], common, 0)),
    )
    return entries, group_is_exact


def _cut_days(entries: EntryArrays, contracts: ContractArrays, groups: int) -> np.ndarray:
    """The interval keys: every (group, day) on which one of its rows or contracts starts or stops applying."""
    # A group's entries are sorted by contract: its contracts' days are taken once per run of entries.
    run = np.ones(len(entries.group), dtype=bool)
    run[1:] = (entries.group[1:] != entries.group[:-1]) | (entries.contract[1:] != entries.contract[:-1])
    run_group, run_contract = entries.group[run], entries.contract[run]
    cut_group = np.concatenate([np.arange(groups), entries.group, entries.group, run_group, run_group])
    cut_day = np.concatenate(
        [
            np.full(groups, -_DAY_BIAS, dtype=np.int64),
            entries.from_day,
            np.minimum(entries.to_day, OPEN_END - 1) + 1,
            contracts.start_day[run_contract],
            contracts.end_day[run_contract] + 1,
        ]
    )
    return _distinct(_interval_key(cut_group, cut_day))


def _time_line(
    entries: EntryArrays, contracts: ContractArrays, group_is_exact: np.ndarray
) -> tuple[TimeLine, np.ndarray]:
    """The intervals of each group's time line, their candidates and winners; and each group's interval count."""
    groups = len(group_is_exact)
    keys = _cut_days(entries, contracts, groups)
    interval_group = keys >> _DAY_BITS
    # An entry applies (contract in force, row effective) on the intervals from its first day to its last.
    first_day, last_day = applicable_days(
        contracts.start_day[entries.contract], contracts.end_day[entries.contract], entries.from_day, entries.to_day
    )
    first_interval = np.searchsorted(keys, _interval_key(entries.group, first_day))
    last_interval = np.searchsorted(keys, _interval_key(entries.group, last_day), side="right") - 1
    applies = ~contracts.is_draft[entries.contract] & (first_day <= last_day)
    entry, interval = spans(first_interval, np.where(applies, last_interval - first_interval + 1, 0))
    by_interval = np.argsort(interval, kind="stable")  # entries stay in their order within an interval
    interval, entry = interval[by_interval], entry[by_interval]
    candidate_count = np.bincount(interval, minlength=len(keys))
    first_candidate = _first_positions(candidate_count)
    plain = (entries.tier[entry] == 0) & (entries.min_qty[entry] < 0)
    is_simple = (np.bincount(interval, weights=~plain, minlength=len(keys)) == 0) & group_is_exact[interval_group]
    winner = np.full(len(keys), NONE, dtype=np.int64)
    alone = candidate_count == 1
    winner[alone] = entry[first_candidate[alone]]
    shared = np.flatnonzero(candidate_count[interval] > 1)
    ranked = shared[winning_entries(interval[shared], entry[shared], entries.per_each, contracts, entries)]
    winner[interval[ranked]] = entry[ranked]
    winner[~group_is_exact[interval_group]] = NONE
    time_line = TimeLine(
        keys=keys,
        first_day=(keys & ((1 << _DAY_BITS) - 1)) - _DAY_BIAS,
        first_candidate=first_candidate,
        candidate_count=candidate_count,
        candidates=entry,
        winner=winner,
        is_simple=is_simple,
    )
    return time_line, np.bincount(interval_group, minlength=groups)


# --- the index --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CatalogIndex:
    """The catalog as arrays for the bulk path, built once per catalog (from a CatalogSlice or from columns)."""

    frames: dict[str, pd.DataFrame]
    source: CatalogSlice | None
    contracts: ContractArrays
    participations: ParticipationTable
    items: ItemArrays
    vocabulary: Vocabulary
    groups: GroupArrays
    entries: EntryArrays
    time_line: TimeLine
    uoms: TextCodes
    tiers: TextCodes
    vendors_with_contract: np.ndarray
    vendors_with_percent_off: np.ndarray
    slices: dict[frozenset[int] | None, CatalogSlice] = field(default_factory=dict)

    @classmethod
    def build(cls, catalog: CatalogSlice) -> CatalogIndex:
        """The index of a CatalogSlice (the reference engine then works on that very slice)."""
        return cls.from_frames(catalog_frames(catalog), source=catalog)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame], *, source: CatalogSlice | None = None) -> CatalogIndex:
        """The index of a catalog given as frames "contracts", "items", "prices", "participations" (`*_COLUMNS`)."""
        uoms, tiers = TextCodes(), TextCodes()
        uoms(EACH)  # EACH is code 1 in every index (reports.reconcile_bulk.EACH_CODE)
        contracts = _contract_arrays(frames["contracts"])
        participations = _participation_table(frames["participations"], contracts, tiers)
        items, vocabulary = _item_arrays(frames["items"], contracts, uoms)
        members = _item_groups(items, contracts, vocabulary.key_span)
        entries, group_is_exact = _group_entries(frames["prices"], items, members, tiers)
        time_line, interval_count = _time_line(entries, contracts, group_is_exact)
        entry_count = np.bincount(entries.group, minlength=members.group_count)
        groups = GroupArrays(
            sku_keys=pd.Index(members.sku_keys),
            part_keys=pd.Index(members.part_keys),
            first_entry=_first_positions(entry_count),
            entry_count=entry_count,
            is_exact=group_is_exact,
            first_interval=_first_positions(interval_count),
            interval_count=interval_count,
            first_item=_first_items(members, items.id),
        )
        return cls(
            frames={name: frames[name] for name in ("contracts", "items", "prices", "participations")},
            source=source,
            contracts=contracts,
            participations=participations,
            items=items,
            vocabulary=vocabulary,
            groups=groups,
            entries=entries,
            time_line=time_line,
            uoms=uoms,
            tiers=tiers,
            vendors_with_contract=np.unique(contracts.vendor_id),
            vendors_with_percent_off=np.unique(contracts.vendor_id[contracts.has_discount]),
        )

    def catalog_for(self, vendor_ids: Collection[int] | None = None) -> CatalogSlice:
        """The catalog as the reference engine reads it: complete for these vendors (every vendor when None)."""
        if self.source is not None:
            return self.source
        wanted = frozenset(vendor_ids) if vendor_ids is not None else None
        for vendors, built in self.slices.items():
            if vendors is None or (wanted is not None and wanted <= vendors):
                return built
        built = self.slices[wanted] = catalog_slice_of_frames(self.frames, wanted)
        return built

    def vendors_of_parts(self, parts: Collection[str]) -> set[int]:
        """Vendors with an item whose manufacturer part number is one of these (DESIGN §4.7 looks at any vendor)."""
        codes = self.vocabulary.codes_of(pa.array(list(parts), type=pa.large_string()))
        return set(np.unique(self.items.vendor_id[np.isin(self.items.part_code, codes[codes >= 0])]).tolist())

    def groups_of(self, vendor: np.ndarray, code: np.ndarray, *, by_sku: bool) -> np.ndarray:
        """The group of each (vendor id, vocabulary code) by SKU or by part number; NONE where there is none."""
        keys = self.groups.sku_keys if by_sku else self.groups.part_keys
        found = keys.get_indexer(vendor * self.vocabulary.key_span + code)
        found[code < 0] = NONE
        return np.where(found >= 0, found + (0 if by_sku else len(self.groups.sku_keys)), NONE)

    def interval_of(self, group: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The interval of each group's time line that holds the day."""
        # Groups have few intervals: step each line forward from its group's first one while the next has begun.
        at = self.groups.first_interval[group]
        last = at + self.groups.interval_count[group] - 1
        moving = np.flatnonzero(at < last)
        for _ in range(_WALK_STEPS):
            if not len(moving):
                return at
            after = at[moving] + 1
            begun = self.time_line.first_day[after] <= day[moving]
            at[moving[begun]] = after[begun]
            moving = moving[begun & (after < last[moving])]
        at[moving] = np.searchsorted(self.time_line.keys, _interval_key(group[moving], day[moving]), side="right") - 1
        return at


# --- between a CatalogSlice and frames --------------------------------------------------------------------------


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
    return ints([v if v is not None else 0 for v in scaled]), np.array([v is not None for v in scaled], dtype=bool)


def catalog_frames(catalog: CatalogSlice) -> dict[str, pd.DataFrame]:
    """A CatalogSlice as the frames `CatalogIndex.from_frames` reads (figures with more than 4 places: not exact)."""
    list_e4, list_exact = _e4_column([i.list_price for i in catalog.items])
    price_e4, price_exact = _e4_column([r.price for r in catalog.prices])
    min_e4, min_exact = _e4_column([r.min_qty for r in catalog.prices])
    return {
        "contracts": pd.DataFrame(
            {
                "id": ints([c.id for c in catalog.contracts]),
                "vendor_id": ints([c.vendor_id for c in catalog.contracts]),
                "number": pd.Series([c.number for c in catalog.contracts], dtype=object),
                "start_day": ints([day_number(c.start_date) for c in catalog.contracts]),
                "end_day": ints([day_number(c.end_date) for c in catalog.contracts]),
                "is_draft": np.array([c.is_draft for c in catalog.contracts], dtype=bool),
                "discount_pct_e4": pd.Series(
                    [(e4(c.discount_pct) or 0) if c.discount_pct is not None else None for c in catalog.contracts],
                    dtype=object,
                ),
            }
        ),
        "items": pd.DataFrame(
            {
                "id": ints([i.id for i in catalog.items]),
                "contract_id": ints([i.contract_id for i in catalog.items]),
                "vendor_sku_normalized": pd.Series([i.vendor_sku_normalized for i in catalog.items], dtype=object),
                "mfr_part_normalized": pd.Series([i.mfr_part_normalized for i in catalog.items], dtype=object),
                "uom": pd.Series([i.uom for i in catalog.items], dtype=object),
                "units_per_uom": ints([i.units_per_uom for i in catalog.items]),
                "list_price_e4": list_e4,
                "category_id": ints([i.category_id if i.category_id is not None else NONE for i in catalog.items]),
                "exact": list_exact,
            }
        ),
        "prices": pd.DataFrame(
            {
                "id": ints([r.id for r in catalog.prices]),
                "item_id": ints([r.item_id for r in catalog.prices]),
                "price_e4": price_e4,
                "from_day": ints([day_number(r.effective_from) for r in catalog.prices]),
                "to_day": ints([day_number(r.effective_to) if r.effective_to else OPEN_END for r in catalog.prices]),
                "tier": pd.Series([r.tier for r in catalog.prices], dtype=object),
                "min_qty_e4": min_e4,
                "exact": price_exact & min_exact,
            }
        ),
        "participations": pd.DataFrame(
            {
                "practice_id": ints([p.practice_id for p in catalog.participations]),
                "contract_id": ints([p.contract_id for p in catalog.participations]),
                "joined_day": ints([day_number(p.joined_on) for p in catalog.participations]),
                "tier": pd.Series([p.tier for p in catalog.participations], dtype=object),
            }
        ),
    }


def catalog_slice_of_frames(frames: dict[str, pd.DataFrame], vendors: frozenset[int] | None) -> CatalogSlice:
    """The CatalogSlice of these vendors' contracts (all when None) from an index's frames (exact figures)."""
    contracts, items = frames["contracts"], frames["items"]
    prices, participations = frames["prices"], frames["participations"]
    if vendors is not None:
        contracts = contracts[contracts["vendor_id"].isin(list(vendors)).to_numpy(dtype=bool)]
        ids = contracts["id"].to_numpy()
        items = items[items["contract_id"].isin(ids).to_numpy(dtype=bool)]
        prices = prices[prices["item_id"].isin(items["id"].to_numpy()).to_numpy(dtype=bool)]
        participations = participations[participations["contract_id"].isin(ids).to_numpy(dtype=bool)]
    return CatalogSlice(
        contracts=_contract_terms(contracts),
        items=_item_terms(items),
        prices=_price_rows(prices),
        participations=_participation_terms(participations),
    )


def _figure(value: int) -> Decimal | None:
    return None if value == NONE else from_e4(value)


def _optional(value: int) -> int | None:
    return None if value == NONE else value


def _contract_terms(frame: pd.DataFrame) -> tuple[ContractTerms, ...]:
    return tuple(
        ContractTerms(contract_id, vendor, str(number), day_of(start), day_of(end), bool(draft), _figure(discount))
        for contract_id, vendor, number, start, end, draft, discount in zip(
            frame["id"].tolist(),
            frame["vendor_id"].tolist(),
            frame["number"].tolist(),
            frame["start_day"].tolist(),
            frame["end_day"].tolist(),
            frame["is_draft"].tolist(),
            _column(frame, "discount_pct_e4", NONE).tolist(),
            strict=True,
        )
    )


def _item_terms(frame: pd.DataFrame) -> tuple[ItemTerms, ...]:
    return tuple(
        ItemTerms(
            item_id, contract, str(sku or ""), str(part or ""), str(uom), units, _figure(listed), _optional(category)
        )
        for item_id, contract, sku, part, uom, units, listed, category in zip(
            frame["id"].tolist(),
            frame["contract_id"].tolist(),
            frame["vendor_sku_normalized"].tolist(),
            frame["mfr_part_normalized"].tolist(),
            frame["uom"].tolist(),
            frame["units_per_uom"].tolist(),
            _column(frame, "list_price_e4", NONE).tolist(),
            _column(frame, "category_id", NONE).tolist(),
            strict=True,
        )
    )


def _price_rows(frame: pd.DataFrame) -> tuple[PriceRow, ...]:
    return tuple(
        PriceRow(
            price_id,
            item,
            from_e4(price),
            day_of(start),
            None if end >= OPEN_END else day_of(end),
            str(tier),
            _figure(minimum),
        )
        for price_id, item, price, start, end, tier, minimum in zip(
            frame["id"].tolist(),
            frame["item_id"].tolist(),
            frame["price_e4"].tolist(),
            frame["from_day"].tolist(),
            _column(frame, "to_day", OPEN_END).tolist(),
            frame["tier"].fillna("").tolist(),
            _column(frame, "min_qty_e4", NONE).tolist(),
            strict=True,
        )
    )


def _participation_terms(frame: pd.DataFrame) -> tuple[ParticipationTerms, ...]:
    return tuple(
        ParticipationTerms(practice, contract, day_of(joined), str(tier))
        for practice, contract, joined, tier in zip(
            frame["practice_id"].tolist(),
            frame["contract_id"].tolist(),
            frame["joined_day"].tolist(),
            frame["tier"].fillna("").tolist(),
            strict=True,
        )
    )
