"""Month close: published figures, restatements with their deltas, reopening, and who may do what (DESIGN §3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from contracts.services import contract_price_update
from gpo.members.models import Role
from reports.models import MonthClose, PurchaseLine, Restatement
from reports.services.reconciliation import lines_reconcile
from reports.services.uploads import upload_delete
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    PurchaseLineFactory,
    PurchaseUploadFactory,
    VendorFactory,
)

FIGURES = ("spend", "on_contract_spend", "savings", "overcharge", "missed_savings")
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def march(practice_a):
    """Practice A's March 2026, hand-priced: Acme SKU-1 is contracted at 80.00 (list 100.00), tolerance 0.5 %.

    L1  3 x 80.00  on contract   spend 240.00  savings 60.00
    L2  2 x 85.00  overcharged   spend 170.00  savings 30.00  overcharge 10.00  missed 10.00
    L3  1 x 50.00  non-GPO       spend  50.00   (its own upload)
    Month: spend 460.00, on-contract 410.00, savings 90.00, overcharge 10.00, missed savings 10.00.
    """
    vendor = VendorFactory(name="Acme Medical", slug="acme")
    contract = ContractFactory(vendor=vendor, number="C-ACME")
    item = ContractItemFactory(contract=contract, vendor_sku="SKU-1", list_price=Decimal("100"))
    price = ContractPriceFactory(item=item, price=Decimal("80"))
    ParticipationFactory(practice=practice_a, contract=contract)
    upload = PurchaseUploadFactory(practice=practice_a)
    acme = {"vendor_name": "Acme Medical", "sku": "SKU-1", "purchase_date": date(2026, 3, 10)}
    PurchaseLineFactory(upload=upload, quantity=Decimal("3"), unit_price=Decimal("80"), **acme)
    PurchaseLineFactory(upload=upload, quantity=Decimal("2"), unit_price=Decimal("85"), **acme)
    stray = PurchaseUploadFactory(practice=practice_a)
    PurchaseLineFactory(
        upload=stray, vendor_name="Zed Office", sku="Z1", unit_price=Decimal("50"), purchase_date=date(2026, 3, 20)
    )
    lines_reconcile(queryset=PurchaseLine.objects.all())
    return {"price": price, "stray": stray}


def _close(client, practice="alpha-radiology", month="2026-03"):
    return client.post("/api/month-closes/", {"practice": practice, "month": month}, format="json")


def test_closing_publishes_the_months_figures(march, finance_a, api_client_for):
    response = _close(api_client_for(finance_a))

    assert response.status_code == 201
    body = response.json()
    assert (body["practice"], body["month"], body["status"]) == ("alpha-radiology", "2026-03", "closed")
    assert [body[name] for name in FIGURES] == ["460.00", "410.00", "90.00", "10.00", "10.00"]
    assert body["lines"] == 3
    assert body["published"] == {
        "spend": "460.00",
        "on_contract_spend": "410.00",
        "savings": "90.00",
        "overcharge": "10.00",
        "missed_savings": "10.00",
        "lines": 3,
    }
    assert body["restatements"] == []


def test_restatements_deltas_sum_exactly_to_the_change_in_the_closed_months_totals(
    march, finance_a, api_client_for, django_capture_on_commit_callbacks
):
    client = api_client_for(finance_a)
    closed = client.get("/api/savings/", MARCH).json()
    close_id = _close(client).json()["id"]

    # A catalog price change: SKU-1 now 84.00, so L2 is overcharged 1.00 x 2 instead of 5.00 x 2.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        contract_price_update(contract_price=march["price"], price=Decimal("84"))
    # A deleted upload: L3 (50.00 of non-GPO spend) leaves March.
    with django_capture_on_commit_callbacks(execute=True):
        upload_delete(upload=march["stray"], user=finance_a)

    body = client.get(f"/api/month-closes/{close_id}/").json()
    restated = body["restatements"]
    assert [(r["cause"], r["spend"], r["overcharge"], r["missed_savings"], r["lines"]) for r in restated] == [
        ("catalog_change", "0.00", "-8.00", "-8.00", 0),
        ("upload_deleted", "-50.00", "0.00", "0.00", -1),
    ]
    now = client.get("/api/savings/", MARCH).json()
    for name in FIGURES:
        deltas = sum(Decimal(r[name]) for r in restated)
        assert deltas == Decimal(now[name]) - Decimal(closed[name]), name
        assert body["published"][name] == now[name]
    assert [body[name] for name in FIGURES] == ["460.00", "410.00", "90.00", "10.00", "10.00"]  # as closed


def test_a_change_outside_closed_months_records_nothing(march, finance_a, api_client_for):
    _close(api_client_for(finance_a))
    april = PurchaseUploadFactory(practice=march["stray"].practice)
    PurchaseLineFactory(upload=april, vendor_name="Zed Office", unit_price=Decimal("9"), purchase_date=date(2026, 4, 2))

    lines_reconcile(queryset=PurchaseLine.objects.filter(upload=april))

    assert not Restatement.objects.exists()


def test_a_month_that_has_not_ended_cannot_be_closed(march, finance_a, api_client_for):
    response = _close(api_client_for(finance_a), month="2099-01")

    assert response.status_code == 400
    assert "has not ended" in response.json()["detail"]
    assert not MonthClose.objects.exists()


def test_a_month_is_not_closed_while_an_upload_is_in_flight(march, finance_a, api_client_for):
    PurchaseUploadFactory(practice=march["stray"].practice, status="parsing")

    response = _close(api_client_for(finance_a))

    assert response.status_code == 400
    assert "still being processed" in response.json()["detail"]


def test_closing_a_closed_month_again_answers_409(march, finance_a, api_client_for):
    client = api_client_for(finance_a)
    _close(client)

    assert _close(client).status_code == 409
    assert MonthClose.objects.count() == 1


def test_staff_reopen_with_a_reason_and_the_month_can_be_closed_again(
    march, finance_a, coalition_admin, api_client_for
):
    close_id = _close(api_client_for(finance_a)).json()["id"]
    staff = api_client_for(coalition_admin)

    assert staff.post(f"/api/month-closes/{close_id}/reopen/", {"reason": " "}, format="json").status_code == 400
    response = staff.post(f"/api/month-closes/{close_id}/reopen/", {"reason": "Late credit memo"}, format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reopen_reason"]) == ("reopened", "Late credit memo")
    assert _close(api_client_for(finance_a)).status_code == 201
    assert MonthClose.objects.filter(reopened_at__isnull=True).count() == 1


def test_a_reopened_month_records_no_restatement(march, finance_a, coalition_admin, api_client_for):
    close_id = _close(api_client_for(finance_a)).json()["id"]
    api_client_for(coalition_admin).post(f"/api/month-closes/{close_id}/reopen/", {"reason": "fix"}, format="json")

    upload_delete(upload=march["stray"], user=finance_a)

    assert not Restatement.objects.exists()


@pytest.mark.parametrize(
    ("role", "list_status", "close_status", "reopen_status"),
    [
        (Role.VIEWER, 403, 403, 403),
        (Role.FINANCE, 200, 201, 403),
        (Role.EXECUTIVE, 200, 403, 403),
        (Role.COALITION_EXECUTIVE, 200, 403, 403),
        (Role.COALITION_ADMIN, 200, 201, 200),
    ],
)
def test_month_close_rights_follow_the_role_table_case(
    role, list_status, close_status, reopen_status, march, practice_a, make_member, finance_a, api_client_for
):
    member = make_member(role, practice_a if role in (Role.VIEWER, Role.FINANCE, Role.EXECUTIVE) else None)
    client = api_client_for(member)
    assert client.get("/api/month-closes/").status_code == list_status
    assert _close(client, month="2026-02").status_code == close_status
    close_id = _close(api_client_for(finance_a)).json()["id"]
    reopened = client.post(f"/api/month-closes/{close_id}/reopen/", {"reason": "why"}, format="json")
    assert reopened.status_code == reopen_status


def test_a_practice_sees_only_its_own_closes_and_restatements(march, finance_a, finance_b, api_client_for):
    close_id = _close(api_client_for(finance_a)).json()["id"]
    upload_delete(upload=march["stray"], user=finance_a)
    other = api_client_for(finance_b)

    assert other.get("/api/month-closes/").json()["results"] == []
    assert other.get(f"/api/month-closes/{close_id}/").status_code == 404
    assert other.post(f"/api/month-closes/{close_id}/reopen/", {"reason": "x"}, format="json").status_code == 404
    assert other.post(f"/api/month-closes/{close_id}/reopen/", {}, format="json").status_code == 404
    assert _close(other).status_code == 404


def test_the_page_closes_a_month_and_the_dashboard_shows_its_restatement(march, finance_a, client):
    client.force_login(finance_a)

    response = client.post("/month-closes/", {"practice": "alpha-radiology", "month": "2026-03"}, follow=True)
    upload_delete(upload=march["stray"], user=finance_a)

    assert "March 2026 closed" in response.content.decode()
    page = client.get("/month-closes/").content.decode()
    assert "An upload was deleted" in page
    assert "-$50.00" in page
    dashboard = client.get("/dashboard/?period=all").content.decode()
    assert "Restatements of closed months" in dashboard
    assert "-$50.00" in dashboard


def test_the_page_is_403_for_a_viewer(practice_a, make_member, client):
    client.force_login(make_member(Role.VIEWER, practice_a))

    assert client.get("/month-closes/").status_code == 403


def test_the_coalition_dashboard_lists_every_members_restatements(march, finance_a, make_member, client):
    client.force_login(finance_a)
    client.post("/month-closes/", {"practice": "alpha-radiology", "month": "2026-03"})
    upload_delete(upload=march["stray"], user=finance_a)
    client.force_login(make_member(Role.COALITION_EXECUTIVE))

    page = client.get("/coalition/?period=all").content.decode()

    assert "Alpha Radiology" in page
    assert "An upload was deleted" in page
    assert 'href="/month-closes/"' in page


def test_admin_lists_closes_and_restatements_read_only(march, finance_a, coalition_admin, client, api_client_for):
    close_id = _close(api_client_for(finance_a)).json()["id"]
    upload_delete(upload=march["stray"], user=finance_a)
    client.force_login(coalition_admin)
    coalition_admin.is_superuser = coalition_admin.is_staff = True
    coalition_admin.save()
    close = MonthClose.objects.get(public_id=close_id)

    assert client.get("/admin/reports/monthclose/").status_code == 200
    assert client.get("/admin/reports/restatement/").status_code == 200
    assert client.get("/admin/reports/adminfeereport/").status_code == 200
    assert client.post(f"/admin/reports/monthclose/{close.pk}/delete/", {"post": "yes"}).status_code == 403
    assert MonthClose.objects.filter(pk=close.pk).exists()


def test_a_bad_month_filter_answers_400_naming_the_field(finance_a, api_client_for):
    response = api_client_for(finance_a).get("/api/month-closes/", {"month": "March"})

    assert response.status_code == 400
    assert list(response.json()) == ["month"]
