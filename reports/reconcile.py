"""Reconciliation of purchase lines against the catalog: status and money per line (DESIGN.md section 4).

Pure: takes a `CatalogSlice` (contracts.pricing), a `VendorDirectory` and plain `LineInput`s, returns `LineResult`s.
`reconcile_line` is the one-line reference built on `contracts.pricing.price_line`; `reconcile_keyed` prices a list
of lines with the reference engine once per distinct key. The bulk path is reports/reconcile_bulk.py (columns,
numpy); both must agree with `reconcile_line`.

Readings of DESIGN §4 made here:
- DESIGN §4.6: "matches" for overcharge causes is |p - x| <= the same tolerance (the one around c). An earlier
  price = a row (any tier) of the deciding item, or of the same SKU in the same UOM on another of the vendor's
  contracts, that started before d and was over by d (its window or its contract ended). Another tier's price = a
  row of the deciding item effective on d whose tier differs from the deciding row's tier (tier-blank included).
- DESIGN §4.7: expected_unit_price is c and list_price is L, both per the deciding item's UOM (after the step 3
  conversion the line is compared in that UOM). Percent-off and off-contract lines record neither.
- DESIGN §4.7: savings and overcharge use q and p in the item's UOM; (x - p*n) * q / n is computed in one exact
  Decimal expression and rounded once with gpo.money.cents.
- DESIGN §4.7: the "off_contract / non_gpo_vendor" missed-savings item may belong to any vendor; its contract,
  item and price are not recorded on the line (the line is not on that contract).
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from rapidfuzz import fuzz, process

from contracts.pricing import (
    CatalogSlice,
    PriceAnswer,
    Rule,
    line_mfr_part,
    matched_items,
    price_by_mfr_part,
    price_line,
    price_normalized,
)
from gpo.money import cents
from vendors.normalize import fold_uom, normalize_sku, normalize_vendor_name

ZERO = Decimal("0")
ONE_DAY = timedelta(days=1)
HUNDRED = Decimal("100")


class LineStatus(StrEnum):
    """The values of reports.models.PurchaseLine.Status, DESIGN §4.6."""

    ON_CONTRACT = "on_contract"
    OVERCHARGED = "overcharged"
    NOT_PARTICIPATING = "not_participating"
    OFF_CONTRACT = "off_contract"
    UOM_MISMATCH = "uom_mismatch"
    NON_GPO_VENDOR = "non_gpo_vendor"


class OverchargeCause(StrEnum):
    """The values of reports.models.PurchaseLine.OverchargeCause, DESIGN §4.6."""

    NONE = ""
    OLD_PRICE = "old_price"
    WRONG_TIER = "wrong_tier"
    NOT_LOADED = "not_loaded"
    PRICE_ERROR = "price_error"


class VendorMatch(StrEnum):
    """How the vendor name was resolved (reports.models.PurchaseLine.VendorMatch)."""

    NONE = ""
    EXACT = "exact"
    ALIAS = "alias"
    FUZZY = "fuzzy"


@dataclass(frozen=True, slots=True)
class VendorRecord:
    """A vendor as resolution needs it."""

    id: int
    normalized_name: str
    category_id: int | None = None


@dataclass(frozen=True)
class VendorDirectory:
    """Vendor names and aliases (normalised), names staff marked non-GPO, and the fuzzy threshold (0-100)."""

    vendors: tuple[VendorRecord, ...] = ()
    aliases: tuple[tuple[str, int], ...] = ()
    non_gpo_names: frozenset[str] = frozenset()
    fuzzy_threshold: float = 92.0
    _by_name: dict[str, int] = field(init=False, repr=False, compare=False)
    _by_alias: dict[str, int] = field(init=False, repr=False, compare=False)
    _category: dict[int, int | None] = field(init=False, repr=False, compare=False)
    _choices: list[tuple[str, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, int] = {}
        for vendor in sorted(self.vendors, key=lambda v: v.id):
            by_name.setdefault(vendor.normalized_name, vendor.id)
        by_alias = dict(self.aliases)
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_by_alias", by_alias)
        object.__setattr__(self, "_category", {v.id: v.category_id for v in self.vendors})
        object.__setattr__(self, "_choices", [*by_name.items(), *sorted(by_alias.items())])

    def category_of(self, vendor_id: int | None) -> int | None:
        """The vendor's category id."""
        return self._category.get(vendor_id) if vendor_id is not None else None

    def resolve(self, vendor_name: str) -> tuple[int | None, VendorMatch]:
        """DESIGN §4.1: exact normalised name, then alias, then a fuzzy match at the threshold (flagged)."""
        normalized = normalize_vendor_name(vendor_name)
        if not normalized:
            return None, VendorMatch.NONE
        if normalized in self._by_name:
            return self._by_name[normalized], VendorMatch.EXACT
        if normalized in self._by_alias:
            return self._by_alias[normalized], VendorMatch.ALIAS
        if normalized in self.non_gpo_names or not self._choices:
            return None, VendorMatch.NONE
        best = process.extractOne(
            normalized,
            [name for name, _ in self._choices],
            scorer=fuzz.token_sort_ratio,
            score_cutoff=self.fuzzy_threshold,
        )
        if best is None:
            return None, VendorMatch.NONE
        return self._choices[best[2]][1], VendorMatch.FUZZY


@dataclass(frozen=True, slots=True)
class Tolerance:
    """DESIGN §4.6: tolerance per unit of the item's UOM = max(absolute, relative * c)."""

    absolute: Decimal = Decimal("0.01")
    relative: Decimal = Decimal("0.005")

    def for_price(self, contract_price: Decimal) -> Decimal:
        """The tolerance around a contract price c."""
        return max(self.absolute, self.relative * contract_price)


@dataclass(frozen=True, slots=True)
class LineInput:
    """One accepted purchase line as reconciliation needs it (q negative for a return)."""

    practice_id: int
    purchase_date: date
    vendor_name: str
    sku: str
    quantity: Decimal
    unit_price: Decimal
    uom: str = ""
    mfr_part_number: str = ""
    extended_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class LineResult:
    """The stored reconciliation result of one line (amounts in cents, unit prices per the item's UOM)."""

    vendor_id: int | None
    vendor_match: str
    sku_normalized: str
    mfr_part_normalized: str
    status: str
    overcharge_cause: str = ""
    contract_id: int | None = None
    item_id: int | None = None
    price_id: int | None = None
    category_id: int | None = None
    expected_unit_price: Decimal | None = None
    list_price: Decimal | None = None
    spend: Decimal = ZERO
    savings: Decimal = ZERO
    overcharge: Decimal = ZERO
    missed_savings: Decimal = ZERO


def line_spend(line: LineInput) -> Decimal:
    """DESIGN §4.7: the extended amount as given, else q * p, in cents."""
    return cents(line.extended_amount if line.extended_amount is not None else line.quantity * line.unit_price)


def _matches(paid: Decimal, price: Decimal, tolerance: Decimal) -> bool:
    return abs(paid - price) <= tolerance


def overcharge_cause(
    catalog: CatalogSlice, answer: PriceAnswer, *, paid_item_uom: Decimal, tolerance: Decimal, on: date
) -> OverchargeCause:
    """DESIGN §4.6: old_price, wrong_tier, not_loaded, else price_error (the first that matches)."""
    item, deciding = answer.item, answer.price_row
    assert item is not None
    assert deciding is not None
    # An earlier price: a row of the item (or of the same SKU, same UOM, on another of the vendor's contracts, as
    # when a renewed contract replaced the old one) that had started before d and was over by d.
    same_product = [i for i in answer.matched_items if i.uom == item.uom and i.units_per_uom == item.units_per_uom]
    for other in same_product or [item]:
        contract = catalog.contract_by_id[other.contract_id]
        if contract.is_draft:
            continue
        for row in catalog.prices_by_item.get(other.id, ()):
            ended = (row.effective_to is not None and row.effective_to < on) or contract.end_date < on
            if row.effective_from < on and ended and _matches(paid_item_uom, row.price, tolerance):
                return OverchargeCause.OLD_PRICE
    rows = catalog.prices_by_item.get(item.id, ())
    if any(
        r.effective_on(on) and r.tier != deciding.tier and _matches(paid_item_uom, r.price, tolerance) for r in rows
    ):
        return OverchargeCause.WRONG_TIER
    if answer.list_price is not None and _matches(paid_item_uom, answer.list_price, tolerance):
        return OverchargeCause.NOT_LOADED
    return OverchargeCause.PRICE_ERROR


def _difference_times_quantity(price: Decimal, paid: Decimal, quantity: Decimal, pack: int) -> Decimal:
    # (x - p * n) * (q / n) in one exact expression: the item's UOM, DESIGN §4.3.
    return (price - paid * pack) * quantity / pack


def _mfr_missed(catalog: CatalogSlice, line: LineInput, alternative: PriceAnswer | None) -> Decimal:
    """DESIGN §4.7: (p - c) * q against an item with the line's part number on a contract P is in, when p > c."""
    if alternative is None or alternative.contract_price is None:
        return ZERO
    pack = alternative.pack_size
    if line.unit_price * pack <= alternative.contract_price:
        return ZERO
    return cents(-_difference_times_quantity(alternative.contract_price, line.unit_price, line.quantity, pack))


def result_from_answer(
    catalog: CatalogSlice,
    line: LineInput,
    *,
    vendor_id: int | None,
    vendor_match: str,
    vendor_category_id: int | None,
    sku_normalized: str,
    mfr_normalized: str,
    answer: PriceAnswer,
    alternative: PriceAnswer | None,
    tolerance: Tolerance,
) -> LineResult:
    """Status (DESIGN §4.6) and money (DESIGN §4.7) of a line from the pricing engine's answer."""
    q, p = line.quantity, line.unit_price
    rule = answer.rule
    status: str
    cause = OverchargeCause.NONE
    contract_id = answer.contract.id if answer.contract is not None else None
    item_id = answer.item.id if answer.item is not None else None
    price_id = answer.price_row.id if answer.price_row is not None else None
    expected = answer.contract_price
    list_price = answer.list_price
    savings = overcharge = missed = ZERO

    if rule is Rule.NO_VENDOR_CONTRACT or rule is Rule.NOT_COVERED:
        status = LineStatus.NON_GPO_VENDOR if rule is Rule.NO_VENDOR_CONTRACT else LineStatus.OFF_CONTRACT
        if answer.matched_item is not None:
            item_id = answer.matched_item.id
        missed = _mfr_missed(catalog, line, alternative)
    elif rule is Rule.UOM_MISMATCH:
        status = LineStatus.UOM_MISMATCH
    elif rule is Rule.PERCENT_OFF:
        status = LineStatus.ON_CONTRACT
        k = answer.discount_pct
        assert k is not None
        # DESIGN §4.7: p * q * k / (1 - k) with k = pct / 100, i.e. p * q * pct / (100 - pct).
        savings = cents(p * q * k / (HUNDRED - k))
    elif rule is Rule.NOT_PARTICIPATING:
        status = LineStatus.NOT_PARTICIPATING
        c = answer.contract_price
        if c is not None:
            pack = answer.pack_size
            if p * pack > c:
                missed = cents(-_difference_times_quantity(c, p, q, pack))
        elif answer.discount_pct is not None:
            missed = cents(p * q * answer.discount_pct / HUNDRED)
    else:
        # Rule.ITEM_PRICE: on_contract or overcharged, per the item's UOM.
        c = answer.contract_price
        assert c is not None
        pack = answer.pack_size
        paid_item_uom = p * pack
        if list_price is not None:
            savings = cents(_difference_times_quantity(list_price, p, q, pack))
        allowed = tolerance.for_price(c)
        if paid_item_uom > c + allowed:
            status = LineStatus.OVERCHARGED
            overcharge = missed = cents(-_difference_times_quantity(c, p, q, pack))
            cause = overcharge_cause(
                catalog, answer, paid_item_uom=paid_item_uom, tolerance=allowed, on=line.purchase_date
            )
        else:
            status = LineStatus.ON_CONTRACT

    category_item = answer.item or answer.matched_item
    return LineResult(
        vendor_id=vendor_id,
        vendor_match=str(vendor_match),
        sku_normalized=sku_normalized,
        mfr_part_normalized=mfr_normalized,
        status=status,
        overcharge_cause=cause,
        contract_id=contract_id,
        item_id=item_id,
        price_id=price_id,
        category_id=(category_item.category_id if category_item is not None else None) or vendor_category_id,
        expected_unit_price=expected,
        list_price=list_price,
        spend=line_spend(line),
        savings=savings,
        overcharge=overcharge,
        missed_savings=missed,
    )


def reconcile_line(
    catalog: CatalogSlice, directory: VendorDirectory, line: LineInput, *, tolerance: Tolerance
) -> LineResult:
    """The one-line reference: resolve the vendor, price with contracts.pricing.price_line, then status and money."""
    vendor_id, match = directory.resolve(line.vendor_name)
    answer = price_line(
        catalog,
        practice_id=line.practice_id,
        vendor_id=vendor_id,
        sku=line.sku,
        mfr_part_number=line.mfr_part_number,
        uom=line.uom,
        quantity=line.quantity,
        on=line.purchase_date,
    )
    mfr_normalized = normalize_sku(line_mfr_part(line.sku, line.mfr_part_number))
    alternative = None
    if answer.rule in (Rule.NO_VENDOR_CONTRACT, Rule.NOT_COVERED):
        alternative = price_by_mfr_part(
            catalog,
            practice_id=line.practice_id,
            mfr_normalized=mfr_normalized,
            uom=fold_uom(line.uom),
            quantity=line.quantity,
            on=line.purchase_date,
        )
    return result_from_answer(
        catalog,
        line,
        vendor_id=vendor_id,
        vendor_match=match,
        vendor_category_id=directory.category_of(vendor_id),
        sku_normalized=normalize_sku(line.sku),
        mfr_normalized=mfr_normalized,
        answer=answer,
        alternative=alternative,
        tolerance=tolerance,
    )


def _group_plan(
    catalog: CatalogSlice, vendor_id: int, sku_normalized: str, mfr_normalized: str
) -> tuple[list[date], bool]:
    """The days on which a price answer for this vendor and item can change, and whether min_qty plays a part."""
    days: set[date] = set()
    for contract in catalog.contracts_by_vendor.get(vendor_id, ()):
        days.update((contract.start_date, contract.end_date + ONE_DAY))
    has_min_qty = False
    for item in matched_items(
        catalog, vendor_id=vendor_id, sku_normalized=sku_normalized, mfr_normalized=mfr_normalized
    ):
        for row in catalog.prices_by_item.get(item.id, ()):
            days.add(row.effective_from)
            if row.effective_to is not None:
                days.add(row.effective_to + ONE_DAY)
            has_min_qty = has_min_qty or row.min_qty is not None
    return sorted(days), has_min_qty


def _practice_standing(
    catalog: CatalogSlice, practice_id: int, vendor_id: int
) -> tuple[tuple[tuple[int, date, str], ...], list[date]]:
    """A practice's participations in the vendor's contracts (what pricing sees of it) and their joining days."""
    signature = tuple(
        (p.contract_id, p.joined_on, p.tier)
        for c in catalog.contracts_by_vendor.get(vendor_id, ())
        if (p := catalog.participation_by_key.get((practice_id, c.id))) is not None
    )
    return signature, sorted({joined for _, joined, _ in signature})


def reconcile_keyed(
    catalog: CatalogSlice, directory: VendorDirectory, lines: Sequence[LineInput], *, tolerance: Tolerance
) -> list[LineResult]:
    """Lines priced by the reference engine, each distinct pricing situation worked out once.

    A price answer depends on the practice only through its participations in the vendor's contracts, on the date
    only through which contracts, participations and price rows are in force, and on the quantity only through
    min_qty: lines that agree on those share one answer (`_group_plan`, `_practice_standing`). The bulk path
    (reports.reconcile_bulk) sends here the lines its columns do not decide.
    """
    # Many small acyclic objects: the cyclic garbage collector's repeated passes over them cost much and find none.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _reconcile_keyed(catalog, directory, lines, tolerance=tolerance)
    finally:
        if collecting:
            gc.enable()


def _reconcile_keyed(
    catalog: CatalogSlice, directory: VendorDirectory, lines: Sequence[LineInput], *, tolerance: Tolerance
) -> list[LineResult]:
    vendors: dict[str, tuple[int | None, VendorMatch]] = {}
    normalized: dict[str, str] = {}
    uoms: dict[str, str] = {}
    answers: dict[tuple[object, ...], PriceAnswer] = {}
    alternatives: dict[tuple[object, ...], PriceAnswer | None] = {}
    plans: dict[tuple[int, str, str], tuple[list[date], bool]] = {}
    standings: dict[tuple[int, int], tuple[tuple[tuple[int, date, str], ...], list[date]]] = {}
    results: list[LineResult] = []

    def norm(text: str) -> str:
        found = normalized.get(text)
        if found is None:
            found = normalized[text] = normalize_sku(text)
        return found

    for line in lines:
        resolved = vendors.get(line.vendor_name)
        if resolved is None:
            resolved = vendors[line.vendor_name] = directory.resolve(line.vendor_name)
        vendor_id, match = resolved
        sku_normalized = norm(line.sku)
        mfr_normalized = norm(line_mfr_part(line.sku, line.mfr_part_number))
        uom = uoms.get(line.uom)
        if uom is None:
            uom = uoms[line.uom] = fold_uom(line.uom)
        magnitude = abs(line.quantity)
        on = line.purchase_date
        if vendor_id is None:
            key: tuple[object, ...] = (None,)
        else:
            group = (vendor_id, sku_normalized, mfr_normalized)
            plan = plans.get(group)
            if plan is None:
                plan = plans[group] = _group_plan(catalog, vendor_id, sku_normalized, mfr_normalized)
            standing_key = (line.practice_id, vendor_id)
            standing = standings.get(standing_key)
            if standing is None:
                standing = standings[standing_key] = _practice_standing(catalog, line.practice_id, vendor_id)
            breakpoints, has_min_qty = plan
            signature, joined_dates = standing
            key = (
                group,
                uom,
                signature,
                bisect_right(breakpoints, on),
                bisect_right(joined_dates, on),
                magnitude if has_min_qty else None,
            )
        answer = answers.get(key)
        if answer is None:
            answer = answers[key] = price_normalized(
                catalog,
                practice_id=line.practice_id,
                vendor_id=vendor_id,
                sku_normalized=sku_normalized,
                mfr_normalized=mfr_normalized,
                uom=uom,
                quantity=magnitude,
                on=line.purchase_date,
            )
        alternative = None
        if answer.rule in (Rule.NO_VENDOR_CONTRACT, Rule.NOT_COVERED):
            alt_key = (line.practice_id, mfr_normalized, uom, magnitude, line.purchase_date)
            if alt_key in alternatives:
                alternative = alternatives[alt_key]
            else:
                alternative = alternatives[alt_key] = price_by_mfr_part(
                    catalog,
                    practice_id=line.practice_id,
                    mfr_normalized=mfr_normalized,
                    uom=uom,
                    quantity=magnitude,
                    on=line.purchase_date,
                )
        results.append(
            result_from_answer(
                catalog,
                line,
                vendor_id=vendor_id,
                vendor_match=match,
                vendor_category_id=directory.category_of(vendor_id),
                sku_normalized=sku_normalized,
                mfr_normalized=mfr_normalized,
                answer=answer,
                alternative=alternative,
                tolerance=tolerance,
            )
        )
    return results


def repeat_key(
    *, invoice_number: str, sku_normalized: str, purchase_date: date, quantity: Decimal, unit_price: Decimal
) -> tuple[str, str, date, Decimal, Decimal] | None:
    """DESIGN §4.9: the natural key of a repeat; lines with no invoice number never repeat."""
    invoice = invoice_number.strip()
    if not invoice:
        return None
    return (invoice, sku_normalized, purchase_date, quantity.normalize(), unit_price.normalize())


__all__ = [
    "LineInput",
    "LineResult",
    "LineStatus",
    "OverchargeCause",
    "Tolerance",
    "VendorDirectory",
    "VendorRecord",
    "reconcile_keyed",
    "reconcile_line",
    "repeat_key",
]
