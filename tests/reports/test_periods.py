"""Report periods: fiscal years, the comparison periods, month labels and bad input answered in words."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from reports.periods import Period, month_label, period_from_query, previous_period, year_earlier

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("query", "fiscal_start", "start", "end"),
    [
        ({}, 1, date(2026, 1, 1), date(2026, 12, 31)),
        ({}, 7, date(2026, 7, 1), date(2027, 6, 30)),
        ({"period": "year"}, 12, date(2025, 12, 1), date(2026, 11, 30)),
        ({"period": "last_year"}, 7, date(2025, 7, 1), date(2026, 6, 30)),
        ({"period": "quarter"}, 7, date(2026, 10, 1), date(2026, 12, 31)),
        ({"period": "12m"}, 1, date(2025, 12, 1), date(2026, 11, 30)),
    ],
    ids=["calendar", "july-fiscal", "december-fiscal", "last-fiscal", "quarter", "12-months"],
)
def test_named_periods_follow_the_fiscal_year(query: dict[str, str], fiscal_start: int, start: date, end: date):
    period = period_from_query(query, today=TODAY, fiscal_start_month=fiscal_start)

    assert (period.start, period.end, period.error) == (start, end, "")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "decade"}, "Unknown period “decade”: showing this year."),
        ({"period": "custom", "start": "23/11/2026"}, "Dates must be YYYY-MM-DD: showing this year."),
        ({"start": "2026-05-01", "end": "2026-04-01"}, "The end is before the start: showing this year."),
    ],
)
def test_unreadable_periods_fall_back_to_this_year_and_say_so(query: dict[str, str], message: str) -> None:
    period = period_from_query(query, today=TODAY)

    assert (period.choice, period.start, period.error) == ("year", date(2026, 1, 1), message)


@pytest.mark.parametrize(
    ("start", "end", "before", "year_ago"),
    [
        (
            date(2026, 1, 1),
            date(2026, 12, 31),
            (date(2025, 1, 1), date(2025, 12, 31)),
            (date(2025, 1, 1), date(2025, 12, 31)),
        ),
        (
            date(2026, 10, 1),
            date(2026, 12, 31),
            (date(2026, 7, 1), date(2026, 9, 30)),
            (date(2025, 10, 1), date(2025, 12, 31)),
        ),
        (
            date(2028, 2, 1),
            date(2028, 2, 29),
            (date(2028, 1, 1), date(2028, 1, 31)),
            (date(2027, 2, 1), date(2027, 2, 28)),
        ),
        (
            date(2026, 3, 10),
            date(2026, 3, 19),
            (date(2026, 2, 28), date(2026, 3, 9)),
            (date(2025, 3, 10), date(2025, 3, 19)),
        ),
    ],
    ids=["year", "quarter", "leap-february", "ten-days"],
)
def test_comparison_periods_are_equal_in_length(start: date, end: date, before: tuple, year_ago: tuple) -> None:
    period = Period("custom", start, end)

    earlier, last_year = previous_period(period), year_earlier(period)

    assert earlier is not None
    assert last_year is not None
    assert ((earlier.start, earlier.end), (last_year.start, last_year.end)) == (before, year_ago)


def test_open_periods_have_nothing_to_compare_with() -> None:
    assert previous_period(Period("all", None, None)) is None
    assert year_earlier(Period("custom", date(2026, 1, 1), None)) is None


def test_months_read_as_people_say_them() -> None:
    assert month_label("2026-01") == "Jan 2026"
    assert month_label(date(2025, 12, 5)) == "Dec 2025"


def test_fiscal_year_setting_moves_this_year_on_the_dashboard(finance_a: Any, settings: Any) -> None:
    settings.FISCAL_YEAR_START_MONTH = 4
    client = Client()
    client.force_login(finance_a)

    html = client.get("/dashboard/").content.decode()

    assert "1 Apr" in html
    assert "31 Mar" in html


def test_bad_period_is_shown_on_the_dashboard(finance_a: Any) -> None:
    client = Client()
    client.force_login(finance_a)

    html = client.get("/dashboard/", {"period": "fortnight"}).content.decode()

    assert '<p class="error" role="alert">Unknown period “fortnight”: showing this year.</p>' in html
