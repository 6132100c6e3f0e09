"""REST API: savings (`GET /api/savings/`, DESIGN.md section 7)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.selectors.savings import savings_get


class SavingsQueryInputSerializer(serializers.Serializer):
    """Query parameters of `GET /api/savings/`: dates are ISO `YYYY-MM-DD`, both end days included."""

    practice = serializers.SlugField(required=False, allow_blank=True)
    start = serializers.DateField(required=False, allow_null=True, input_formats=["iso-8601"])
    end = serializers.DateField(required=False, allow_null=True, input_formats=["iso-8601"])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and start > end:
            raise serializers.ValidationError({"end": ["The end date is before the start date."]})
        return attrs


_money = serializers.CharField(help_text='Money as a string with two decimals, e.g. "1234.50".')
_GROUP_FIELDS: dict[str, serializers.Field] = {
    "spend": _money,
    "on_contract_spend": _money,
    "savings": _money,
    "overcharge": _money,
    "missed_savings": _money,
    "compliance_rate": serializers.FloatField(allow_null=True),
}


def _nullable_text() -> serializers.CharField:
    return serializers.CharField(allow_null=True)


def _group(name: str, keys: dict[str, serializers.Field]) -> serializers.Serializer:
    return inline_serializer(name, {**keys, **_GROUP_FIELDS}, many=True)


SAVINGS_RESPONSE = inline_serializer(
    "Savings",
    {
        "practice": serializers.CharField(allow_null=True),
        "start": serializers.DateField(allow_null=True),
        "end": serializers.DateField(allow_null=True),
        **_GROUP_FIELDS,
        "by_status": _group("SavingsByStatus", {"status": serializers.CharField()}),
        "by_vendor": _group("SavingsByVendor", {"vendor": _nullable_text(), "vendor_name": serializers.CharField()}),
        "by_category": _group("SavingsByCategory", {"category": _nullable_text(), "category_name": _nullable_text()}),
        "by_month": _group("SavingsByMonth", {"month": serializers.CharField()}),
    },
)


class SavingsView(APIView):
    """`GET /api/savings/?practice=&start=&end=`: savings, overcharge and compliance of a practice or all members."""

    @extend_schema(
        parameters=[
            OpenApiParameter("practice", OpenApiTypes.STR, description="Practice slug; staff may omit it for all."),
            OpenApiParameter("start", OpenApiTypes.DATE, description="First purchase date counted (inclusive)."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last purchase date counted (inclusive)."),
        ],
        responses=SAVINGS_RESPONSE,
    )
    def get(self, request: Request) -> Response:
        query = SavingsQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        body = savings_get(
            user=request.user, practice=data.get("practice") or None, start=data.get("start"), end=data.get("end")
        )
        return Response(body)


urlpatterns: list[URLPattern | URLResolver] = [
    path("savings/", SavingsView.as_view(), name="api-savings"),
]
