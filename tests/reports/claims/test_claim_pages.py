"""The claims pages: what is left to claim per vendor, filing a claim, its page, status form and workbook."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from gpo.members.models import Role
from reports.models import OverchargeClaim
from reports.services.claims import claim_create, claim_status_update

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_claims_page_groups_unclaimed_lines_by_vendor(overcharges, finance_a):
    page = _client(finance_a).get("/claims/").content.decode()

    assert "Bracco Diagnostics" in page
    assert "$32.50" in page
    assert "INV-2" in page
    assert "GPO-CM-01" in page
    assert page.count("Create claim") == 2


def test_filing_from_the_page_opens_the_claim(overcharges, practice_a, finance_a):
    client = _client(finance_a)

    response = client.post("/claims/new", {"practice": practice_a.slug, "vendor": "ge-healthcare"})

    claim = OverchargeClaim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/claims/{claim.public_id}/"
    page = client.get(response["Location"]).content.decode()
    assert "Credit claim to GE Healthcare" in page
    assert "Download claim workbook" in page
    assert "Record progress" in page
    # The page's own addresses, not the API's (the router names its routes claim-status and claim-workbook too).
    assert f'action="/claims/{claim.public_id}/status"' in page
    assert f'href="/claims/{claim.public_id}/workbook.xlsx"' in page


def test_status_form_records_a_partial_credit(overcharges, practice_a, finance_a):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)
    client = _client(finance_a)

    client.post(
        f"/claims/{claim.public_id}/status", {"status": "partly_credited", "amount_recovered": "$10.50", "note": "CM"}
    )

    claim.refresh_from_db()
    assert (claim.status, claim.amount_recovered) == ("partly_credited", Decimal("10.50"))
    assert "CM" in client.get(f"/claims/{claim.public_id}/").content.decode()


def test_bad_amount_is_shown_not_saved(overcharges, practice_a, finance_a):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)
    client = _client(finance_a)

    response = client.post(
        f"/claims/{claim.public_id}/status", {"status": "partly_credited", "amount_recovered": "lots"}, follow=True
    )

    assert "is not a number" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "open"


def test_executive_sees_claims_without_the_buttons(overcharges, practice_a, finance_a, make_member):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)
    executive = _client(make_member(Role.EXECUTIVE, practice_a))

    listing = executive.get("/claims/").content.decode()
    detail = executive.get(f"/claims/{claim.public_id}/").content.decode()

    assert "Create claim" not in listing
    assert "Record progress" not in detail
    assert executive.post(f"/claims/{claim.public_id}/status", {"status": "sent"}).status_code == 403
    assert executive.get(f"/claims/{claim.public_id}/workbook.xlsx").status_code == 200


def test_dashboard_shows_recovered_money_beside_the_overcharge(overcharges, practice_a, finance_a):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)
    claim_status_update(claim=claim, user=finance_a, status="credited")

    page = _client(finance_a).get("/dashboard/?period=all").content.decode()

    assert "$32.50 recovered of $32.50 claimed" in page


def test_another_practices_claim_pages_answer_404(overcharges, practice_a, finance_a, finance_b):
    claim = claim_create(practice=practice_a, vendor=overcharges["bracco"], user=finance_a)
    theirs = _client(finance_b)

    assert theirs.get(f"/claims/{claim.public_id}/").status_code == 404
    assert theirs.get(f"/claims/{claim.public_id}/workbook.xlsx").status_code == 404
    assert theirs.post(f"/claims/{claim.public_id}/status", {"status": "sent"}).status_code == 404
    assert theirs.get(f"/claims/?practice={practice_a.slug}").status_code == 404


def test_claims_page_exports_what_is_left_and_what_was_filed(overcharges, practice_a, finance_a):
    import io

    import openpyxl

    claim_create(practice=practice_a, vendor=overcharges["ge"], user=finance_a)

    response = _client(finance_a).get(f"/claims/?practice={practice_a.slug}&format=xlsx")

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    to_claim = list(book["To claim"].iter_rows(min_row=2, values_only=True))
    claims = list(book["Claims"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[2], row[-1]) for row in to_claim] == [
        ("Bracco Diagnostics", "INV-2", 30.0),
        ("Bracco Diagnostics", "INV-1", 5.0),
        ("Bracco Diagnostics", "CR-2", -2.5),
    ]
    assert [(row[1], row[4], row[5]) for row in claims] == [("GE Healthcare", 7.25, "Open")]
