"""A lapsed practice sees no contract prices (gpo.billing), on catalog pages and in `/api/contracts/`, but keeps its
uploads, lines and history, and sees a banner saying why. Past due inside the grace period: prices still shown.
"""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from contracts.models import Contract
from gpo.billing.models import BillingAccount
from gpo.members.models import Practice, Role
from reports.models import PurchaseLine
from tests.factories import (
    ContractFactory,
    ContractItemFactory,
    ContractPriceFactory,
    ParticipationFactory,
    PurchaseLineFactory,
    PurchaseUploadFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db

HIDDEN = "Contract prices are hidden while Alpha Radiology's coalition dues are unpaid."
RETURN = "They return as soon as the dues are paid."


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def contracts(today: date, practice_a: Practice) -> tuple[Contract, Contract]:
    """An item-priced contract (81.23 for Tier 1, 70 from 10 units) and a 12 % off-list contract; A joined both."""
    start = today - timedelta(days=100)
    vendor = VendorFactory(name="Bracco Diagnostics", slug="bracco")
    priced = ContractFactory(vendor=vendor, number="GPO-CM-001", start_date=start, end_date=today + timedelta(days=200))
    item = ContractItemFactory(
        contract=priced, vendor_sku="ISO-370", description="Isovue-370", list_price=Decimal("120")
    )
    ContractPriceFactory(item=item, tier="Tier 1", price=Decimal("81.2300"), effective_from=start)
    ContractPriceFactory(
        item=item, tier="Tier 1", price=Decimal("70.0000"), effective_from=start, min_qty=Decimal("10")
    )
    ParticipationFactory(practice=practice_a, contract=priced, tier="Tier 1", joined_on=start)
    percent_off = ContractFactory(
        vendor=vendor,
        number="GPO-CM-002",
        start_date=start,
        end_date=today + timedelta(days=200),
        discount_pct=Decimal("12"),
    )
    ParticipationFactory(practice=practice_a, contract=percent_off, joined_on=start)
    return priced, percent_off


def _standing(practice: Practice, status: str, behind_days: int | None = None) -> None:
    Practice.objects.filter(pk=practice.pk).update(membership_status=status)
    if behind_days is not None:
        BillingAccount.objects.update_or_create(
            practice=practice, defaults={"past_due_since": timezone.now() - timedelta(days=behind_days)}
        )


@pytest.fixture
def viewer_a(make_member: Any, practice_a: Practice) -> Any:
    return make_member(Role.VIEWER, practice_a)


def _detail(api_client_for: Any, user: Any, contract: Contract) -> dict[str, Any]:
    response = api_client_for(user).get(f"/api/contracts/{contract.id}/")
    assert response.status_code == 200
    return response.json()


def test_api_detail_of_a_lapsed_practice_has_null_prices_in_the_same_shape(
    api_client_for, viewer_a, practice_a, contracts
):
    priced, _ = contracts
    shown = _detail(api_client_for, viewer_a, priced)
    _standing(practice_a, "lapsed")

    hidden = _detail(api_client_for, viewer_a, priced)

    assert set(hidden) == set(shown)
    assert set(hidden["items"][0]) == set(shown["items"][0])
    assert shown["items"][0]["price"] == "81.23"
    assert shown["prices_notice"] is None
    item = hidden["items"][0]
    assert {
        key: item[key] for key in ("price", "tier", "price_effective_from", "price_effective_to", "discount_pct")
    } == {
        "price": None,
        "tier": None,
        "price_effective_from": None,
        "price_effective_to": None,
        "discount_pct": None,
    }
    assert item["volume_breaks"] == []
    assert item["list_price"] == "120.00"  # the vendor's list price is not a coalition price
    assert hidden["prices_notice"] == f"{HIDDEN} {RETURN}"
    assert (hidden["participating"], hidden["participation_tier"]) == (True, "Tier 1")
    assert "81.23" not in json.dumps(hidden)
    assert "70.00" not in json.dumps(hidden)


def test_api_list_of_a_lapsed_practice_hides_item_prices_and_percent_off_discounts(
    api_client_for, viewer_a, practice_a, contracts
):
    _standing(practice_a, "lapsed")

    body = api_client_for(viewer_a).get("/api/contracts/").json()

    assert body["count"] == 2
    by_number = {row["number"]: row for row in body["results"]}
    assert "items" not in by_number["GPO-CM-001"]  # the list has no items: their prices are on the detail only
    assert by_number["GPO-CM-002"]["discount_pct"] is None
    assert all(row["prices_notice"].endswith(RETURN) for row in body["results"])


def test_another_practice_in_good_standing_still_sees_its_prices(
    api_client_for, make_member, practice_a, practice_b, contracts
):
    priced, percent_off = contracts
    _standing(practice_a, "lapsed")
    ParticipationFactory(practice=practice_b, contract=priced, tier="Tier 1", joined_on=priced.start_date)
    viewer_b = make_member(Role.VIEWER, practice_b)

    assert _detail(api_client_for, viewer_b, priced)["items"][0]["price"] == "81.23"
    assert _detail(api_client_for, viewer_b, percent_off)["discount_pct"] == "12"


def test_past_due_inside_the_grace_period_still_sees_prices(api_client_for, viewer_a, practice_a, contracts, settings):
    settings.BILLING_GRACE_PERIOD_DAYS = 30
    _standing(practice_a, "past_due", behind_days=29)

    assert _detail(api_client_for, viewer_a, contracts[0])["items"][0]["price"] == "81.23"


def test_past_due_beyond_the_grace_period_is_treated_as_lapsed_before_any_refresh(
    api_client_for, viewer_a, practice_a, contracts, settings
):
    settings.BILLING_GRACE_PERIOD_DAYS = 30
    _standing(practice_a, "past_due", behind_days=31)

    assert _detail(api_client_for, viewer_a, contracts[0])["items"][0]["price"] is None


def test_contract_page_of_a_lapsed_practice_shows_no_price_and_says_when_they_return(
    client, viewer_a, practice_a, contracts
):
    priced, percent_off = contracts
    client.force_login(viewer_a)
    assert "$81.23" in client.get(f"/catalog/contracts/{priced.pk}/").content.decode()
    _standing(practice_a, "lapsed")

    page = client.get(f"/catalog/contracts/{priced.pk}/").content.decode()
    percent_page = client.get(f"/catalog/contracts/{percent_off.pk}/").content.decode()

    assert "$81.23" not in page
    assert "$70.00" not in page
    assert "Price history" not in page
    assert HIDDEN.replace("'", "&#x27;") in page
    assert RETURN in page
    assert "Isovue-370" in page  # the items are still listed
    assert "12%" not in percent_page


def test_contract_export_of_a_lapsed_practice_has_no_prices(client, viewer_a, practice_a, contracts):
    _standing(practice_a, "lapsed")
    client.force_login(viewer_a)

    response = client.get(f"/catalog/contracts/{contracts[0].pk}/", {"format": "xlsx"})

    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = list(rows[0])
    assert rows[1][header.index("Your price today")] is None
    assert rows[1][header.index("Volume breaks")] in (None, "")


def test_catalog_and_vendor_pages_of_a_lapsed_practice_hide_discounts(client, viewer_a, practice_a, contracts):
    _standing(practice_a, "lapsed")
    client.force_login(viewer_a)

    catalog = client.get("/catalog/").content.decode()
    vendor = client.get("/catalog/vendors/bracco/").content.decode()

    assert '<dd><span class="muted">hidden</span></dd>' in catalog
    assert RETURN in catalog
    assert "up to" not in catalog
    assert "12%" not in vendor
    assert "hidden" in vendor


def test_lapsed_practice_keeps_its_uploads_lines_and_history(
    client, api_client_for, make_member, practice_a, contracts
):
    finance = make_member(Role.FINANCE, practice_a)
    upload = PurchaseUploadFactory(practice=practice_a, original_filename="march.csv")
    PurchaseLineFactory(
        upload=upload,
        contract=contracts[0],
        status=PurchaseLine.Status.ON_CONTRACT,
        unit_price=Decimal("81.2300"),
        expected_unit_price=Decimal("81.2300"),
        savings=Decimal("38.77"),
    )
    _standing(practice_a, "lapsed")
    api = api_client_for(finance)

    uploads = api.get("/api/uploads/").json()["results"]
    lines = api.get(f"/api/uploads/{upload.public_id}/lines/").json()["results"]

    assert [row["id"] for row in uploads] == [str(upload.public_id)]
    assert [(row["expected_unit_price"], row["savings"]) for row in lines] == [("81.23", "38.77")]
    client.force_login(finance)
    assert "march.csv" in client.get("/uploads/").content.decode()


@pytest.mark.parametrize(
    ("status", "behind_days", "expected"),
    [
        ("lapsed", None, "membership has lapsed"),
        ("past_due", 3, "coalition dues are past due"),
        ("active", None, None),
    ],
)
def test_every_page_shows_the_practice_a_banner_while_dues_are_unpaid_case(
    client, viewer_a, practice_a, status, behind_days, expected
):
    _standing(practice_a, status, behind_days)
    client.force_login(viewer_a)

    page = client.get("/catalog/").content.decode()

    if expected is None:
        assert "membership-banner" not in page
    else:
        assert expected in page
        assert "Your practice's executive can pay them" in page


def test_the_banner_gives_the_executive_the_way_to_pay(client, make_member, practice_a):
    _standing(practice_a, "lapsed")
    client.force_login(make_member(Role.EXECUTIVE, practice_a))

    page = client.get("/uploads/").content.decode()

    assert 'href="/billing/practices/alpha-radiology/">Pay dues on the billing page' in page
