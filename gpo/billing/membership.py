"""Membership standing from what Stripe reports, and the order of Stripe's events (pure rules, no ORM, no request).

A practice is `active` while its dues subscription is paid up, `past_due` for the grace period after its dues fall
behind (prices still shown), then `lapsed` (contract prices hidden) until it pays. Stripe may deliver events late and
out of order: an event never moves a stored object backwards (SECURITY.md item 18).
"""

from __future__ import annotations

from datetime import datetime, timedelta

ACTIVE = "active"
PAST_DUE = "past_due"
LAPSED = "lapsed"

# Stripe subscription statuses, grouped by what they mean for the practice's standing.
PAID_UP = frozenset({"active", "trialing"})
BEHIND = frozenset({"past_due", "unpaid"})
ENDED = frozenset({"canceled", "incomplete_expired", "paused"})
# A subscription in one of these is the practice's current one; an ended one is history.
LIVE = PAID_UP | BEHIND

# Invoice statuses in the only order Stripe moves them: draft -> open -> (uncollectible ->) paid or void.
INVOICE_STATUS_RANK = {"draft": 0, "open": 1, "uncollectible": 2, "paid": 3, "void": 3}


def standing_when_behind(*, behind_since: datetime, now: datetime, grace: timedelta) -> str:
    """`past_due` within the grace period after the dues fell behind, `lapsed` from its end."""
    return LAPSED if now >= behind_since + grace else PAST_DUE


def standing(
    *, subscription_status: str, behind_since: datetime | None, previous: str, now: datetime, grace: timedelta
) -> str:
    """The practice's standing given its subscription's Stripe status.

    `incomplete` (a first payment under way) and unknown statuses decide nothing: the previous standing stays.
    """
    if subscription_status in PAID_UP:
        return ACTIVE
    if subscription_status in BEHIND:
        return standing_when_behind(behind_since=behind_since or now, now=now, grace=grace)
    if subscription_status in ENDED:
        return LAPSED
    return previous


def standing_now(*, stored: str, behind_since: datetime | None, now: datetime, grace: timedelta) -> str:
    """The stored standing as it is at `now`: a `past_due` practice whose grace period has run out is `lapsed`."""
    if stored == PAST_DUE and behind_since is not None:
        return standing_when_behind(behind_since=behind_since, now=now, grace=grace)
    return stored


def grace_ends(*, behind_since: datetime | None, grace: timedelta) -> datetime | None:
    """When a practice that fell behind at `behind_since` lapses unless it pays."""
    return behind_since + grace if behind_since is not None else None


def event_is_newer(*, stored_at: datetime | None, event_at: datetime, is_creation: bool) -> bool:
    """Whether an event about an object may overwrite what is stored from an event at `stored_at`.

    Stripe stamps events to the second. On a tie, a `*.created` event loses: an object's creation comes before
    anything else that happens to it, so arriving late it must not undo a later update of the same second.
    """
    if stored_at is None:
        return True
    if event_at != stored_at:
        return event_at > stored_at
    return not is_creation


def invoice_update_wins(
    *, stored_status: str, stored_at: datetime | None, incoming_status: str, incoming_at: datetime
) -> bool:
    """Whether an invoice snapshot may replace the stored one: statuses only move forward, then the later event wins."""
    stored_rank = INVOICE_STATUS_RANK.get(stored_status, 0)
    incoming_rank = INVOICE_STATUS_RANK.get(incoming_status, 0)
    if incoming_rank != stored_rank:
        return incoming_rank > stored_rank
    return stored_at is None or incoming_at >= stored_at
