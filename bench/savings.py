"""`GET /api/savings/` latency for one practice over a year with N lines in the database (issue 5).

N defaults to 200,000 (BENCH_SAVINGS_LINES overrides it; BENCH_FULL=1 uses 5,000,000, the issue's target: under
200 ms). The lines live in a separate database (the test database of the configured backend, kept under var/bench/
for SQLite so a rerun with the same N reuses it). Three timings: a whole year (summary table only), a period with
partial months at both ends (summary plus two day ranges of lines) and the plain line-table aggregation the summary
replaces.
"""

from __future__ import annotations

import datetime
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

VAR = Path(__file__).resolve().parent.parent / "var" / "bench"
STATUSES = ["on_contract"] * 6 + ["overcharged", "not_participating", "off_contract", "uom_mismatch", "non_gpo_vendor"]


def _lines_wanted() -> int:
    if os.environ.get("BENCH_SAVINGS_LINES"):
        return int(os.environ["BENCH_SAVINGS_LINES"])
    return 5_000_000 if os.environ.get("BENCH_FULL") == "1" else 200_000


def _timed(function: Any, repeat: int = 7) -> tuple[float, float]:
    """Median and best wall time in ms after one warm-up call."""
    function()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), min(samples)


def _populate(count: int) -> Any:
    """The practice, its finance user and `count` reconciled lines over 2025 (raw inserts: fast, no models)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from contracts.models import Contract
    from gpo.members.models import Membership, Practice, Role
    from reports.models import PurchaseLine, PurchaseUpload
    from reports.services.savings import savings_summary_refresh
    from vendors.models import Category, Vendor

    practice, _ = Practice.objects.get_or_create(slug="bench-radiology", defaults={"name": "Bench Radiology"})
    user, _ = get_user_model().objects.get_or_create(username="bench-finance")
    Membership.objects.get_or_create(user=user, practice=practice, role=Role.FINANCE)
    have = PurchaseLine.objects.filter(practice=practice).count()
    if have == count:
        return practice, user, 0.0, 0.0
    PurchaseLine.objects.filter(practice=practice).delete()
    upload = PurchaseUpload.objects.filter(practice=practice).first() or PurchaseUpload.objects.create(
        practice=practice, original_filename="bench.csv", original_file="uploads/bench.csv", sha256="b" * 64
    )
    vendors = [
        Vendor.objects.get_or_create(slug=f"bench-vendor-{i}", defaults={"name": f"Bench Vendor {i}"})[0].id
        for i in range(120)
    ]
    categories: list[int | None] = [
        Category.objects.get_or_create(slug=f"bench-category-{i}", defaults={"name": f"Bench category {i}"})[0].id
        for i in range(25)
    ]
    categories.append(None)
    contracts: list[int | None] = [
        Contract.objects.get_or_create(
            number=f"BENCH-{i:03d}",
            defaults={
                "vendor_id": vendors[i],
                "title": f"Bench contract {i}",
                "start_date": datetime.date(2025, 1, 1),
                "end_date": datetime.date(2025, 12, 31),
            },
        )[0].id
        for i in range(40)
    ]
    contracts.append(None)
    rng = random.Random(2025)
    columns = (
        "upload_id, practice_id, row_number, purchase_date, vendor_name, vendor_id, vendor_match, sku, "
        "sku_normalized, mfr_part_number, mfr_part_normalized, description, quantity, uom, unit_price, spend, "
        "status, overcharge_cause, category_id, contract_id, savings, overcharge, missed_savings, invoice_number, "
        "po_number"
    )
    placeholders = ", ".join(["%s"] * 25)
    sql = f"INSERT INTO reports_purchaseline ({columns}) VALUES ({placeholders})"
    began = time.perf_counter()
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for index in range(count):
            status = rng.choice(STATUSES)
            # Realistic grain: a vendor's lines fall under its contract and a few categories.
            vendor_index = rng.randrange(len(vendors))
            vendor = None if status == "non_gpo_vendor" and index % 2 else vendors[vendor_index]
            cents = rng.randrange(100, 500_000)
            batch.append(
                (
                    upload.id,
                    practice.id,
                    index + 2,
                    datetime.date(2025, 1, 1) + datetime.timedelta(days=index % 365),
                    f"Vendor {vendor_index}" if vendor else f"Local shop {index % 50}",
                    vendor,
                    "exact" if vendor else "",
                    f"SKU{index % 9000}",
                    f"SKU{index % 9000}",
                    "",
                    "",
                    "Bench item",
                    "1.0000",
                    "EA",
                    f"{cents / 100:.4f}",
                    f"{cents / 100:.2f}",
                    status,
                    "",
                    categories[(vendor_index + index % 3) % len(categories)],
                    contracts[vendor_index % len(contracts)] if status != "non_gpo_vendor" else None,
                    f"{cents * 0.15 / 100:.2f}" if status in {"on_contract", "overcharged"} else "0.00",
                    f"{cents * 0.05 / 100:.2f}" if status == "overcharged" else "0.00",
                    f"{cents * 0.1 / 100:.2f}" if status == "not_participating" else "0.00",
                    f"INV{index // 20}",
                    "",
                )
            )
            if len(batch) == 20_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
    inserted = time.perf_counter() - began
    began = time.perf_counter()
    savings_summary_refresh(practice_ids=[practice.id])
    return practice, user, inserted, time.perf_counter() - began


def export_engines(rows: int = 100_000) -> list[dict[str, Any]]:
    """Lines-sheet write speed: xlsxwriter (constant_memory) against openpyxl (write_only), same rows and styles."""
    import tempfile
    from decimal import Decimal

    from reports.exports import LINE_COLUMNS, Sheet, workbook_write

    def lines() -> Any:
        for index in range(rows):
            yield (
                "bench-radiology",
                "purchases-2025.xlsx",
                index + 2,
                datetime.date(2025, 1, 1) + datetime.timedelta(days=index % 365),
                f"Vendor {index % 120}",
                f"Vendor {index % 120}",
                f"SKU{index % 9000}",
                "Iohexol 350 mgI/mL 100 mL bottle",
                Decimal("2.0000"),
                "EA",
                Decimal("41.2500"),
                Decimal("82.50"),
                f"INV{index // 20}",
                f"PO{index // 50}",
                "on_contract",
                "",
                "GPO-0007",
                "Contrast media",
                Decimal("41.2500"),
                Decimal("55.0000"),
                Decimal("82.50"),
                Decimal("27.50"),
                Decimal("0.00"),
                Decimal("0.00"),
            )

    results = []
    with tempfile.TemporaryDirectory() as folder:
        for engine in ("xlsxwriter", "openpyxl"):
            began = time.perf_counter()
            workbook_write([Sheet("Lines", LINE_COLUMNS, lines())], f"{folder}/{engine}.xlsx", engine=engine)
            elapsed = time.perf_counter() - began
            size = Path(f"{folder}/{engine}.xlsx").stat().st_size
            results.append(
                {
                    "case": f"Lines sheet, {engine}",
                    "db": "-",
                    "lines": f"{rows:,}",
                    "median_ms": f"{elapsed * 1000:.0f}",
                    "best_ms": f"{rows / elapsed:,.0f} rows/s",
                    "target_ms": f"{size / 1e6:.1f} MB",
                }
            )
            print(f"Lines sheet with {engine}: {rows:,} rows in {elapsed:.2f} s ({rows / elapsed:,.0f} rows/s)")
    return results


def run() -> list[dict[str, Any]]:
    """Time `GET /api/savings/` (and the line-table reference) with N lines in a separate database."""
    from django.conf import settings
    from django.db import connection
    from rest_framework.test import APIClient

    from reports.selectors.savings import SavingsScope, savings_json

    count = _lines_wanted()
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(VAR / "savings.sqlite3")
    connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)
    try:
        practice, user, inserted, refreshed = _populate(count)
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = APIClient()
        client.force_authenticate(user)
        year = {"practice": practice.slug, "start": "2025-01-01", "end": "2025-12-31"}
        partial = {"practice": practice.slug, "start": "2025-01-15", "end": "2025-12-20"}

        def api(params: dict[str, str]) -> None:
            response = client.get("/api/savings/", params)
            assert response.status_code == 200, response.content[:300]

        scope = SavingsScope(practice, [practice.id])
        rows = []
        for label, function in [
            ("GET /api/savings/ whole year (summary)", lambda: api(year)),
            ("GET /api/savings/ Jan 15-Dec 20 (summary + lines)", lambda: api(partial)),
            (
                "line table only (no summary), whole year",
                lambda: savings_json(
                    scope=scope,
                    start=datetime.date(2025, 1, 1),
                    end=datetime.date(2025, 12, 31),
                    use_summary=False,
                ),
            ),
        ]:
            median, best = _timed(function, repeat=7 if count <= 1_000_000 else 3)
            rows.append(
                {
                    "case": label,
                    "db": connection.vendor,
                    "lines": f"{count:,}",
                    "median_ms": f"{median:.1f}",
                    "best_ms": f"{best:.1f}",
                    "target_ms": "200" if "api" in label else "",
                }
            )
            print(f"{label}: median {median:.1f} ms, best {best:.1f} ms ({count:,} lines, {connection.vendor})")
        if inserted:
            print(f"inserted {count:,} lines in {inserted:.1f} s; savings_summary_refresh took {refreshed:.2f} s")
        return rows + export_engines(50_000 if count < 1_000_000 else 500_000)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=True)


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpo.settings")
    django.setup()
    run()
