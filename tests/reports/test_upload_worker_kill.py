"""A real Celery worker (prefork, on Redis, started by the test) killed with SIGKILL mid-upload (issue 15).

The worker runs in its own process group with one hook: the first run stops right after its lines are written inside
the processing transaction and waits to be killed. Nothing of that run may show (no partial lines); the message comes
back (acks_late + reject_on_worker_lost, or the broker's visibility timeout when the whole worker died) and the next
run gives the same lines, digest over every line, as a clean run of the same file.

PostgreSQL only: the worker is another process and must see the test's committed rows.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from gpo.celery import app as celery_app
from reports.models import PurchaseLine, PurchaseUpload
from reports.services.upload_recovery import uploads_sweep_stale
from reports.services.uploads import upload_create
from tests.redis_check import redis_reachable
from tests.reports.test_upload_worker import BROKER_URL, _connections_reset
from tests.reports.upload_samples import csv_rows, csv_upload

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker process must see the test's database"),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
CONTENT = csv_rows(
    *(
        f"2026-03-{1 + index % 28:02d},Acme Medical,AC-{index % 7}00,Item {index},{1 + index % 5},EA,{index % 9}.25,,"
        f"INV-{index // 10}"
        for index in range(2_000)
    )
)

_WORKER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpo.settings")
    import django
    django.setup()
    from reports.services import uploads

    marker = Path(os.environ["STALL_MARKER"])
    real_insert = uploads.lines_insert_batches

    def insert_then_stall(*args, **kwargs):
        count = real_insert(*args, **kwargs)
        if not marker.exists():  # the first run only: its lines are written, its transaction still open
            marker.write_text(str(os.getpid()))
            time.sleep(600)
        return count

    uploads.lines_insert_batches = insert_then_stall
    from gpo.celery import app
    app.worker_main(["worker", "-Q", sys.argv[1], "--pool", "prefork", "--concurrency", "1", "--loglevel", "WARNING",
                     "--without-mingle", "--without-gossip", "--without-heartbeat"])
    """
)


@pytest.fixture
def broker(settings: Any) -> Iterator[str]:
    """This test's own queue on Redis, with the app sending there instead of running tasks eagerly."""
    if not redis_reachable(BROKER_URL):
        pytest.skip(f"Redis broker {BROKER_URL} is not reachable")
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    queue = f"test-killed-{uuid.uuid4().hex}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.update(task_always_eager=False, broker_url=BROKER_URL, task_default_queue=queue)
    _connections_reset()
    try:
        yield queue
    finally:
        celery_app.conf.update(saved)
        _connections_reset()


def start_worker(queue: str, marker: Path, media: Path, *, visibility_timeout: int = 3600) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    environment = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
        "UPLOAD_CLAIM_WAIT_SECONDS": "20",
        "MEDIA_ROOT": str(media),
        "STALL_MARKER": str(marker),
    }
    return subprocess.Popen([sys.executable, "-c", _WORKER, queue], cwd=ROOT, env=environment, start_new_session=True)


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.25)


def lines_digest(upload: PurchaseUpload) -> str:
    """Every stored line of an upload, as the user sees it, in row order: one digest."""
    fields = (
        *("row_number", "purchase_date", "vendor_name", "sku", "description", "quantity", "uom", "unit_price"),
        *("extended_amount", "invoice_number", "spend", "status"),
    )
    rows = PurchaseLine.objects.filter(upload=upload).order_by("row_number").values_list(*fields)
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def clean_run_digest(practice: Any, user: Any, settings: Any) -> str:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    try:
        upload = upload_create(practice=practice, user=user, file=csv_upload(CONTENT, name="clean.csv"))
    finally:
        settings.CELERY_TASK_ALWAYS_EAGER = False
        celery_app.conf.task_always_eager = False
    upload.refresh_from_db()
    assert upload.status == PurchaseUpload.Status.DONE, upload.error
    return lines_digest(upload)


def stalled_upload(queue: str, tmp_path: Path, practice: Any, user: Any, settings: Any, **worker: Any) -> Any:
    marker = tmp_path / "stalled"
    process = start_worker(queue, marker, Path(settings.MEDIA_ROOT), **worker)
    upload = upload_create(practice=practice, user=user, file=csv_upload(CONTENT, name="march.csv"))
    try:
        wait_for(marker.exists, 120, "the worker to write the lines")
    except AssertionError:
        stop(process)
        raise
    # The lines are written inside the open transaction: none shows.
    assert not PurchaseLine.objects.filter(upload=upload).exists()
    return upload, process, int(marker.read_text())


def test_killing_the_pool_child_mid_upload_redelivers_it_and_the_lines_equal_a_clean_run(
    broker: str, tmp_path: Path, practice_a: Any, practice_b: Any, make_member: Any, settings: Any
) -> None:
    user = make_member("finance", practice_a)
    upload, worker, child = stalled_upload(broker, tmp_path, practice_a, user, settings)
    try:
        os.kill(child, signal.SIGKILL)

        # reject_on_worker_lost: the parent hands the message back and a new child runs it again.
        wait_for(lambda: upload_status(upload) == PurchaseUpload.Status.DONE, 120, "the redelivered run")
    finally:
        stop(worker)

    upload.refresh_from_db()
    assert upload.attempts == 2
    assert upload.lines.count() == upload.rows_accepted == 2_000
    assert lines_digest(upload) == clean_run_digest(practice_b, make_member("finance", practice_b), settings)


def test_killing_the_whole_worker_mid_upload_leaves_no_lines_and_the_next_worker_finishes_it(
    broker: str, tmp_path: Path, practice_a: Any, practice_b: Any, make_member: Any, settings: Any
) -> None:
    user = make_member("finance", practice_a)
    upload, worker, _ = stalled_upload(broker, tmp_path, practice_a, user, settings, visibility_timeout=5)
    stop(worker)  # SIGKILL to the main process and its pool child: the message stays unacknowledged in Redis

    assert upload_status(upload) != PurchaseUpload.Status.DONE
    assert not PurchaseLine.objects.filter(upload=upload).exists()
    time.sleep(6)  # past the visibility timeout: the next worker restores the message
    successor = start_worker(broker, tmp_path / "stalled", Path(settings.MEDIA_ROOT), visibility_timeout=5)
    try:
        wait_for(lambda: upload_status(upload) == PurchaseUpload.Status.DONE, 120, "the next worker's run")
    finally:
        stop(successor)

    upload.refresh_from_db()
    assert upload.lines.count() == upload.rows_accepted == 2_000
    assert lines_digest(upload) == clean_run_digest(practice_b, make_member("finance", practice_b), settings)


def upload_status(upload: PurchaseUpload) -> str:
    return str(PurchaseUpload.objects.values_list("status", flat=True).get(pk=upload.pk))


def test_a_worker_lost_for_good_has_its_upload_failed_by_the_sweeper_and_a_retry_gives_a_clean_runs_lines(
    broker: str,
    tmp_path: Path,
    practice_a: Any,
    practice_b: Any,
    make_member: Any,
    settings: Any,
    api_client_for: Any,
) -> None:
    user = make_member("finance", practice_a)
    upload, worker, _ = stalled_upload(broker, tmp_path, practice_a, user, settings)
    stop(worker)  # and no worker comes back for the message
    settings.UPLOAD_STALE_AFTER_SECONDS = 1
    time.sleep(1.5)

    # The killed worker's database session is gone with it, so its claim is free: the sweeper may fail the upload.
    wait_for(lambda: bool(uploads_sweep_stale()), 30, "the sweeper to fail the upload")

    upload.refresh_from_db()
    assert upload.status == PurchaseUpload.Status.FAILED
    assert "the worker was lost. Nothing was stored; retry the upload." in upload.error
    assert not PurchaseLine.objects.filter(upload=upload).exists()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    response = api_client_for(user).post(f"/api/uploads/{upload.public_id}/retry/")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "done"
    assert lines_digest(upload) == clean_run_digest(practice_b, make_member("finance", practice_b), settings)
