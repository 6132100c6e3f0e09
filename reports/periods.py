"""Report periods (pure): the dashboards' period filter, fiscal years, comparison periods and month labels.

Both end days of a period are included (DESIGN §4 rule 8); None means open at that end.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Mapping
from dataclasses import dataclass

PERIOD_CHOICES = [
    ("year", "This year"),
    ("last_year", "Last year"),
    ("12m", "Last 12 months"),
    ("quarter", "This quarter"),
    ("all", "All time"),
    ("custom", "Custom"),
]
CHOICE_VALUES = frozenset(value for value, _ in PERIOD_CHOICES)


@dataclass(frozen=True)
class Period:
    """A period: a named choice and its inclusive dates (None = open), with a message when the request was bad."""

    choice: str
    start: datetime.date | None
    end: datetime.date | None
    error: str = ""

    @property
    def label(self) -> str:
        """ "1 Jan 2026 – 31 Dec 2026", or "All time"."""
        if self.start is None and self.end is None:
            return "All time"
        return f"{day_label(self.start) if self.start else '…'} – {day_label(self.end) if self.end else '…'}"

    def query(self) -> dict[str, str]:
        """Query parameters that name exactly these dates (drill-down links must not depend on today)."""
        if self.start is None and self.end is None:
            return {"period": "all"}
        params = {"period": "custom"}
        if self.start is not None:
            params["start"] = self.start.isoformat()
        if self.end is not None:
            params["end"] = self.end.isoformat()
        return params


def day_label(day: datetime.date) -> str:
    """A date as people read it: "5 Mar 2026"."""
    return f"{day.day} {calendar.month_abbr[day.month]} {day.year}"


def month_label(month: str | datetime.date) -> str:
    """A month key ("2026-01") or date as "Jan 2026"."""
    if isinstance(month, datetime.date):
        return f"{calendar.month_abbr[month.month]} {month.year}"
    year, number = month.split("-")
    return f"{calendar.month_abbr[int(number)]} {year}"


def month_bounds(month: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of a month given as "YYYY-MM"; ValueError when it is not one."""
    if len(month) != 7 or month[4] != "-":
        raise ValueError(f"Expected a month YYYY-MM, got {month!r}.")
    year, number = int(month[:4]), int(month[5:])
    first = datetime.date(year, number, 1)
    return first, datetime.date(year, number, calendar.monthrange(year, number)[1])


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (or earlier), clipped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def fiscal_year_start(today: datetime.date, start_month: int) -> datetime.date:
    """The first day of the fiscal year that holds `today`, for a fiscal year starting in `start_month` (1-12)."""
    year = today.year if today.month >= start_month else today.year - 1
    return datetime.date(year, start_month, 1)


def _this_year(today: datetime.date, start_month: int) -> tuple[datetime.date, datetime.date]:
    first = fiscal_year_start(today, start_month)
    return first, add_months(first, 12) - datetime.timedelta(days=1)


def _named(choice: str, today: datetime.date, start_month: int) -> Period:
    """The dates of a named choice (not custom)."""
    if choice == "all":
        return Period("all", None, None)
    if choice == "12m":
        this_month = today.replace(day=1)
        return Period("12m", add_months(this_month, -11), add_months(this_month, 1) - datetime.timedelta(days=1))
    if choice == "quarter":
        first = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Period("quarter", first, add_months(first, 3) - datetime.timedelta(days=1))
    first, last = _this_year(today, start_month)
    if choice == "last_year":
        return Period("last_year", add_months(first, -12), first - datetime.timedelta(days=1))
    return Period("year", first, last)


def _parse_date(text: str) -> datetime.date | None:
    if not text:
        return None
    if len(text) != 10:
        raise ValueError(text)
    return datetime.date.fromisoformat(text)


def period_from_query(query: Mapping[str, str], *, today: datetime.date, fiscal_start_month: int = 1) -> Period:
    """The period a page was asked for: this fiscal year by default; a named choice; or custom start/end.

    Anything it cannot read (an unknown choice, a malformed date, an end before the start) falls back to this
    fiscal year and says so in `error`, which the page shows.
    """
    asked = query.get("period") or ""
    choice = asked or ("custom" if query.get("start") or query.get("end") else "year")
    fallback = _named("year", today, fiscal_start_month)
    if choice not in CHOICE_VALUES:
        return Period(fallback.choice, fallback.start, fallback.end, f"Unknown period “{asked}”: showing this year.")
    if choice != "custom":
        return _named(choice, today, fiscal_start_month)
    try:
        start, end = _parse_date(query.get("start", "")), _parse_date(query.get("end", ""))
    except ValueError:
        return Period(fallback.choice, fallback.start, fallback.end, "Dates must be YYYY-MM-DD: showing this year.")
    if start and end and start > end:
        return Period(fallback.choice, fallback.start, fallback.end, "The end is before the start: showing this year.")
    return Period("custom", start, end)


def periods_meet(
    low: datetime.date | None, high: datetime.date | None, month: str | None
) -> tuple[datetime.date | None, datetime.date | None] | None:
    """The intersection of [low, high] with a month ("YYYY-MM"), None when they do not meet."""
    if month is None:
        return low, high
    first, last = month_bounds(month)
    low = first if low is None else max(low, first)
    high = last if high is None else min(high, last)
    return (low, high) if low <= high else None


def _is_month_end(day: datetime.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _shift(start: datetime.date, end: datetime.date, months: int) -> tuple[datetime.date, datetime.date]:
    """[start, end] moved by whole months; an end on a month's last day stays on the last day of its month."""
    shifted_end = add_months(end, months)
    if _is_month_end(end):
        shifted_end = add_months(end.replace(day=1), months + 1) - datetime.timedelta(days=1)
    return add_months(start, months), shifted_end


def previous_period(period: Period) -> Period | None:
    """The equal period just before: as many whole months when the period is whole months, else as many days.

    None for a period open at either end (nothing equal comes before "all time").
    """
    if period.start is None or period.end is None:
        return None
    if period.start.day == 1 and _is_month_end(period.end):
        months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1
        start, end = _shift(period.start, period.end, -months)
        return Period("custom", start, end)
    days = (period.end - period.start).days + 1
    return Period("custom", period.start - datetime.timedelta(days=days), period.start - datetime.timedelta(days=1))


def year_earlier(period: Period) -> Period | None:
    """The same dates a year earlier (None for a period open at either end)."""
    if period.start is None or period.end is None:
        return None
    start, end = _shift(period.start, period.end, -12)
    return Period("custom", start, end)
