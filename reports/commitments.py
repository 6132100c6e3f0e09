"""Commitments at risk (pure): a contract's committed volume or spend, the run rate to date and the projection to
the end of the commitment period.

Two projection methods, named in every answer:
- `same_months_last_year` when there is history: what was bought to date plus what the members bought from the
  vendor in the remaining months of the period one year earlier (seasonality as it was, no growth assumed);
- `linear` otherwise: the monthly run rate to date times the months of the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from gpo.money import ZERO

LINEAR = "linear"
SAME_MONTHS_LAST_YEAR = "same_months_last_year"


class CommitmentStatus:
    """Where a commitment stands."""

    NOT_STARTED = "not_started"  # no whole month of the period has passed yet
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"  # the projection falls short: warn while months remain
    MET = "met"
    MISSED = "missed"  # the period is over and it fell short


@dataclass(frozen=True)
class CommitmentProjection:
    """Run rate (per month), projection and shortfall of one commitment, with the method used."""

    status: str
    method: str | None
    run_rate: Decimal | None
    projection: Decimal | None
    shortfall: Decimal
    months_left: int
    needed_run_rate: Decimal | None


def commitment_project(
    *,
    committed: Decimal,
    actual: Decimal,
    months_elapsed: int,
    months_total: int,
    last_year_remaining: Decimal | None,
    places: Decimal,
) -> CommitmentProjection:
    """Project a commitment to the end of its period; amounts are rounded half up to `places` (cents or 1/10000)."""

    def rounded(value: Decimal) -> Decimal:
        return value.quantize(places, rounding=ROUND_HALF_UP)

    months_left = max(months_total - months_elapsed, 0)
    if months_elapsed <= 0:
        return CommitmentProjection(CommitmentStatus.NOT_STARTED, None, None, None, ZERO, months_total, None)
    run_rate = rounded(actual / months_elapsed)
    if months_left == 0:
        shortfall = max(committed - actual, ZERO)
        status = CommitmentStatus.MISSED if shortfall > 0 else CommitmentStatus.MET
        return CommitmentProjection(status, None, run_rate, rounded(actual), rounded(shortfall), 0, None)
    if last_year_remaining is not None:
        method, projection = SAME_MONTHS_LAST_YEAR, rounded(actual + last_year_remaining)
    else:
        method, projection = LINEAR, rounded(actual * months_total / months_elapsed)
    shortfall = max(committed - projection, ZERO)
    status = CommitmentStatus.AT_RISK if shortfall > 0 else CommitmentStatus.ON_TRACK
    needed = rounded(max(committed - actual, ZERO) / months_left)
    return CommitmentProjection(status, method, run_rate, projection, rounded(shortfall), months_left, needed)


def months_count(first_month_index: int, last_month_index: int) -> int:
    """Whole months from one month index (year * 12 + month - 1) to another, both included."""
    return max(last_month_index - first_month_index + 1, 0)
