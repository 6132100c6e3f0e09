"""Vendor services: slugs, normalised names, aliases and the category tree."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import VendorFactory
from vendors import services
from vendors.models import Category, VendorAlias

pytestmark = pytest.mark.django_db


def test_vendor_create_derives_unique_slug_and_normalised_name() -> None:
    VendorFactory(name="Other", slug="ge-healthcare")

    vendor = services.vendor_create(name=" GE Healthcare Inc. ")

    assert (vendor.name, vendor.slug, vendor.normalized_name) == (
        "GE Healthcare Inc.",
        "ge-healthcare-inc",
        "ge healthcare",
    )


def test_vendor_update_renormalises_the_name() -> None:
    vendor = services.vendor_create(name="Bayer")

    services.vendor_update(vendor=vendor, name="Bayer HealthCare LLC")

    vendor.refresh_from_db()
    assert vendor.normalized_name == "bayer healthcare"


def test_alias_belonging_to_another_vendor_is_refused() -> None:
    ge, bayer = services.vendor_create(name="GE Healthcare"), services.vendor_create(name="Bayer")
    services.vendor_alias_add(vendor=ge, name="GEHC")

    with pytest.raises(ValidationError, match="already belongs to vendor 'GE Healthcare'"):
        services.vendor_alias_add(vendor=bayer, name="GEHC, Inc.")

    assert VendorAlias.objects.filter(vendor=bayer).count() == 0


def test_alias_naming_another_vendor_is_refused() -> None:
    services.vendor_create(name="GE Healthcare")
    bayer = services.vendor_create(name="Bayer")

    with pytest.raises(ValidationError, match="is the name of vendor 'GE Healthcare'"):
        services.vendor_alias_add(vendor=bayer, name="GE HEALTHCARE")


def test_same_alias_twice_for_the_same_vendor_keeps_one() -> None:
    ge = services.vendor_create(name="GE Healthcare")

    first = services.vendor_alias_add(vendor=ge, name="GEHC")
    second = services.vendor_alias_add(vendor=ge, name="gehc")

    assert first.id == second.id
    assert VendorAlias.objects.count() == 1


def test_category_path_creates_the_tree_once() -> None:
    leaf = services.category_get_or_create(path="Contrast media > Iodinated", unspsc_code="51142000")
    again = services.category_get_or_create(path="contrast media>iodinated")

    assert leaf.id == again.id
    assert (leaf.name, leaf.parent.name, leaf.unspsc_code, leaf.slug) == (
        "Iodinated",
        "Contrast media",
        "51142000",
        "contrast-media-iodinated",
    )
    assert Category.objects.count() == 2
