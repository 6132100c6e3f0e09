"""A real Celery worker on a Redis broker processes an upload (skipped where Redis is not reachable)."""

from __future__ import annotations

import os
import threading
import uuid

import kombu.pools
import pytest

from gpo.celery import app as celery_app
from reports.models import PurchaseUpload
from reports.services.uploads import upload_create
from tests.redis_check import redis_reachable
from tests.reports.upload_samples import csv_upload

BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/9")


@pytest.fixture
def redis_worker(settings):
    """An in-process worker consuming from Redis, with eager execution switched off."""
    if not redis_reachable(BROKER_URL):
        pytest.skip(f"Redis broker {BROKER_URL} is not reachable (set CELERY_TEST_BROKER_URL to run this test)")
    from celery.contrib.testing.worker import start_worker

    import reports.tasks  # noqa: F401  registers the task with the app

    # The app reads Django settings once, lazily: capture its values before touching either.
    saved = {
        key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = BROKER_URL
    # A queue of this run's own, so a message left in Redis by an earlier run is never consumed here.
    queue = f"test-{uuid.uuid4().hex}"
    celery_app.conf.update(
        task_always_eager=False, broker_url=BROKER_URL, result_backend=None, task_default_queue=queue
    )
    _connections_reset()
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]):
            yield
    finally:
        celery_app.conf.update(saved)
        _connections_reset()


def _connections_reset() -> None:
    """Drop the app's cached broker connections: they keep the broker URL they were made with."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    # kombu keeps producer pools in a global registry keyed by connection; drop those bound to the closed pool.
    kombu.pools.reset()


@pytest.mark.django_db(transaction=True)
def test_worker_processes_an_upload_from_the_broker(redis_worker, practice_a, make_member, monkeypatch):
    from reports import tasks

    threads = []
    finished = threading.Event()
    real_process = tasks.upload_services.upload_process

    def recording_process(**kwargs):
        threads.append(threading.get_ident())
        try:
            return real_process(**kwargs)
        finally:
            finished.set()

    monkeypatch.setattr(tasks.upload_services, "upload_process", recording_process)
    finance = make_member("finance", practice_a)
    upload = upload_create(practice=practice_a, user=finance, file=csv_upload())

    # Wait for the worker without reading meanwhile: the in-memory SQLite test database (shared cache) makes a
    # read during the worker's transaction fail one side with "database table is locked" instead of waiting.
    assert finished.wait(timeout=120), "the worker never processed the upload"  # generous: CI can be loaded
    upload.refresh_from_db()

    assert upload.status == PurchaseUpload.Status.DONE, upload.error
    assert (upload.rows_accepted, upload.rows_rejected) == (2, 1)
    assert upload.lines.count() == 2
    assert len(threads) == 1
    assert threads[0] != threading.get_ident()  # run by the worker, not eagerly in the test's thread
