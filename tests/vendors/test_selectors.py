"""Vendor selectors: search, category subtrees and the category tree."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import CategoryFactory, VendorAliasFactory, VendorFactory
from vendors.selectors import category_tree, vendor_list

pytestmark = pytest.mark.django_db


def test_vendor_list_filters_by_alias_and_category_subtree(finance_a: Any) -> None:
    contrast = CategoryFactory(name="Contrast media", slug="contrast-media")
    iodinated = CategoryFactory(name="Iodinated", slug="iodinated", parent=contrast)
    ge = VendorFactory(name="GE Healthcare", slug="ge", category=iodinated)
    VendorAliasFactory(vendor=ge, name="GE Medical Systems")
    VendorFactory(name="Staples", slug="staples")

    assert [v.slug for v in vendor_list(user=finance_a, search="medical sys")] == ["ge"]
    assert [v.slug for v in vendor_list(user=finance_a, category="contrast-media")] == ["ge"]
    assert [v.slug for v in vendor_list(user=finance_a, search="staples", category="contrast-media")] == []


def test_vendor_list_is_empty_for_anonymous_users() -> None:
    from django.contrib.auth.models import AnonymousUser

    VendorFactory()
    assert list(vendor_list(user=AnonymousUser())) == []


def test_category_tree_nests_children_under_parents() -> None:
    contrast = CategoryFactory(name="Contrast media", slug="contrast-media")
    CategoryFactory(name="Iodinated", slug="iodinated", parent=contrast)
    CategoryFactory(name="Gadolinium", slug="gadolinium", parent=contrast)
    CategoryFactory(name="Office", slug="office")

    tree = category_tree()

    assert [(node.category.name, [child.category.name for child in node.children]) for node in tree] == [
        ("Contrast media", ["Gadolinium", "Iodinated"]),
        ("Office", []),
    ]
