"""Catalog search latency over 50,000 items: the selector (count + first page) and the whole `/catalog/` page."""

from __future__ import annotations

import random
import statistics
import time
from datetime import date
from decimal import Decimal
from typing import Any

ITEM_COUNT = 50_000
VENDOR_COUNT = 50
CONTRACTS_PER_VENDOR = 2
REPEATS = 9

_PRODUCTS = [
    "iohexol",
    "iopamidol",
    "iodixanol",
    "gadobutrol",
    "gadoterate",
    "barium sulfate",
    "syringe",
    "needle",
    "catheter",
    "guide wire",
    "sheath introducer",
    "exam glove",
    "isolation gown",
    "drape",
    "thyroid collar",
    "lead apron",
    "ultrasound gel",
    "ECG electrode",
    "specimen bag",
    "sharps container",
    "gauze sponge",
]
_SIZES = ["50 mL", "100 mL", "150 mL", "small", "medium", "large", "4F", "5F", "18G", "22G", "3 mL", "10 mL"]
_VARIANTS = ["sterile", "non-sterile", "latex-free", "safety", "bulk package", "prefilled", "with tubing", ""]


def _seed(rng: random.Random) -> dict[str, Any]:
    """Vendors with aliases, 2 contracts each and 50,000 items with one current price each; returns probes."""
    from django.utils import timezone

    from contracts.models import Contract, ContractItem, ContractPrice
    from gpo.members.models import Membership, Practice, Role
    from vendors.models import Category, Vendor, VendorAlias
    from vendors.normalize import normalize_sku, normalize_vendor_name

    parent = Category.objects.create(name="Bench supplies", slug="bench-supplies")
    categories = [Category.objects.create(name=f"Bench {n}", slug=f"bench-{n}", parent=parent) for n in range(10)]
    vendors = Vendor.objects.bulk_create(
        Vendor(
            name=f"Bench Vendor {n} Medical",
            slug=f"bench-vendor-{n}",
            normalized_name=normalize_vendor_name(f"Bench Vendor {n} Medical"),
            category=categories[n % len(categories)],
        )
        for n in range(VENDOR_COUNT)
    )
    VendorAlias.objects.bulk_create(
        VendorAlias(vendor=v, name=f"BENCH VENDOR {n} MEDICAL INC.", normalized_name=f"bench vendor {n} medical x")
        for n, v in enumerate(vendors)
    )
    today = timezone.localdate()
    contracts = Contract.objects.bulk_create(
        Contract(
            vendor=v,
            number=f"BENCH-{n}-{k}",
            title=f"Bench agreement {n}-{k}",
            start_date=date(today.year - 1, 1, 1),
            end_date=date(today.year + 1, 12, 31),
        )
        for n, v in enumerate(vendors)
        for k in range(CONTRACTS_PER_VENDOR)
    )
    items = []
    for index in range(ITEM_COUNT):
        contract = contracts[index % len(contracts)]
        sku = f"BV{index:06d}-{rng.randint(10, 99)}"
        part = f"{rng.randint(1000, 99999):05d}-{rng.randint(100, 999)}-{rng.randint(1, 99):02d}"
        description = " ".join(
            word for word in (rng.choice(_PRODUCTS), rng.choice(_SIZES), rng.choice(_VARIANTS)) if word
        )
        items.append(
            ContractItem(
                contract=contract,
                vendor_sku=sku,
                vendor_sku_normalized=normalize_sku(sku),
                manufacturer=f"Maker {index % 300}",
                mfr_part_number=part,
                mfr_part_normalized=normalize_sku(part),
                description=f"{description} #{index}",
                uom="BX",
                units_per_uom=10,
                list_price=Decimal(rng.randint(1_000, 90_000)) / 100,
                category=categories[index % len(categories)],
            )
        )
    items = ContractItem.objects.bulk_create(items, batch_size=5000)
    ContractPrice.objects.bulk_create(
        (
            ContractPrice(
                item=item,
                price=(Decimal(item.list_price or 1) * Decimal("0.8")).quantize(Decimal("0.01")),
                effective_from=date(today.year - 1, 1, 1),
            )
            for item in items
        ),
        batch_size=5000,
    )
    practice = Practice.objects.create(name="Bench Practice", slug="bench-practice")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="bench-finance", password="bench-pass-2026")
    Membership.objects.create(user=user, practice=practice, role=Role.FINANCE)
    probe = items[ITEM_COUNT // 2]
    return {"user": user, "sku": probe.vendor_sku[:6], "part": probe.mfr_part_number[:9]}


def _timed(fn: Any) -> tuple[float, float, Any]:
    """Median and 95th-percentile milliseconds of REPEATS calls, after one warm-up, and the last result."""
    result = fn()
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))], result


def run() -> list[dict[str, Any]]:
    """Seed 50,000 items and time the catalog search cases."""
    from django.core.paginator import Paginator
    from django.test import Client

    from contracts.selectors import catalog_item_search
    from vendors.selectors import category_subtree_ids

    started = time.perf_counter()
    probes = _seed(random.Random(2026))
    seed_seconds = time.perf_counter() - started
    client = Client()
    client.force_login(probes["user"])
    cases = [
        ("home, no query", {}),
        ("vendor name", {"q": "Bench Vendor 7"}),
        ("vendor alias (AP spelling)", {"q": "BENCH VENDOR 7 MEDICAL INC."}),
        ("description word", {"q": "iodixanol"}),
        ("description phrase", {"q": "thyroid collar"}),
        ("vendor SKU prefix", {"q": probes["sku"]}),
        ("mfr part number, formatted", {"q": probes["part"]}),
        ("no match", {"q": "zzqxv"}),
        ("category filter", {"category": "bench-supplies"}),
        ("query + category", {"q": "syringe", "category": "bench-3"}),
    ]
    rows: list[dict[str, Any]] = []
    for label, params in cases:
        query = params.get("q", "")
        ids = category_subtree_ids(slug=params["category"]) if "category" in params else None

        def selector(query: str = query, ids: list[int] | None = ids) -> int:
            page = Paginator(catalog_item_search(user=probes["user"], query=query, category_ids=ids), 25).get_page(1)
            list(page.object_list)
            return page.paginator.count

        def page(params: dict[str, str] = params) -> int:
            response = client.get("/catalog/", params)
            assert response.status_code == 200, response.status_code
            return len(response.content)

        selector_median, selector_p95, hits = _timed(selector)
        page_median, page_p95, _ = _timed(page)
        rows.append(
            {
                "case": label,
                "item_hits": hits,
                "selector_ms_median": f"{selector_median:.1f}",
                "selector_ms_p95": f"{selector_p95:.1f}",
                "page_ms_median": f"{page_median:.1f}",
                "page_ms_p95": f"{page_p95:.1f}",
            }
        )
    rows.append({"case": f"(seeding {ITEM_COUNT:,} items + prices took {seed_seconds:.1f} s)"})
    return rows
