"""Planner statistics after bulk writes (reports.db.statistics): an upload that grows a table analyses it."""

from __future__ import annotations

import pytest
from django.db import connection

from reports.db.statistics import analyze_due, tables_analyze_when_changed
from reports.models import PurchaseLine, SavingsSummary
from reports.services import uploads as upload_services
from reports.services.uploads import upload_create, upload_process
from tests.reports.upload_samples import csv_upload

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE statistics are PostgreSQL's")


@pytest.mark.parametrize(
    ("_case", "rows", "changed", "due"),
    [
        ("never_analysed_small_change", -1.0, 50, False),
        ("never_analysed_past_threshold", -1.0, 51, True),
        ("ten_percent_plus_fifty_not_exceeded", 1_000_000.0, 100_050, False),
        ("ten_percent_plus_fifty_exceeded", 1_000_000.0, 100_051, True),
    ],
)
def test_analyze_is_due_by_autovacuums_rule(_case, rows, changed, due):
    assert analyze_due(rows=rows, changed=changed) is due


@pytest.mark.django_db
def test_upload_reports_the_rows_it_wrote_for_the_statistics_check(practice_a, monkeypatch):
    # Given an upload of two accepted lines (one row is rejected)
    reported: list[object] = []
    monkeypatch.setattr(upload_services, "tables_analyze_when_changed", reported.append)
    upload = upload_create(practice=practice_a, user=None, file=csv_upload(), enqueue=False)

    # When it is processed
    upload = upload_process(upload_id=upload.pk)

    # Then the check after its commit is told the lines and the summary rows it stored
    assert upload.rows_accepted == 2
    assert reported == [{PurchaseLine: 2, SavingsSummary: SavingsSummary.objects.filter(practice=practice_a).count()}]


@pytest.mark.django_db
def test_failed_upload_runs_no_statistics_check(practice_a, monkeypatch):
    reported: list[object] = []
    monkeypatch.setattr(upload_services, "tables_analyze_when_changed", reported.append)
    monkeypatch.setattr(upload_services, "_upload_store", lambda *args: 1 / 0)
    upload = upload_create(practice=practice_a, user=None, file=csv_upload(), enqueue=False)

    upload = upload_process(upload_id=upload.pk)

    assert (upload.status, reported) == ("failed", [])


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's side of the check")
def test_statistics_check_does_nothing_on_sqlite():
    assert tables_analyze_when_changed({PurchaseLine: 10**9}) == []


@postgresql_only
@pytest.mark.django_db
def test_table_changed_past_the_threshold_is_analysed_and_its_row_estimate_follows(practice_a):
    # Given an upload whose lines the planner has not sampled yet
    upload = upload_create(practice=practice_a, user=None, file=csv_upload(), enqueue=False)
    upload_process(upload_id=upload.pk)

    # When the check is told of more changes than the threshold
    analysed = tables_analyze_when_changed({PurchaseLine: 10**9})

    # Then the line table is analysed, and its row estimate is the rows it holds now
    assert analysed == ["reports_purchaseline"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'reports_purchaseline'::regclass")
        assert cursor.fetchone()[0] == PurchaseLine.objects.count()
