"""`/api/claims/`: file a claim per vendor, read it, record the answer, download its workbook (by the role table)."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from gpo.members.models import Role
from reports.models import OverchargeClaim
from reports.services.claims import claim_create

pytestmark = pytest.mark.django_db


def test_finance_files_a_claim_and_gets_its_lines(overcharges, practice_a, finance_a, api_client_for):
    response = api_client_for(finance_a).post(
        "/api/claims/", {"practice": practice_a.slug, "vendor": "bracco", "notes": "Q1"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["vendor"], body["amount_claimed"], body["status"], body["amount_recovered"]) == (
        "bracco",
        "32.50",
        "open",
        "0.00",
    )
    assert [(line["invoice_number"], line["overcharge"]) for line in body["lines"]] == [
        ("INV-1", "5.00"),
        ("INV-2", "30.00"),
        ("CR-2", "-2.50"),
    ]
    assert body["id"] == str(OverchargeClaim.objects.get().public_id)
    assert body["events"][0]["user"] == finance_a.username


def test_executive_reads_claims_but_may_not_file_one(overcharges, practice_a, finance_a, make_member, api_client_for):
    claim = claim_create(practice=practice_a, vendor=overcharges["ge"], user=finance_a)
    executive = api_client_for(make_member(Role.EXECUTIVE, practice_a))

    created = executive.post("/api/claims/", {"practice": practice_a.slug, "vendor": "bracco"}, format="json")
    updated = executive.post(f"/api/claims/{claim.public_id}/status/", {"status": "sent"}, format="json")

    assert (created.status_code, updated.status_code) == (403, 403)
    assert executive.get(f"/api/claims/{claim.public_id}/").json()["amount_claimed"] == "7.25"
    assert OverchargeClaim.objects.count() == 1


def test_another_practices_claim_answers_404_and_is_never_listed(
    overcharges, practice_a, finance_a, finance_b, api_client_for
):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)
    theirs = api_client_for(finance_b)

    assert theirs.get(f"/api/claims/{claim.public_id}/").status_code == 404
    assert theirs.get(f"/api/claims/{claim.public_id}/workbook.xlsx/").status_code == 404
    assert theirs.post(f"/api/claims/{claim.public_id}/status/", {"status": "sent"}).status_code == 404
    assert theirs.post("/api/claims/", {"practice": practice_a.slug, "vendor": "bracco"}).status_code == 404
    assert theirs.get("/api/claims/").json()["results"] == []
    assert theirs.get(f"/api/claims/{claim.id}/").status_code == 404


def test_status_update_records_recovered_money_and_who(overcharges, practice_a, finance_a, api_client_for):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)

    response = api_client_for(finance_a).post(
        f"/api/claims/{claim.public_id}/status/",
        {"status": "partly_credited", "amount_recovered": "12.00", "note": "CM-9"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["amount_recovered"]) == ("partly_credited", "12.00")
    assert response.json()["events"][-1] | {"at": None} == {
        "at": None,
        "user": finance_a.username,
        "status": "partly_credited",
        "amount_recovered": "12.00",
        "note": "CM-9",
    }


def test_inconsistent_status_update_answers_400_naming_the_field(overcharges, practice_a, finance_a, api_client_for):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)

    response = api_client_for(finance_a).post(
        f"/api/claims/{claim.public_id}/status/", {"status": "denied", "amount_recovered": "3.00"}, format="json"
    )

    assert response.status_code == 400
    assert "amount_recovered" in response.json()


def test_list_filters_by_status_and_candidates_show_what_is_left(overcharges, practice_a, finance_a, api_client_for):
    claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)
    client = api_client_for(finance_a)

    assert client.get("/api/claims/?status=open").json()["count"] == 1
    assert client.get("/api/claims/?status=credited").json()["count"] == 0
    assert client.get(f"/api/claims/candidates/?practice={practice_a.slug}").json() == [
        {
            "vendor": "ge-healthcare",
            "vendor_name": "GE Healthcare",
            "lines": 1,
            "amount": "7.25",
            "first_date": "2026-04-01",
            "last_date": "2026-04-01",
        }
    ]


def test_workbook_has_an_actionable_cover_and_lines_that_sum_to_the_claim(
    overcharges, practice_a, finance_a, api_client_for
):
    claim = claim_create(practice=practice_a, vendor=overcharges["ge"], user=finance_a)

    response = api_client_for(finance_a).get(f"/api/claims/{claim.public_id}/workbook.xlsx/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Credit claim", "Lines"]
    cover = {row[0]: row[1] for row in book["Credit claim"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert cover["From (practice)"] == "Alpha Radiology"
    assert cover["To (vendor)"] == "GE Healthcare"
    assert cover["Vendor contact"] == "contracts@ge.example"
    assert cover["Contract numbers"] == "GPO-IM-07"
    assert cover["Amount claimed"] == 7.25
    assert cover["Claim reference"] == str(claim.public_id)
    assert finance_a.email in cover["Practice contact"]
    lines = list(book["Lines"].iter_rows(min_row=2, values_only=True))
    assert lines[0][:2] == ("GPO-IM-07", "G-1")
    assert lines[0][8:] == (17.25, 10.0, 7.25, 7.25)
    assert lines[-1][0] == "Total"
    assert book["Lines"].page_setup.orientation == "landscape"
    assert book["Lines"].sheet_properties.pageSetUpPr.fitToPage is True
    assert Decimal(str(lines[-1][-1])) == claim.amount_claimed
    assert not any(
        isinstance(cell.value, str) and cell.value.startswith("=")
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
    )
