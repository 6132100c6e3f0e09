"""The standing rules (gpo/billing/membership.py) and the refresh that lapses practices when their grace runs out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpo.billing import membership, services
from gpo.billing.models import BillingAccount
from gpo.members.models import Practice

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
GRACE = timedelta(days=30)


def test_standings_are_the_practices_membership_statuses():
    assert {membership.ACTIVE, membership.PAST_DUE, membership.LAPSED} == set(Practice.MembershipStatus.values)


@pytest.mark.parametrize(
    ("subscription_status", "behind_days", "expected"),
    [
        ("active", None, "active"),
        ("trialing", None, "active"),
        ("past_due", 29, "past_due"),
        ("past_due", 30, "lapsed"),
        ("unpaid", 45, "lapsed"),
        ("canceled", None, "lapsed"),
        ("incomplete_expired", None, "lapsed"),
        ("paused", None, "lapsed"),
    ],
)
def test_standing_follows_the_subscription_and_the_grace_period_case(subscription_status, behind_days, expected):
    behind_since = NOW - timedelta(days=behind_days) if behind_days is not None else None

    got = membership.standing(
        subscription_status=subscription_status, behind_since=behind_since, previous="active", now=NOW, grace=GRACE
    )

    assert got == expected


@pytest.mark.parametrize("previous", ["active", "past_due", "lapsed"])
def test_an_incomplete_subscription_decides_nothing_case(previous):
    got = membership.standing(
        subscription_status="incomplete", behind_since=None, previous=previous, now=NOW, grace=GRACE
    )

    assert got == previous


def test_stored_past_due_reads_as_lapsed_once_the_grace_has_run_out():
    assert membership.standing_now(stored="past_due", behind_since=NOW - GRACE, now=NOW, grace=GRACE) == "lapsed"
    assert (
        membership.standing_now(
            stored="past_due", behind_since=NOW - GRACE + timedelta(seconds=1), now=NOW, grace=GRACE
        )
        == "past_due"
    )
    assert membership.standing_now(stored="active", behind_since=NOW - 2 * GRACE, now=NOW, grace=GRACE) == "active"


@given(
    stored_offset=st.integers(min_value=-10_000, max_value=10_000),
    event_offset=st.integers(min_value=-10_000, max_value=10_000),
    is_creation=st.booleans(),
)
def test_an_event_is_newer_only_when_later_or_a_same_second_update(stored_offset, event_offset, is_creation):
    stored_at, event_at = NOW + timedelta(seconds=stored_offset), NOW + timedelta(seconds=event_offset)

    newer = membership.event_is_newer(stored_at=stored_at, event_at=event_at, is_creation=is_creation)

    assert newer == (event_at > stored_at or (event_at == stored_at and not is_creation))


STATUSES = ["draft", "open", "uncollectible", "paid", "void"]


@given(
    stored=st.sampled_from(STATUSES),
    incoming=st.sampled_from(STATUSES),
    offset=st.integers(min_value=-100, max_value=100),
)
def test_an_invoice_never_moves_back_to_an_earlier_status(stored, incoming, offset):
    wins = membership.invoice_update_wins(
        stored_status=stored, stored_at=NOW, incoming_status=incoming, incoming_at=NOW + timedelta(seconds=offset)
    )

    rank = membership.INVOICE_STATUS_RANK
    if rank[incoming] < rank[stored]:
        assert not wins
    elif rank[incoming] > rank[stored]:
        assert wins
    else:
        assert wins == (offset >= 0)


@pytest.mark.django_db
def test_refresh_lapses_past_due_practices_whose_grace_ran_out_and_no_other(practice_a, practice_b, settings):
    from django.utils import timezone

    settings.BILLING_GRACE_PERIOD_DAYS = 30
    now = timezone.now()
    for practice, days in ((practice_a, 31), (practice_b, 10)):
        Practice.objects.filter(pk=practice.pk).update(membership_status="past_due")
        BillingAccount.objects.create(practice=practice, past_due_since=now - timedelta(days=days))

    lapsed = services.membership_statuses_refresh()

    assert lapsed == 1
    assert dict(Practice.objects.values_list("slug", "membership_status")) == {
        "alpha-radiology": "lapsed",
        "beta-imaging": "past_due",
    }


@pytest.mark.django_db
def test_the_hourly_task_runs_the_refresh(practice_a, settings):
    from django.utils import timezone

    from gpo.billing.tasks import membership_statuses_refresh

    settings.BILLING_GRACE_PERIOD_DAYS = 30
    Practice.objects.filter(pk=practice_a.pk).update(membership_status="past_due")
    BillingAccount.objects.create(practice=practice_a, past_due_since=timezone.now() - timedelta(days=45))

    assert membership_statuses_refresh.delay().get() == 1
    assert Practice.objects.get(pk=practice_a.pk).membership_status == "lapsed"
    assert (
        settings.CELERY_BEAT_SCHEDULE["billing-membership-statuses-refresh"]["task"] == membership_statuses_refresh.name
    )
