"""Filters of the reports API and pages (STYLE.md rule 9)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django_filters import rest_framework as filters

from gpo.members.rights import Right, right_require
from gpo.members.scoping import practice_get
from reports.models import PurchaseLine
from reports.periods import month_bounds, periods_meet
from reports.selectors.lines import line_search, line_vendor_filter, lines_of_practices
from reports.selectors.savings import lines_in_periods

Status = PurchaseLine.Status
LINE_STATUS_CHOICES = [(value, label) for value, label in Status.choices if value != Status.PENDING]
# "No category" and "no contract" groups of the savings breakdowns, as a filter value.
NONE_VALUE = "none"
MONEY_COLUMNS = [("savings", "Savings"), ("overcharge", "Overcharge"), ("missed_savings", "Missed savings")]
SORTS = (
    ("purchase_date", "date"),
    ("vendor_name", "vendor"),
    ("status", "status"),
    ("quantity", "quantity"),
    ("unit_price", "unit_price"),
    ("spend", "spend"),
    ("savings", "savings"),
    ("overcharge", "overcharge"),
    ("missed_savings", "missed_savings"),
)


class MonthField(forms.CharField):
    """A month "YYYY-MM"."""

    def clean(self, value: Any) -> str | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            month_bounds(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Expected a month YYYY-MM, got “{text}”.") from exc
        return text


class MonthFilter(filters.CharFilter):
    field_class = MonthField


class LineOrderingFilter(filters.OrderingFilter):
    """Sort by one column, either way; the export order's columns break ties so pages never overlap."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        ordered = super().filter(qs, value)
        if value:
            return ordered.order_by(*ordered.query.order_by, "upload_id", "row_number", "id")
        return ordered


class PurchaseLineFilterSet(filters.FilterSet):
    """`GET /api/lines/` and the lines page: each filter selects exactly the lines of one `/api/savings/` group.

    `vendor` is a vendor's slug, or for an unresolved vendor its name as given (the savings `vendor_name` with a
    null `vendor`); `category` a category slug and `contract` a contract number, each `none` for the group
    without one; `month` is "YYYY-MM"; `start`/`end` include both days. `nonzero` keeps lines with that money.
    """

    practice = filters.CharFilter(method="filter_practice", help_text="Practice slug.")
    start = filters.DateFilter(method="filter_in_period", help_text="First purchase date (inclusive).")
    end = filters.DateFilter(method="filter_in_period", help_text="Last purchase date (inclusive).")
    month = MonthFilter(method="filter_in_period", help_text='Purchase month "YYYY-MM".')
    status = filters.MultipleChoiceFilter(choices=LINE_STATUS_CHOICES)
    vendor = filters.CharFilter(method="filter_vendor", help_text="Vendor slug, or an unresolved vendor's name.")
    category = filters.CharFilter(method="filter_category", help_text="Category slug, or `none`.")
    contract = filters.CharFilter(method="filter_contract", help_text="Contract number, or `none`.")
    upload = filters.UUIDFilter(field_name="upload__public_id", help_text="Upload id (its public id).")
    row = filters.NumberFilter(field_name="row_number", help_text="Row of the upload's file.")
    search = filters.CharFilter(method="filter_search", help_text="Text in vendor, SKU, description, invoice, PO.")
    nonzero = filters.ChoiceFilter(choices=MONEY_COLUMNS, method="filter_nonzero", help_text="Lines with this money.")
    ordering = LineOrderingFilter(fields=SORTS)

    class Meta:
        model = PurchaseLine
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[PurchaseLine]) -> QuerySet[PurchaseLine]:
        # Dates go through each upload's recorded span (the line table has no date index): one call for all three.
        data = self.form.cleaned_data
        period = periods_meet(data.get("start"), data.get("end"), data.get("month"))
        queryset = queryset.none() if period is None else lines_in_periods(queryset, [period])
        return super().filter_queryset(queryset)

    def filter_in_period(self, queryset: QuerySet[PurchaseLine], name: str, value: Any) -> QuerySet[PurchaseLine]:
        return queryset  # applied once in filter_queryset

    def filter_practice(self, queryset: QuerySet[PurchaseLine], name: str, value: str) -> QuerySet[PurchaseLine]:
        user = getattr(self.request, "user", None)
        practice = practice_get(user=user, slug=value)  # another practice: 404
        right_require(user, practice, Right.FIGURES)  # its own practice without the right: 403
        return lines_of_practices(queryset, [practice.id])

    def filter_vendor(self, queryset: QuerySet[PurchaseLine], name: str, value: str) -> QuerySet[PurchaseLine]:
        return line_vendor_filter(queryset, value)

    def filter_category(self, queryset: QuerySet[PurchaseLine], name: str, value: str) -> QuerySet[PurchaseLine]:
        if value == NONE_VALUE:
            return queryset.filter(category__isnull=True)
        return queryset.filter(category__slug=value)

    def filter_contract(self, queryset: QuerySet[PurchaseLine], name: str, value: str) -> QuerySet[PurchaseLine]:
        if value == NONE_VALUE:
            return queryset.filter(contract__isnull=True)
        return queryset.filter(contract__number=value)

    def filter_search(self, queryset: QuerySet[PurchaseLine], name: str, value: str) -> QuerySet[PurchaseLine]:
        return line_search(queryset, value)

    def filter_nonzero(self, queryset: QuerySet[PurchaseLine], name: str, value: str) -> QuerySet[PurchaseLine]:
        return queryset.exclude(**{value: 0})
