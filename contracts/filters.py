"""Filters of the contracts API (STYLE.md rule 9)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from contracts.models import Contract


class ContractFilterSet(filters.FilterSet):
    """`?vendor=<slug>&status=active&search=<text in number or title>`."""

    vendor = filters.CharFilter(field_name="vendor__slug")
    status = filters.ChoiceFilter(choices=Contract.Status.choices)
    search = filters.CharFilter(method="filter_search")

    class Meta:
        model = Contract
        fields = ["vendor", "status"]

    def filter_search(self, queryset: QuerySet[Contract], name: str, value: str) -> QuerySet[Contract]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value) | Q(title__icontains=value) | Q(vendor__name__icontains=value)
        )
