"""Filters of the vendors API (STYLE.md rule 9)."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from vendors.models import Vendor
from vendors.selectors import vendors_in_category, vendors_matching


class VendorFilterSet(filters.FilterSet):
    """`?search=<name, alias or description>&category=<slug, descendants included>`."""

    search = filters.CharFilter(method="filter_search")
    category = filters.CharFilter(method="filter_category")

    class Meta:
        model = Vendor
        fields = ["search", "category"]

    def filter_search(self, queryset: QuerySet[Vendor], name: str, value: str) -> QuerySet[Vendor]:
        return vendors_matching(queryset, value)

    def filter_category(self, queryset: QuerySet[Vendor], name: str, value: str) -> QuerySet[Vendor]:
        return vendors_in_category(queryset, value)
