"""The coalition tier simulator's figures for one tiered contract (`GET /api/tier-simulation/?contract=`)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404

from contracts.models import Basis, Contract, ContractItem
from contracts.pricing import CatalogSlice
from contracts.selectors import catalog_slice_for_items
from gpo.members.models import Practice
from gpo.members.rights import Right, right_require
from gpo.money import ZERO, money_str
from reports.models import PurchaseLine
from reports.periods import add_months
from reports.selectors.savings import ON_CONTRACT_STATUSES, counted_lines, lines_in_periods
from reports.tiers import LineOnContract, TierStep, gap_closers, next_tier_value, tier_position, tier_prices
from reports.tiers import volume_in_item_uom as item_volume
from vendors.normalize import fold_uom

Status = PurchaseLine.Status
VALUE_MONTHS = 12  # the issue: re-price the members' last 12 months at the next tier's prices
OUTSIDE_STATUSES = (Status.OFF_CONTRACT, Status.NOT_PARTICIPATING)


def whole_months_before(as_of: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    """The `months` whole months that end with the month before `as_of`'s month (both days inclusive)."""
    first_of_month = as_of.replace(day=1)
    return add_months(first_of_month, -months), first_of_month - datetime.timedelta(days=1)


def measure_str(basis: str, value: Decimal) -> str:
    """A spend as money ("1234.50"); a volume as a plain number of units ("180", "12.5")."""
    if basis == Basis.SPEND:
        return money_str(value)
    return format(value.quantize(Decimal("0.0001")).normalize(), "f")


def tiered_contract_get(*, user: Any, contract: str) -> Contract:
    """A contract with tiers by number (or id), for coalition staff: 403 without the right, 404 when unknown."""
    right_require(user, None, Right.COALITION_FIGURES)
    condition = Q(number=contract) | (Q(pk=int(contract)) if contract.isdigit() else Q(pk__in=[]))
    found = Contract.objects.select_related("vendor").filter(condition).first()
    if found is None:
        raise Http404("No such contract.")
    return found


def tiered_contract_list() -> list[Contract]:
    """Contracts with tier thresholds and a tier basis, by vendor and number."""
    return list(Contract.objects.exclude(tier_basis="").filter(tiers__isnull=False).distinct().select_related("vendor"))


def contract_line_rows(
    contract: Contract, period: tuple[datetime.date, datetime.date], statuses: Any
) -> list[dict[str, Any]]:
    """Counted lines of the period with these statuses, on the contract or with its vendor, as plain rows."""
    lines = lines_in_periods(counted_lines(), [period]).filter(status__in=list(statuses))
    return [
        dict(row)
        for row in lines.filter(Q(contract=contract) | Q(vendor_id=contract.vendor_id))
        .order_by()
        .values(
            "practice_id",
            "contract_id",
            "item_id",
            "quantity",
            "uom",
            "spend",
            "purchase_date",
            "status",
            "sku_normalized",
            "mfr_part_normalized",
        )
    ]


def tier_simulation_get(*, user: Any, contract: str, as_of: datetime.date) -> dict[str, Any]:
    """The members' aggregate over the tier period, each tier, the gap to the next, its value to every member and
    the practices whose off-contract or not-participating purchases with the vendor would close it."""
    found = tiered_contract_get(user=user, contract=contract)
    steps = [TierStep(t.tier, t.threshold) for t in found.tiers.all()]
    if not found.tier_basis or not found.tier_period_months or not steps:
        raise ValidationError(f"Contract {found.number} has no tier thresholds to simulate.")
    basis = found.tier_basis
    window = whole_months_before(as_of, found.tier_period_months)
    value_window = whole_months_before(as_of, VALUE_MONTHS)
    items = list(ContractItem.objects.filter(contract=found).select_related("contract"))
    catalog = catalog_slice_for_items(items=items)

    def measure(row: dict[str, Any]) -> Decimal:
        return line_measure(basis, catalog, row)

    on_contract = [
        r
        for r in contract_line_rows(found, window, ON_CONTRACT_STATUSES)
        if r["contract_id"] == found.id and r["item_id"]
    ]
    aggregate = sum((measure(r) for r in on_contract), ZERO)
    position = tier_position(steps, aggregate)
    members = _members(found, catalog, value_window, position.next, measure, steps)
    outside: dict[int, tuple[Decimal, Decimal]] = {}
    for row in contract_line_rows(found, window, OUTSIDE_STATUSES):
        if row["contract_id"] not in (None, found.id) and row["status"] == Status.NOT_PARTICIPATING:
            continue  # another contract of the vendor would cover it
        contribution, spend = outside.get(row["practice_id"], (ZERO, ZERO))
        outside[row["practice_id"]] = (contribution + measure(row), spend + row["spend"])
    closers = gap_closers(outside, position.gap)
    practices = {p.pk: p for p in Practice.objects.filter(pk__in=[c.practice_id for c in closers]).only("slug", "name")}
    names = {pk: p.slug for pk, p in practices.items()}
    prices_on = min(window[1], found.end_date)
    lines_query = {"contract": found.number, "start": window[0].isoformat(), "end": window[1].isoformat()}
    return {
        "contract": found.number,
        "title": found.title,
        "vendor": found.vendor.slug,
        "basis": basis,
        "period_months": found.tier_period_months,
        "start": window[0].isoformat(),
        "end": window[1].isoformat(),
        "aggregate": measure_str(basis, aggregate),
        "current_tier": position.current.tier if position.current else None,
        "next_tier": position.next.tier if position.next else None,
        "gap": measure_str(basis, position.gap) if position.gap is not None else None,
        "tiers": [_tier_json(step, aggregate, basis, catalog, items, prices_on) for step in steps],
        "value_start": value_window[0].isoformat(),
        "value_end": value_window[1].isoformat(),
        "members": members,
        "value_total": money_str(sum((Decimal(m["value_at_next_tier"]) for m in members), ZERO)),
        "gap_closers": [
            {
                "practice": names.get(c.practice_id),
                "name": practices[c.practice_id].name if c.practice_id in practices else "",
                "contribution": measure_str(basis, c.contribution),
                "spend": money_str(c.spend),
                "needed": c.needed,
                "lines": "/api/lines/?"
                + urlencode({"practice": names.get(c.practice_id), "vendor": found.vendor.slug, **lines_query}),
            }
            for c in closers
        ],
        "closes_gap": position.gap is not None and sum((c.contribution for c in closers), ZERO) >= position.gap,
        "lines": "/api/lines/?" + urlencode(lines_query),
    }


def line_measure(basis: str, catalog: CatalogSlice, row: dict[str, Any]) -> Decimal:
    """What a line adds to a tier or commitment: its spend, or its quantity in the contract item's UOM (0 when it
    names no item of the contract or its UOM cannot be converted)."""
    if basis == Basis.SPEND:
        return Decimal(row["spend"])
    item_id = row["item_id"] if row["item_id"] in catalog.item_by_id else _item_of(catalog, row)
    return item_volume(catalog, item_id=item_id, quantity=row["quantity"], uom=row["uom"]) if item_id else ZERO


def _item_of(catalog: Any, row: dict[str, Any]) -> int | None:
    """The contract item an outside line names (vendor SKU, else manufacturer part number), when it names one."""
    for item in catalog.items:
        if row["sku_normalized"] and item.vendor_sku_normalized == row["sku_normalized"]:
            return int(item.id)
    for item in catalog.items:
        if row["mfr_part_normalized"] and item.mfr_part_normalized == row["mfr_part_normalized"]:
            return int(item.id)
    return None


def _tier_json(
    step: TierStep, aggregate: Decimal, basis: str, catalog: Any, items: list[ContractItem], on: datetime.date
) -> dict[str, Any]:
    prices = tier_prices(catalog, tier=step.tier, on=on)
    return {
        "tier": step.tier,
        "threshold": measure_str(basis, step.threshold),
        "reached": aggregate >= step.threshold,
        "prices": [
            {
                "vendor_sku": item.vendor_sku,
                "description": item.description,
                "uom": fold_uom(item.uom),
                "price": money_str(prices[item.id]) if prices.get(item.id) is not None else None,
            }
            for item in items
        ],
    }


def _members(
    contract: Contract,
    catalog: Any,
    window: tuple[datetime.date, datetime.date],
    next_step: TierStep | None,
    measure: Any,
    steps: list[TierStep],
) -> list[dict[str, Any]]:
    """Every participating practice: its tier, its last 12 months on the contract and their value at the next tier."""
    rows = [
        r
        for r in contract_line_rows(contract, window, ON_CONTRACT_STATUSES)
        if r["contract_id"] == contract.id and r["item_id"]
    ]
    lines = [
        LineOnContract(r["practice_id"], r["item_id"], r["quantity"], r["uom"] or "", r["purchase_date"]) for r in rows
    ]
    value: dict[int, Decimal] = {}
    if next_step is not None:
        at_or_above = frozenset(step.tier for step in steps if step.threshold >= next_step.threshold)
        value = next_tier_value(catalog, lines, next_step.tier, at_or_above)
    members = []
    for participation in contract.participations.select_related("practice").order_by("practice__name"):
        own = [r for r in rows if r["practice_id"] == participation.practice_id]
        members.append(
            {
                "practice": participation.practice.slug,
                "name": participation.practice.name,
                "tier": participation.tier,
                "measure": measure_str(contract.tier_basis, sum((measure(r) for r in own), ZERO)),
                "spend": money_str(sum((r["spend"] for r in own), ZERO)),
                "value_at_next_tier": money_str(value.get(participation.practice_id, ZERO)),
            }
        )
    return members
