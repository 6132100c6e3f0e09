"""Admin-fee audit: a vendor's quarterly report against the members' uploads, an under-reported member to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gpo.members.models import Role
from reports.models import AdminFeeReport, AdminFeeReportLine, PurchaseLine
from reports.services.reconciliation import lines_reconcile
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    PurchaseLineFactory,
    PurchaseUploadFactory,
    VendorFactory,
)

# The distributors' standard layout, under a title row, with a totals row (skipped) and a row with a bad number.
REPORT = (
    "Fee Medical - Administrative Fee Report Q1 2026\n"
    "Vendor Name,Contract Number,Member ID,Member Name,Quarter,Net Sales,Admin Fee %,Admin Fee Due,Admin Fee Paid\n"
    'Fee Medical,C-FEE,alpha-radiology,Alpha Radiology,2026-Q1,"$1,000.00",3.00%,30.00,30.00\n'
    "Fee Medical,C-FEE,beta-imaging,Beta Imaging,2026-Q1,500.00,3.00%,15.00,15.00\n"
    "Fee Medical,C-FEE,gamma,Gamma Clinic,2026-Q1,N/A,3.00%,0,0\n"
    "Total,,,,,1500.00,,45.00,45.00\n"
)


@pytest.fixture
def fee_catalog(practice_a, practice_b):
    """C-FEE (admin fee 3 %): item F at 50.00 (list 60.00).

    Alpha's Q1 on-contract spend: 20 x 50.00 (Jan) + 4 x 58.64 (Mar, overcharged) = 1,000.00 + 234.56 = 1,234.56.
    Beta's: 10 x 50.00 (Feb) = 500.00. April is outside Q1.
    """
    vendor = VendorFactory(name="Fee Medical", slug="fee-medical")
    contract = ContractFactory(vendor=vendor, number="C-FEE", admin_fee_pct=Decimal("3"))
    item = ContractItemFactory(contract=contract, vendor_sku="F", list_price=Decimal("60"))
    ContractPriceFactory(item=item, price=Decimal("50"))
    for practice in (practice_a, practice_b):
        ParticipationFactory(practice=practice, contract=contract)
    for practice, quantity, price, day in (
        (practice_a, "20", "50", date(2026, 1, 10)),
        (practice_a, "4", "58.64", date(2026, 3, 31)),
        (practice_b, "10", "50", date(2026, 2, 3)),
        (practice_a, "99", "50", date(2026, 4, 1)),
    ):
        PurchaseLineFactory(
            upload=PurchaseUploadFactory(practice=practice),
            vendor_name="Fee Medical",
            sku="F",
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            purchase_date=day,
        )
    lines_reconcile(queryset=PurchaseLine.objects.all())
    return contract


def _post(client, content=REPORT, name="fee-report-q1.csv", **extra):
    return client.post("/api/admin-fee-reports/", {"file": SimpleUploadedFile(name, content.encode()), **extra})


def test_the_standard_layout_is_read_with_every_row_accounted_for(fee_catalog, coalition_admin, api_client_for):
    response = _post(api_client_for(coalition_admin))

    assert response.status_code == 201
    body = response.json()
    assert (body["vendor"], body["header_row"], body["quarters"]) == ("fee-medical", 2, ["2026-Q1"])
    assert {name: m["confidence"] for name, m in body["mapping"].items()} == {
        "vendor_name": "exact",
        "contract_number": "exact",
        "member_id": "exact",
        "member_name": "exact",
        "quarter": "exact",
        "sales": "exact",
        "fee_rate": "exact",
        "fee_reported": "exact",
        "fee_paid": "exact",
    }
    assert (body["rows_total"], body["rows_accepted"], body["rows_rejected"], body["rows_skipped"]) == (3, 2, 1, 1)
    assert body["rejected"] == [{"row": 5, "column": "Net Sales", "reason": "'N/A' is not a number"}]


def test_an_under_reported_member_is_found_to_the_cent(fee_catalog, coalition_admin, make_member, api_client_for):
    _post(api_client_for(coalition_admin))

    response = api_client_for(make_member(Role.COALITION_EXECUTIVE)).get(
        "/api/admin-fee-reports/audit/", {"vendor": "fee-medical", "quarter": "2026-Q1"}
    )

    assert response.status_code == 200
    alpha, beta = response.json()["results"]
    assert (alpha["practice"], alpha["sales_reported"], alpha["on_contract_spend"], alpha["sales_gap"]) == (
        "alpha-radiology",
        "1000.00",
        "1234.56",
        "234.56",
    )
    # Fee due: 3 % of 1,234.56 = 37.0368 -> 37.04; the vendor reported and paid 30.00: 7.04 short.
    assert (alpha["fee_due"], alpha["fee_reported"], alpha["fee_paid"], alpha["fee_gap"]) == (
        "37.04",
        "30.00",
        "30.00",
        "7.04",
    )
    assert alpha["flags"] == ["under_reported", "fee_underpaid"]
    assert alpha["lines"] == "/api/lines/?contract=C-FEE&start=2026-01-01&end=2026-03-31&practice=alpha-radiology"
    assert (beta["practice"], beta["sales_gap"], beta["fee_due"], beta["flags"]) == (
        "beta-imaging",
        "0.00",
        "15.00",
        [],
    )


def test_the_lines_link_sums_to_the_uploaded_spend(fee_catalog, coalition_admin, api_client_for):
    client = api_client_for(coalition_admin)
    _post(client)
    (alpha,) = client.get("/api/admin-fee-reports/audit/", {"flagged": "1"}).json()["results"]

    lines = client.get(alpha["lines"]).json()["results"]

    on_contract = [line for line in lines if line["status"] in {"on_contract", "overcharged"}]
    assert sum(Decimal(line["spend"]) for line in on_contract) == Decimal(alpha["on_contract_spend"])


def test_a_member_left_out_of_the_report_reports_zero(fee_catalog, coalition_admin, api_client_for):
    client = api_client_for(coalition_admin)
    _post(client, REPORT.replace("Fee Medical,C-FEE,beta-imaging,Beta Imaging,2026-Q1,500.00,3.00%,15.00,15.00\n", ""))

    rows = {r["practice"]: r for r in client.get("/api/admin-fee-reports/audit/").json()["results"]}

    assert (rows["beta-imaging"]["sales_reported"], rows["beta-imaging"]["sales_gap"]) == ("0.00", "500.00")
    assert rows["beta-imaging"]["flags"] == ["not_reported", "under_reported", "fee_underpaid"]


def test_the_same_file_again_answers_409(fee_catalog, coalition_admin, api_client_for):
    client = api_client_for(coalition_admin)
    first = _post(client).json()

    again = _post(client)

    assert again.status_code == 409
    assert again.json()["report_id"] == first["id"]
    assert AdminFeeReport.objects.count() == 1


def test_a_file_without_the_needed_columns_is_refused_with_nothing_kept(fee_catalog, coalition_admin, api_client_for):
    response = _post(api_client_for(coalition_admin), "Member,Contract,Note\nAlpha,C-FEE,hello\n")

    assert response.status_code == 400
    assert "No header row found" in response.json()["detail"]
    assert not AdminFeeReportLine.objects.exists()


@pytest.mark.parametrize(
    ("role", "post_status", "read_status"),
    [
        (Role.VIEWER, 403, 403),
        (Role.FINANCE, 403, 403),
        (Role.EXECUTIVE, 403, 403),
        (Role.COALITION_EXECUTIVE, 403, 200),
        (Role.COALITION_ADMIN, 201, 200),
    ],
)
def test_fee_report_rights_case(role, post_status, read_status, fee_catalog, practice_a, make_member, api_client_for):
    member = make_member(role, practice_a if role in (Role.VIEWER, Role.FINANCE, Role.EXECUTIVE) else None)
    client = api_client_for(member)
    assert _post(client).status_code == post_status
    assert client.get("/api/admin-fee-reports/").status_code == read_status
    assert client.get("/api/admin-fee-reports/audit/").status_code == read_status


def test_the_page_imports_a_report_and_flags_the_under_reported_member(fee_catalog, coalition_admin, client):
    client.force_login(coalition_admin)

    imported = client.post(
        "/coalition/admin-fees/", {"file": SimpleUploadedFile("q1.csv", REPORT.encode())}, follow=True
    ).content.decode()
    page = client.get("/coalition/admin-fees/", {"flagged": "1"}).content.decode()

    assert "2 rows kept, 1 not kept, 1 blank or total rows skipped" in imported
    assert "$234.56" in page
    assert "$37.04" in page
    audit = page.split("<h2>Audit")[1].split("Reports imported")[0]
    assert "Alpha Radiology" in audit
    assert "Beta Imaging" not in audit


def test_the_page_is_403_for_a_practice_finance_lead(finance_a, client):
    client.force_login(finance_a)

    assert client.get("/coalition/admin-fees/").status_code == 403


def test_coalition_dashboard_fee_revenue_comes_from_the_vendors_reports(
    fee_catalog, coalition_admin, api_client_for, client
):
    _post(api_client_for(coalition_admin))
    client.force_login(coalition_admin)

    page = client.get("/coalition/", {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}).content.decode()

    # Vendors paid 30.00 + 15.00 for Q1; uploads put the fee at 3 % of 1,734.56 = 52.04 (to the cent, per contract).
    kpi = page.split("Admin fee revenue")[1][:600]
    assert "$45.00" in kpi
    assert "paid by vendors" in kpi
    assert "$52.04 due on uploaded" in kpi
    assert 'href="/coalition/admin-fees/"' in page


def test_an_xlsx_report_with_other_headers_is_read_by_their_words(
    fee_catalog, coalition_admin, api_client_for, tmp_path
):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Quarterly admin fee statement"])
    sheet.append(
        ["Contract #", "GPO Member ID", "Customer Name", "Qtr End", "Sales Amt", "Admin Fee Amt", "Fee Remitted"]
    )
    sheet.append(["C-FEE", "alpha-radiology", "Alpha Radiology", date(2026, 3, 31), 1000, 30, 30])
    path = tmp_path / "statement.xlsx"
    workbook.save(path)

    response = api_client_for(coalition_admin).post(
        "/api/admin-fee-reports/",
        {"file": SimpleUploadedFile("statement.xlsx", path.read_bytes()), "vendor": "fee-medical"},
    )

    body = response.json()
    assert response.status_code == 201, body
    assert {name: m["column"] for name, m in body["mapping"].items()} == {
        "contract_number": "Contract #",
        "member_id": "GPO Member ID",
        "member_name": "Customer Name",
        "quarter": "Qtr End",
        "sales": "Sales Amt",
        "fee_reported": "Admin Fee Amt",
        "fee_paid": "Fee Remitted",
    }
    assert (body["header_row"], body["rows_accepted"], body["quarters"]) == (2, 1, ["2026-Q1"])
