"""The whole upload (parse + reconcile + store) of a large csv and xlsx, next to Django's bulk_create (issue 5).

Seeded (setup, timed but not measured): one practice, 200 vendors with one contract each that the practice joined,
BENCH_UPLOAD_ITEMS items (default 100,000) with three price versions over 2026. Files (temporary directory): a csv of
BENCH_UPLOAD_LINES lines (default 1,000,000) and an xlsx of BENCH_UPLOAD_XLSX_LINES lines (default 100,000, at most
the csv's size) with Date, Vendor, SKU, Description, Qty, UOM, Unit Price, Extended, Invoice: 90 % known SKUs, some
overcharges, some returns, a fifth of vendor names written "..., Inc."; the xlsx's first tenth repeats the csv's last
lines (same invoices: DESIGN §4 rule 9 repeats).

Each measured step runs in a fresh process (`python -m bench.upload --child`), so its peak resident memory
(getrusage ru_maxrss: Python, Django and the catalog included) is that step's alone. Timed per upload:
upload_create + upload_process, split into phases by wrapping the functions upload_process calls (create =
upload_create; parse = ingest.ingest_file and catalog = reconcile_context_load, which run at the same time, shown
each and as their common wall time "parse|catalog"; repeats = repeats_find; store = lines_insert_batches without the
pricing inside it; price = reconcile_columns, the column building and the summary sums of each batch, which run
while PostgreSQL copies the batch before; summary = savings_summary_add (inserting the summed rows)). "other" is the
total less create, parse|catalog, repeats, price, store and summary. The upload must end done with rows_accepted
equal to the lines stored, else the bench fails.
Storing compared: lines_insert of prepared columns against PurchaseLine.objects.bulk_create of the same lines
(min(100,000, lines) lines, each in a rolled-back transaction; peak is the step's own, VmHWM reset before it).

Run on both backends: `python -m bench upload` (SQLite, a file database under var/bench/) and
`DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_upload python -m bench upload`. The upload size limit
(UPLOAD_MAX_BYTES, 50 MB by default) is raised for the child processes: the 1,000,000-line csv is larger.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

LINES = int(os.environ.get("BENCH_UPLOAD_LINES", "1000000"))
XLSX_LINES = min(LINES, int(os.environ.get("BENCH_UPLOAD_XLSX_LINES", "100000")))
ITEMS = int(os.environ.get("BENCH_UPLOAD_ITEMS", "100000"))
COMPARE_LINES = min(100_000, LINES)
VENDORS = 200
VAR = Path(__file__).resolve().parent.parent / "var" / "bench"
HEADERS = ["Date", "Vendor", "SKU", "Description", "Qty", "UOM", "Unit Price", "Extended", "Invoice"]
# Three price versions per item: Jan-Apr, May-Aug, Sep-Dec 2026.
WINDOWS = (
    (datetime.date(2026, 1, 1), datetime.date(2026, 4, 30)),
    (datetime.date(2026, 5, 1), datetime.date(2026, 8, 31)),
    (datetime.date(2026, 9, 1), None),
)
TARGET_SECONDS = 20.0
TARGET_MB = 2048.0


# ---------------------------------------------------------------------------------------------------------------
# Setup: catalog and files


def _vendor_name(v: int) -> str:
    return f"Bench Medical Supply {v}"


def _base_cents(items: int) -> np.ndarray:
    """Each item's first-window price in cents (item i at index i - 1), the same in catalog and files."""
    return np.random.default_rng(7).integers(100, 50_000, size=items, dtype=np.int64)


def _seed(items: int) -> tuple[int, float]:
    """The catalog (bulk_create in big batches); returns the practice id and the seconds it took."""
    from django.db import transaction

    from contracts.models import Contract, ContractItem, ContractPrice, Participation
    from gpo.members.models import Practice
    from vendors.models import Vendor
    from vendors.normalize import normalize_sku, normalize_vendor_name

    began = time.perf_counter()
    base = _base_cents(items)
    with transaction.atomic():
        practice = Practice.objects.create(name="Bench Upload Radiology", slug="bench-upload")
        vendors = Vendor.objects.bulk_create(
            Vendor(
                name=_vendor_name(v), slug=f"bench-vendor-{v}", normalized_name=normalize_vendor_name(_vendor_name(v))
            )
            for v in range(1, VENDORS + 1)
        )
        contracts = Contract.objects.bulk_create(
            Contract(
                vendor=vendor,
                number=f"GPO-{v:04d}",
                title=f"Bench contract {v}",
                start_date=datetime.date(2026, 1, 1),
                end_date=datetime.date(2026, 12, 31),
            )
            for v, vendor in enumerate(vendors, start=1)
        )
        Participation.objects.bulk_create(
            Participation(practice=practice, contract=contract, joined_on=datetime.date(2025, 12, 1))
            for contract in contracts
        )
        ContractItem.objects.bulk_create(
            (
                ContractItem(
                    contract_id=contracts[i % VENDORS].id,
                    vendor_sku=f"SKU{i}",
                    vendor_sku_normalized=normalize_sku(f"SKU{i}"),
                    mfr_part_number=f"MP{i}",
                    mfr_part_normalized=normalize_sku(f"MP{i}"),
                    description=f"Bench item {i}",
                    uom="EA",
                    list_price=_dollars(int(base[i - 1]) * 5 // 4),
                )
                for i in range(1, items + 1)
            ),
            batch_size=10_000,
        )
        item_ids = dict(ContractItem.objects.values_list("vendor_sku", "id"))
        ContractPrice.objects.bulk_create(
            (
                ContractPrice(
                    item_id=item_ids[f"SKU{i}"],
                    price=_dollars(int(base[i - 1]) + 100 * version),
                    effective_from=start,
                    effective_to=end,
                )
                for i in range(1, items + 1)
                for version, (start, end) in enumerate(WINDOWS)
            ),
            batch_size=10_000,
        )
    return practice.id, time.perf_counter() - began


def _dollars(cents: int) -> Any:
    from decimal import Decimal

    return Decimal(cents).scaleb(-2)


def _purchases(start: int, count: int, items: int, prefix: str) -> Iterator[list[Any]]:
    """Purchase rows number start..start+count of one endless, seeded stream (same index: same row)."""
    total = start + count

    def rng(stream: int) -> np.random.Generator:  # one generator per column: row n is the same for any total
        return np.random.default_rng([11, stream])

    item = rng(1).integers(1, items + 1, size=total)
    day = rng(2).integers(0, 365, size=total)
    known = rng(3).random(total) < 0.9
    over = rng(4).random(total) < 0.08
    returned = rng(5).random(total) < 0.03
    quantity = rng(6).integers(1, 25, size=total)
    inc = rng(7).random(total) < 0.2
    base = _base_cents(items)
    first = datetime.date(2026, 1, 1)
    for n in range(start, total):
        i = int(item[n])
        on = first + datetime.timedelta(days=int(day[n]))
        version = 0 if on.month <= 4 else 1 if on.month <= 8 else 2
        paid = int(base[i - 1]) + 100 * version
        if over[n]:
            paid += paid // 20 + 100
        qty = -int(quantity[n] % 3 + 1) if returned[n] else int(quantity[n])
        vendor = _vendor_name(i % VENDORS + 1)
        yield [
            on,
            f"{vendor}, Inc." if inc[n] else vendor,
            f"SKU{i}" if known[n] else f"X{i}",
            f"Bench item {i}",
            qty,
            "EA",
            paid,
            qty * paid,
            f"{prefix}{n // 20}",
        ]


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _write_csv(path: Path, rows: Iterator[list[Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADERS) + "\n")
        for on, vendor, sku, description, qty, uom, paid, extended, invoice in rows:
            out.write(
                f'{on:%m/%d/%Y},"{vendor}",{sku},{description},{qty},{uom},{_money(paid)},{_money(extended)},{invoice}\n'
            )


def _write_xlsx(path: Path, rows: Iterator[list[Any]]) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Purchases")
    date_format = workbook.add_format({"num_format": "mm/dd/yyyy"})
    money_format = workbook.add_format({"num_format": "#,##0.00"})
    sheet.write_row(0, 0, HEADERS)
    for r, (on, vendor, sku, description, qty, uom, paid, extended, invoice) in enumerate(rows, start=1):
        sheet.write_datetime(r, 0, datetime.datetime.combine(on, datetime.time()), date_format)
        sheet.write_row(r, 1, [vendor, sku, description, qty, uom])
        sheet.write_number(r, 6, paid / 100, money_format)
        sheet.write_number(r, 7, extended / 100, money_format)
        sheet.write_string(r, 8, invoice)
    workbook.close()


# ---------------------------------------------------------------------------------------------------------------
# Child process: one measured step


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return _peak_mb()


def _peak_reset() -> None:
    """Reset the kernel's peak resident set (VmHWM) so a step's own peak can be read afterwards."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


class _Phases:
    """Wraps module attributes to add up the seconds spent in them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, module: Any, attribute: str, phase: str) -> None:
        original = getattr(module, attribute)
        seconds = self.seconds
        seconds.setdefault(phase, 0.0)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[phase] += time.perf_counter() - began

        setattr(module, attribute, timed)


def _child_upload(job: dict[str, Any]) -> dict[str, Any]:
    from gpo.members.models import Practice
    from reports import ingest
    from reports.models import PurchaseLine, PurchaseUpload
    from reports.services import reconciliation, savings, uploads

    phases = _Phases()
    phases.wrap(uploads, "upload_create", "create")
    phases.wrap(uploads, "_upload_parse", "parse|catalog")
    phases.wrap(ingest, "ingest_file", "parse")
    phases.wrap(uploads, "reconcile_context_load", "catalog")
    phases.wrap(reconciliation, "reconcile_columns", "price")
    phases.wrap(uploads, "_stored_columns", "price")
    phases.wrap(uploads, "result_columns", "price")
    phases.wrap(savings.SummaryRows, "add", "price")
    phases.wrap(reconciliation, "repeats_find", "repeats")
    phases.wrap(uploads, "lines_insert_batches", "store")
    phases.wrap(uploads, "savings_summary_add", "summary")
    practice = Practice.objects.get(pk=job["practice_id"])
    rss_before = _rss_mb()
    began = time.perf_counter()
    upload = uploads.upload_create(practice=practice, user=None, file=job["path"], enqueue=False)
    upload = uploads.upload_process(upload_id=upload.id, practice_id=practice.id)
    seconds = time.perf_counter() - began
    stored = PurchaseLine.objects.filter(upload_id=upload.id).count()
    repeats = PurchaseLine.objects.filter(upload_id=upload.id, repeat_of__isnull=False).count()
    priced = PurchaseLine.objects.filter(upload_id=upload.id, status__in=["on_contract", "overcharged"]).count()
    if upload.status != PurchaseUpload.Status.DONE or upload.rows_accepted != stored:
        raise RuntimeError(
            f"upload {upload.id}: status {upload.status} ({upload.error!r}), rows_accepted {upload.rows_accepted}, "
            f"lines stored {stored}"
        )
    split = dict(phases.seconds)
    # The repeats and the batches' pricing run inside lines_insert_batches (before and while it copies): keep only
    # the storing there.
    split["store"] -= split["price"] + split["repeats"]
    return {
        "seconds": seconds,
        "rows_total": upload.rows_total,
        "accepted": upload.rows_accepted,
        "repeats": repeats,
        "priced": priced,
        "phases": split,
        "rss_before_mb": rss_before,
        "peak_mb": _peak_mb(),
    }


def _child_store(job: dict[str, Any]) -> dict[str, Any]:
    import pyarrow as pa
    from django.db import transaction
    from django.utils import timezone

    from gpo.members.models import Practice
    from reports.models import PurchaseLine
    from reports.services import uploads
    from reports.services.line_store import lines_insert
    from reports.services.savings import SummaryRows

    practice = Practice.objects.get(pk=job["practice_id"])
    upload = uploads.upload_create(practice=practice, user=None, file=job["path"], enqueue=False)
    parsed = uploads._upload_parse(upload)
    result, context = parsed.result, parsed.context
    now = timezone.now()
    batches = pa.concat_tables(
        pa.table(batch)
        for batch in uploads._line_batches(
            upload, result.lines, context=context, reconciled_at=now, summary=SummaryRows()
        )
    )
    columns = {name: batches.column(name).combine_chunks() for name in batches.column_names}
    count = len(result.lines)
    out: dict[str, Any] = {"lines": count}

    with transaction.atomic():
        _peak_reset()
        before = _rss_mb()
        began = time.perf_counter()
        written = lines_insert(columns)
        out["lines_insert"] = {
            "seconds": time.perf_counter() - began,
            "peak_delta_mb": _rss_mb("VmHWM") - before,
        }
        if written != count or PurchaseLine.objects.filter(upload_id=upload.id).count() != count:
            raise RuntimeError(f"lines_insert wrote {written} of {count} lines")
        transaction.set_rollback(True)

    # The usual way: model instances with Python values (the typed columns give Decimal, date, datetime), then
    # bulk_create.
    table = pa.table(dict(columns))
    names = table.column_names
    with transaction.atomic():
        _peak_reset()
        before = _rss_mb()
        began = time.perf_counter()
        objs = []
        for values in zip(*(table.column(name).to_pylist() for name in names), strict=True):
            objs.append(PurchaseLine(**dict(zip(names, values, strict=True))))
        built = time.perf_counter()
        PurchaseLine.objects.bulk_create(objs, batch_size=job["batch_size"])
        done = time.perf_counter()
        out["bulk_create"] = {
            "seconds": done - built,
            "build_seconds": built - began,
            "peak_delta_mb": _rss_mb("VmHWM") - before,
        }
        if PurchaseLine.objects.filter(upload_id=upload.id).count() != count:
            raise RuntimeError("bulk_create did not write every line")
        transaction.set_rollback(True)
    upload.delete()
    return out


def _child(job: dict[str, Any]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpo.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False  # a worker's settings: no query log
    work = {"upload": _child_upload, "store": _child_store}[job["kind"]]
    print("RESULT " + json.dumps(work(job)))


# ---------------------------------------------------------------------------------------------------------------
# Parent: setup, children, table


def _database_url() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


def _spawn(job: dict[str, Any], media: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(media),
        "UPLOAD_MAX_BYTES": str(2 * 1024**3),
        "DJANGO_SETTINGS_MODULE": "gpo.settings",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.upload", "--child", json.dumps(job)],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    results = [line[7:] for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not results:
        raise RuntimeError(f"bench child {job['kind']} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return dict(json.loads(results[-1]))


def _measured(
    backend: str, media: Path, practice_id: int, path: Path, lines: int, repeats: int
) -> tuple[dict[str, Any], dict]:
    result = _spawn({"kind": "upload", "path": str(path), "practice_id": practice_id}, media)
    # The files are known: 90 % of the lines name a catalog SKU (on contract or overcharged), and `repeats` of
    # them repeat the csv. A fast path that got them wrong fails the bench instead of printing a fine figure.
    if result["repeats"] != repeats or result["priced"] < 0.85 * lines:
        raise RuntimeError(
            f"{path.name}: {result['repeats']:,} repeats (expected {repeats:,}), {result['priced']:,} of {lines:,} "
            "lines priced on contract (expected about 90 %)"
        )
    seconds = result["seconds"]
    big = lines >= 1_000_000 and path.suffix == ".csv"
    row = {
        "backend": backend,
        "case": f"upload {path.suffix[1:]} (create + process)",
        "lines": f"{lines:,}",
        "seconds": f"{seconds:.1f}",
        "lines/s": f"{lines / seconds:,.0f}",
        "peak MB": f"{result['peak_mb']:,.0f}",
        "vs target": (
            ("OK" if seconds < TARGET_SECONDS and result["peak_mb"] < TARGET_MB else "OVER") + " (20 s, 2 GB)"
            if big and backend == "postgresql"
            else "-"
        ),
        "note": f"accepted {result['accepted']:,}, repeats {result['repeats']:,}",
    }
    split = {
        "backend": backend,
        "file": path.suffix[1:],
        "lines": f"{lines:,}",
        **{f"{name} s": f"{value:.2f}" for name, value in result["phases"].items()},
        # parse and catalog run at the same time: their common wall time (parse|catalog) is what adds up.
        "other s": f"{seconds - sum(v for k, v in result['phases'].items() if k not in ('parse', 'catalog')):.2f}",
        "total s": f"{seconds:.2f}",
        "RSS before MB": f"{result['rss_before_mb']:,.0f}",
    }
    return row, split


def run() -> list[dict[str, Any]]:
    """Seed the catalog, write the files, time each upload and the two ways of storing lines in child processes."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    from bench.__main__ import format_table

    backend = connection.vendor
    old_name = connection.settings_dict["NAME"]
    own_database = backend == "sqlite"
    if own_database:
        # Child processes cannot see the runner's in-memory database: use a file. SQLite's close() keeps an
        # in-memory database open, so close the real connection first or create_test_db would reuse it.
        VAR.mkdir(parents=True, exist_ok=True)
        BaseDatabaseWrapper.close(connection)
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(VAR / "upload.sqlite3")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        practice_id, seeded = _seed(ITEMS)
        print(f"seeded {ITEMS:,} items x 3 prices, {VENDORS} vendors/contracts in {seeded:.1f} s ({backend})")
        with tempfile.TemporaryDirectory(prefix="bench-upload-") as folder:
            work = Path(folder)
            began = time.perf_counter()
            csv_path, xlsx_path, compare_path = work / "purchases.csv", work / "purchases.xlsx", work / "compare.csv"
            _write_csv(csv_path, _purchases(0, LINES, ITEMS, "INV"))
            # The xlsx's first tenth repeats the csv's last lines (same invoice numbers): repeats.
            overlap = XLSX_LINES // 10
            _write_xlsx(xlsx_path, _purchases(LINES - overlap, XLSX_LINES, ITEMS, "INV"))
            _write_csv(compare_path, _purchases(LINES + XLSX_LINES, COMPARE_LINES, ITEMS, "CMP"))
            print(
                f"wrote {LINES:,}-line csv ({csv_path.stat().st_size / 1e6:.0f} MB), {XLSX_LINES:,}-line xlsx "
                f"({xlsx_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - began:.1f} s"
            )
            media = work / "media"
            rows, splits = [], []
            for path, lines, repeats in ((csv_path, LINES, 0), (xlsx_path, XLSX_LINES, overlap)):
                row, split = _measured(backend, media, practice_id, path, lines, repeats)
                print("  ".join(f"{key}={value}" for key, value in row.items()))
                rows.append(row)
                splits.append(split)
            batch_size = 5_000 if backend == "postgresql" else 1_000
            store = _spawn(
                {"kind": "store", "path": str(compare_path), "practice_id": practice_id, "batch_size": batch_size},
                media,
            )
        fast, slow = store["lines_insert"], store["bulk_create"]
        count = store["lines"]
        method = "COPY" if backend == "postgresql" else "executemany"
        rows.append(
            {
                "backend": backend,
                "case": f"store: lines_insert ({method}) of prepared columns",
                "lines": f"{count:,}",
                "seconds": f"{fast['seconds']:.2f}",
                "lines/s": f"{count / fast['seconds']:,.0f}",
                "peak MB": f"+{fast['peak_delta_mb']:,.0f}",
                "vs target": (
                    ("OK" if slow["seconds"] / fast["seconds"] >= 10 else "UNDER")
                    + f" ({slow['seconds'] / fast['seconds']:.1f}x bulk_create, target 10x)"
                ),
                "note": "step's own peak over RSS before it",
            }
        )
        rows.append(
            {
                "backend": backend,
                "case": f"store: PurchaseLine bulk_create(batch_size={batch_size:,})",
                "lines": f"{count:,}",
                "seconds": f"{slow['seconds']:.2f}",
                "lines/s": f"{count / slow['seconds']:,.0f}",
                "peak MB": f"+{slow['peak_delta_mb']:,.0f}",
                "vs target": "-",
                "note": f"+ {slow['build_seconds']:.2f} s building the instances (not in seconds)",
            }
        )
        print("\nPhases of each upload (seconds):")
        print(format_table(splits))
        return rows
    finally:
        if own_database:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            # The runner's in-memory database went with its last connection: build it again for later modules.
            call_command("migrate", verbosity=0, interactive=False)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(json.loads(sys.argv[2]))
    else:
        sys.exit("Run through the bench runner: python -m bench upload")
