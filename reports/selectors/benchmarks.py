"""Anonymous peer price benchmark: what a practice paid per each for a contract item against the other members.

k-anonymity, so that no member's price can be read or inferred through it:
- the peers are the practices the caller is not a member of (a user in two practices never sees either's price as
  a peer's), and the caller's own practice never enters the peer figures (changing its own lines cannot move them);
- the figures show only where at least `MIN_PEERS` such practices bought the item in the period, and name none;
- each peer counts once, by its own average price per each (spend / each-count of its purchases), so no single
  line is exposed;
- periods are whole calendar years, which never overlap: no two answers can be subtracted to isolate a practice
  that bought in one period and not the other.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from contracts import pricing
from contracts.models import ContractItem
from gpo.members import scoping
from gpo.members.models import Practice
from gpo.money import unit_price
from reports.selectors.savings import counted_lines, lines_in_periods
from vendors.normalize import fold_uom

MIN_PEERS = 3


@dataclass(frozen=True)
class PriceBenchmark:
    """One item in one year: the practice's price per each, and the peers' median and best when k-anonymous."""

    item: ContractItem
    year: int
    your_price: Decimal | None
    your_each_count: Decimal
    peer_median: Decimal | None
    peer_best: Decimal | None

    @property
    def shown(self) -> bool:
        return self.peer_median is not None

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 1, 1)

    @property
    def end(self) -> datetime.date:
        return datetime.date(self.year, 12, 31)


def _each_count(quantity: Decimal, line_uom: str, item: ContractItem) -> Decimal | None:
    """The line's quantity in eaches (DESIGN §4.3's conversion), None when its UOM cannot be converted."""
    pack = pricing.pack_size(fold_uom(line_uom), item.uom, item.units_per_uom)
    if not pack:
        return None
    return quantity * item.units_per_uom / pack


def _prices_by_practice(items: list[ContractItem], year: int) -> dict[int, dict[int, tuple[Decimal, Decimal]]]:
    """{item id: {practice id: (spend, each count)}} of the year's counted purchases (returns left out)."""
    by_id = {item.id: item for item in items}
    lines = lines_in_periods(counted_lines(), [(datetime.date(year, 1, 1), datetime.date(year, 12, 31))])
    rows = lines.filter(item_id__in=list(by_id), quantity__gt=0).values_list(
        "item_id", "practice_id", "quantity", "uom", "spend"
    )
    sums: dict[int, dict[int, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for item_id, practice_id, quantity, uom, spend in rows.order_by().iterator():
        eaches = _each_count(quantity, uom, by_id[item_id])
        if eaches is None:
            continue
        spent, counted = sums[item_id].get(practice_id, (Decimal(0), Decimal(0)))
        sums[item_id][practice_id] = (spent + spend, counted + eaches)
    return sums


def _per_each(spend: Decimal, eaches: Decimal) -> Decimal:
    return unit_price(spend / eaches)


def price_benchmarks(
    *, user: Any, practice: Practice | None, items: list[ContractItem], year: int
) -> list[PriceBenchmark]:
    """Per item: the practice's price per each; where >= MIN_PEERS others bought it, their median and best."""
    own_ids = scoping.practice_ids_for(user) or set()
    if practice is not None:
        own_ids = own_ids | {practice.id}
    sums = _prices_by_practice(items, year)
    found = []
    for item in items:
        paid = sums.get(item.id, {})
        peers = sorted(_per_each(*paid[p]) for p in paid if p not in own_ids and paid[p][1] > 0)
        mine = paid.get(practice.id) if practice is not None else None
        enough = len(peers) >= MIN_PEERS
        found.append(
            PriceBenchmark(
                item=item,
                year=year,
                your_price=_per_each(*mine) if mine and mine[1] > 0 else None,
                your_each_count=mine[1] if mine else Decimal(0),
                peer_median=unit_price(statistics.median(peers)) if enough else None,
                peer_best=peers[0] if enough else None,
            )
        )
    return found
