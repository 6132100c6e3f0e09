"""The upload result page reads like the dashboard: money formatted, its figures first, its own xlsx export."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from gpo.members.models import Practice
from reports.line_table import UPLOAD_COLUMNS
from tests.factories import PurchaseUploadFactory
from tests.reports.savings_data import Status, line


@pytest.fixture
def done_upload(practice_a: Practice) -> Any:
    upload = PurchaseUploadFactory(
        practice=practice_a,
        original_filename="march.csv",
        rows_total=3,
        rows_accepted=3,
        file_total=Decimal("1847545.30"),
        accepted_total=Decimal("13597.34"),
    )
    first = line(
        practice_a,
        upload=upload,
        row_number=2,
        purchase_date=date(2026, 3, 2),
        spend="13597.34",
        savings="1500.25",
        unit_price=Decimal("13597.3400"),
    )
    line(
        practice_a,
        upload=upload,
        row_number=3,
        status=Status.OVERCHARGED,
        purchase_date=date(2026, 3, 3),
        spend="200.00",
        overcharge="40.00",
        missed_savings="40.00",
        invoice_number="@SUM(A1)",
    )
    # A repeat of the first line in the same file's later row: listed, never counted.
    line(practice_a, upload=upload, row_number=4, purchase_date=date(2026, 3, 2), spend="13597.34", repeat_of=first)
    return upload


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_money_is_formatted_and_the_figures_come_first(finance_a: Any, done_upload: Any) -> None:
    html = _client(finance_a).get(f"/uploads/{done_upload.public_id}/").content.decode()

    assert "$1,847,545.30" in html
    assert "$13,597.34" in html
    assert "13597.3400" not in html
    assert "1847545.30" not in html
    money_at = html.index('aria-label="What this upload shows"')
    assert money_at < html.index("status-heading") < html.index("lines-heading")
    figures = html[money_at : html.index("</section>", money_at)]
    assert "$1,500.25" in figures  # savings of counted lines
    assert "$40.00" in figures  # overcharge
    assert "$13,797.34" in figures  # spend counted: the repeat is left out


def test_xlsx_export_has_the_summary_and_every_line_with_repeats_marked(finance_a: Any, done_upload: Any) -> None:
    response = _client(finance_a).get(f"/uploads/{done_upload.public_id}/", {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == 'attachment; filename="upload-march.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Summary", "Lines"]
    summary = dict(workbook["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary["Savings"] == 1500.25
    assert summary["Spend (counted lines)"] == 13797.34
    rows = list(workbook["Lines"].iter_rows(values_only=True))
    assert list(rows[0]) == [c.header for c in UPLOAD_COLUMNS]
    assert [r[0] for r in rows[1:]] == [2, 3, 4]
    assert rows[3][-1] == "repeat of row 2 of march.csv"
    assert rows[2][rows[0].index("Invoice")] == "'@SUM(A1)"
    assert all(c.data_type != "f" for c in workbook["Lines"]["A"] + workbook["Lines"]["P"])


def test_xlsx_export_follows_the_status_filter(finance_a: Any, done_upload: Any) -> None:
    response = _client(finance_a).get(f"/uploads/{done_upload.public_id}/", {"format": "xlsx", "status": "overcharged"})

    rows = list(load_workbook(io.BytesIO(response.content))["Lines"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [3]
