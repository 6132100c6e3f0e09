"""Reconciliation of purchase lines against the catalog: status and money per line (DESIGN.md section 4).

Pure: takes a `CatalogSlice` (contracts.pricing), a `VendorDirectory` and plain `LineInput`s, returns `LineResult`s.
`reconcile_line` is the one-line reference built on `contracts.pricing.price_line`; `reconcile_keyed` prices a list
of lines with the reference engine once per distinct key. The bulk path is reports/reconcile_bulk.py (columns,
numpy); both must agree with `reconcile_line`.

Statuses, causes and vendor matches are the model's own choices (reports.models.PurchaseLine); every rule of
DESIGN §4 comes from contracts.pricing (prices, tolerance, causes, the money formulas) and gpo.money (rounding).

Readings of DESIGN §4 made here:
- DESIGN §4.7: expected_unit_price is c and list_price is L, both per the deciding item's UOM (after the step 3
  conversion the line is compared in that UOM). Percent-off and off-contract lines record neither.
- DESIGN §4.7: savings and overcharge use q and p in the item's UOM; (x - p*n) * q / n is computed in one exact
  Decimal expression and rounded once with gpo.money.cents.
- DESIGN §4.7: the "off_contract / non_gpo_vendor" missed-savings item may belong to any vendor; its contract,
  item and price are not recorded on the line (the line is not on that contract).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from rapidfuzz import fuzz, process

from contracts.pricing import (
    OVERCHARGE_CAUSE_PRIORITY,
    CatalogSlice,
    OverchargeCause,
    PriceAnswer,
    Rule,
    Tolerance,
    earlier_price,
    line_mfr_part,
    matched_items,
    other_tier_price,
    overcharge_cause,
    percent_off_missed_amount,
    percent_off_savings_amount,
    price_by_mfr_part,
    price_difference_amount,
    price_line,
    price_normalized,
    same_product,
    spend,
)
from gpo.money import cents, cents_of
from reports.models import PurchaseLine
from vendors.normalize import fold_uom, normalize_sku, normalize_vendor_name

ZERO = Decimal("0")
ONE_DAY = timedelta(days=1)


Status = PurchaseLine.Status
VendorMatch = PurchaseLine.VendorMatch

# DESIGN §4.6: the status each pricing answer gives (item-priced lines are on_contract or overcharged).
STATUS_OF_RULE = {
    Rule.NO_VENDOR_CONTRACT: Status.NON_GPO_VENDOR,
    Rule.ITEM_PRICE: Status.ON_CONTRACT,
    Rule.PERCENT_OFF: Status.ON_CONTRACT,
    Rule.NOT_PARTICIPATING: Status.NOT_PARTICIPATING,
    Rule.NOT_COVERED: Status.OFF_CONTRACT,
    Rule.UOM_MISMATCH: Status.UOM_MISMATCH,
}


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
    has_extended = line.extended_amount is not None
    return cents(spend(line.extended_amount, has_extended, line.quantity * line.unit_price))


def line_overcharge_cause(
    catalog: CatalogSlice, answer: PriceAnswer, *, paid_item_uom: Decimal, tolerance: Tolerance, on: date
) -> OverchargeCause:
    """DESIGN §4.6: old_price, wrong_tier, not_loaded, else price_error (the first that matches)."""
    item, deciding, c = answer.item, answer.price_row, answer.contract_price
    assert item is not None
    assert deciding is not None
    assert c is not None
    allowance = tolerance.allowance(c)

    def matches(price: Decimal) -> bool:
        return tolerance.matches(paid_item_uom, price, allowance)

    # An earlier price: a row of the item, or of the same product on another of the vendor's contracts (as when a
    # renewed contract replaced the old one).
    same = [i for i in answer.matched_items if same_product(i.uom, i.units_per_uom, item.uom, item.units_per_uom)]
    old_price = any(
        earlier_price(contract.is_draft, contract.end_date, row.effective_from, row.last_day, on) and matches(row.price)
        for other in same or [item]
        for contract in (catalog.contract_by_id[other.contract_id],)
        for row in catalog.prices_by_item.get(other.id, ())
    )
    wrong_tier = any(
        other_tier_price(row.effective_on(on), row.tier, deciding.tier) and matches(row.price)
        for row in catalog.prices_by_item.get(item.id, ())
    )
    not_loaded = answer.list_price is not None and matches(answer.list_price)
    return OVERCHARGE_CAUSE_PRIORITY[overcharge_cause(old_price, wrong_tier, not_loaded)]


def _missed_against(price: Decimal | None, pack: int, line: LineInput) -> Decimal:
    """DESIGN §4.7: (p - c) * q in the item's UOM when p > c (prices compared, not products), else 0."""
    if price is None or line.unit_price * pack <= price:
        return ZERO
    numerator, denominator = price_difference_amount(price, line.unit_price, line.quantity, pack)
    return cents_of(-numerator, denominator)


def missed_savings_by_part(line: LineInput, alternative: PriceAnswer | None) -> Decimal:
    """DESIGN §4.7: (p - c) * q against an item with the line's part number on a contract P is in, when p > c."""
    if alternative is None:
        return ZERO
    return _missed_against(alternative.contract_price, alternative.pack_size, line)


@dataclass(frozen=True, slots=True)
class _Money:
    """Status, cause and money of a line as one rule of DESIGN §4.6-4.7 decides them."""

    status: str
    cause: str = OverchargeCause.NONE
    savings: Decimal = ZERO
    overcharge: Decimal = ZERO
    missed: Decimal = ZERO


def _percent_off_money(answer: PriceAnswer, line: LineInput) -> _Money:
    """DESIGN §4.7: p * q * k / (1 - k) saved under a percent-off contract P is in."""
    assert answer.discount_pct is not None
    discount = answer.discount_pct.as_integer_ratio()
    return _Money(
        Status.ON_CONTRACT, savings=cents_of(*percent_off_savings_amount(line.unit_price, line.quantity, discount))
    )


def _not_participating_money(answer: PriceAnswer, line: LineInput) -> _Money:
    """DESIGN §4.7: (p - c) * q when p > c as if P had joined; p * q * k under a percent-off contract."""
    if answer.contract_price is not None:
        return _Money(Status.NOT_PARTICIPATING, missed=_missed_against(answer.contract_price, answer.pack_size, line))
    if answer.discount_pct is not None:
        discount = answer.discount_pct.as_integer_ratio()
        missed = cents_of(*percent_off_missed_amount(line.unit_price, line.quantity, discount))
        return _Money(Status.NOT_PARTICIPATING, missed=missed)
    return _Money(Status.NOT_PARTICIPATING)


def _item_price_money(catalog: CatalogSlice, answer: PriceAnswer, line: LineInput, tolerance: Tolerance) -> _Money:
    """DESIGN §4.6-4.7 for an item-priced line: on_contract or overcharged, savings against L, per the item's UOM."""
    c, pack = answer.contract_price, answer.pack_size
    assert c is not None
    savings = ZERO
    if answer.list_price is not None:
        savings = cents_of(*price_difference_amount(answer.list_price, line.unit_price, line.quantity, pack))
    paid_item_uom = line.unit_price * pack
    if not tolerance.exceeded(paid_item_uom, c, tolerance.allowance(c)):
        return _Money(Status.ON_CONTRACT, savings=savings)
    numerator, denominator = price_difference_amount(c, line.unit_price, line.quantity, pack)
    overcharge = cents_of(-numerator, denominator)
    cause = line_overcharge_cause(
        catalog, answer, paid_item_uom=paid_item_uom, tolerance=tolerance, on=line.purchase_date
    )
    return _Money(Status.OVERCHARGED, cause, savings, overcharge, overcharge)


def _money(
    catalog: CatalogSlice, answer: PriceAnswer, line: LineInput, alternative: PriceAnswer | None, tolerance: Tolerance
) -> _Money:
    """Status (DESIGN §4.6) and money (§4.7) by the rule that decided the price."""
    if answer.rule is Rule.ITEM_PRICE:
        return _item_price_money(catalog, answer, line, tolerance)
    if answer.rule is Rule.PERCENT_OFF:
        return _percent_off_money(answer, line)
    if answer.rule is Rule.NOT_PARTICIPATING:
        return _not_participating_money(answer, line)
    if answer.rule is Rule.UOM_MISMATCH:
        return _Money(Status.UOM_MISMATCH)
    return _Money(STATUS_OF_RULE[answer.rule], missed=missed_savings_by_part(line, alternative))


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
    money = _money(catalog, answer, line, alternative, tolerance)
    item = answer.item
    if item is None and answer.rule in (Rule.NO_VENDOR_CONTRACT, Rule.NOT_COVERED):
        item = answer.matched_item  # off-contract lines record the item they matched, for review
    category_item = answer.item or answer.matched_item
    return LineResult(
        vendor_id=vendor_id,
        vendor_match=str(vendor_match),
        sku_normalized=sku_normalized,
        mfr_part_normalized=mfr_normalized,
        status=money.status,
        overcharge_cause=money.cause,
        contract_id=answer.contract.id if answer.contract is not None else None,
        item_id=item.id if item is not None else None,
        price_id=answer.price_row.id if answer.price_row is not None else None,
        category_id=(category_item.category_id if category_item is not None else None) or vendor_category_id,
        expected_unit_price=answer.contract_price,
        list_price=answer.list_price,
        spend=line_spend(line),
        savings=money.savings,
        overcharge=money.overcharge,
        missed_savings=money.missed,
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
    return _reconcile_keyed(catalog, directory, lines, tolerance=tolerance)


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


__all__ = [
    "LineInput",
    "LineResult",
    "Status",
    "VendorDirectory",
    "VendorRecord",
    "reconcile_keyed",
    "reconcile_line",
]
