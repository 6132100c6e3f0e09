"""Savings figures: exact sums of stored lines, from the summary table or the lines (DESIGN.md §4.7-9)."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpo.members.models import Practice
from reports.models import PurchaseLine
from reports.selectors.savings import SavingsScope, lines_in_periods, period_plan, savings_figures, savings_json
from reports.services.savings import savings_summary_refresh
from tests.factories import PurchaseUploadFactory
from tests.reports.savings_data import Status, line, random_lines


def _sum(lines: list[PurchaseLine], attr: str, *, start: date | None = None, end: date | None = None) -> Decimal:
    return sum(
        (
            getattr(x, attr)
            for x in lines
            if x.repeat_of_id is None
            and x.status != Status.PENDING
            and (start is None or x.purchase_date >= start)
            and (end is None or x.purchase_date <= end)
        ),
        Decimal("0.00"),
    )


def test_period_plan_whole_year_reads_only_the_summary() -> None:
    plan = period_plan(date(2026, 1, 1), date(2026, 12, 31))
    assert (plan.whole_from, plan.whole_before, plan.partial_ranges) == (date(2026, 1, 1), date(2027, 1, 1), ())


def test_period_plan_partial_edges_read_the_lines() -> None:
    plan = period_plan(date(2026, 1, 15), date(2026, 3, 10))
    assert (plan.whole_from, plan.whole_before) == (date(2026, 2, 1), date(2026, 3, 1))
    assert plan.partial_ranges == ((date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 3, 10)))


def test_period_plan_inside_one_month_reads_only_the_lines() -> None:
    plan = period_plan(date(2026, 2, 2), date(2026, 2, 27))
    assert (plan.has_whole, plan.partial_ranges) == (False, ((date(2026, 2, 2), date(2026, 2, 27)),))


def test_totals_equal_the_exact_sum_of_stored_lines(practice_a: Practice) -> None:
    lines = random_lines(practice_a, 300)
    savings_summary_refresh(practice_ids=[practice_a.id])

    total = savings_figures(practice_ids=[practice_a.id], start=None, end=None)["total"]

    assert total.spend == _sum(lines, "spend")
    assert total.savings == _sum(lines, "savings")
    assert total.overcharge == _sum(lines, "overcharge")
    assert total.missed_savings == _sum(lines, "missed_savings")
    assert total.lines == 300


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (None, None),
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2026, 3, 1), date(2026, 5, 31)),
        (date(2026, 1, 15), date(2026, 3, 10)),
        (date(2026, 2, 2), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 1)),
        (None, date(2026, 6, 17)),
        (date(2026, 6, 17), None),
        (date(2026, 7, 1), date(2026, 7, 1)),
    ],
)
def test_summary_path_equals_line_path(practice_a: Practice, start: date | None, end: date | None) -> None:
    random_lines(practice_a, 200, seed=11)
    savings_summary_refresh(practice_ids=[practice_a.id])
    scope = SavingsScope(practice_a, [practice_a.id])
    assert savings_json(scope=scope, start=start, end=end) == savings_json(
        scope=scope, start=start, end=end, use_summary=False
    )


def test_period_totals_include_both_end_days(practice_a: Practice) -> None:
    for day, spend in [(date(2026, 3, 9), "1.00"), (date(2026, 3, 10), "2.00"), (date(2026, 3, 20), "4.00")]:
        line(practice_a, purchase_date=day, spend=spend)
    line(practice_a, purchase_date=date(2026, 3, 21), spend="8.00")
    savings_summary_refresh(practice_ids=[practice_a.id])

    total = savings_figures(practice_ids=[practice_a.id], start=date(2026, 3, 10), end=date(2026, 3, 20))["total"]

    assert total.spend == Decimal("6.00")


def test_repeats_and_pending_lines_count_nowhere(practice_a: Practice) -> None:
    first = line(practice_a, spend="100.00", savings="20.00")
    line(practice_a, spend="100.00", savings="20.00", repeat_of=first)
    line(practice_a, spend="50.00", status=Status.PENDING)
    savings_summary_refresh(practice_ids=[practice_a.id])

    figures = savings_figures(practice_ids=[practice_a.id], start=None, end=None)

    assert (figures["total"].spend, figures["total"].savings, figures["total"].lines) == (
        Decimal("100.00"),
        Decimal("20.00"),
        1,
    )
    assert list(figures["by_status"]) == ["on_contract"]


def test_compliance_rate_leaves_non_gpo_spend_out_of_the_denominator(practice_a: Practice) -> None:
    line(practice_a, status=Status.ON_CONTRACT, spend="60.00")
    line(practice_a, status=Status.OVERCHARGED, spend="15.00", overcharge="3.00")
    line(practice_a, status=Status.OFF_CONTRACT, spend="25.00")
    line(practice_a, status=Status.NON_GPO_VENDOR, spend="1000.00", vendor=None, vendor_name="Corner Shop")
    savings_summary_refresh(practice_ids=[practice_a.id])

    total = savings_figures(practice_ids=[practice_a.id], start=None, end=None)["total"]

    assert total.on_contract_spend == Decimal("75.00")
    assert total.compliance_rate == 0.75


def test_unresolved_vendors_group_by_the_name_as_given(practice_a: Practice) -> None:
    line(practice_a, status=Status.NON_GPO_VENDOR, vendor=None, vendor_name="Corner Shop", spend="1.00")
    line(practice_a, status=Status.NON_GPO_VENDOR, vendor=None, vendor_name="Corner Shop", spend="2.00")
    line(practice_a, status=Status.NON_GPO_VENDOR, vendor=None, vendor_name="Paper Co", spend="4.00")
    savings_summary_refresh(practice_ids=[practice_a.id])

    by_vendor = savings_figures(practice_ids=[practice_a.id], start=None, end=None)["by_vendor"]

    assert {key: f.spend for key, f in by_vendor.items()} == {
        (None, "Paper Co"): Decimal("4.00"),
        (None, "Corner Shop"): Decimal("3.00"),
    }


def test_refresh_replaces_a_practice_summary_and_leaves_others(practice_a: Practice, practice_b: Practice) -> None:
    stale = line(practice_a, spend="5.00")
    line(practice_b, spend="7.00")
    savings_summary_refresh(practice_ids=[practice_a.id, practice_b.id])
    stale.delete()
    line(practice_a, spend="9.00")

    savings_summary_refresh(practice_ids=[practice_a.id])

    assert savings_figures(practice_ids=[practice_a.id], start=None, end=None)["total"].spend == Decimal("9.00")
    assert savings_figures(practice_ids=[practice_b.id], start=None, end=None)["total"].spend == Decimal("7.00")


@pytest.mark.parametrize("use_summary", [True, False])
def test_huge_amounts_stay_exact_to_the_cent(practice_a: Practice, use_summary: bool) -> None:
    # Floating-point addition (SQLite's own SUM over decimals) would lose the last cent here.
    line(practice_a, spend="12345678901234.56", savings="0.10")
    for _ in range(3):
        line(practice_a, spend="0.01", savings="0.10")
    savings_summary_refresh(practice_ids=[practice_a.id])

    total = savings_figures(practice_ids=[practice_a.id], start=None, end=None, use_summary=use_summary)["total"]

    assert (total.spend, total.savings) == (Decimal("12345678901234.59"), Decimal("0.40"))


_DAYS = st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 1, 31))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.none() | _DAYS, end=st.none() | _DAYS)
def test_summary_path_equals_line_path_for_any_period(
    practice_a: Practice, start: date | None, end: date | None
) -> None:
    if not PurchaseLine.objects.filter(practice=practice_a).exists():
        random_lines(practice_a, 150, seed=21)
        savings_summary_refresh(practice_ids=[practice_a.id])
    if start and end and start > end:
        start, end = end, start
    scope = SavingsScope(practice_a, [practice_a.id])

    assert savings_json(scope=scope, start=start, end=end) == savings_json(
        scope=scope, start=start, end=end, use_summary=False
    )


def test_practice_whose_summary_was_never_built_reads_the_lines(practice_a: Practice) -> None:
    line(practice_a, spend="12.34", purchase_date=date(2026, 4, 2))

    total = savings_figures(practice_ids=[practice_a.id], start=date(2026, 1, 1), end=date(2026, 12, 31))["total"]

    assert total.spend == Decimal("12.34")


def test_scope_with_one_practice_whose_summary_is_not_built_reads_the_lines(
    practice_a: Practice, practice_b: Practice
) -> None:
    # As after a migration that drops the summaries, once practice A uploaded again (its summary rebuilt) and B not.
    line(practice_a, spend="1.00", purchase_date=date(2026, 4, 2))
    savings_summary_refresh(practice_ids=[practice_a.id])
    line(practice_b, spend="20.00", purchase_date=date(2026, 4, 3))

    def spend(practice_ids: list[int] | None) -> Decimal:
        return savings_figures(practice_ids=practice_ids, start=date(2026, 1, 1), end=date(2026, 12, 31))["total"].spend

    assert spend(None) == Decimal("21.00")
    assert spend([practice_a.id, practice_b.id]) == Decimal("21.00")
    assert spend([practice_a.id]) == Decimal("1.00")


def test_refresh_between_dates_rebuilds_only_those_months(practice_a: Practice) -> None:
    march = line(practice_a, spend="5.00", purchase_date=date(2026, 3, 10))
    line(practice_a, spend="7.00", purchase_date=date(2026, 6, 1))
    savings_summary_refresh(practice_ids=[practice_a.id])
    # A new file with March and April lines; June is not touched, so a stale June figure would stay stale.
    line(practice_a, spend="1.00", purchase_date=date(2026, 3, 31))
    line(practice_a, spend="2.00", purchase_date=date(2026, 4, 1))
    PurchaseLine.objects.filter(purchase_date=date(2026, 6, 1)).update(spend=Decimal("70.00"))

    savings_summary_refresh(practice_ids=[practice_a.id], between=(date(2026, 3, 31), date(2026, 4, 1)))

    def spend(start: date, end: date) -> Decimal:
        return savings_figures(practice_ids=[practice_a.id], start=start, end=end)["total"].spend

    assert spend(date(2026, 3, 1), date(2026, 3, 31)) == march.spend + Decimal("1.00")
    assert spend(date(2026, 4, 1), date(2026, 4, 30)) == Decimal("2.00")
    assert spend(date(2026, 6, 1), date(2026, 6, 30)) == Decimal("7.00")  # left as it was
    assert spend(date(2026, 3, 15), date(2026, 4, 1)) == Decimal("3.00")  # day rows of the edge days too


def test_lines_in_periods_reads_the_uploads_whose_recorded_span_meets_a_period(
    practice_a: Practice, practice_b: Practice
) -> None:
    winter = PurchaseUploadFactory(
        practice=practice_a, first_purchase_date=date(2026, 1, 5), last_purchase_date=date(2026, 2, 20)
    )
    spring = PurchaseUploadFactory(
        practice=practice_a, first_purchase_date=date(2026, 3, 1), last_purchase_date=date(2026, 4, 30)
    )
    jan = line(practice_a, upload=winter, purchase_date=date(2026, 1, 5))
    feb = line(practice_a, upload=winter, purchase_date=date(2026, 2, 20))
    apr = line(practice_a, upload=spring, purchase_date=date(2026, 4, 30))
    unrecorded = line(practice_a, purchase_date=date(2026, 2, 1))  # an upload with no span is always read
    other = line(practice_b, purchase_date=date(2026, 2, 1))
    # Outside its upload's span (the upload store never leaves one so): proof that the span picks the uploads.
    stray = line(practice_a, upload=spring, purchase_date=date(2026, 2, 10))

    def found(*periods: tuple[date | None, date | None], practice_ids: list[int] | None = None) -> set[int]:
        lines = lines_in_periods(PurchaseLine.objects.all(), periods, practice_ids)
        return set(lines.values_list("pk", flat=True))

    assert found((date(2026, 2, 1), date(2026, 2, 20))) == {feb.pk, unrecorded.pk, other.pk}
    assert found((date(2026, 2, 1), date(2026, 2, 20)), practice_ids=[practice_a.id]) == {feb.pk, unrecorded.pk}
    assert found((None, date(2026, 1, 5)), (date(2026, 4, 30), None)) == {jan.pk, apr.pk}
    assert found((date(2026, 5, 1), None)) == set()
    assert found((None, None), practice_ids=[practice_a.id]) == {jan.pk, feb.pk, apr.pk, unrecorded.pk, stray.pk}
    assert found() == set()


def test_migration_records_the_span_of_uploads_stored_before_it(practice_a: Practice) -> None:
    from django.apps import apps

    migration = importlib.import_module("reports.migrations.0011_lines_by_date_through_upload_spans")
    upload = PurchaseUploadFactory(practice=practice_a)
    for day in (date(2026, 3, 9), date(2026, 1, 31), date(2026, 6, 2)):
        line(practice_a, upload=upload, purchase_date=day)
    empty = PurchaseUploadFactory(practice=practice_a)

    migration.spans_record(apps, None)

    upload.refresh_from_db()
    empty.refresh_from_db()
    assert (upload.first_purchase_date, upload.last_purchase_date) == (date(2026, 1, 31), date(2026, 6, 2))
    assert (empty.first_purchase_date, empty.last_purchase_date) == (None, None)
