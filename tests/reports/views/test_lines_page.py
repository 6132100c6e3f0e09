"""The lines explorer page (`/lines/`): filters, sorting, pages, exports of exactly what it shows, bad input."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from gpo.members.models import Practice
from reports.line_table import columns_shown
from reports.models import PurchaseLine
from tests.factories import CategoryFactory, ContractFactory, PurchaseUploadFactory, VendorFactory
from tests.reports.savings_data import Status, line


@pytest.fixture
def lines_a(practice_a: Practice, practice_b: Practice) -> dict[str, Any]:
    vendor = VendorFactory(name="Bracco Diagnostics", slug="bracco")
    contract = ContractFactory(vendor=vendor, number="GPO-CONTRAST")
    category = CategoryFactory(name="Contrast media", slug="contrast")
    upload = PurchaseUploadFactory(practice=practice_a, original_filename="march.csv")
    made = {
        "on": line(
            practice_a,
            upload=upload,
            row_number=2,
            vendor=vendor,
            contract=contract,
            category=category,
            purchase_date=date(2026, 3, 2),
            spend="1000.00",
            savings="150.00",
            description="Isovue 300",
        ),
        "over": line(
            practice_a,
            upload=upload,
            row_number=3,
            status=Status.OVERCHARGED,
            vendor=vendor,
            contract=contract,
            purchase_date=date(2026, 3, 9),
            spend="200.00",
            overcharge="40.00",
            missed_savings="40.00",
            invoice_number="=HYPERLINK(1)",
        ),
        "corner": line(
            practice_a,
            upload=upload,
            row_number=4,
            status=Status.NON_GPO_VENDOR,
            vendor=None,
            vendor_name="Corner Office Supply",
            purchase_date=date(2026, 4, 1),
            spend="300.00",
        ),
        "old": line(
            practice_a,
            status=Status.OFF_CONTRACT,
            vendor=vendor,
            purchase_date=date(2025, 6, 1),
            spend="55.55",
            missed_savings="5.55",
        ),
    }
    line(practice_b, vendor=vendor, purchase_date=date(2026, 3, 3), spend="77.00", description="Isovue 300")
    return {"upload": upload, **made}


def _get(user: Any, params: dict[str, Any]) -> tuple[int, str]:
    client = Client()
    client.force_login(user)
    response = client.get("/lines/", params)
    return response.status_code, response.content.decode() if response.status_code == 200 else ""


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("<tr>")[1:]]


def _total(html: str, name: str) -> str:
    return html.split(f'data-total="{name}">')[1].split("<")[0]


@pytest.mark.usefixtures("lines_a")
@pytest.mark.parametrize(
    ("params", "spend", "count"),
    [
        ({"period": "all"}, "$1,555.55", 4),
        ({"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}, "$1,200.00", 2),
        ({"period": "all", "status": ["overcharged", "non_gpo_vendor"]}, "$500.00", 2),
        ({"period": "all", "vendor": "Corner Office Supply"}, "$300.00", 1),
        ({"period": "all", "vendor": "bracco", "category": "none"}, "$255.55", 2),
        ({"period": "all", "contract": "GPO-CONTRAST", "nonzero": "overcharge"}, "$200.00", 1),
        ({"period": "all", "search": "isovue"}, "$1,000.00", 1),
        ({"period": "all", "month": "2026-04"}, "$300.00", 1),
    ],
    ids=[
        "all",
        "period",
        "statuses",
        "unresolved-vendor",
        "vendor-no-category",
        "contract-overcharge",
        "text",
        "month",
    ],
)
def test_filters_select_the_lines_and_their_totals(finance_a: Any, params: dict[str, Any], spend: str, count: int):
    status, html = _get(finance_a, params)

    assert status == 200
    assert _total(html, "spend") == spend
    assert _total(html, "lines") == str(count)
    assert len(_rows(html)) == count
    assert "Beta" not in html  # another practice's lines never show


@pytest.mark.usefixtures("lines_a")
def test_active_filters_are_named_in_words(finance_a: Any) -> None:
    _, html = _get(finance_a, {"period": "all", "month": "2026-04", "vendor": "bracco", "status": "on_contract"})

    chips = html.split('aria-label="Active filters"')[1].split("</ul>")[0]
    assert "Month: Apr 2026" in chips
    assert "Vendor: Bracco Diagnostics" in chips
    assert "Status: On contract" in chips


def test_one_upload_and_row_is_one_line(finance_a: Any, lines_a: dict[str, Any]) -> None:
    _, html = _get(finance_a, {"period": "all", "upload": str(lines_a["upload"].public_id), "row": "3"})

    assert _total(html, "overcharge") == "$40.00"
    assert len(_rows(html)) == 1


@pytest.mark.usefixtures("lines_a")
def test_sorting_by_spend_both_ways(finance_a: Any) -> None:
    _, ascending = _get(finance_a, {"period": "all", "ordering": "spend"})
    _, descending = _get(finance_a, {"period": "all", "ordering": "-spend"})

    assert "$55.55" in _rows(ascending)[0]
    assert "$1,000.00" in _rows(descending)[0]
    assert 'aria-sort="descending"' in descending


def test_pages_continue_without_overlap(finance_a: Any, practice_a: Practice) -> None:
    upload = PurchaseUploadFactory(practice=practice_a)
    for row in range(2, 2 + 60):
        line(practice_a, upload=upload, row_number=row, purchase_date=date(2026, 5, 1), spend=f"{row}.00")

    _, first = _get(finance_a, {"period": "all"})
    _, second = _get(finance_a, {"period": "all", "page": "2"})

    assert len(_rows(first)) == 50
    assert len(_rows(second)) == 10
    assert "Page 2 of 2" in second
    assert _total(second, "lines") == "60"


@pytest.mark.usefixtures("lines_a")
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "decade"}, "Unknown period “decade”: showing this year."),
        ({"period": "custom", "start": "2026-13-01"}, "Dates must be YYYY-MM-DD: showing this year."),
        ({"period": "all", "month": "March"}, "Expected a month YYYY-MM, got “March”."),
        ({"period": "all", "status": "lost"}, "Select a valid choice."),
    ],
    ids=["unknown-period", "bad-date", "bad-month", "bad-status"],
)
def test_bad_filters_are_answered_with_a_visible_message(finance_a: Any, params: dict[str, str], message: str):
    status, html = _get(finance_a, params)

    assert status == 200
    assert 'role="alert"' in html
    assert message in html


@pytest.mark.usefixtures("lines_a")
def test_bad_filter_lists_no_lines_rather_than_all(finance_a: Any) -> None:
    _, html = _get(finance_a, {"period": "all", "month": "March"})

    assert _total(html, "lines") == "0"


@pytest.mark.usefixtures("lines_a")
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_export_holds_exactly_the_lines_and_columns_shown(finance_a: Any, kind: str) -> None:
    params = {"period": "all", "status": ["on_contract", "overcharged"], "ordering": "-spend"}
    _, html = _get(finance_a, params)
    client = Client()
    client.force_login(finance_a)

    response = client.get("/lines/", {**params, "format": kind})

    if kind == "xlsx":
        rows = [list(r) for r in load_workbook(io.BytesIO(response.content))["Lines"].iter_rows(values_only=True)]
        assert all(
            c.data_type != "f" for row in load_workbook(io.BytesIO(response.content))["Lines"].iter_rows() for c in row
        )
    else:
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    headers = [c.header for c in columns_shown(with_practice=False)]
    assert rows[0] == headers
    assert (
        re.findall(r"<th[^>]*>(?:<a[^>]*>)?([^<▲▼]+?)(?: [▲▼])?(?:</a>)?</th>", html.split("<thead>")[1])[
            : len(headers)
        ]
        == headers
    )
    spend = headers.index("Spend")
    assert [float(r[spend]) for r in rows[1:]] == [1000.0, 200.0]
    invoice = headers.index("Invoice")
    assert rows[2][invoice] == "'=HYPERLINK(1)"


def test_viewer_gets_403(make_member: Any, practice_a: Practice) -> None:
    from gpo.members.models import Role

    status, _ = _get(make_member(Role.VIEWER, practice_a), {"period": "all"})

    assert status == 403


@pytest.mark.usefixtures("lines_a")
def test_coalition_staff_see_every_practice_with_a_practice_column(coalition_admin: Any) -> None:
    _, html = _get(coalition_admin, {"period": "all", "search": "isovue"})

    assert _total(html, "lines") == "2"
    assert "<th>Practice</th>" in html
    assert PurchaseLine.objects.count() == 5


def test_query_count_does_not_grow_with_the_lines(
    finance_a: Any, practice_a: Practice, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    upload = PurchaseUploadFactory(practice=practice_a)
    vendor, contract = VendorFactory(), ContractFactory()
    client = Client()
    client.force_login(finance_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/lines/", {"period": "all"}).status_code == 200
        return len(captured)

    line(practice_a, upload=upload, row_number=2, vendor=vendor, contract=contract, purchase_date=date(2026, 5, 1))
    few = queries()
    for row in range(3, 40):
        line(
            practice_a, upload=upload, row_number=row, vendor=vendor, contract=contract, purchase_date=date(2026, 5, 1)
        )

    assert queries() == few
    with django_assert_max_num_queries(20):
        client.get("/lines/", {"period": "all"})
