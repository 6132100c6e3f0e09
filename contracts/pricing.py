"""The pricing engine: which contract price applies to a purchase (DESIGN.md section 4, steps 2-5).

Pure and ORM-free: it works on a `CatalogSlice` of frozen dataclasses built once per batch
(`contracts.selectors.catalog_slice_load`). `price_line` is the one-line reference that the bulk reconciliation
(`reports/reconcile.py`) must agree with; it is written to be read next to DESIGN §4.

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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from vendors.normalize import EACH, fold_uom, normalize_sku


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
        return not self.is_draft and self.start_date <= on <= self.end_date


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

    def effective_on(self, on: date) -> bool:
        """DESIGN §4.4: effective_from <= d <= effective_to, both inclusive; open-ended when blank."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


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
        setattr_(self, "prices_by_item", {k: tuple(v) for k, v in by_item.items()})
        setattr_(self, "participation_by_key", {(p.practice_id, p.contract_id): p for p in self.participations})

    def vendor_has_contract(self, vendor_id: int | None) -> bool:
        """DESIGN §4.6 non_gpo_vendor: whether the vendor has any contract in the catalog at all (any status)."""
        return vendor_id is not None and vendor_id in self.contracts_by_vendor

    def practice_in(self, practice_id: int, contract: ContractTerms, on: date) -> ParticipationTerms | None:
        """DESIGN §4: P is in a contract on d when it is in force on d and P joined it on or before d."""
        participation = self.participation_by_key.get((practice_id, contract.id))
        if participation is None or not contract.in_force(on) or participation.joined_on > on:
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

    def sort_key(self) -> tuple[Fraction, int, str, int, int]:
        # DESIGN §4.4: lowest price per each, then the later start date, then the lower number as text.
        per_each = Fraction(self.row.price) / self.item.units_per_uom
        return (per_each, -self.contract.start_date.toordinal(), self.contract.number, self.item.id, self.row.id)


def line_mfr_part(sku: str | None, mfr_part_number: str | None) -> str:
    """DESIGN §4: the line's manufacturer part number is its mfr column when not blank, else its SKU."""
    if mfr_part_number is not None and str(mfr_part_number).strip():
        return str(mfr_part_number)
    return sku or ""


def pack_size_for(line_uom: str, item: ItemTerms) -> int | None:
    """DESIGN §4.3: 1 for the same UOM (or a blank line UOM), n for an EA line against a pack of n, else None."""
    if not line_uom or line_uom == item.uom:
        return 1
    if line_uom == EACH:
        return item.units_per_uom
    return None


def _keep_min_qty(rows: Iterable[tuple[PriceRow, int]], quantity: Decimal) -> list[tuple[PriceRow, int]]:
    # DESIGN §4.4: min_qty against |q| in the item's UOM, so a return keeps the price of its purchase.
    magnitude = abs(quantity)
    return [(row, pack) for row, pack in rows if row.min_qty is None or row.min_qty <= magnitude / pack]


def _per_each(row: PriceRow, units: dict[int, int]) -> Fraction:
    return Fraction(row.price) / units[row.item_id]


def _rows_for_tier(
    rows: list[tuple[PriceRow, int]], tier: str | None, quantity: Decimal, units: dict[int, int], *, joined: bool
) -> list[tuple[PriceRow, int]]:
    """DESIGN §4.4 tier choice within one contract, then the min_qty filter.

    joined: P is in the contract (P's tier rows, else tier-blank rows). Otherwise (not_participating, §4.6): P's
    future tier rows when P joins later, else tier-blank rows, else the tier whose price after min_qty is highest.
    """
    if tier:
        own = [(r, n) for r, n in rows if r.tier == tier]
        if own:
            return _keep_min_qty(own, quantity)
    blank = [(r, n) for r, n in rows if r.tier == ""]
    if blank or joined:
        return _keep_min_qty(blank, quantity)
    by_tier: dict[str, list[tuple[PriceRow, int]]] = defaultdict(list)
    for row, pack in _keep_min_qty(rows, quantity):
        by_tier[row.tier].append((row, pack))
    if not by_tier:
        return []
    # The tier's price is the lowest it pays for this quantity; the highest of those is what any member gets.
    best_tier = max(sorted(by_tier), key=lambda t: min(_per_each(r, units) for r, _ in by_tier[t]))
    return by_tier[best_tier]


def _item_candidates(
    catalog: CatalogSlice,
    *,
    practice_id: int,
    items: Iterable[ItemTerms],
    line_uom: str,
    quantity: Decimal,
    on: date,
    joined: bool,
) -> list[_Candidate]:
    """DESIGN §4.4: price rows of convertible items effective on d, tier chosen per contract, then pooled.

    joined=True keeps contracts P is in on d; joined=False keeps contracts in force on d that P is not in.
    """
    per_contract: dict[int, list[tuple[PriceRow, int]]] = defaultdict(list)
    item_by_id: dict[int, ItemTerms] = {}
    for item in items:
        contract = catalog.contract_by_id[item.contract_id]
        if not contract.in_force(on):
            continue
        if (catalog.practice_in(practice_id, contract, on) is not None) != joined:
            continue
        pack = pack_size_for(line_uom, item)
        if pack is None:
            continue
        item_by_id[item.id] = item
        per_contract[contract.id].extend(
            (row, pack) for row in catalog.prices_by_item.get(item.id, ()) if row.effective_on(on)
        )
    units = {item_id: item.units_per_uom for item_id, item in item_by_id.items()}
    candidates: list[_Candidate] = []
    for contract_id, rows in per_contract.items():
        participation = catalog.participation_by_key.get((practice_id, contract_id))
        tier = participation.tier if participation is not None else None
        for row, pack in _rows_for_tier(rows, tier, quantity, units, joined=joined):
            candidates.append(_Candidate(catalog.contract_by_id[contract_id], item_by_id[row.item_id], row, pack))
    return candidates


def _answer_from(rule: Rule, candidates: list[_Candidate], matched: tuple[ItemTerms, ...] = ()) -> PriceAnswer:
    best = candidates[0] if len(candidates) == 1 else min(candidates, key=_Candidate.sort_key)
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
    # The largest discount is the lowest price; then the later start, then the lower number (DESIGN §4.4 tie-break).
    return min(contracts, key=lambda c: (-(c.discount_pct or 0), -c.start_date.toordinal(), c.number))


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

    mismatched = [item for item in covering_joined if pack_size_for(uom, item) is None]
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
