"""The pricing engine: which contract price applies to a purchase (DESIGN.md section 4, steps 2-6).

Every DESIGN §4 rule about prices is written once here, as a small function that answers for one value or for a
numpy array of them alike: `in_force`, `effective_on`, `practice_in`, `pack_size`, `keeps_tier`, `min_qty_allows`,
`per_each`, `deciding_order`, `Tolerance`, `earlier_price`, `other_tier_price`, `overcharge_cause`, and the money
formulas of rule 7 (`price_difference_amount`, `percent_off_savings_amount`, `percent_off_missed_amount`, `spend`),
rounded by gpo.money. The per-line engine below (`price_line`, on a `CatalogSlice` of frozen dataclasses) is the
readable statement of the rules; the bulk path (reports/reconcile_bulk.py and reports/catalog_index.py) calls the
same helpers on arrays, and the catalog pages' "your price" is `price_item`.

Readings of DESIGN §4 made here (the most literal one where the text allows two):
- DESIGN §4.3: a blank line UOM is taken as the item's own UOM (the file did not say otherwise).
- DESIGN §4.3: "line in each and item in a pack of n" applies to any item UOM other than EA, including a pack of 1.
- DESIGN §4.4: prices are always compared per each (c / units per UOM); with equal units this is the plain price.
- DESIGN §4.4: exact ties on c, start date and number fall back to the lower item id, then the lower price row id.
- DESIGN §4.5/4.6: among percent-off contracts the largest discount wins (the lowest price), then the later start,
  then the lower number.
- DESIGN §4.6: "P is in a covering contract" counts an item-priced contract of P with a price row of a matched item
  effective on d, before tier, min_qty and UOM filters. If that contract leaves no price (tier or min_qty), the line
  is off_contract; if only UOM-mismatched items of P's contracts have such rows, it is uom_mismatch.
- DESIGN §4.6 not_participating: an item-priced price (as if P had joined) beats a percent-off contract; when
  neither gives a figure (UOM cannot be converted, min_qty) the line stays not_participating with no c.
- DESIGN §4.6: "matches" for overcharge causes is |p - x| <= the same tolerance (the one around c). An earlier
  price = a row (any tier) of the deciding item, or of the same SKU in the same UOM on another of the vendor's
  contracts, that started before d and was over by d (its window or its contract ended). Another tier's price = a
  row of the deciding item effective on d whose tier differs from the deciding row's tier (tier-blank included).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

import numpy as np
from django.db import models

from vendors.normalize import EACH, fold_uom, normalize_sku

# A value or a numpy array of values: every rule helper below answers for either.
Values = Any

HUNDRED = Decimal("100")


# --- DESIGN §4 rules, one function each (scalars or arrays) ------------------------------------------------------


def _select(condition: Values, if_true: Values, if_false: Values) -> Values:
    """`if_true` where the condition holds, else `if_false`: a plain choice for one value, np.where for arrays."""
    if isinstance(condition, np.ndarray):
        return np.where(condition, if_true, if_false)
    return if_true if condition else if_false


def _larger(first: Values, second: Values) -> Values:
    if isinstance(first, np.ndarray) or isinstance(second, np.ndarray):
        return np.maximum(first, second)
    return max(first, second)


def _smaller(first: Values, second: Values) -> Values:
    if isinstance(first, np.ndarray) or isinstance(second, np.ndarray):
        return np.minimum(first, second)
    return min(first, second)


def in_force(is_draft: Values, start: Values, end: Values, on: Values) -> Values:
    """DESIGN §4: a contract is in force on d when it is not a draft and start <= d <= end (both inclusive)."""
    return (is_draft ^ True) & (start <= on) & (on <= end)


def effective_on(effective_from: Values, effective_to: Values, on: Values) -> Values:
    """DESIGN §4.4: a price row is effective on d when effective_from <= d <= effective_to (both inclusive).

    An open end is given as a day after every purchase (date.max, or a large day number in arrays).
    """
    return (effective_from <= on) & (on <= effective_to)


def applicable_days(
    contract_start: Values, contract_end: Values, effective_from: Values, effective_to: Values
) -> tuple[Values, Values]:
    """The first and last day a price row applies: its contract in force and the row effective (DESIGN §4, §4.4).

    For a contract that is not a draft, `in_force(...) & effective_on(...)` holds on d exactly when
    first <= d <= last (a property test holds it); the bulk path cuts its time lines at these days.
    """
    return _larger(contract_start, effective_from), _smaller(contract_end, effective_to)


def practice_in(has_participation: Values, joined_on: Values, contract_in_force: Values, on: Values) -> Values:
    """DESIGN §4: P is in a contract on d when the contract is in force on d and P joined it on or before d."""
    return has_participation & contract_in_force & (joined_on <= on)


def pack_size(
    line_uom: Values, item_uom: Values, units_per_uom: Values, *, each: Values = EACH, blank: Values = ""
) -> Values:
    """DESIGN §4.3: 1 for the same UOM (or a blank line UOM), n for a line in each against a pack of n, else 0.

    In the item's UOM the line counts q / n at p * n; 0 means the UOMs cannot be converted (uom_mismatch).
    UOMs are folded texts, or codes in arrays (pass the codes of EACH and of a blank UOM).
    """
    same = (line_uom == blank) | (line_uom == item_uom)
    return _select(same, 1, _select(line_uom == each, units_per_uom, 0))


def keeps_tier(
    row_tier: Values, practice_tier: Values, practice_tier_has_rows: Values, *, blank: Values = ""
) -> Values:
    """DESIGN §4.4, per contract: P's tier rows when the contract has some on d, else the tier-blank rows."""
    return _select(practice_tier_has_rows, row_tier == practice_tier, row_tier == blank)


def min_qty_allows(min_qty: Values, quantity: Values, pack: Values) -> Values:
    """DESIGN §4.4: a row applies when its min_qty is blank or <= |q| in the item's UOM (|q| / pack).

    A blank min_qty is None, or negative in arrays. A return (q < 0) keeps the price of its purchase.
    """
    if min_qty is None:
        return True
    return (min_qty < 0) | (min_qty * pack <= abs(quantity))


def per_each(price: Values, units_per_uom: Values, common_units: Values) -> Values:
    """DESIGN §4.4: a price compared per each, scaled by a common multiple of the units compared (exact)."""
    return price * (common_units // units_per_uom)


def deciding_order(
    per_each_price: Values, contract_start: Values, contract_number: Values, item_id: Values, price_id: Values
) -> tuple[Values, ...]:
    """DESIGN §4.4 tie-breaks, most significant first: the lowest price per each, then the later contract start,
    then the lower contract number (as text, or its rank in arrays), then the lower item and price row ids."""
    return (per_each_price, -contract_start, contract_number, item_id, price_id)


def percent_off_order(discount_pct: Decimal | int, contract_start: int, contract_number: str) -> tuple[Any, ...]:
    """DESIGN §4.5: the largest discount (the lowest price) first, then the later start, then the lower number."""
    return (-discount_pct, -contract_start, contract_number)


@dataclass(frozen=True, slots=True)
class Tolerance:
    """DESIGN §4.6: tolerance per unit of the item's UOM = max(absolute, relative * c) (settings)."""

    absolute: Decimal = Decimal("0.01")
    relative: Decimal = Decimal("0.005")

    @property
    def denominator(self) -> int:
        """Comparisons are made times the relative share's denominator, so integer prices stay exact."""
        return self.relative.as_integer_ratio()[1]

    def allowance(self, contract_price: Values, absolute: Values = None) -> Values:
        """max(absolute, relative * c) times `denominator` (absolute in the prices' unit; default: dollars)."""
        numerator, denominator = self.relative.as_integer_ratio()
        return _larger((self.absolute if absolute is None else absolute) * denominator, numerator * contract_price)

    def exceeded(self, paid: Values, contract_price: Values, allowance: Values) -> Values:
        """DESIGN §4.6 overcharged: p > c + tolerance (in the item's UOM)."""
        return paid * self.denominator > contract_price * self.denominator + allowance

    def matches(self, paid: Values, price: Values, allowance: Values) -> Values:
        """DESIGN §4.6 overcharge causes: p matches a price x when |p - x| <= the tolerance around c."""
        return abs(paid - price) * self.denominator <= allowance


def same_product(uom: Values, units_per_uom: Values, other_uom: Values, other_units_per_uom: Values) -> Values:
    """Two items sell the same pack: same UOM and the same each-count (a renewed contract's item, DESIGN §4.6)."""
    return (uom == other_uom) & (units_per_uom == other_units_per_uom)


def earlier_price(
    is_draft: Values, contract_end: Values, effective_from: Values, effective_to: Values, on: Values
) -> Values:
    """DESIGN §4.6 old_price: a row (not of a draft) that started before d and was over by d (row or contract)."""
    ended = (effective_to < on) | (contract_end < on)
    return (is_draft ^ True) & (effective_from < on) & ended


def other_tier_price(effective: Values, row_tier: Values, deciding_tier: Values) -> Values:
    """DESIGN §4.6 wrong_tier: a row of the deciding item effective on d for another tier than the deciding row's."""
    return effective & (row_tier != deciding_tier)


class OverchargeCause(models.TextChoices):
    """DESIGN §4.6: the likely cause of an overcharge, for the dispute (PurchaseLine.OverchargeCause)."""

    NONE = "", "—"
    OLD_PRICE = "old_price", "Old price"
    WRONG_TIER = "wrong_tier", "Wrong tier"
    NOT_LOADED = "not_loaded", "Contract price not loaded (list price charged)"
    PRICE_ERROR = "price_error", "Price error"


OVERCHARGE_CAUSE_PRIORITY = (
    OverchargeCause.OLD_PRICE,
    OverchargeCause.WRONG_TIER,
    OverchargeCause.NOT_LOADED,
    OverchargeCause.PRICE_ERROR,
)


def overcharge_cause(old_price: Values, wrong_tier: Values, list_price: Values) -> Values:
    """DESIGN §4.6: the first cause whose price p matches (old, another tier, list), else price_error.

    Answers the position in OVERCHARGE_CAUSE_PRIORITY (an array of positions for arrays).
    """
    if isinstance(old_price, np.ndarray):
        return np.select([old_price, wrong_tier, list_price], [0, 1, 2], 3)
    return 0 if old_price else 1 if wrong_tier else 2 if list_price else 3


def price_difference_amount(price: Values, paid: Values, quantity: Values, pack: Values) -> tuple[Values, Values]:
    """DESIGN §4.7: (x - p) * q in the item's UOM, as numerator and denominator: (x - p * n) * q / n.

    Savings take x = L, overcharge and missed savings are its negative with x = c. Round with gpo.money.
    """
    return (price - paid * pack) * quantity, pack


def percent_off_savings_amount(
    paid: Values, quantity: Values, discount: tuple[Values, Values]
) -> tuple[Values, Values]:
    """DESIGN §4.7: p * q * k / (1 - k) with k = pct / 100 given as a ratio: p * q * pct / (100 - pct)."""
    numerator, denominator = discount
    return paid * quantity * numerator, 100 * denominator - numerator


def percent_off_missed_amount(paid: Values, quantity: Values, discount: tuple[Values, Values]) -> tuple[Values, Values]:
    """DESIGN §4.7 not_participating under a percent-off contract: p * q * k, k = pct / 100."""
    numerator, denominator = discount
    return paid * quantity * numerator, 100 * denominator


def spend(extended: Values, has_extended: Values, quantity_times_price: Values) -> Values:
    """DESIGN §4.7: spend is the extended amount as given, else q * p (each rounded to cents by the caller)."""
    return _select(has_extended, extended, quantity_times_price)


# --- the catalog a batch is priced against -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """The parts of a contract that pricing needs; discount_pct is a percent (12.5 means 12.5 % off list)."""

    id: int
    vendor_id: int
    number: str
    start_date: date
    end_date: date
    is_draft: bool = False
    discount_pct: Decimal | None = None
    category_id: int | None = None

    def in_force(self, on: date) -> bool:
        """DESIGN §4: not a draft and start <= d <= end, both inclusive."""
        return in_force(self.is_draft, self.start_date, self.end_date, on)


@dataclass(frozen=True, slots=True)
class ItemTerms:
    """A contract item: normalised keys, folded UOM, each-count per UOM and list price per UOM."""

    id: int
    contract_id: int
    vendor_sku_normalized: str
    mfr_part_normalized: str = ""
    uom: str = EACH
    units_per_uom: int = 1
    list_price: Decimal | None = None
    category_id: int | None = None


@dataclass(frozen=True, slots=True)
class PriceRow:
    """A price per the item's UOM, effective from..to inclusive (to open when None), for a tier ("" = every tier)."""

    id: int
    item_id: int
    price: Decimal
    effective_from: date
    effective_to: date | None = None
    tier: str = ""
    min_qty: Decimal | None = None

    @property
    def last_day(self) -> date:
        """The last day the row is effective (date.max when open-ended)."""
        return self.effective_to if self.effective_to is not None else date.max

    def effective_on(self, on: date) -> bool:
        """DESIGN §4.4: effective_from <= d <= effective_to, both inclusive; open-ended when blank."""
        return effective_on(self.effective_from, self.last_day, on)


@dataclass(frozen=True, slots=True)
class ParticipationTerms:
    """A practice's letter of participation in a contract, signed on joined_on, with its tier on that contract."""

    practice_id: int
    contract_id: int
    joined_on: date
    tier: str = ""


@dataclass(frozen=True)
class CatalogSlice:
    """The catalog a batch is priced against, with its lookup indexes built once."""

    contracts: tuple[ContractTerms, ...] = ()
    items: tuple[ItemTerms, ...] = ()
    prices: tuple[PriceRow, ...] = ()
    participations: tuple[ParticipationTerms, ...] = ()
    contract_by_id: dict[int, ContractTerms] = field(init=False, repr=False, compare=False)
    contracts_by_vendor: dict[int, tuple[ContractTerms, ...]] = field(init=False, repr=False, compare=False)
    items_by_vendor_sku: dict[tuple[int, str], tuple[ItemTerms, ...]] = field(init=False, repr=False, compare=False)
    items_by_vendor_mfr: dict[tuple[int, str], tuple[ItemTerms, ...]] = field(init=False, repr=False, compare=False)
    items_by_mfr: dict[str, tuple[ItemTerms, ...]] = field(init=False, repr=False, compare=False)
    items_by_contract: dict[int, tuple[ItemTerms, ...]] = field(init=False, repr=False, compare=False)
    item_by_id: dict[int, ItemTerms] = field(init=False, repr=False, compare=False)
    prices_by_item: dict[int, tuple[PriceRow, ...]] = field(init=False, repr=False, compare=False)
    participation_by_key: dict[tuple[int, int], ParticipationTerms] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen: the indexes are set once here and never change afterwards.
        contract_by_id = {c.id: c for c in self.contracts}
        by_vendor: dict[int, list[ContractTerms]] = defaultdict(list)
        for contract in self.contracts:
            by_vendor[contract.vendor_id].append(contract)
        by_sku: dict[tuple[int, str], list[ItemTerms]] = defaultdict(list)
        by_vendor_mfr: dict[tuple[int, str], list[ItemTerms]] = defaultdict(list)
        by_mfr: dict[str, list[ItemTerms]] = defaultdict(list)
        by_contract: dict[int, list[ItemTerms]] = defaultdict(list)
        for item in sorted(self.items, key=lambda i: i.id):
            vendor_id = contract_by_id[item.contract_id].vendor_id
            by_contract[item.contract_id].append(item)
            if item.vendor_sku_normalized:
                by_sku[(vendor_id, item.vendor_sku_normalized)].append(item)
            if item.mfr_part_normalized:
                by_vendor_mfr[(vendor_id, item.mfr_part_normalized)].append(item)
                by_mfr[item.mfr_part_normalized].append(item)
        by_item: dict[int, list[PriceRow]] = defaultdict(list)
        for row in sorted(self.prices, key=lambda r: r.id):
            by_item[row.item_id].append(row)
        setattr_ = object.__setattr__
        setattr_(self, "contract_by_id", contract_by_id)
        setattr_(self, "contracts_by_vendor", {k: tuple(v) for k, v in by_vendor.items()})
        setattr_(self, "items_by_vendor_sku", {k: tuple(v) for k, v in by_sku.items()})
        setattr_(self, "items_by_vendor_mfr", {k: tuple(v) for k, v in by_vendor_mfr.items()})
        setattr_(self, "items_by_mfr", {k: tuple(v) for k, v in by_mfr.items()})
        setattr_(self, "items_by_contract", {k: tuple(v) for k, v in by_contract.items()})
        setattr_(self, "item_by_id", {item.id: item for item in self.items})
        setattr_(self, "prices_by_item", {k: tuple(v) for k, v in by_item.items()})
        setattr_(self, "participation_by_key", {(p.practice_id, p.contract_id): p for p in self.participations})

    def vendor_has_contract(self, vendor_id: int | None) -> bool:
        """DESIGN §4.6 non_gpo_vendor: whether the vendor has any contract in the catalog at all (any status)."""
        return vendor_id is not None and vendor_id in self.contracts_by_vendor

    def practice_participation(self, practice_id: int | None, contract_id: int) -> ParticipationTerms | None:
        """P's letter of participation in the contract, whenever it was signed (None for no practice)."""
        return self.participation_by_key.get((practice_id, contract_id)) if practice_id is not None else None

    def practice_in(self, practice_id: int | None, contract: ContractTerms, on: date) -> ParticipationTerms | None:
        """DESIGN §4: P is in a contract on d when it is in force on d and P joined it on or before d."""
        participation = self.practice_participation(practice_id, contract.id)
        if participation is None or not practice_in(True, participation.joined_on, contract.in_force(on), on):
            return None
        return participation


class Rule(StrEnum):
    """Which rule of DESIGN §4 decided the answer."""

    NO_VENDOR_CONTRACT = "no_vendor_contract"  # §4.6 non_gpo_vendor
    ITEM_PRICE = "item_price"  # §4.4: P is in a contract that prices the item on d
    PERCENT_OFF = "percent_off"  # §4.5: P is in a percent-off contract covering the item
    NOT_PARTICIPATING = "not_participating"  # §4.6: a contract in force would cover it if P joined
    NOT_COVERED = "not_covered"  # §4.6 off_contract
    UOM_MISMATCH = "uom_mismatch"  # §4.3


@dataclass(frozen=True, slots=True)
class PriceAnswer:
    """What applies to one purchase: the deciding contract, item and price row, c and L (per the item's UOM).

    pack_size is how many of the line's units make one item unit (n for an EA line against a pack of n, else 1):
    in the item's UOM the line counts q / pack_size at p * pack_size (DESIGN §4.3).
    """

    rule: Rule
    contract: ContractTerms | None = None
    item: ItemTerms | None = None
    price_row: PriceRow | None = None
    contract_price: Decimal | None = None
    list_price: Decimal | None = None
    pack_size: int = 1
    discount_pct: Decimal | None = None
    matched_item: ItemTerms | None = None
    matched_items: tuple[ItemTerms, ...] = ()


@dataclass(frozen=True, slots=True)
class _Candidate:
    contract: ContractTerms
    item: ItemTerms
    row: PriceRow
    pack_size: int


def _common_units(candidates: Iterable[_Candidate]) -> int:
    return math.lcm(*(candidate.item.units_per_uom for candidate in candidates))


def _best(candidates: list[_Candidate]) -> _Candidate:
    """DESIGN §4.4: the lowest price per each, then the tie-breaks of `deciding_order`."""
    if len(candidates) == 1:
        return candidates[0]
    common = _common_units(candidates)
    return min(
        candidates,
        key=lambda c: deciding_order(
            per_each(c.row.price, c.item.units_per_uom, common),
            c.contract.start_date.toordinal(),
            c.contract.number,
            c.item.id,
            c.row.id,
        ),
    )


def line_mfr_part(sku: str | None, mfr_part_number: str | None) -> str:
    """DESIGN §4: the line's manufacturer part number is its mfr column when not blank, else its SKU."""
    if mfr_part_number is not None and str(mfr_part_number).strip():
        return str(mfr_part_number)
    return sku or ""


def _rows_for_tier(
    candidates: list[_Candidate], tier: str | None, quantity: Decimal, *, joined: bool
) -> list[_Candidate]:
    """DESIGN §4.4 tier choice within one contract, then the min_qty filter.

    joined: P is in the contract (P's tier rows, else tier-blank rows). Otherwise (not_participating, §4.6): P's
    future tier rows when P joins later, else tier-blank rows, else the tier whose price after min_qty is highest.
    """
    has_own = bool(tier) and any(c.row.tier == tier for c in candidates)
    has_blank = any(c.row.tier == "" for c in candidates)
    if has_own or has_blank or joined:
        return [
            c
            for c in candidates
            if keeps_tier(c.row.tier, tier, has_own) and min_qty_allows(c.row.min_qty, quantity, c.pack_size)
        ]
    by_tier: dict[str, list[_Candidate]] = defaultdict(list)
    for candidate in candidates:
        if min_qty_allows(candidate.row.min_qty, quantity, candidate.pack_size):
            by_tier[candidate.row.tier].append(candidate)
    if not by_tier:
        return []
    # The tier's price is the lowest it pays for this quantity; the highest of those is what any member gets.
    common = _common_units(c for rows in by_tier.values() for c in rows)

    def tier_price(name: str) -> Decimal:
        return min(per_each(c.row.price, c.item.units_per_uom, common) for c in by_tier[name])

    return by_tier[max(sorted(by_tier), key=tier_price)]


def _item_candidates(
    catalog: CatalogSlice,
    *,
    practice_id: int | None,
    items: Iterable[ItemTerms],
    line_uom: str,
    quantity: Decimal,
    on: date,
    joined: bool,
) -> list[_Candidate]:
    """DESIGN §4.4: price rows of convertible items effective on d, tier chosen per contract, then pooled.

    joined=True keeps contracts P is in on d; joined=False keeps contracts in force on d that P is not in.
    """
    per_contract: dict[int, list[_Candidate]] = defaultdict(list)
    for item in items:
        contract = catalog.contract_by_id[item.contract_id]
        if not contract.in_force(on):
            continue
        if (catalog.practice_in(practice_id, contract, on) is not None) != joined:
            continue
        pack = pack_size(line_uom, item.uom, item.units_per_uom)
        if not pack:
            continue
        per_contract[contract.id].extend(
            _Candidate(contract, item, row, pack)
            for row in catalog.prices_by_item.get(item.id, ())
            if row.effective_on(on)
        )
    candidates: list[_Candidate] = []
    for contract_id, rows in per_contract.items():
        participation = catalog.practice_participation(practice_id, contract_id)
        tier = participation.tier if participation is not None else None
        candidates.extend(_rows_for_tier(rows, tier, quantity, joined=joined))
    return candidates


def _answer_from(rule: Rule, candidates: list[_Candidate], matched: tuple[ItemTerms, ...] = ()) -> PriceAnswer:
    best = _best(candidates)
    return PriceAnswer(
        rule=rule,
        contract=best.contract,
        item=best.item,
        price_row=best.row,
        contract_price=best.row.price,
        list_price=best.item.list_price,
        pack_size=best.pack_size,
        matched_item=best.item,
        matched_items=matched,
    )


def _best_percent_off(contracts: list[ContractTerms]) -> ContractTerms:
    return min(contracts, key=lambda c: percent_off_order(c.discount_pct or 0, c.start_date.toordinal(), c.number))


def matched_items(
    catalog: CatalogSlice, *, vendor_id: int, sku_normalized: str, mfr_normalized: str
) -> tuple[ItemTerms, ...]:
    """DESIGN §4.2: items of the vendor (all its contracts) by vendor SKU, else by manufacturer part number."""
    found = catalog.items_by_vendor_sku.get((vendor_id, sku_normalized), ()) if sku_normalized else ()
    if not found and mfr_normalized:
        found = catalog.items_by_vendor_mfr.get((vendor_id, mfr_normalized), ())
    return found


def price_normalized(
    catalog: CatalogSlice,
    *,
    practice_id: int,
    vendor_id: int | None,
    sku_normalized: str,
    mfr_normalized: str,
    uom: str,
    quantity: Decimal,
    on: date,
) -> PriceAnswer:
    """`price_line` for keys already normalised (SKU, part number) and a folded UOM: the bulk path's entry."""
    if vendor_id is None or not catalog.vendor_has_contract(vendor_id):
        return PriceAnswer(rule=Rule.NO_VENDOR_CONTRACT)
    items = matched_items(catalog, vendor_id=vendor_id, sku_normalized=sku_normalized, mfr_normalized=mfr_normalized)
    matched_item = items[0] if items else None

    # DESIGN §4.4: P's own contracts that price the item on d.
    own = _item_candidates(
        catalog, practice_id=practice_id, items=items, line_uom=uom, quantity=quantity, on=on, joined=True
    )
    if own:
        return _answer_from(Rule.ITEM_PRICE, own, items)

    # DESIGN §4.5: percent-off contracts in force on d that no item row of theirs names.
    naming_contracts = {item.contract_id for item in items}
    percent_off = [
        c
        for c in catalog.contracts_by_vendor[vendor_id]
        if c.discount_pct is not None and c.in_force(on) and c.id not in naming_contracts
    ]
    percent_off_joined = [c for c in percent_off if catalog.practice_in(practice_id, c, on) is not None]
    if percent_off_joined:
        best = _best_percent_off(percent_off_joined)
        return PriceAnswer(
            rule=Rule.PERCENT_OFF, contract=best, discount_pct=best.discount_pct, matched_item=matched_item
        )

    # DESIGN §4.6: which contracts in force on d have a price row of a matched item effective on d (any UOM).
    covering_joined: list[ItemTerms] = []
    covering_other = False
    for item in items:
        contract = catalog.contract_by_id[item.contract_id]
        if not contract.in_force(on) or not any(r.effective_on(on) for r in catalog.prices_by_item.get(item.id, ())):
            continue
        if catalog.practice_in(practice_id, contract, on) is not None:
            covering_joined.append(item)
        else:
            covering_other = True

    if not covering_joined and (covering_other or percent_off):
        joining = _item_candidates(
            catalog, practice_id=practice_id, items=items, line_uom=uom, quantity=quantity, on=on, joined=False
        )
        if joining:
            return _answer_from(Rule.NOT_PARTICIPATING, joining, items)
        if percent_off:
            best = _best_percent_off(percent_off)
            return PriceAnswer(
                rule=Rule.NOT_PARTICIPATING, contract=best, discount_pct=best.discount_pct, matched_item=matched_item
            )
        return PriceAnswer(rule=Rule.NOT_PARTICIPATING, matched_item=matched_item)

    mismatched = [item for item in covering_joined if not pack_size(uom, item.uom, item.units_per_uom)]
    if mismatched:
        item = mismatched[0]
        return PriceAnswer(
            rule=Rule.UOM_MISMATCH,
            contract=catalog.contract_by_id[item.contract_id],
            item=item,
            list_price=item.list_price,
            matched_item=item,
        )
    return PriceAnswer(rule=Rule.NOT_COVERED, matched_item=matched_item)


def price_line(
    catalog: CatalogSlice,
    *,
    practice_id: int,
    vendor_id: int | None,
    sku: str | None,
    mfr_part_number: str | None,
    uom: str | None,
    quantity: Decimal,
    on: date,
) -> PriceAnswer:
    """The contract, item, price row, c and L that apply to one purchase, and the DESIGN §4 rule that decided."""
    return price_normalized(
        catalog,
        practice_id=practice_id,
        vendor_id=vendor_id,
        sku_normalized=normalize_sku(sku),
        mfr_normalized=normalize_sku(line_mfr_part(sku, mfr_part_number)),
        uom=fold_uom(uom),
        quantity=quantity,
        on=on,
    )


def price_by_mfr_part(
    catalog: CatalogSlice, *, practice_id: int, mfr_normalized: str, uom: str, quantity: Decimal, on: date
) -> PriceAnswer | None:
    """DESIGN §4.7 missed savings: P's price (step 4) for items of any vendor with this manufacturer part number.

    Only contracts that P is in on d count; None when no such item gives a price (UOM included).
    """
    if not mfr_normalized:
        return None
    items = catalog.items_by_mfr.get(mfr_normalized, ())
    candidates = _item_candidates(
        catalog, practice_id=practice_id, items=items, line_uom=uom, quantity=quantity, on=on, joined=True
    )
    return _answer_from(Rule.ITEM_PRICE, candidates) if candidates else None


def price_item(
    catalog: CatalogSlice, *, practice_id: int | None, item_id: int, quantity: Decimal, on: date
) -> PriceAnswer:
    """What a purchase of this one item, in its own UOM, by P on d is reconciled against (the catalog's "your price").

    DESIGN §4.4 when P is in the item's contract on d (rule ITEM_PRICE, or NOT_COVERED when its tier or min_qty
    leave no row); DESIGN §4.6 when the contract is in force and P is not in it on d, including a participation that
    starts later (rule NOT_PARTICIPATING: the price on joining); NOT_COVERED when the contract is not in force.
    """
    item = catalog.item_by_id[item_id]
    contract = catalog.contract_by_id[item.contract_id]
    if not contract.in_force(on):
        return PriceAnswer(rule=Rule.NOT_COVERED, matched_item=item)
    joined = catalog.practice_in(practice_id, contract, on) is not None
    candidates = _item_candidates(
        catalog, practice_id=practice_id, items=(item,), line_uom=item.uom, quantity=quantity, on=on, joined=joined
    )
    if candidates:
        return _answer_from(Rule.ITEM_PRICE if joined else Rule.NOT_PARTICIPATING, candidates, (item,))
    return PriceAnswer(rule=Rule.NOT_COVERED if joined else Rule.NOT_PARTICIPATING, matched_item=item)


# The catalog as columns (contracts.selectors.catalog_frames_load reads them, reports.reconcile_bulk indexes them):
# days since 1970-01-01, money and quantities in ten-thousandths, null for a missing value.
CONTRACT_COLUMNS = ("id", "vendor_id", "number", "start_day", "end_day", "is_draft", "discount_pct_e4")
ITEM_COLUMNS = (
    "id",
    "contract_id",
    "vendor_sku_normalized",
    "mfr_part_normalized",
    "uom",
    "units_per_uom",
    "list_price_e4",
    "category_id",
)
PRICE_COLUMNS = ("id", "item_id", "price_e4", "from_day", "to_day", "tier", "min_qty_e4")
PARTICIPATION_COLUMNS = ("practice_id", "contract_id", "joined_day", "tier")
