"""`savings_report`: the workbook's Summary ties out to its Lines sheet and to the API figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from gpo.members.models import Practice
from reports.selectors.savings import SavingsScope, savings_json
from reports.services.savings import savings_summary_refresh
from tests.reports.savings_data import random_lines


def _cents(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else Decimal("0.00")


def test_summary_figures_equal_the_sum_of_the_lines_sheet(practice_a: Practice, tmp_path: Path) -> None:
    random_lines(practice_a, 220, seed=9)
    savings_summary_refresh(practice_ids=[practice_a.id])
    out = tmp_path / "report.xlsx"

    call_command("savings_report", practice="alpha-radiology", start="2026-02-10", end="2026-09-30", out=str(out))

    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Summary", "By status", "By vendor", "By category", "By month", "Lines"]
    summary = {row[0].value: row[1].value for row in workbook["Summary"].iter_rows(min_row=2)}
    lines = list(workbook["Lines"].iter_rows(min_row=2, values_only=True))
    header = [c.value for c in workbook["Lines"][1]]
    api = savings_json(scope=SavingsScope(practice_a, [practice_a.id]), start=date(2026, 2, 10), end=date(2026, 9, 30))
    for label, column, key in [
        ("Spend", "Spend", "spend"),
        ("Savings", "Savings", "savings"),
        ("Overcharge to claim back", "Overcharge", "overcharge"),
        ("Missed savings", "Missed savings", "missed_savings"),
    ]:
        index = len(header) - 1 - header[::-1].index(column)
        assert _cents(summary[label]) == sum((_cents(r[index]) for r in lines), Decimal("0.00"))
        assert _cents(summary[label]) == Decimal(api[key])
    assert summary["Lines counted"] == len(lines)
    dates = [r[header.index("Purchase date")].date() for r in lines]
    assert min(dates) >= date(2026, 2, 10)
    assert max(dates) <= date(2026, 9, 30)
    assert all(c.data_type != "f" for ws in workbook for row in ws.iter_rows() for c in row)


def test_unknown_practice_fails_clearly(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No practice with slug 'nobody'"):
        call_command("savings_report", practice="nobody", start="2026-01-01", end="2026-12-31", out=str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("start", "end"), [("2026-02-30", "2026-03-01"), ("03/01/2026", "2026-03-31"), ("2026-04-01", "2026-03-01")]
)
def test_bad_dates_fail_clearly(practice_a: Practice, tmp_path: Path, start: str, end: str) -> None:
    with pytest.raises(CommandError, match=r"YYYY-MM-DD|before"):
        call_command("savings_report", practice="alpha-radiology", start=start, end=end, out=str(tmp_path / "x"))
