"""Django admin for the catalog: saves go through the services (audit rows), the workbook upload page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from contracts.models import CatalogChange, Contract, ContractPrice
from tests.contracts.test_catalog_import import catalog_sheets
from tests.contracts.workbooks import workbook_write
from tests.factories import ContractFactory, ContractItemFactory, ContractPriceFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in() -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_contract_added_in_admin_is_audited(admin_client_logged_in: Client) -> None:
    vendor = VendorFactory()

    response = admin_client_logged_in.post(
        "/admin/contracts/contract/add/",
        {
            "vendor": vendor.id,
            "number": "GPO-ADM",
            "title": "Added in admin",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "status": "active",
            "admin_fee_pct": "2",
            "renewal_notice_days": "90",
            "open_to_all_members": "on",
            **{
                f"{prefix}-{key}": value
                for prefix in ("items", "tiers", "participations", "documents")
                for key, value in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}.items()
            },
        },
    )

    assert response.status_code == 302, response.content[:2000]
    contract = Contract.objects.get(number="GPO-ADM")
    audit = CatalogChange.objects.get()
    assert (audit.object_id, audit.source, audit.action, audit.changed_by.username) == (
        contract.id,
        "admin",
        "created",
        "root",
    )


def test_price_changed_in_admin_is_audited_and_overlap_refused(admin_client_logged_in: Client) -> None:
    price = ContractPriceFactory(price=Decimal("80"), effective_from=date(2026, 1, 1))
    ContractPriceFactory(item=price.item, price=Decimal("70"), effective_from=date(2026, 7, 1))
    form = {
        "item": price.item_id,
        "price": "75",
        "effective_from": "2026-01-01",
        "effective_to": "",
        "tier": "",
        "min_qty": "",
    }

    overlapping = admin_client_logged_in.post(f"/admin/contracts/contractprice/{price.id}/change/", form)
    form["effective_to"] = "2026-06-30"
    saved = admin_client_logged_in.post(f"/admin/contracts/contractprice/{price.id}/change/", form)

    assert overlapping.status_code == 200  # the form comes back with the error
    assert saved.status_code == 302
    price.refresh_from_db()
    assert (price.price, price.effective_to) == (Decimal("75"), date(2026, 6, 30))
    audit = CatalogChange.objects.get()
    assert audit.detail["price"] == ["80", "75"]


def test_catalog_change_admin_is_read_only(admin_client_logged_in: Client) -> None:
    ContractItemFactory()
    assert admin_client_logged_in.get("/admin/contracts/catalogchange/add/").status_code == 403


def test_import_page_loads_a_workbook(admin_client_logged_in: Client, tmp_path: Path) -> None:
    path = workbook_write(tmp_path / "catalog.xlsx", catalog_sheets())
    upload = SimpleUploadedFile("catalog.xlsx", path.read_bytes())

    response = admin_client_logged_in.post("/admin/contracts/contract/import-catalog/", {"workbook": upload})

    assert response.status_code == 302
    assert Contract.objects.count() == 2
    assert ContractPrice.objects.count() == 4


def test_import_page_lists_errors_and_writes_nothing(admin_client_logged_in: Client, tmp_path: Path) -> None:
    sheets = catalog_sheets()
    sheets["Prices"][1][2] = "-1"
    upload = SimpleUploadedFile("catalog.xlsx", workbook_write(tmp_path / "bad.xlsx", sheets).read_bytes())

    response = admin_client_logged_in.post("/admin/contracts/contract/import-catalog/", {"workbook": upload})

    assert response.status_code == 200
    assert "Prices!2 price: The price must be greater than 0." in response.content.decode()
    assert Contract.objects.count() == 0


def test_import_page_refuses_staff_who_are_not_coalition_admins(tmp_path: Path) -> None:
    client = Client()
    client.force_login(UserFactory(is_staff=True))

    assert client.get("/admin/contracts/contract/import-catalog/").status_code == 403


def test_changelist_links_to_the_import_page(admin_client_logged_in: Client) -> None:
    ContractFactory()
    page = admin_client_logged_in.get("/admin/contracts/contract/").content.decode()
    assert "/admin/contracts/contract/import-catalog/" in page


def test_vendor_admin_saves_normalised_name_and_aliases(admin_client_logged_in: Client) -> None:
    response = admin_client_logged_in.post(
        "/admin/vendors/vendor/add/",
        {
            "name": "Acme Imaging, Inc.",
            "slug": "acme",
            "aliases-TOTAL_FORMS": "1",
            "aliases-INITIAL_FORMS": "0",
            "aliases-0-name": "ACME IMAGING SVCS",
        },
    )

    assert response.status_code == 302, response.content[:3000]
    from vendors.models import Vendor

    vendor = Vendor.objects.get()
    assert (vendor.slug, vendor.normalized_name) == ("acme", "acme imaging")
    assert list(vendor.aliases.values_list("normalized_name", flat=True)) == ["acme imaging svcs"]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/contracts/contract/{contract}/change/",
        "/admin/contracts/contract/add/",
        "/admin/contracts/contractitem/{item}/change/",
        "/admin/contracts/contractprice/",
        "/admin/contracts/participation/",
        "/admin/contracts/catalogchange/",
        "/admin/vendors/vendor/{vendor}/change/",
        "/admin/vendors/category/",
        "/admin/contracts/contract/import-catalog/",
    ],
)
def test_catalog_admin_pages_render(admin_client_logged_in: Client, url: str) -> None:
    price = ContractPriceFactory()
    item = price.item
    target = url.format(contract=item.contract_id, item=item.id, vendor=item.contract.vendor_id)

    assert admin_client_logged_in.get(target).status_code == 200


def test_item_inline_edit_in_contract_admin_is_audited(admin_client_logged_in: Client) -> None:
    item = ContractItemFactory(vendor_sku="A-1", description="Old")
    contract = item.contract
    form: dict[str, Any] = {
        "vendor": contract.vendor_id,
        "number": contract.number,
        "title": contract.title,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "status": "active",
        "admin_fee_pct": "0",
        "renewal_notice_days": "90",
        "open_to_all_members": "on",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "1",
        "items-0-id": item.id,
        "items-0-contract": contract.id,
        "items-0-vendor_sku": "A-1",
        "items-0-description": "New",
        "items-0-uom": "each",
        "items-0-units_per_uom": "1",
        "items-0-list_price": "100",
        **{f"{p}-{k}": "0" for p in ("tiers", "participations", "documents") for k in ("TOTAL_FORMS", "INITIAL_FORMS")},
    }

    response = admin_client_logged_in.post(f"/admin/contracts/contract/{contract.id}/change/", form)

    assert response.status_code == 302, response.content[:3000]
    item.refresh_from_db()
    assert (item.description, item.uom) == ("New", "EA")
    audit = CatalogChange.objects.get()
    assert (audit.object_type, audit.detail["description"]) == ("ContractItem", ["Old", "New"])
