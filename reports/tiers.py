"""Coalition tier simulation (pure): where the members' aggregate stands among a contract's tiers, what reaching the
next tier is worth to each member, and whose outside purchases would close the gap.

Prices come from the reconciliation's own pricing engine (`contracts.pricing.price_item`): a line is priced at its
member's tier and again as if the member were at the next tier, on the same catalog slice.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts.pricing import CatalogSlice, ParticipationTerms, pack_size, price_item
from gpo.money import ZERO, cents
from vendors.normalize import fold_uom


@dataclass(frozen=True)
class TierStep:
    """A tier of a contract and the aggregate (volume or spend over the tier period) that reaches it."""

    tier: str
    threshold: Decimal


@dataclass(frozen=True)
class TierPosition:
    """The highest tier reached (None below every threshold), the next one (None at the top) and the gap to it."""

    current: TierStep | None
    next: TierStep | None
    gap: Decimal | None


def tier_position(tiers: Sequence[TierStep], aggregate: Decimal) -> TierPosition:
    """Where an aggregate stands: a tier is reached when the aggregate is at or above its threshold."""
    ordered = sorted(tiers, key=lambda step: (step.threshold, step.tier))
    reached = [step for step in ordered if aggregate >= step.threshold]
    ahead = [step for step in ordered if aggregate < step.threshold]
    following = ahead[0] if ahead else None
    return TierPosition(
        current=reached[-1] if reached else None,
        next=following,
        gap=following.threshold - aggregate if following is not None else None,
    )


@dataclass(frozen=True)
class LineOnContract:
    """A counted purchase line priced by the contract: its practice, deciding item, quantity and UOM as given."""

    practice_id: int
    item_id: int
    quantity: Decimal
    uom: str
    purchase_date: date


def volume_in_item_uom(catalog: CatalogSlice, *, item_id: int, quantity: Decimal, uom: str) -> Decimal:
    """The line's quantity in its item's UOM (DESIGN §4.3: q / n for each against a pack of n); 0 when the UOMs
    cannot be converted."""
    item = catalog.item_by_id[item_id]
    pack = pack_size(fold_uom(uom), item.uom, item.units_per_uom)
    return quantity / pack if pack else ZERO


def _at_tier(catalog: CatalogSlice, tier: str, keep: frozenset[str]) -> CatalogSlice:
    """The same catalog with every participation moved to `tier` (the coalition reached it), except those already
    at a tier in `keep` (that tier or a higher one)."""
    moved = tuple(p if p.tier in keep else dataclasses.replace(p, tier=tier) for p in catalog.participations)
    return CatalogSlice(contracts=catalog.contracts, items=catalog.items, prices=catalog.prices, participations=moved)


def next_tier_value(
    catalog: CatalogSlice, lines: Iterable[LineOnContract], next_tier: str, keep: frozenset[str] = frozenset()
) -> dict[int, Decimal]:
    """Per practice: what its lines would have cost less at `next_tier`'s prices, (c now - c at next tier) x q in the
    item's UOM, each line rounded to cents (DESIGN §4.7) and summed. Members already at a tier in `keep` (the next
    tier or above) stay where they are; lines the engine cannot price both ways add 0."""
    moved = _at_tier(catalog, next_tier, keep)
    value: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        quantity = volume_in_item_uom(catalog, item_id=line.item_id, quantity=line.quantity, uom=line.uom)
        if not quantity:
            continue
        now = price_item(
            catalog, practice_id=line.practice_id, item_id=line.item_id, quantity=quantity, on=line.purchase_date
        )
        then = price_item(
            moved, practice_id=line.practice_id, item_id=line.item_id, quantity=quantity, on=line.purchase_date
        )
        if now.contract_price is None or then.contract_price is None:
            continue
        value[line.practice_id] += cents((now.contract_price - then.contract_price) * quantity)
    return dict(value)


def tier_prices(catalog: CatalogSlice, *, tier: str, on: date) -> dict[int, Decimal | None]:
    """Each item's price for a member at `tier` on day `on` (one unit, the item's UOM), by the pricing engine."""
    probe = -1  # a member joined before the contract started, at this tier
    participations = tuple(
        ParticipationTerms(practice_id=probe, contract_id=contract.id, joined_on=contract.start_date, tier=tier)
        for contract in catalog.contracts
    )
    at_tier = CatalogSlice(
        contracts=catalog.contracts, items=catalog.items, prices=catalog.prices, participations=participations
    )
    return {
        item.id: price_item(at_tier, practice_id=probe, item_id=item.id, quantity=Decimal(1), on=on).contract_price
        for item in catalog.items
    }


@dataclass(frozen=True)
class GapCloser:
    """A practice's outside purchases with the vendor: how much they add to the measure, and whether they are
    among the largest contributions that together close the gap."""

    practice_id: int
    contribution: Decimal
    spend: Decimal
    needed: bool


def gap_closers(contributions: dict[int, tuple[Decimal, Decimal]], gap: Decimal | None) -> list[GapCloser]:
    """Practices by contribution, largest first; `needed` marks the fewest of them that close the gap together (none
    when all of them together would not close it)."""
    ordered = sorted(contributions.items(), key=lambda kv: (-kv[1][0], kv[0]))
    closable = gap is not None and sum((c for c, _ in contributions.values()), ZERO) >= gap
    closers, running = [], ZERO
    for practice_id, (contribution, spend) in ordered:
        needed = closable and gap is not None and running < gap and contribution > 0
        running += contribution
        closers.append(GapCloser(practice_id, contribution, spend, needed))
    return closers
