"""The bulk reconciliation path: DESIGN.md section 4 over the columns of a whole batch at once (numpy).

`reports.reconcile.reconcile_line` is the one-line reference; this module must agree with it line by line (the
property test in tests/reports/test_reconcile.py). Money is integer throughout: quantities and unit prices in
ten-thousandths (`_e4`, as they are stored), amounts in cents, each rounded once half away from zero.

How a batch is worked:
1. Vendor names, SKUs, part numbers and UOMs are resolved once per distinct value (Arrow hashes the texts and
   normalises the SKUs), then spread over the lines; a (vendor, SKU) or (vendor, part number) is an integer key.
2. Lines whose vendor has items matching their SKU (else their part number) find the interval of that group's time
   line holding their day (a `CatalogIndex`, reports/catalog_index.py, built once per catalog: cut wherever a row
   or contract starts or ends).
   Where the interval's rows carry no tier and no min_qty, its winner was chosen when the index was built, and a
   line takes it when P is in the winner's contract on d and the UOM converts. Other lines are joined to their
   interval's rows (in force and effective on d by construction) and the rest of DESIGN §4.4 is a mask over the
   joined rows: P in the contract on d, UOM convertible, P's tier else tier-blank per contract, min_qty. The
   lowest price per each wins (then the later start, the lower number, the lower ids). Every rule is a function of
   contracts.pricing called on arrays; rounding is gpo.money's.
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

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa

from contracts.pricing import (
    OVERCHARGE_CAUSE_PRIORITY,
    OverchargeCause,
    Tolerance,
    earlier_price,
    effective_on,
    keeps_tier,
    min_qty_allows,
    other_tier_price,
    overcharge_cause,
    pack_size,
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
from reports.catalog_index import (
    EPOCH,
    NONE,
    CatalogIndex,
    e4,
    encoded,
    from_e4,
    ints,
    spans,
    texts_of,
    winning_entries,
)
from reports.reconcile import (
    STATUS_OF_RULE,
    LineInput,
    LineResult,
    Status,
    VendorDirectory,
    VendorMatch,
    missed_savings_by_part,
    reconcile_keyed,
)
from vendors.normalize import fold_uom, normalize_skus

E4_TIMES_E4_PER_CENT = 10**6  # a product of two ten-thousandths figures, in cents
EACH_CODE = 1  # the UOM code of EACH in every index (`CatalogIndex.uoms` codes it first)
_MONEY_LIMIT = float(2**61)  # products above this (in e4 x e4 units) are done exactly in the keyed loop

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


def from_cents(value: int) -> Decimal:
    """An int amount in cents as a Decimal with 2 places."""
    return Decimal(value).scaleb(-2)


@dataclass
class _Out:
    """The answer columns being filled in; `todo` marks lines the keyed reference loop still has to do."""

    size: int

    def __post_init__(self) -> None:
        n = self.size  # lines in the batch
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


@dataclass(frozen=True)
class _Batch:
    """The batch's columns as numpy arrays: practice, day number, quantity and unit price in ten-thousandths, the
    extended amount in cents (and whether the file gave one)."""

    lines: pd.DataFrame
    practice: np.ndarray
    days: np.ndarray
    quantity: np.ndarray
    paid: np.ndarray
    extended: np.ndarray
    has_extended: np.ndarray

    @classmethod
    def of(cls, lines: pd.DataFrame) -> _Batch:
        return cls(
            lines=lines,
            practice=lines["practice_id"].to_numpy(dtype=np.int64),
            days=lines["purchase_date"].to_numpy().astype("datetime64[D]").astype(np.int64),
            quantity=lines["quantity_e4"].to_numpy(dtype=np.int64),
            paid=lines["unit_price_e4"].to_numpy(dtype=np.int64),
            extended=lines["extended_cents"].to_numpy(dtype=np.int64),
            has_extended=lines["has_extended"].to_numpy(dtype=bool),
        )

    def line_inputs(self, rows: np.ndarray) -> list[LineInput]:
        return _line_inputs(self.lines, rows, self.days, self.quantity, self.paid, self.extended, self.has_extended)


@dataclass(frozen=True)
class _Keys:
    """Each line's vendor, match, category, part numbers and UOM as codes, each text resolved once (step 1)."""

    vendor: np.ndarray
    match: np.ndarray
    vendor_category: np.ndarray
    has_contract: np.ndarray
    sku_part: np.ndarray  # the SKU normalised, as a code of part_values
    part: np.ndarray  # DESIGN §4: the manufacturer part number (else the SKU) normalised, a code of part_values
    part_values: list[str]
    in_catalog: np.ndarray  # per part value, its code in the index's vocabulary (NONE when absent)
    uom: np.ndarray  # the index's UOM codes
    uom_codes: np.ndarray  # codes of folded_uoms
    folded_uoms: list[str]


def _vendors_resolved(index: CatalogIndex, directory: VendorDirectory, names: pd.Series) -> tuple[np.ndarray, ...]:
    """DESIGN §4.1 once per distinct name: each line's vendor, how it matched, its category, whether it has a
    contract."""
    name_codes, name_texts = encoded(texts_of(names))
    resolved = [directory.resolve(name) for name in name_texts.to_pylist()]
    vendor_of_name = ints([v if v is not None else NONE for v, _ in resolved])
    match = ints([MATCH_CODE[m] for _, m in resolved])[name_codes]
    category_of = {v.id: v.category_id for v in directory.vendors}
    category = ints([(category_of.get(v) if v is not None else None) or NONE for v, _ in resolved])[name_codes]
    has_contract = np.isin(vendor_of_name, index.vendors_with_contract)[name_codes]
    return vendor_of_name[name_codes], match, category, has_contract


def _batch_keys(index: CatalogIndex, directory: VendorDirectory, lines: pd.DataFrame) -> _Keys:
    """Step 1: vendors, SKUs, part numbers and UOMs, once per distinct value, spread over the lines."""
    size = len(lines)
    vendor, match, vendor_category, has_contract = _vendors_resolved(index, directory, lines["vendor_name"])
    sku_codes, skus = encoded(texts_of(lines["sku"]))
    mfr_codes, mfrs = encoded(texts_of(lines["mfr_part_number"]))
    # DESIGN §4: the part number is the mfr column when not blank, else the SKU; one code space for both.
    part_codes, part_texts = encoded(normalize_skus(pa.concat_arrays([skus, mfrs])))
    if not len(part_texts):
        part_texts = pa.array([""], type=pa.large_string())
    sku_as_part, mfr_as_part = part_codes[: len(skus)], part_codes[len(skus) :]
    sku_part = sku_as_part[sku_codes] if len(skus) else np.zeros(size, dtype=np.int64)
    mfr_given = np.array([bool(m.strip()) for m in mfrs.to_pylist()], dtype=bool)
    part = np.where(mfr_given[mfr_codes], mfr_as_part[mfr_codes], sku_part) if len(mfrs) else sku_part
    uom_codes, uom_texts = encoded(texts_of(lines["uom"]))
    folded = [fold_uom(u) for u in uom_texts.to_pylist()]
    return _Keys(
        vendor=vendor,
        match=match,
        vendor_category=vendor_category,
        has_contract=has_contract,
        sku_part=sku_part,
        part=part,
        part_values=part_texts.to_pylist(),
        in_catalog=index.vocabulary.codes_of(part_texts),
        uom=ints([index.uoms(f) for f in folded])[uom_codes],
        uom_codes=uom_codes,
        folded_uoms=folded,
    )


def _item_groups(index: CatalogIndex, keys: _Keys) -> np.ndarray:
    """DESIGN §4.2: each line's group of the vendor's items by SKU, else by part number (NONE: no item)."""
    group = np.full(len(keys.vendor), NONE, dtype=np.int64)
    ask = np.flatnonzero(keys.has_contract)
    group[ask] = index.groups_of(keys.vendor[ask], keys.in_catalog[keys.sku_part[ask]], by_sku=True)
    ask = ask[group[ask] < 0]
    group[ask] = index.groups_of(keys.vendor[ask], keys.in_catalog[keys.part[ask]], by_sku=False)
    return group


def _line_spend(batch: _Batch) -> np.ndarray:
    """DESIGN §4.7 spend of every line in cents: the extended amount, else q * p (huge products in Python ints)."""
    quantity, paid = batch.quantity, batch.paid
    product = np.zeros(len(quantity), dtype=np.int64)
    exact = ~batch.has_extended & _fits(quantity, paid)
    product[exact] = round_half_up_integers(quantity[exact] * paid[exact], E4_TIMES_E4_PER_CENT)
    for position in np.flatnonzero(~batch.has_extended & ~exact).tolist():
        product[position] = _cents_int(cents(from_e4(int(quantity[position])) * from_e4(int(paid[position]))))
    return spend(batch.extended, batch.has_extended, product)


def _missed_by_part_number(index: CatalogIndex, out: _Out, batch: _Batch, keys: _Keys) -> None:
    """DESIGN §4.7: off-contract and non-GPO lines miss savings against an item with their part number."""
    lookout = np.flatnonzero(((out.status == _OFF_CONTRACT) | (out.status == _NON_GPO)) & ~out.todo)
    known = np.zeros(len(keys.part_values), dtype=bool)
    listed = keys.in_catalog >= 0
    known[listed] = index.vocabulary.is_part_number[keys.in_catalog[listed]]
    lookout = lookout[known[keys.part[lookout]]]
    if not len(lookout):
        return
    wanted = {keys.part_values[p] for p in np.unique(keys.part[lookout]).tolist()}
    catalog = index.catalog_for(index.vendors_of_parts(wanted))
    for position, line in zip(lookout.tolist(), batch.line_inputs(lookout), strict=True):
        alternative = price_by_mfr_part(
            catalog,
            practice_id=line.practice_id,
            mfr_normalized=keys.part_values[keys.part[position]],
            uom=keys.folded_uoms[keys.uom_codes[position]],
            quantity=abs(line.quantity),
            on=line.purchase_date,
        )
        out.missed[position] = _cents_int(missed_savings_by_part(line, alternative))


def _keyed_rest(
    index: CatalogIndex, directory: VendorDirectory, out: _Out, batch: _Batch, keys: _Keys, tolerance: Tolerance
) -> None:
    """Step 5: what the columns did not decide goes through the keyed reference loop."""
    rest = np.flatnonzero(out.todo)
    if not len(rest):
        return
    wanted = {keys.part_values[p] for p in np.unique(keys.part[rest]).tolist()}
    vendors = set(np.unique(keys.vendor[rest]).tolist()) | index.vendors_of_parts(wanted)
    results = reconcile_keyed(
        index.catalog_for(vendors - {NONE}), directory, batch.line_inputs(rest), tolerance=tolerance
    )
    for position, result in zip(rest.tolist(), results, strict=True):
        _store_result(out, position, result)


def _result_frame(out: _Out, keys: _Keys, line_spend: np.ndarray) -> pd.DataFrame:
    """The answer as RESULT_COLUMNS; texts as categoricals over their few distinct values (no string per line)."""
    parts = pd.CategoricalDtype(pd.Index(keys.part_values, dtype=object))
    return pd.DataFrame(
        {
            "vendor_id": keys.vendor,
            "vendor_match": pd.Categorical.from_codes(keys.match, dtype=MATCH_TYPE),
            "sku_normalized": pd.Categorical.from_codes(keys.sku_part, dtype=parts, validate=False),
            "mfr_part_normalized": pd.Categorical.from_codes(keys.part, dtype=parts, validate=False),
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


def reconcile_columns(
    index: CatalogIndex, directory: VendorDirectory, lines: pd.DataFrame, *, tolerance: Tolerance
) -> pd.DataFrame:
    """Status and money of every line of a batch (columns LINE_COLUMNS), as a frame of RESULT_COLUMNS."""
    batch = _Batch.of(lines)
    out = _Out(len(lines))
    keys = _batch_keys(index, directory, lines)
    group = _item_groups(index, keys)
    line_spend = _line_spend(batch)
    out.category[:] = keys.vendor_category

    # 2. Lines with matched items: the interval winners, else the join over the interval's candidates.
    priced = group >= 0
    exact_group = np.zeros(len(lines), dtype=bool)
    exact_group[priced] = index.groups.is_exact[group[priced]]
    out.todo |= priced & ~exact_group
    joined_lines = np.flatnonzero(priced & exact_group)
    if len(joined_lines):
        _item_prices(
            index,
            out,
            tolerance,
            joined_lines,
            group,
            batch.practice,
            batch.days,
            keys.uom,
            batch.quantity,
            batch.paid,
            keys.vendor,
        )

    # 3. Vendors with contracts but no item of theirs matched: percent-off contracts, else off contract.
    itemless = np.flatnonzero(keys.has_contract & (group < 0))
    out.status[itemless] = _OFF_CONTRACT
    with_percent = itemless[np.isin(keys.vendor[itemless], index.vendors_with_percent_off)]
    if len(with_percent):
        _percent_off(index, out, with_percent, keys.vendor, batch.practice, batch.days, batch.quantity, batch.paid)

    _missed_by_part_number(index, out, batch, keys)
    _keyed_rest(index, directory, out, batch, keys, tolerance)
    return _result_frame(out, keys, line_spend)


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
    vendor: np.ndarray,
) -> None:
    """DESIGN §4.4 for lines with matched items: the interval's winner when it applies, else a join; then money."""
    interval = index.interval_of(group[lines], days[lines])
    count = index.time_line.candidate_count[interval]
    _not_covered(index, out, lines[count == 0], group, vendor)
    # The winner applies when P is in its contract on d and the line's UOM converts to its item's (DESIGN §4.3).
    quick = np.flatnonzero(index.time_line.is_simple[interval] & (count > 0))
    winner = index.time_line.winner[interval[quick]]
    found, joined_on, _ = index.participations.lookup(practice[lines[quick]], index.entries.contract[winner])
    pack = _pack(uom[lines[quick]], index.entries.uom[winner], index.entries.units_per_uom[winner])
    taken = practice_in(found, joined_on, True, days[lines[quick]]) & (pack > 0)
    slow = np.ones(len(lines), dtype=bool)
    slow[count == 0] = False
    slow[quick[taken]] = False
    slow_at = np.flatnonzero(slow)
    won, best, packs, undecided = _joined_winners(
        index, lines[slow_at], interval[slow_at], practice, days, uom, quantity
    )
    # DESIGN §4.6: the lines no contract of P prices may be not participating; the join decides those of practices in
    # none of the vendor's contracts, the keyed loop the rest.
    joining, joining_best, joining_packs, rest = _joining_winners(
        index, lines[slow_at[undecided]], interval[slow_at[undecided]], practice, uom, quantity
    )
    out.todo[rest] = True
    _settle_not_participating(index, out, joining, joining_best, joining_packs, quantity, paid)
    won = np.concatenate([lines[quick[taken]], won])
    best = np.concatenate([winner[taken], best])
    packs = np.concatenate([pack[taken], packs])
    _settle(index, out, tolerance, won, best, packs, group, days, quantity, paid)


def _not_covered(index: CatalogIndex, out: _Out, lines: np.ndarray, group: np.ndarray, vendor: np.ndarray) -> None:
    """DESIGN §4.6 for lines none of whose matched items has a row in force on d: off contract when their vendor has
    no percent-off contract (else the keyed loop decides), recording the first matched item and its category."""
    percent_off = np.isin(vendor[lines], index.vendors_with_percent_off)
    out.todo[lines[percent_off]] = True
    lines = lines[~percent_off]
    first = index.groups.first_item[group[lines]]
    out.status[lines] = _OFF_CONTRACT
    out.item[lines] = index.items.id[first]
    category = index.items.category_id[first]
    out.category[lines] = np.where(category >= 0, category, out.category[lines])


def _practices_with_vendor(index: CatalogIndex, practice: np.ndarray, vendor: np.ndarray) -> np.ndarray:
    """Whether each practice has a letter of participation (any day, any tier) for a contract of each vendor."""
    table = index.participations
    if not len(table.keys) or not len(practice):
        return np.zeros(len(practice), dtype=bool)
    span = int(index.contracts.vendor_id.max()) + 1
    joined = np.unique(
        (table.keys // table.contract_count) * span + index.contracts.vendor_id[table.keys % table.contract_count]
    )
    wanted = practice * span + vendor
    at = np.minimum(np.searchsorted(joined, wanted), len(joined) - 1)
    return joined[at] == wanted


def _dearest_tier_rows(
    index: CatalogIndex, block: np.ndarray, tier: np.ndarray, entry: np.ndarray, usable: np.ndarray
) -> np.ndarray:
    """DESIGN §4.6 for a contract with no tier-blank row: the usable rows of the tier whose lowest price per each is
    highest (the first such tier by name, as contracts.pricing._rows_for_tier takes it), per block of candidates."""
    chosen = np.zeros(len(block), dtype=bool)
    at = np.flatnonzero(usable)
    if not len(at):
        return chosen
    names = sorted(index.tiers.codes)
    rank = np.zeros(max(index.tiers.codes.values()) + 1, dtype=np.int64)
    rank[[index.tiers.codes[name] for name in names]] = np.arange(len(names))
    rows = pd.DataFrame({"block": block[at], "rank": rank[tier[at]], "price": index.entries.per_each[entry[at]]})
    prices = rows.groupby(["block", "rank"], sort=False)["price"].min().reset_index()
    best = prices.sort_values(["block", "price", "rank"], ascending=[True, False, True]).drop_duplicates("block")
    best_rank = pd.Series(best["rank"].to_numpy(), index=best["block"].to_numpy())
    chosen[at] = rows["rank"].to_numpy() == best_rank.reindex(rows["block"].to_numpy()).to_numpy()
    return chosen


def _settle_not_participating(
    index: CatalogIndex,
    out: _Out,
    won: np.ndarray,
    best_entry: np.ndarray,
    pack: np.ndarray,
    quantity: np.ndarray,
    paid: np.ndarray,
) -> None:
    """DESIGN §4.6-4.7 for lines not participating at an entry's price: the entry recorded, (p - c) * q missed when
    p > c (prices per the item's UOM compared), no savings, no overcharge."""
    contract_price = index.entries.price[best_entry]
    q, p = quantity[won], paid[won]
    # Products that could leave int64 go to the keyed loop, which works in Decimal.
    safe = (np.abs(p).astype(np.float64) * pack + contract_price) * np.abs(q) < _MONEY_LIMIT
    out.todo[won[~safe]] = True
    won, best_entry, pack, contract_price, q, p = (a[safe] for a in (won, best_entry, pack, contract_price, q, p))
    out.status[won] = STATUS_CODE[Status.NOT_PARTICIPATING]
    _record_entries(index, out, won, best_entry)
    above = np.flatnonzero(p * pack > contract_price)
    numerator, denominator = price_difference_amount(contract_price[above], p[above], q[above], pack[above])
    out.missed[won[above]] = round_half_up_integers(-numerator, denominator * E4_TIMES_E4_PER_CENT)


def _joined_winners(
    index: CatalogIndex,
    lines: np.ndarray,
    interval: np.ndarray,
    practice: np.ndarray,
    days: np.ndarray,
    uom: np.ndarray,
    quantity: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """DESIGN §4.4 as masks over each line's interval candidates: (lines decided, winning entries, pack sizes,
    positions in `lines` of those no own contract prices)."""
    if not len(lines):
        return lines, lines, lines, lines
    owner, at = spans(index.time_line.first_candidate[interval], index.time_line.candidate_count[interval])
    entry = index.time_line.candidates[at]
    line = lines[owner]
    d = days[line]
    contract = index.entries.contract[entry]
    # Candidates are in force and effective all through their interval: P in the contract on d is what is left.
    found, joined_on, tier = index.participations.lookup(practice[line], contract)
    pack = _pack(uom[line], index.entries.uom[entry], index.entries.units_per_uom[entry])
    own = practice_in(found, joined_on, True, d) & (pack > 0)
    # Tier per contract: whether P's tier has rows on the contract (line by line: the owner, then the contract).
    row_tier = index.entries.tier[entry]
    block = np.concatenate(([0], np.cumsum((owner[1:] != owner[:-1]) | (contract[1:] != contract[:-1]))))
    own_tier = own & (tier > 0) & (row_tier == tier)
    has_own_tier = (np.bincount(block, weights=own_tier) > 0)[block]
    keep = own & keeps_tier(row_tier, tier, has_own_tier, blank=0)
    keep &= min_qty_allows(index.entries.min_qty[entry], quantity[line], pack)

    kept = np.flatnonzero(keep)
    best = kept[winning_entries(owner[kept], entry[kept], index.entries.per_each, index.contracts, index.entries)]
    decided = np.zeros(len(lines), dtype=bool)
    decided[owner[best]] = True
    return lines[owner[best]], entry[best], pack[best], np.flatnonzero(~decided)


def _joining_winners(
    index: CatalogIndex,
    lines: np.ndarray,
    interval: np.ndarray,
    practice: np.ndarray,
    uom: np.ndarray,
    quantity: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """DESIGN §4.6 "as if P had joined", for lines of practices in none of the vendor's contracts whose interval has
    candidates: (lines decided, winning entries, pack sizes, lines left to the keyed loop).

    With no letter for the vendor, P has no tier: each contract keeps its tier-blank rows (min_qty applied), and a
    contract without any keeps the rows of its dearest tier (`_dearest_tier_rows`). A line with no row left is left
    to the keyed loop (percent-off contracts may still apply).
    """
    if not len(lines):
        return lines, lines, lines, lines
    owner, at = spans(index.time_line.first_candidate[interval], index.time_line.candidate_count[interval])
    entry = index.time_line.candidates[at]
    line = lines[owner]
    contract = index.entries.contract[entry]
    # A line's candidates are all items of its vendor.
    outsider = ~_practices_with_vendor(index, practice[line], index.contracts.vendor_id[contract])
    pack = _pack(uom[line], index.entries.uom[entry], index.entries.units_per_uom[entry])
    tier = index.entries.tier[entry]
    usable = (pack > 0) & min_qty_allows(index.entries.min_qty[entry], quantity[line], pack)
    blank = (pack > 0) & (tier == 0)
    block = np.concatenate(([0], np.cumsum((owner[1:] != owner[:-1]) | (contract[1:] != contract[:-1]))))
    has_blank = (np.bincount(block, weights=blank) > 0)[block]
    keep = np.where(has_blank, blank & usable, _dearest_tier_rows(index, block, tier, entry, usable & ~has_blank))
    keep &= outsider
    kept = np.flatnonzero(keep)
    best = kept[winning_entries(owner[kept], entry[kept], index.entries.per_each, index.contracts, index.entries)]
    decided = np.zeros(len(lines), dtype=bool)
    decided[owner[best]] = True
    return lines[owner[best]], entry[best], pack[best], lines[~decided]


def _record_entries(index: CatalogIndex, out: _Out, won: np.ndarray, best_entry: np.ndarray) -> None:
    """Each line's winning price entry: its contract, item, price row, category (the item's, when it has one),
    contract price and list price."""
    out.contract[won] = index.contracts.id[index.entries.contract[best_entry]]
    out.item[won] = index.entries.item_id[best_entry]
    out.price[won] = index.entries.price_id[best_entry]
    category = index.entries.category_id[best_entry]
    out.category[won] = np.where(category >= 0, category, out.category[won])
    out.expected[won] = index.entries.price[best_entry]
    out.list_price[won] = index.entries.list_price[best_entry]


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
    contract_price = index.entries.price[best_entry]
    list_price = index.entries.list_price[best_entry]
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
    _record_entries(index, out, won, best_entry)

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
    line, entry = spans(index.groups.first_entry[line_group], index.groups.entry_count[line_group])
    deciding_entry = deciding[line]
    day = line_day[line]
    contract = index.entries.contract[entry]
    matches = tolerance.matches(paid_item[line], index.entries.price[entry], allowance[line])
    same = same_product(
        index.entries.uom[entry],
        index.entries.units_per_uom[entry],
        index.entries.uom[deciding_entry],
        index.entries.units_per_uom[deciding_entry],
    )
    old = same & earlier_price(
        index.contracts.is_draft[contract],
        index.contracts.end_day[contract],
        index.entries.from_day[entry],
        index.entries.to_day[entry],
        day,
    )
    wrong = (index.entries.item_id[entry] == index.entries.item_id[deciding_entry]) & other_tier_price(
        effective_on(index.entries.from_day[entry], index.entries.to_day[entry], day),
        index.entries.tier[entry],
        index.entries.tier[deciding_entry],
    )
    any_old = np.bincount(line, weights=old & matches, minlength=len(deciding)) > 0
    any_wrong = np.bincount(line, weights=wrong & matches, minlength=len(deciding)) > 0
    list_price = index.entries.list_price[deciding]
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
    status = ints([STATUS_CODE[STATUS_OF_RULE[a.rule]] for a in answers])[inverse]
    contract = ints([a.contract.id if a.contract is not None else NONE for a in answers])[inverse]
    ratios = [a.discount_pct.as_integer_ratio() if a.discount_pct is not None else (0, 1) for a in answers]
    discount = (ints([r[0] for r in ratios])[inverse], ints([r[1] for r in ratios])[inverse])
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
            purchase_date=EPOCH + timedelta(days=int(days[position])),
            vendor_name=str(vendor_name),
            sku=str(sku),
            quantity=from_e4(int(quantity[position])),
            unit_price=from_e4(int(paid[position])),
            uom=str(uom),
            mfr_part_number=str(mfr),
            extended_amount=from_cents(int(extended[position])) if has_extended[position] else None,
        )
        for position, (practice_id, vendor_name, sku, uom, mfr) in zip(
            rows.tolist(), texts.itertuples(index=False, name=None), strict=True
        )
    ]


def _cents_int(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _store_result(out: _Out, position: int, result: LineResult) -> None:
    out.status[position] = STATUS_CODE[result.status]
    out.cause[position] = CAUSE_CODE[result.overcharge_cause]
    out.contract[position] = result.contract_id if result.contract_id is not None else NONE
    out.item[position] = result.item_id if result.item_id is not None else NONE
    out.price[position] = result.price_id if result.price_id is not None else NONE
    out.category[position] = result.category_id if result.category_id is not None else NONE
    expected = e4(result.expected_unit_price) if result.expected_unit_price is not None else None
    list_price = e4(result.list_price) if result.list_price is not None else None
    out.expected[position] = expected if expected is not None else NONE
    out.list_price[position] = list_price if list_price is not None else NONE
    out.savings[position] = _cents_int(result.savings)
    out.overcharge[position] = _cents_int(result.overcharge)
    out.missed[position] = _cents_int(result.missed_savings)
