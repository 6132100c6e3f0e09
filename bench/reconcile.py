"""Benchmark: reconciling 1,000,000 purchase lines against 100,000 items with three price versions each, in memory.

Side by side with the bare as-of join (pandas merge_asof) of the same sizes. The lines are given as the columns
an upload produces (reports.reconcile_bulk.LINE_COLUMNS); building the catalog index is timed on its own, from the
CatalogSlice (dataclasses, as tests give it) and from columns (as contracts.selectors.catalog_frames_load reads
them from the database for an upload; the query itself is not timed here: bench.upload's "catalog" phase has it).
`run()` returns one dict per measurement: name, lines, seconds, lines_per_second, peak_rss_mb (process peak
resident memory so far).
Sizes can be shrunk for a quick look: BENCH_LINES=100000 BENCH_ITEMS=10000 python -m bench.
"""

from __future__ import annotations

import os
import random
import resource
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from contracts.pricing import CatalogSlice, ContractTerms, ItemTerms, ParticipationTerms, PriceRow
from reports.catalog_index import CatalogIndex, catalog_frames
from reports.reconcile import LineInput, Tolerance, VendorDirectory, VendorRecord
from reports.reconcile_bulk import reconcile_columns
from tests.reports.bulk_engine import lines_frame

LINES = int(os.environ.get("BENCH_LINES", "1000000"))
ITEMS = int(os.environ.get("BENCH_ITEMS", "100000"))
VENDORS = 200
PRACTICES = 10
YEAR_START = date(2026, 1, 1)
# Three price versions per item: Jan-Apr, May-Aug, Sep-Dec.
WINDOWS = ((date(2026, 1, 1), date(2026, 4, 30)), (date(2026, 5, 1), date(2026, 8, 31)), (date(2026, 9, 1), None))


def build_catalog(items: int = ITEMS, seed: int = 7) -> tuple[CatalogSlice, VendorDirectory, list[Decimal]]:
    """A catalog of `items` items spread over one contract per vendor, three price rows each, all practices joined."""
    rng = random.Random(seed)
    contracts = tuple(
        ContractTerms(v, v, f"GPO-{v:04d}", date(2026, 1, 1), date(2026, 12, 31)) for v in range(1, VENDORS + 1)
    )
    item_rows, price_rows, base_prices = [], [], []
    for i in range(1, items + 1):
        base = Decimal(rng.randint(100, 50000)) / 100
        base_prices.append(base)
        item_rows.append(
            ItemTerms(i, (i % VENDORS) + 1, f"SKU{i}", f"MP{i}", list_price=base * Decimal("1.25"), category_id=None)
        )
        for version, (start, end) in enumerate(WINDOWS):
            price_rows.append(PriceRow(3 * i + version, i, base + version, start, end))
    participations = tuple(
        ParticipationTerms(p, c.id, date(2025, 12, 1), "") for p in range(1, PRACTICES + 1) for c in contracts
    )
    catalog = CatalogSlice(
        contracts=contracts, items=tuple(item_rows), prices=tuple(price_rows), participations=participations
    )
    directory = VendorDirectory(vendors=tuple(VendorRecord(v, f"vendor {v}") for v in range(1, VENDORS + 1)))
    return catalog, directory, base_prices


def build_lines(base_prices: list[Decimal], lines: int = LINES, seed: int = 11) -> list[LineInput]:
    """Purchases: 90 % of known items, 10 % unknown SKUs; dates over the year; some returns; some overcharges."""
    rng = random.Random(seed)
    quantities = [Decimal(q) for q in range(-3, 25) if q]
    names = {v: f"Vendor {v}, Inc." for v in range(1, VENDORS + 1)}
    out = []
    for _ in range(lines):
        i = rng.randint(1, len(base_prices))
        day = YEAR_START + timedelta(days=rng.randint(0, 364))
        version = 0 if day.month <= 4 else 1 if day.month <= 8 else 2
        paid = base_prices[i - 1] + version + (Decimal("0.50") if rng.random() < 0.1 else 0)
        out.append(
            LineInput(
                practice_id=rng.randint(1, PRACTICES),
                purchase_date=day,
                vendor_name=names[(i % VENDORS) + 1],
                sku=f"SKU{i}" if rng.random() < 0.9 else f"X{i}",
                quantity=rng.choice(quantities),
                unit_price=paid,
                uom="EA",
            )
        )
    return out


def _measure(name: str, lines: int, work: Callable[[], Any]) -> dict[str, Any]:
    # Timing without tracemalloc (it slows allocation-heavy code several fold); memory is the process's peak
    # resident set (catalog and lines included) read from getrusage after the step.
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    return {
        "name": name,
        "lines": lines,
        "seconds": round(seconds, 3),
        "lines_per_second": round(lines / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _merge_asof(catalog: CatalogSlice, batch: list[LineInput]) -> pd.DataFrame:
    """The bare as-of join: each line's item price row in force on its date (no rules, no money)."""
    prices = pd.DataFrame(
        {
            "sku": [f"SKU{r.item_id}" for r in catalog.prices],
            "effective_from": pd.to_datetime([r.effective_from for r in catalog.prices]),
            "price_cents": np.array([int(r.price * 100) for r in catalog.prices], dtype=np.int64),
        }
    ).sort_values("effective_from")
    frame = pd.DataFrame(
        {
            "sku": [line.sku for line in batch],
            "purchase_date": pd.to_datetime([line.purchase_date for line in batch]),
        }
    ).sort_values("purchase_date")
    return pd.merge_asof(frame, prices, left_on="purchase_date", right_on="effective_from", by="sku")


def run() -> list[dict[str, Any]]:
    """Measure the bulk reconciliation (columns in, columns out) and the bare merge_asof on the same lines."""
    catalog, directory, base_prices = build_catalog()
    batch = build_lines(base_prices)
    tolerance = Tolerance()
    frame = lines_frame(batch)
    frames = catalog_frames(catalog)
    built: dict[str, CatalogIndex] = {}
    rows = [
        _measure(
            f"CatalogIndex.build ({len(catalog.items):,} items, {len(catalog.prices):,} prices; once per batch)",
            len(catalog.prices),
            lambda: built.setdefault("index", CatalogIndex.build(catalog)),
        ),
        _measure(
            "CatalogIndex.from_frames (the same catalog as columns, as an upload loads it)",
            len(catalog.prices),
            lambda: CatalogIndex.from_frames(frames),
        ),
        _measure(
            f"reconcile_columns ({len(batch):,} lines x {len(catalog.items):,} items x 3 prices, every §4 rule)",
            len(batch),
            lambda: reconcile_columns(built["index"], directory, frame, tolerance=tolerance),
        ),
        _measure(
            f"pandas merge_asof ({len(batch):,} lines x {len(catalog.prices):,} price rows, bare join)",
            len(batch),
            lambda: _merge_asof(catalog, batch),
        ),
    ]
    for row in rows[:2]:
        row["lines"] = f"{row['lines']:,} price rows"
    return rows


if __name__ == "__main__":
    for result in run():
        print(result)
