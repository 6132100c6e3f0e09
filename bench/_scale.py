"""`make bench-scale`: a national coalition's data in PostgreSQL, then the reads and an upload that must stay fast.

Stores SCALE_LINES purchase lines (default 20,000,000) for SCALE_PRACTICES practices (200) over SCALE_YEARS years
(2021-2025) through the product's own pipeline (a purchase csv per practice, read, reconciled and stored by the
upload service with its line store and savings summary: no raw SQL that skips the rules), into
SCALE_DATABASE_URL (postgres://postgres@127.0.0.1:5432/gpo_scale_sim, kept between runs: a rerun with the same size
only measures). The catalog and the coalition's users come from `seed_demo`. Then measures, in-process through
Django's test client (no HTTP server, so the web server's own overhead is not in these figures):
/api/savings/ for a practice-year and the coalition-year (cold: figures cache emptied first; warm: cached), the
practice dashboard page, the first page of /api/lines/ with filters, and two new SCALE_UPLOAD_LINES-line uploads
(1,000,000) by new practices, one in no contract and one in every contract (each run makes two more). Prints the
table, the time it took to store the lines and the disk used.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.__main__ import format_table
from bench._postgres import database_ensure

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gpo_scale_sim"


def _setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = os.environ.get("SCALE_DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpo.settings")
    os.environ.setdefault("DATA_DIR", str(Path("/tmp") / "gpo-bench-scale"))
    database_ensure(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log: millions of lines are stored below
    settings.UPLOAD_MAX_BYTES = max(settings.UPLOAD_MAX_BYTES, 500 * 1024 * 1024)  # the 1M-line csv is ~90 MB


def _catalog_items() -> list[tuple[str, str, str, float]]:
    from contracts.models import ContractPrice

    rows = ContractPrice.objects.filter(item__contract__status="active").values_list(
        "item__contract__vendor__name", "item__vendor_sku", "item__uom", "price"
    )
    items = sorted({(vendor, sku, uom, float(price)) for vendor, sku, uom, price in rows})
    return [item for item in items if "," not in item[0] and "," not in item[1]]


def _populate(lines: int, practices: int, years: int) -> tuple[list[Any], float]:
    """Create the practices (each joined to every contract) and store their files; returns them and the seconds."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from bench._parallel_ingest import purchase_csv
    from contracts.models import Contract, Participation
    from gpo.members.models import Membership, Practice, Role
    from reports.models import PurchaseUpload
    from reports.services.uploads import upload_create

    if not Practice.objects.filter(slug="lakeside-radiology").exists():
        print("seeding the catalog and users (seed_demo)...", flush=True)
        call_command("seed_demo", verbosity=0)
    from django.contrib.auth import get_user_model

    analyst, _ = get_user_model().objects.get_or_create(username="scale-finance")
    items = _catalog_items()
    contracts = list(Contract.objects.exclude(status="draft"))
    per_practice = lines // practices
    created = []
    began = time.perf_counter()
    for index in range(practices):
        practice, _ = Practice.objects.get_or_create(
            slug=f"sim-{index:04d}", defaults={"name": f"Sim Radiology {index}"}
        )
        created.append(practice)
        if PurchaseUpload.objects.filter(practice=practice, status="done").exists():
            continue
        Participation.objects.bulk_create(
            [Participation(practice=practice, contract=c, joined_on=c.start_date) for c in contracts],
            ignore_conflicts=True,
        )
        Membership.objects.get_or_create(user=analyst, practice=practice, role=Role.FINANCE)
        content = purchase_csv(per_practice, items=items, seed=index, first_year=2026 - years, years=years)
        upload = upload_create(
            practice=practice, user=None, file=SimpleUploadedFile(f"sim-{index}.csv", content), enqueue=False
        )
        from reports.services.uploads import upload_process

        upload = upload_process(upload_id=upload.pk)
        assert upload.status == "done", upload.error
        if index % 10 == 0:
            done = (index + 1) * per_practice
            rate = done / (time.perf_counter() - began)
            print(f"  {index + 1}/{practices} practices stored ({done:,} lines, {rate:,.0f} lines/s)", flush=True)
    return created, time.perf_counter() - began


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _timed_get(client: Any, urls: list[str], *, cold: bool) -> tuple[float, float, int]:
    """Median and p95 ms of GETting the urls (after one warm-up each), emptying the cache first when cold."""
    from django.core.cache import cache

    samples = []
    status = 200
    for url in urls:
        client.get(url)
    for url in urls:
        if cold:
            cache.clear()
        began = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - began) * 1000)
        status = max(status, response.status_code)
    return statistics.median(samples), _p95(samples), status


def _disk_sizes() -> tuple[int, int, int]:
    """Bytes of the database, of the line table and of the savings summary table (with their indexes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_total_relation_size('reports_purchaseline'), pg_total_relation_size('reports_savingssummary')"
        )
        line_bytes, summary_bytes = cursor.fetchone()
    return total, line_bytes, summary_bytes


def _new_upload(upload_lines: int, *, stamp: str, joined: bool) -> dict[str, Any]:
    """Time a new practice's upload of `upload_lines` lines dated 2026 (wall time, and this process's CPU time)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bench._parallel_ingest import purchase_csv
    from contracts.models import Contract, Participation
    from gpo.members.models import Practice
    from reports.services.uploads import upload_create, upload_process

    kind = "joined" if joined else "unjoined"
    newcomer = Practice.objects.create(slug=f"sim-new-{kind}-{stamp}", name=f"Sim Newcomer {kind} {stamp}")
    if joined:
        contracts = Contract.objects.exclude(status="draft")
        Participation.objects.bulk_create(
            [Participation(practice=newcomer, contract=c, joined_on=c.start_date) for c in contracts]
        )
    content = purchase_csv(upload_lines, items=_catalog_items(), seed=9999, first_year=2026, years=1)
    upload = upload_create(
        practice=newcomer, user=None, file=SimpleUploadedFile(f"new-{stamp}.csv", content), enqueue=False
    )
    began, cpu = time.perf_counter(), time.process_time()
    upload = upload_process(upload_id=upload.pk)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    who = "a practice in every contract" if joined else "a practice in no contract"
    return {
        "measure": f"new {upload_lines:,}-line upload, {who}",
        "cache": "",
        "median ms": f"{seconds * 1000:.0f}",
        "p95 ms": "",
        "target": "< 20 s",
        "status": f"{upload.status} (python cpu {cpu:.0f} s)",
    }


def main() -> int:
    _setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from reports.models import PurchaseLine

    lines = _setting("SCALE_LINES", 20_000_000)
    practices = _setting("SCALE_PRACTICES", 200)
    years = _setting("SCALE_YEARS", 5)
    upload_lines = _setting("SCALE_UPLOAD_LINES", 1_000_000)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    created, store_seconds = _populate(lines, practices, years)
    from reports.db.statistics import tables_analyze_when_changed
    from reports.models import SavingsSummary

    # The uploads analyse what they grew; a database stored by an older version (or interrupted) is checked here by
    # the same rule, so the reads below are planned on the tables' real size, as autovacuum would have them.
    tables_analyze_when_changed({PurchaseLine: 0, SavingsSummary: 0})
    stored = PurchaseLine.objects.count()
    print(f"{stored:,} lines in the database ({store_seconds:,.0f} s spent storing in this run)", flush=True)

    user = get_user_model().objects.get(username="scale-finance")
    staff = get_user_model().objects.get(username="coalition-exec")
    finance, coalition = Client(), Client()
    finance.force_login(user)
    coalition.force_login(staff)
    sample = created[:: max(1, len(created) // 20)][:20]
    year = "start=2025-01-01&end=2025-12-31"
    practice_urls = [f"/api/savings/?practice={p.slug}&{year}" for p in sample]
    coalition_urls = [f"/api/savings/?{year}"] * 5
    dashboard_urls = [f"/dashboard/?practice={p.slug}&start=2025-01-01&end=2025-12-31" for p in sample[:10]]
    lines_urls = [f"/api/lines/?practice={p.slug}&{year}&status=overcharged" for p in sample[:10]]
    rows: list[dict[str, Any]] = []

    def measure(what: str, client: Any, urls: list[str], target: str, *, cold: bool) -> None:
        median, p95, status = _timed_get(client, urls, cold=cold)
        rows.append(
            {
                "measure": what,
                "cache": "cold" if cold else "warm",
                "median ms": f"{median:.0f}",
                "p95 ms": f"{p95:.0f}",
                "target": target,
                "status": status,
            }
        )

    for cold in (True, False):
        measure("/api/savings/ practice-year", finance, practice_urls, "p95 < 300 ms", cold=cold)
        measure("/api/savings/ coalition-year", coalition, coalition_urls, "p95 < 1 s", cold=cold)
        measure("/dashboard/ (practice page)", finance, dashboard_urls, "< 1 s", cold=cold)
    measure("/api/lines/ first page, filtered", finance, lines_urls, "< 500 ms", cold=True)

    print(format_table(rows), flush=True)
    # Two newcomers (new each run: the same file twice would be refused as a duplicate): one in no contract, whose
    # contracted lines are all not_participating, priced line by line by the reference engine (DESIGN §4.6 "as if P
    # had joined"); one in every contract, as the stored practices are.
    stamp = time.strftime("%Y%m%d%H%M%S")
    for joined in (False, True):
        rows.append(_new_upload(upload_lines, stamp=stamp, joined=joined))
    total, line_bytes, summary_bytes = _disk_sizes()
    print(f"\n== bench-scale: {stored:,} lines, {len(created)} practices, {years} years (PostgreSQL) ==")
    print(format_table(rows))
    print(
        f"disk: database {total / 2**30:.2f} GiB (lines {line_bytes / 2**30:.2f} GiB, "
        f"savings summary {summary_bytes / 2**20:.0f} MiB); storing took {store_seconds:,.0f} s in this run"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
