"""Uploads that survive dead workers (DESIGN.md section 5): redelivery is harmless, the sweeper fails what a lost
worker left in progress, and a failed upload can be retried (the real-worker kill tests: test_upload_worker_kill.py).
"""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from gpo.celery import app as celery_app
from gpo.members.models import Role
from reports.db.locks import UPLOAD_CLAIM_NAMESPACE
from reports.models import PurchaseLine, PurchaseUpload, UploadAuditEntry
from reports.services.upload_recovery import upload_retry, uploads_sweep_stale
from reports.services.uploads import upload_create, upload_process
from tests.reports.upload_samples import csv_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(practice_a, finance_a):
    """A stored upload whose processing has not run (as a broker would leave it before a worker takes it)."""
    return upload_create(practice=practice_a, user=finance_a, file=csv_upload(), enqueue=False)


def _stuck(upload: PurchaseUpload, *, status: str, minutes_ago: int) -> PurchaseUpload:
    """The upload as a worker killed mid-run leaves it: in progress, its last sign of life `minutes_ago`."""
    PurchaseUpload.objects.filter(pk=upload.pk).update(
        status=status, progress=75, attempts=1, updated_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    upload.refresh_from_db()
    return upload


def _actions(upload: PurchaseUpload) -> list[str]:
    return list(
        UploadAuditEntry.objects.filter(upload_id_recorded=upload.pk).order_by("id").values_list("action", flat=True)
    )


# --- the settings a dead worker needs ---------------------------------------------------------------------------


def test_a_killed_worker_hands_its_upload_back_to_the_broker_within_a_sized_timeout(settings):
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    limits = conf.task_annotations["reports.upload_process"]
    assert limits["soft_time_limit"] < limits["time_limit"]
    # Longer than any upload may run (or a running one would be started twice), shorter than the sweeper's patience.
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert limits["time_limit"] < visibility < settings.UPLOAD_STALE_AFTER_SECONDS


def test_beat_runs_the_sweeper_task():
    import reports.tasks  # noqa: F401  registers the tasks

    schedule = celery_app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} >= {"reports.uploads_sweep_stale"}
    assert "reports.uploads_sweep_stale" in celery_app.tasks


# --- idempotent processing --------------------------------------------------------------------------------------


def test_a_redelivered_task_for_a_done_upload_does_nothing(queued, practice_a):
    done = upload_process(upload_id=queued.pk, practice_id=practice_a.pk)
    lines = list(PurchaseLine.objects.filter(upload=done).order_by("row_number").values_list("pk", "row_number"))

    again = upload_process(upload_id=queued.pk, practice_id=practice_a.pk)

    assert again.status == PurchaseUpload.Status.DONE
    assert list(PurchaseLine.objects.filter(upload=done).order_by("row_number").values_list("pk", "row_number")) == (
        lines
    )
    assert again.attempts == 1
    assert _actions(done) == ["received", "processed"]


def test_a_redelivered_task_for_an_interrupted_run_starts_again_from_no_lines(queued, practice_a):
    _stuck(queued, status=PurchaseUpload.Status.RECONCILING, minutes_ago=0)

    done = upload_process(upload_id=queued.pk, practice_id=practice_a.pk)

    assert done.status == PurchaseUpload.Status.DONE
    assert done.attempts == 2
    assert PurchaseLine.objects.filter(upload=done).count() == 2


def test_a_file_that_keeps_killing_workers_fails_instead_of_looping(queued, practice_a, settings):
    settings.UPLOAD_MAX_ATTEMPTS = 3
    PurchaseUpload.objects.filter(pk=queued.pk).update(status=PurchaseUpload.Status.PARSING, attempts=3)

    failed = upload_process(upload_id=queued.pk, practice_id=practice_a.pk)

    assert failed.status == PurchaseUpload.Status.FAILED
    assert failed.error.startswith("Processing was interrupted 3 times")
    assert PurchaseLine.objects.filter(upload=failed).count() == 0
    assert _actions(failed)[-1] == "failed"


# --- the sweeper ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["queued", "parsing", "reconciling"])
def test_the_sweeper_fails_an_upload_left_in_progress_past_the_limit_with_a_reason(queued, status, settings):
    settings.UPLOAD_STALE_AFTER_SECONDS = 30 * 60
    stuck = _stuck(queued, status=status, minutes_ago=31)

    swept = uploads_sweep_stale()

    stuck.refresh_from_db()
    assert [upload.pk for upload in swept] == [stuck.pk]
    assert stuck.status == PurchaseUpload.Status.FAILED
    assert "showed no sign of life for 31 minutes" in stuck.error
    assert "Nothing was stored; retry the upload." in stuck.error
    assert stuck.finished_at is not None
    assert _actions(stuck)[-1] == "failed"


def test_the_sweeper_leaves_uploads_that_moved_recently_and_finished_ones(queued, practice_a, finance_a, settings):
    settings.UPLOAD_STALE_AFTER_SECONDS = 30 * 60
    recent = _stuck(queued, status=PurchaseUpload.Status.PARSING, minutes_ago=29)
    done = upload_create(practice=practice_a, user=finance_a, file=csv_upload(b"Date,Vendor,Qty,Unit Price\n"))
    PurchaseUpload.objects.filter(pk=done.pk).update(updated_at=timezone.now() - timedelta(days=2))

    assert uploads_sweep_stale() == []
    recent.refresh_from_db()
    assert recent.status == PurchaseUpload.Status.PARSING


def test_the_sweep_command_reports_what_it_failed(queued, capsys):
    stuck = _stuck(queued, status=PurchaseUpload.Status.PARSING, minutes_ago=10)
    call_command("uploads_sweep", "--quiet-minutes", "5")
    output = capsys.readouterr().out
    assert f"failed upload {stuck.public_id}" in output
    assert "1 upload(s) marked failed" in output


# --- retry ------------------------------------------------------------------------------------------------------


def test_retry_processes_a_failed_upload_again_and_answers_202(api_client_for, finance_a, queued):
    PurchaseUpload.objects.filter(pk=queued.pk).update(status=PurchaseUpload.Status.FAILED, error="lost", attempts=3)

    response = api_client_for(finance_a).post(f"/api/uploads/{queued.public_id}/retry/")

    assert response.status_code == 202
    body = response.json()
    assert (body["id"], body["status"], body["error"]) == (str(queued.public_id), "done", "")
    assert PurchaseLine.objects.filter(upload=queued).count() == 2
    assert _actions(queued)[-2:] == ["retried", "processed"]


@pytest.mark.parametrize("status", ["queued", "parsing", "done"])
def test_only_a_failed_upload_can_be_retried(api_client_for, finance_a, queued, status):
    PurchaseUpload.objects.filter(pk=queued.pk).update(status=status)
    response = api_client_for(finance_a).post(f"/api/uploads/{queued.public_id}/retry/")
    assert response.status_code == 409
    assert response.json()["upload_id"] == str(queued.public_id)
    queued.refresh_from_db()
    assert queued.status == status


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EXECUTIVE])
def test_retry_is_for_finance_and_coalition_admins(api_client_for, make_member, practice_a, queued, role):
    PurchaseUpload.objects.filter(pk=queued.pk).update(status=PurchaseUpload.Status.FAILED)
    response = api_client_for(make_member(role, practice_a)).post(f"/api/uploads/{queued.public_id}/retry/")
    assert response.status_code == 403
    queued.refresh_from_db()
    assert queued.status == PurchaseUpload.Status.FAILED


def test_retrying_while_the_file_was_uploaded_again_points_at_the_live_upload(queued, practice_a, finance_a):
    from gpo.errors import ConflictError

    PurchaseUpload.objects.filter(pk=queued.pk).update(status=PurchaseUpload.Status.FAILED)
    again = upload_create(practice=practice_a, user=finance_a, file=csv_upload(), enqueue=False)
    queued.refresh_from_db()

    with pytest.raises(ConflictError) as caught:
        upload_retry(upload=queued, user=finance_a)

    assert caught.value.extra == {"upload_id": str(again.public_id)}
    queued.refresh_from_db()
    assert queued.status == PurchaseUpload.Status.FAILED


def test_the_page_retries_a_failed_upload(client, finance_a, queued):
    PurchaseUpload.objects.filter(pk=queued.pk).update(status=PurchaseUpload.Status.FAILED, error="lost")
    client.force_login(finance_a)
    assert "Retry this upload" in client.get(f"/uploads/{queued.public_id}/").content.decode()

    response = client.post(f"/uploads/{queued.public_id}/retry")

    assert response.status_code == 302
    assert response["Location"] == f"/uploads/{queued.public_id}/"
    queued.refresh_from_db()
    assert queued.status == PurchaseUpload.Status.DONE


# --- a live worker's claim (PostgreSQL: a session advisory lock, gone with the worker's connection) -------------


@pytest.fixture
def other_worker():
    """Another database session, as a second worker process would hold."""
    if connection.vendor != "postgresql":
        pytest.skip("the processing claim is a PostgreSQL advisory lock; SQLite serves one process")
    params = connection.settings_dict
    session = psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
        autocommit=True,
    )
    yield session
    session.close()


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_delivery_leaves_an_upload_a_live_worker_holds(queued, practice_a, other_worker, settings):
    settings.UPLOAD_CLAIM_WAIT_SECONDS = 1
    other_worker.execute("SELECT pg_advisory_lock(%s, %s)", [UPLOAD_CLAIM_NAMESPACE, queued.pk])
    _stuck(queued, status=PurchaseUpload.Status.PARSING, minutes_ago=90)

    result = upload_process(upload_id=queued.pk, practice_id=practice_a.pk)

    assert result.status == PurchaseUpload.Status.PARSING
    assert result.attempts == 1
    assert uploads_sweep_stale(quiet_for=timedelta(minutes=1)) == []  # slow, not lost
    other_worker.close()  # the worker dies: its claim goes with its session, as soon as the server sees it end
    swept: list[PurchaseUpload] = []
    deadline = time.monotonic() + 10
    while not swept and time.monotonic() < deadline:
        swept = uploads_sweep_stale(quiet_for=timedelta(minutes=1))
        time.sleep(0.05)
    assert [upload.pk for upload in swept] == [queued.pk]
