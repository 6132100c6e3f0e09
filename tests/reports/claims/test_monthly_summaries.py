"""The monthly summary email to each practice's executives: headline figures, top claims, a link."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from gpo.celery import app
from gpo.members.models import Role
from reports.services.summaries import previous_month

pytestmark = pytest.mark.django_db


def _send(*args: str) -> str:
    out = io.StringIO()
    call_command("send_monthly_summaries", *args, stdout=out)
    return out.getvalue()


def test_executives_get_the_months_figures_top_claims_and_a_link(
    overcharges, practice_a, make_member, mailoutbox, settings
):
    settings.SITE_URL = "https://gpo.example.org"
    executive = make_member(Role.EXECUTIVE, practice_a)
    make_member(Role.FINANCE, practice_a)

    output = _send("--month", "2026-03")

    [message] = mailoutbox
    assert message.to == [executive.email]
    assert message.subject == "Alpha Radiology: purchasing summary for March 2026"
    body = message.body
    # March's lines: INV-2 (30.00 overcharge on 130.00) and the CR-2 return (-2.50 on -12.50); 3 Mar on contract.
    assert "Overcharge to claim back: $27.50" in body
    assert "- Bracco Diagnostics: $32.50 on 3 lines" in body
    assert "- GE Healthcare: $7.25 on 1 line" in body
    assert "https://gpo.example.org/claims/?practice=alpha-radiology" in body
    assert "https://gpo.example.org/dashboard/?practice=alpha-radiology&period=custom&start=2026-03-01" in body
    assert "$27.50" in message.alternatives[0][0]
    assert output == "alpha-radiology: sent to 1 executive.\n"


def test_claims_awaiting_an_answer_are_counted(overcharges, practice_a, finance_a, make_member, mailoutbox):
    from reports.services.claims import claim_create

    make_member(Role.EXECUTIVE, practice_a)
    claim_create(practice=practice_a, vendor=overcharges["ge"], user=finance_a)

    _send("--month", "2026-03")

    assert "Recovered from vendors:   $0.00 of $7.25 claimed so far\nClaims awaiting an answer: 1" in mailoutbox[0].body
    assert "- GE Healthcare" not in mailoutbox[0].body


def test_practice_without_executives_gets_nothing(overcharges, practice_a, make_member, mailoutbox):
    make_member(Role.FINANCE, practice_a)

    assert "nothing sent" in _send("--month", "2026-03")
    assert mailoutbox == []


def test_bad_month_is_a_clear_error():
    with pytest.raises(CommandError, match="not YYYY-MM"):
        _send("--month", "March")


def test_previous_month_spans_the_whole_month_before():
    assert previous_month(date(2026, 3, 1)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert previous_month(date(2026, 1, 31)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_beat_runs_the_registered_task_monthly():
    import reports.tasks  # noqa: F401  registers the tasks

    entry = app.conf.beat_schedule["reports-monthly-summaries"]

    assert entry["task"] in app.tasks
    assert entry["schedule"].day_of_month == {1}


def test_the_task_sends_last_months_summaries(overcharges, practice_a, make_member, mailoutbox, monkeypatch):
    from django.utils import timezone

    from reports import tasks

    make_member(Role.EXECUTIVE, practice_a)
    monkeypatch.setattr(timezone, "localdate", lambda: date(2026, 4, 2))

    assert tasks.monthly_summaries_send() == 1
    assert mailoutbox[0].subject.endswith("March 2026")
