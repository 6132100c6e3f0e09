"""Cached catalog fragments (issue 16): the vendor cards' highlights follow every catalog write at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.admin.sites import AdminSite

from contracts import services
from contracts.selectors import _vendor_highlights, vendor_highlights
from tests.factories import CategoryFactory, ContractItemFactory, ContractPriceFactory, VendorFactory
from vendors import services as vendor_services
from vendors.admin import CategoryAdmin
from vendors.models import Category, Vendor
from vendors.selectors import catalog_version

ON = date(2026, 6, 1)


def _both(vendor):
    """The highlights as a page reads them (cached), and computed afresh; the vendor loaded as a page loads it."""
    loaded = Vendor.objects.select_related("category").get(pk=vendor.pk)
    cached = vendor_highlights(vendors=[loaded], on=ON)[vendor.id]
    return cached, _vendor_highlights([loaded], ON)[vendor.id]


def test_highlights_follow_a_price_change_an_item_and_a_category_rename(db):
    category = CategoryFactory(name="Contrast")
    vendor = VendorFactory(name="Acme Medical", category=category)
    price = ContractPriceFactory(item__contract__vendor=vendor, item__list_price=Decimal("100"), price=Decimal("80"))
    vendor_services.catalog_version_bump()  # the catalog as services leave it: versioned
    first, fresh = _both(vendor)
    assert first == fresh
    assert first.best_discount_pct == Decimal("20.0")

    services.contract_price_update(contract_price=price, price=Decimal("60"))
    cached, fresh = _both(vendor)
    assert cached == fresh
    assert cached.best_discount_pct == Decimal("40.0")

    services.contract_item_create(
        contract=price.item.contract,
        vendor_sku="NEW-1",
        list_price=Decimal("10"),
        category=CategoryFactory(name="Film"),
    )
    cached, fresh = _both(vendor)
    assert cached == fresh
    assert "Film" in cached.categories

    renamed = Category.objects.get(pk=category.pk)
    renamed.name = "Iodinated contrast"
    CategoryAdmin(Category, AdminSite()).save_model(None, renamed, None, True)
    cached, fresh = _both(vendor)
    assert cached == fresh
    assert "Iodinated contrast" in cached.categories


def test_a_catalog_write_through_the_services_replaces_the_version(db):
    vendor_services.catalog_version_bump()
    before = catalog_version()

    vendor = vendor_services.vendor_create(name="Beta Supply")
    after_vendor = catalog_version()
    ContractItemFactory(contract__vendor=vendor)  # a factory write: no version change of its own
    services.contract_create(vendor=vendor, number="C-9", title="Beta", start_date=ON, end_date=ON)

    assert len({before, after_vendor, catalog_version()}) == 3
