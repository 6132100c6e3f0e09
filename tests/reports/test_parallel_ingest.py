"""Four practices upload at once through two real Celery worker processes on Redis (issue 16).

Every upload finishes, nothing deadlocks, no line is lost or doubled, and each practice's figures are exactly those
of the same file stored sequentially (in-process) for a twin practice. Needs PostgreSQL (the worker processes must
see the test database) and Redis; skipped with the reason otherwise.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pytest
from django.db import connection

from bench._parallel_ingest import (
    celery_workers,
    new_queue,
    practice_totals,
    purchase_csv,
    uploads_at_once,
    wait_until_finished,
)
from contracts.models import Contract
from gpo.celery import app as celery_app
from gpo.members.models import Membership, Role
from reports.models import PurchaseLine, PurchaseUpload
from reports.services.uploads import upload_create
from tests.factories import ParticipationFactory, PracticeFactory, UserFactory
from tests.redis_check import redis_reachable
from tests.reports.test_upload_worker import BROKER_URL, _connections_reset

ITEMS = [("Acme Medical", "AC-100", "EA", 80.0), ("Acme Medical", "AC-200", "EA", 15.0)]
ROWS = 400


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _practices(prefix: str, contract: Contract) -> list:
    practices = [PracticeFactory(name=f"{prefix} {i}", slug=f"{prefix}-{i}") for i in range(4)]
    for practice in practices:
        ParticipationFactory(practice=practice, contract=contract, joined_on=date(2024, 12, 1))
        Membership.objects.create(user=UserFactory(), practice=practice, role=Role.FINANCE)
    return practices


def _finance(practice):
    return Membership.objects.filter(practice=practice, role=Role.FINANCE).first().user


@pytest.mark.django_db(transaction=True)
def test_four_practices_uploading_at_once_get_exactly_their_sequential_figures(acme, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: worker processes cannot see this process's SQLite test database")
    if not redis_reachable(BROKER_URL):
        pytest.skip(f"Redis broker {BROKER_URL} is not reachable (set CELERY_TEST_BROKER_URL to run this test)")
    contract = Contract.objects.get(number="GPO-ACME")
    files = [purchase_csv(ROWS, items=ITEMS, seed=seed) for seed in range(4)]

    # The reference: the same files stored one after the other, in this process.
    sequential = _practices("sequential", contract)
    for practice, content in zip(sequential, files, strict=True):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload_create(practice=practice, user=_finance(practice), file=SimpleUploadedFile("p.csv", content))

    parallel = _practices("parallel", contract)
    queue = new_queue()
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = BROKER_URL
    celery_app.conf.update(task_always_eager=False, broker_url=BROKER_URL, task_default_queue=queue)
    _connections_reset()
    worker_env = {"DATABASE_URL": _database_url(), "MEDIA_ROOT": str(settings.MEDIA_ROOT), "DEBUG": "1"}
    try:
        with celery_workers(count=2, broker_url=BROKER_URL, queue=queue, env=worker_env) as workers:
            uploads = uploads_at_once(practices=parallel, user_for=_finance, files=files)
            wait_until_finished(uploads, timeout=600, workers=workers)
            alive = [worker.poll() is None for worker in workers]
    finally:
        celery_app.conf.update(saved)
        _connections_reset()

    assert alive == [True, True]
    done = PurchaseUpload.objects.filter(pk__in=[u.pk for u in uploads])
    assert {(u.status, u.error) for u in done} == {(PurchaseUpload.Status.DONE, "")}
    for twin, practice in zip(sequential, parallel, strict=True):
        reference, measured = practice_totals(twin), practice_totals(practice)
        assert measured == reference
        assert measured["lines"] == measured["distinct_rows"] == ROWS
    assert PurchaseLine.objects.filter(practice__in=parallel).count() == 4 * ROWS
