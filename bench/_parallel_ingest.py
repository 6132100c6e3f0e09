"""Parallel ingest (issue 16): four practices upload a file at once through two real Celery workers on Redis.

`run_parallel` starts two `celery -A gpo worker` processes on a queue of its own, creates the four uploads from four
threads at the same moment and waits for every one to finish; `practice_totals` gives what each practice's figures
and lines add up to, so a caller compares them with a sequential run of the same files. Used by
tests/reports/test_parallel_ingest.py (small files) and by `make bench-parallel` (`python -m bench._parallel_ingest`:
250,000-line files on PostgreSQL, with the wall time).
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench._postgres import database_ensure

ROOT = Path(__file__).resolve().parent.parent
HEADER = "Date,Vendor,SKU,Description,Qty,UOM,Unit Price,Extended,Invoice"


def purchase_csv(
    rows: int, *, items: Sequence[tuple[str, str, str, float]], seed: int, first_year: int = 2025, years: int = 1
) -> bytes:
    """A purchase file of `rows` data rows over the years: contracted items at, above and below their price,
    unknown vendors, returns, and invoices shared by several lines."""
    rng = random.Random(seed)
    start = date(first_year, 1, 1)
    span = (date(first_year + years, 1, 1) - start).days
    lines = [HEADER]
    for row in range(rows):
        day = start + timedelta(days=rng.randrange(span))
        invoice = f"INV-{seed}-{row // 4}"
        if rng.random() < 0.85:
            vendor, sku, uom, price = rng.choice(items)
            paid = round(price * rng.choice([1.0, 1.0, 1.0, 1.08, 0.97]), 2)
        else:
            vendor, sku, uom, paid = f"Local Supplier {rng.randrange(40)}", f"LS-{rng.randrange(500)}", "EA", 12.5
        quantity = rng.choice([1, 2, 3, 5, 10, -1]) if rng.random() < 0.98 else 4
        lines.append(
            f"{day.isoformat()},{vendor},{sku},Item {sku},{quantity},{uom},{paid:.2f},{quantity * paid:.2f},{invoice}"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def practice_totals(practice: Any) -> dict[str, Any]:
    """Every figure of the practice (all periods) and its line counts: equal for equal files, whoever stored them."""
    from reports.models import PurchaseLine
    from reports.selectors.savings import SavingsScope, savings_json

    body = savings_json(scope=SavingsScope(practice, [practice.id]), start=None, end=None, cached=False)
    body.pop("practice")
    lines = PurchaseLine.objects.filter(practice=practice)
    return {
        "figures": body,
        "lines": lines.count(),
        "distinct_rows": lines.values("upload_id", "row_number").distinct().count(),
        "repeats": lines.filter(repeat_of__isnull=False).count(),
    }


@contextmanager
def celery_workers(*, count: int, broker_url: str, queue: str, env: dict[str, str]) -> Any:
    """`count` worker processes (`celery -A gpo worker`, one process each) consuming `queue` on the broker.

    Each worker's stderr goes to a temporary file, read back into the error when a worker stops early.
    """
    logs = [tempfile.TemporaryFile() for _ in range(count)]  # noqa: SIM115  # closed in the finally below
    workers = [
        subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "celery"),
                "-A",
                "gpo",
                "worker",
                "--pool",
                "solo",
                "--queues",
                queue,
                "--hostname",
                f"parallel-{index}-{queue}@%h",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env={**os.environ, **env, "CELERY_BROKER_URL": broker_url},
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        for index, log in enumerate(logs)
    ]
    for worker, log in zip(workers, logs, strict=True):
        worker.log = log  # type: ignore[attr-defined]  # read by wait_until_finished when the worker stops early
    try:
        yield workers
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        for log in logs:
            log.close()


def uploads_at_once(*, practices: Sequence[Any], user_for: Any, files: Sequence[bytes]) -> list[Any]:
    """Create one upload per practice from as many threads, released together; returns the uploads."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from reports.services.uploads import upload_create

    barrier = threading.Barrier(len(practices))
    created: list[Any] = [None] * len(practices)
    errors: list[BaseException] = []

    def create(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            file = SimpleUploadedFile(f"purchases-{index}.csv", files[index], content_type="text/csv")
            created[index] = upload_create(practice=practices[index], user=user_for(practices[index]), file=file)
        except BaseException as exc:  # reported to the caller below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(index,)) for index in range(len(practices))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return created


def wait_until_finished(uploads: Sequence[Any], *, timeout: float, workers: Sequence[Any] = ()) -> float:
    """Poll until every upload is done or failed; returns the seconds waited (fails after `timeout`, or at once
    when one of the workers has stopped)."""
    from reports.models import PurchaseUpload

    began = time.monotonic()
    finished = {PurchaseUpload.Status.DONE, PurchaseUpload.Status.FAILED}
    ids = [upload.pk for upload in uploads]
    while time.monotonic() - began < timeout:
        statuses = set(PurchaseUpload.objects.filter(pk__in=ids).values_list("status", flat=True))
        if statuses <= finished:
            return time.monotonic() - began
        for worker in workers:
            if worker.poll() is not None:
                worker.log.seek(0)
                raise RuntimeError(f"a worker stopped ({worker.returncode}): {worker.log.read()[-3000:].decode()}")
        time.sleep(0.5)
    raise TimeoutError(f"uploads not finished after {timeout:.0f} s: {sorted(statuses)}")


def new_queue() -> str:
    """A queue of this run's own: a message left in Redis by an earlier run is never consumed here."""
    return f"parallel-{uuid.uuid4().hex}"


def main() -> int:
    """Four PARALLEL_LINES-line files (250,000): stored one after the other, then at once by two workers."""
    os.environ["DATABASE_URL"] = os.environ.get(
        "PARALLEL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gpo_parallel"
    )
    broker = os.environ.get("PARALLEL_BROKER_URL", "redis://127.0.0.1:6379/0")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpo.settings")
    database_ensure(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from bench.__main__ import format_table
    from bench._scale import _catalog_items
    from contracts.models import Contract, Participation
    from gpo.celery import app as celery_app
    from gpo.members.models import Practice
    from reports.services.uploads import upload_create, upload_process

    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    if not Practice.objects.filter(slug="lakeside-radiology").exists():
        call_command("seed_demo", verbosity=0)
    rows = int(os.environ.get("PARALLEL_LINES", 250_000))
    items = _catalog_items()
    files = [purchase_csv(rows, items=items, seed=seed) for seed in range(4)]
    run = uuid.uuid4().hex[:6]
    contracts = list(Contract.objects.exclude(status="draft"))

    def practices(kind: str) -> list[Any]:
        made = [Practice.objects.create(slug=f"{kind}-{run}-{i}", name=f"{kind} {run} {i}") for i in range(4)]
        Participation.objects.bulk_create(
            [Participation(practice=p, contract=c, joined_on=c.start_date) for p in made for c in contracts]
        )
        return made

    sequential = practices("sequential")
    began = time.perf_counter()
    for practice, content in zip(sequential, files, strict=True):
        upload = upload_create(practice=practice, user=None, file=SimpleUploadedFile("s.csv", content), enqueue=False)
        upload_process(upload_id=upload.pk)
    sequential_seconds = time.perf_counter() - began

    parallel = practices("parallel")
    queue = new_queue()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.update(task_always_eager=False, broker_url=broker, task_default_queue=queue)
    env = {"DATABASE_URL": os.environ["DATABASE_URL"], "MEDIA_ROOT": str(settings.MEDIA_ROOT), "DEBUG": "1"}
    with celery_workers(count=2, broker_url=broker, queue=queue, env=env) as workers:
        time.sleep(5)  # both workers up before the uploads arrive
        began = time.perf_counter()
        uploads = uploads_at_once(practices=parallel, user_for=lambda practice: None, files=files)
        wait_until_finished(uploads, timeout=3600, workers=workers)
        parallel_seconds = time.perf_counter() - began
    for upload in uploads:
        upload.refresh_from_db()
    equal = [practice_totals(a) == practice_totals(b) for a, b in zip(sequential, parallel, strict=True)]
    table = [
        {
            "run": "sequential, in-process",
            "files": 4,
            "lines each": f"{rows:,}",
            "wall s": f"{sequential_seconds:.1f}",
            "all done": "yes",
            "totals equal": "",
        },
        {
            "run": "at once, 2 Celery workers",
            "files": 4,
            "lines each": f"{rows:,}",
            "wall s": f"{parallel_seconds:.1f}",
            "all done": "yes" if all(u.status == "done" for u in uploads) else "NO",
            "totals equal": "yes" if all(equal) else f"NO {equal}",
        },
    ]
    print(f"\n== bench-parallel ({connection_vendor()}, {os.cpu_count()} cores) ==")
    print(format_table(table))
    return 0 if all(equal) else 1


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    import sys

    sys.exit(main())
