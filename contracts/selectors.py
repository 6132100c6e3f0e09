"""Reads for contracts, items and the prices a practice pays (STYLE.md rule 2).

The catalog is shared by every member (DESIGN.md section 1): contracts are visible to everyone signed in, drafts only
to coalition staff. Which price a practice sees follows DESIGN §4 step 4 for one item on one day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from contracts.models import Contract, ContractItem, ContractPrice, Participation
from gpo.members import scoping
from gpo.members.models import Practice


def contract_list(*, user: Any) -> QuerySet[Contract]:
    """Contracts the user may browse (drafts for coalition staff only), with vendor and items loaded."""
    if not getattr(user, "is_authenticated", False):
        return Contract.objects.none()
    queryset = Contract.objects.select_related("vendor", "vendor__category").prefetch_related(
        Prefetch("items", queryset=ContractItem.objects.order_by("vendor_sku", "id"))
    )
    if not scoping.is_coalition_staff(user):
        queryset = queryset.exclude(status=Contract.Status.DRAFT)
    return queryset.order_by("vendor__name", "number")


def contract_in_force(contract: Contract, on: date) -> bool:
    """DESIGN §4: not a draft and start <= on <= end (both inclusive)."""
    return contract.status != Contract.Status.DRAFT and contract.start_date <= on <= contract.end_date


@dataclass(frozen=True)
class VolumeBreak:
    """A price that applies from a minimum quantity."""

    min_qty: Decimal
    price: Decimal


@dataclass(frozen=True)
class ItemPrice:
    """What a practice pays for one item on one day, and why: the row's tier and window, plus volume breaks."""

    item_id: int
    price: Decimal | None
    tier: str = ""
    effective_from: date | None = None
    effective_to: date | None = None
    min_qty: Decimal | None = None
    volume_breaks: tuple[VolumeBreak, ...] = field(default_factory=tuple)

    def discount_pct(self, list_price: Decimal | None) -> Decimal | None:
        """Percent below list ((L - c) / L x 100), None without both prices."""
        if self.price is None or not list_price:
            return None
        return (list_price - self.price) * 100 / list_price


def participations_for_practice(*, practice: Practice | None, contract_ids: Iterable[int]) -> dict[int, Participation]:
    """The practice's participation per contract id (one query)."""
    if practice is None:
        return {}
    rows = Participation.objects.filter(practice=practice, contract_id__in=set(contract_ids))
    return {row.contract_id: row for row in rows}


def item_prices_for_practice(
    *, items: Iterable[ContractItem], practice: Practice | None, on: date
) -> dict[int, ItemPrice]:
    """The price `practice` pays for each item on day `on` (two queries for any number of items).

    DESIGN §4.4: rows carrying the practice's tier on the item's contract win, else the tier-blank rows (no practice:
    tier-blank rows, what coalition staff see). The shown price is the lowest row with no minimum (else the one with
    the lowest minimum); rows with a minimum are listed as volume breaks. A contract not in force shows no price.
    """
    items = list(items)
    contracts = {item.contract_id: item.contract for item in items}
    joined = participations_for_practice(practice=practice, contract_ids=contracts)
    rows_by_item: dict[int, list[ContractPrice]] = defaultdict(list)
    live_ids = [item.id for item in items if contract_in_force(contracts[item.contract_id], on)]
    if live_ids:
        rows = ContractPrice.objects.filter(item_id__in=live_ids, effective_from__lte=on).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on)
        )
        for row in rows:
            rows_by_item[row.item_id].append(row)
    result: dict[int, ItemPrice] = {}
    for item in items:
        participation = joined.get(item.contract_id)
        tier = participation.tier if participation is not None else ""
        candidates = rows_by_item.get(item.id, [])
        tiered = [row for row in candidates if tier and row.tier == tier]
        chosen = tiered or [row for row in candidates if not row.tier]
        result[item.id] = _item_price(item.id, chosen)
    return result


def _item_price(item_id: int, rows: list[ContractPrice]) -> ItemPrice:
    if not rows:
        return ItemPrice(item_id=item_id, price=None)
    breaks = sorted((row for row in rows if row.min_qty is not None), key=lambda row: (row.min_qty, row.price))
    plain = sorted((row for row in rows if row.min_qty is None), key=lambda row: row.price)
    headline = plain[0] if plain else breaks[0]
    return ItemPrice(
        item_id=item_id,
        price=headline.price,
        tier=headline.tier,
        effective_from=headline.effective_from,
        effective_to=headline.effective_to,
        min_qty=headline.min_qty,
        volume_breaks=tuple(VolumeBreak(min_qty=row.min_qty, price=row.price) for row in breaks if row.min_qty),
    )


def contract_price_history(*, item: ContractItem) -> QuerySet[ContractPrice]:
    """Every price row of an item, tier by tier, oldest first (the contract page's price history)."""
    return ContractPrice.objects.filter(item=item).order_by("tier", "min_qty", "effective_from")
