"""Cached catalog pages (issue 16): the catalog home, vendor and contract pages are served from the cache, yet every
catalog write shows at once, and one viewer's page is never served to a viewer with other rights or another practice.

Each test warms the cache with a first request, writes, then reads again: the page must show the write, and equal
the page rendered with the cache emptied.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts import services
from contracts.models import Contract, ContractDocument, ContractPrice
from gpo.members.models import Practice, Role
from tests.factories import ContractFactory, ContractItemFactory, ContractPriceFactory, VendorFactory
from vendors import services as vendor_services
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def contract(today: date, practice_a: Practice) -> Contract:
    """Bracco's contract in force, one item at 81.23 (list 120); practice A joined, B did not."""
    start = today - timedelta(days=100)
    vendor = VendorFactory(name="Bracco Diagnostics", slug="bracco")
    contract = ContractFactory(
        vendor=vendor, number="GPO-CM-001", title="Contrast", start_date=start, end_date=today + timedelta(days=200)
    )
    item = ContractItemFactory(contract=contract, vendor_sku="ISO-370", description="Isovue-370", list_price=120)
    ContractPriceFactory(item=item, price=Decimal("81.2300"), effective_from=start)
    services.participation_create(practice=practice_a, contract=contract, joined_on=start)  # versions the catalog
    return contract


def _page(client: Any, url: str) -> str:
    """The page's main content (the header carries a per-request CSRF token)."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def _fresh(client: Any, url: str) -> str:
    cache.clear()
    return _page(client, url)


def _served_from_cache(client: Any, url: str) -> bool:
    """Whether a repeat request skips the page's own reads (fewer queries than with the cache emptied)."""
    _page(client, url)
    with CaptureQueriesContext(connection) as cached:
        _page(client, url)
    cache.clear()
    with CaptureQueriesContext(connection) as computed:
        _page(client, url)
    return len(cached) < len(computed)


@pytest.mark.parametrize("url", ["/catalog/", "/catalog/?q=isovue", "/catalog/vendors/bracco/", "contract"])
def test_catalog_pages_are_served_from_the_cache(client, finance_a, contract, url):
    client.force_login(finance_a)
    url = f"/catalog/contracts/{contract.pk}/" if url == "contract" else url

    assert _served_from_cache(client, url)


def test_a_price_change_shows_at_once_on_the_contract_page(client, finance_a, contract):
    client.force_login(finance_a)
    url = f"/catalog/contracts/{contract.pk}/"
    assert "81.23" in _page(client, url)

    services.contract_price_update(
        contract_price=ContractPrice.objects.get(item__contract=contract), price=Decimal("77")
    )

    page = _page(client, url)
    assert "77.00" in page
    assert "81.23" not in page
    assert page == _fresh(client, url)


def test_joining_shows_at_once_on_the_vendor_page(client, finance_b, practice_b, contract, today):
    client.force_login(finance_b)
    url = "/catalog/vendors/bracco/"
    assert "Not joined" in _page(client, url)

    services.participation_create(practice=practice_b, contract=contract, joined_on=today)

    page = _page(client, url)
    assert f"Joined {today:%Y-%m-%d}" in page
    assert page == _fresh(client, url)


def test_a_document_added_in_the_admin_shows_at_once_on_the_vendor_page(client, finance_a, contract):
    client.force_login(finance_a)
    url = "/catalog/vendors/bracco/"
    assert "Signed agreement" not in _page(client, url)

    ContractDocument.objects.create(contract=contract, title="Signed agreement", file=ContentFile(b"%PDF", "a.pdf"))

    page = _page(client, url)
    assert "Signed agreement" in page
    assert page == _fresh(client, url)


def test_a_renamed_vendor_and_a_new_alias_show_at_once(client, finance_a, contract):
    client.force_login(finance_a)
    _page(client, "/catalog/")
    _page(client, "/catalog/vendors/bracco/")

    vendor = Vendor.objects.get(slug="bracco")
    vendor.name = "Bracco Imaging"
    vendor.save()
    vendor_services.vendor_alias_add(vendor=vendor, name="BRACCO DIAGNOSTICS INC")

    assert "Bracco Imaging" in _page(client, "/catalog/")
    assert "BRACCO DIAGNOSTICS INC" in _page(client, "/catalog/vendors/bracco/")


def test_a_page_warmed_by_one_viewer_is_not_served_to_another_practice_or_role(
    client, make_member, practice_a, practice_b, coalition_admin, contract, today
):
    draft = ContractFactory(vendor=contract.vendor, number="GPO-DRAFT", status=Contract.Status.DRAFT)
    services.contract_update(contract=draft, title="Unsigned draft")  # versions the catalog after the draft
    pages = {}
    for who in ("staff", "a", "b"):
        user = {
            "staff": coalition_admin,
            "a": make_member(Role.VIEWER, practice_a),
            "b": make_member(Role.VIEWER, practice_b),
        }[who]
        client.force_login(user)
        pages[who] = (_page(client, "/catalog/vendors/bracco/"), _page(client, f"/catalog/contracts/{contract.pk}/"))

    assert "Unsigned draft" in pages["staff"][0]
    assert "Unsigned draft" not in pages["a"][0]
    assert "Unsigned draft" not in pages["b"][0]
    assert "Not joined" in pages["b"][0]
    assert "Not joined" not in pages["a"][0]
    assert "81.23" in pages["a"][1]
    assert pages["a"][1] != pages["b"][1]


def test_a_lapsed_practice_never_gets_a_page_cached_with_prices(client, make_member, practice_a, contract):
    client.force_login(make_member(Role.VIEWER, practice_a))
    url = f"/catalog/contracts/{contract.pk}/"
    assert "81.23" in _page(client, url)

    Practice.objects.filter(pk=practice_a.pk).update(membership_status="lapsed")

    assert "81.23" not in _page(client, url)
    assert "hidden" in _page(client, "/catalog/vendors/bracco/") or "81.23" not in _page(client, "/catalog/")


def test_the_contract_list_follows_writes_and_each_callers_practice(api_client_for, finance_a, finance_b, contract):
    def listed(user: Any) -> dict[str, Any]:
        response = api_client_for(user).get("/api/contracts/")
        assert response.status_code == 200
        return {row["number"]: row for row in response.json()["results"]}

    assert listed(finance_a)["GPO-CM-001"]["participating"] is True
    assert listed(finance_b)["GPO-CM-001"]["participating"] is False  # not A's page from the cache

    services.contract_item_create(contract=contract, vendor_sku="ISO-300", list_price=Decimal("90"))
    services.contract_create(
        vendor=contract.vendor,
        number="GPO-CM-009",
        title="New",
        start_date=contract.start_date,
        end_date=contract.end_date,
    )

    rows = listed(finance_a)
    assert rows["GPO-CM-001"]["item_count"] == 2
    assert "GPO-CM-009" in rows
