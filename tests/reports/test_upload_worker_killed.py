"""A real Celery worker on Redis, started by the test, killed with SIGKILL mid-upload (issue 15, DESIGN §5).

- The pool child dies with the lines written but not committed: nobody ever sees a partial upload, the broker hands
  the message back (acks_late + reject_on_worker_lost) and the upload completes on redelivery.
- The whole worker dies: the message waits for the broker's visibility timeout, the sweeper fails the upload with a
  reason, and a retry finishes it.
Either way the lines equal those of a clean run of the same file (a digest over every line).

PostgreSQL only (the worker is another process and must reach the test database; SQLite's test database lives in
the test's memory), and only where Redis answers; each skip says why.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from gpo.celery import app as celery_app
from reports.models import PurchaseLine, PurchaseUpload
from reports.services.upload_recovery import upload_retry, uploads_sweep_stale
from reports.services.uploads import upload_create
from tests.redis_check import redis_reachable
from tests.reports.conftest import acme  # noqa: F401  the contract the purchases reconcile against
from tests.reports.test_upload_worker import BROKER_URL, _connections_reset
from tests.reports.upload_samples import csv_rows, csv_upload

ROOT = Path(__file__).resolve().parent.parent.parent
PURCHASES = csv_rows(
    *(
        f"2026-03-{day:02d},Acme Medical,AC-{100 * (1 + day % 2)},Item {day},{day},EA,{80 + day % 7}.00,,INV-{day}"
        for day in range(1, 29)
    ),
    "2026-03-29,Nobody Supply,X-1,Gloves,1,EA,9.99,9.99,INV-X",
    "not a date,Acme Medical,AC-100,Bad row,1,EA,80.00,80.00,INV-Y",
)
# Every column a line keeps, but the ones that name the upload, the practice or the moment.
LINE_FIELDS = sorted(
    field.attname
    for field in PurchaseLine._meta.concrete_fields
    if field.attname not in {"id", "upload_id", "practice_id", "reconciled_at", "repeat_of_id"}
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the worker process needs the test database: PostgreSQL"
    ),
]


def _digest(upload: PurchaseUpload) -> str:
    rows = PurchaseLine.objects.filter(upload=upload).order_by("row_number").values_list(*LINE_FIELDS)
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def _wait(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds:.0f} s for {what}")


class Worker:
    """`celery -A gpo worker` in its own process, on a queue of this test's own, with the mid-upload hook."""

    def __init__(self, tmp_path: Path, settings: Any, queue: str) -> None:
        database = connection.settings_dict
        address = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
        self.marker = tmp_path / "hook-pid"
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{address}/{database['NAME']}",
            "CELERY_BROKER_URL": BROKER_URL,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "DATA_DIR": str(tmp_path / "worker"),
            "GPO_TEST_HOOK_MARKER": str(self.marker),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "gpo",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "-Q",
                queue,
                "-I",
                "tests.reports.worker_hook",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "worker.log").open("w"),
        )

    def child_stopped_mid_upload(self) -> int:
        _wait(self.marker.exists, 180, "the worker to reach the middle of the upload")
        _wait(lambda: self.marker.read_text().strip().isdigit(), 5, "the hook's process id")
        return int(self.marker.read_text())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def worker_queue(settings) -> Iterator[str]:
    if not redis_reachable(BROKER_URL):
        pytest.skip(f"Redis broker {BROKER_URL} is not reachable (set CELERY_TEST_BROKER_URL to run this test)")
    saved = {
        key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    }
    queue = f"test-killed-{uuid.uuid4().hex}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = BROKER_URL
    celery_app.conf.update(
        task_always_eager=False, broker_url=BROKER_URL, result_backend=None, task_default_queue=queue
    )
    _connections_reset()
    try:
        yield queue
    finally:
        celery_app.conf.update(saved)
        _connections_reset()
        import redis

        redis.Redis.from_url(BROKER_URL).delete(queue)


@pytest.fixture
def clean_digest(practice_b, make_member, acme) -> str:  # noqa: F811
    """The same file processed in-process, never interrupted, for a practice on the same contracts."""
    celery_app.conf.task_always_eager = True
    try:
        upload = upload_create(practice=practice_b, user=make_member("finance", practice_b), file=csv_upload(PURCHASES))
    finally:
        celery_app.conf.task_always_eager = False
    upload.refresh_from_db()
    assert upload.status == PurchaseUpload.Status.DONE, upload.error
    assert upload.rows_accepted == 29
    return _digest(upload)


def test_a_pool_child_killed_mid_upload_leaves_no_lines_and_the_redelivery_finishes_it(
    worker_queue, clean_digest, practice_a, make_member, tmp_path, settings
):
    upload = upload_create(practice=practice_a, user=make_member("finance", practice_a), file=csv_upload(PURCHASES))
    worker = Worker(tmp_path, settings, worker_queue)
    try:
        child = worker.child_stopped_mid_upload()
        os.kill(child, signal.SIGKILL)
        assert not PurchaseLine.objects.filter(upload=upload).exists()  # written, never committed
        _wait(lambda: PurchaseUpload.objects.get(pk=upload.pk).status in {"done", "failed"}, 180, "the redelivered run")
    finally:
        worker.stop()
    upload.refresh_from_db()
    assert upload.status == PurchaseUpload.Status.DONE, upload.error
    assert upload.rows_accepted == 29
    assert _digest(upload) == clean_digest


def test_a_whole_worker_killed_mid_upload_is_failed_by_the_sweeper_and_a_retry_finishes_it(
    worker_queue, clean_digest, practice_a, make_member, tmp_path, settings
):
    finance = make_member("finance", practice_a)
    upload = upload_create(practice=practice_a, user=finance, file=csv_upload(PURCHASES))
    worker = Worker(tmp_path, settings, worker_queue)
    try:
        child = worker.child_stopped_mid_upload()
        os.kill(worker.process.pid, signal.SIGKILL)
        os.kill(child, signal.SIGKILL)
    finally:
        worker.stop()
    # The killed session's claim goes with its connection; the broker would hand the message back only after its
    # visibility timeout. The sweeper does not wait that long here.
    _wait(lambda: not PurchaseLine.objects.filter(upload=upload).exists(), 30, "the killed transaction to go")
    time.sleep(1)
    swept = uploads_sweep_stale(quiet_for=timedelta(seconds=0))
    upload.refresh_from_db()
    assert [s.pk for s in swept] == [upload.pk]
    assert upload.status == PurchaseUpload.Status.FAILED
    assert upload.error
    assert not PurchaseLine.objects.filter(upload=upload).exists()

    celery_app.conf.task_always_eager = True
    upload_retry(upload=upload, user=finance)
    upload.refresh_from_db()
    assert upload.status == PurchaseUpload.Status.DONE, upload.error
    assert _digest(upload) == clean_digest
