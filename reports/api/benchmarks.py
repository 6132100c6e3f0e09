"""REST API: anonymous peer price benchmark (`GET /api/benchmarks/?item=` or `?contract=`)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.models import ContractItem
from gpo.members import scoping
from gpo.members.rights import FORBIDDEN_MESSAGES, Right, has_right
from gpo.money import plain_decimal_str, unit_price_str
from reports.selectors.benchmarks import MIN_PEERS, PriceBenchmark, price_benchmarks


class BenchmarkQueryInputSerializer(serializers.Serializer):
    """One contract item (`item`, its id) or every item of a contract (`contract`, its id); a calendar year."""

    item = serializers.IntegerField(required=False, min_value=1)
    contract = serializers.IntegerField(required=False, min_value=1)
    practice = serializers.SlugField(required=False)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("item")) == bool(attrs.get("contract")):
            raise serializers.ValidationError({"item": ["Give either item or contract (an id)."]})
        return attrs


_price = serializers.CharField(allow_null=True, help_text="Price per each, 4 decimals; null when not shown.")
BENCHMARK_RESPONSE = inline_serializer(
    "PriceBenchmark",
    {
        "item": serializers.IntegerField(),
        "contract": serializers.CharField(),
        "vendor_sku": serializers.CharField(),
        "description": serializers.CharField(),
        "year": serializers.IntegerField(),
        "start": serializers.DateField(),
        "end": serializers.DateField(),
        "your_price_per_each": _price,
        "your_each_count": serializers.CharField(),
        "shown": serializers.BooleanField(),
        "coalition_median_per_each": _price,
        "coalition_best_per_each": _price,
    },
    many=True,
)


def benchmark_json(row: PriceBenchmark) -> dict[str, Any]:
    """A benchmark as the API gives it: no practice is named or counted."""
    return {
        "item": row.item.id,
        "contract": row.item.contract.number,
        "vendor_sku": row.item.vendor_sku,
        "description": row.item.description,
        "year": row.year,
        "start": row.start,
        "end": row.end,
        "your_price_per_each": unit_price_str(row.your_price),
        "your_each_count": plain_decimal_str(row.your_each_count),
        "shown": row.shown,
        "coalition_median_per_each": unit_price_str(row.peer_median),
        "coalition_best_per_each": unit_price_str(row.peer_best),
    }


class BenchmarkView(APIView):
    """`GET /api/benchmarks/?item=&practice=&year=` (or `?contract=`): your price per each against the coalition's."""

    @extend_schema(
        parameters=[
            OpenApiParameter("item", OpenApiTypes.INT, description="Contract item id."),
            OpenApiParameter("contract", OpenApiTypes.INT, description="Contract id: every item of it."),
            OpenApiParameter("practice", OpenApiTypes.STR, description="Practice slug; default: your practice."),
            OpenApiParameter("year", OpenApiTypes.INT, description="Calendar year of the purchases; default: this."),
        ],
        responses=BENCHMARK_RESPONSE,
        description=f"Peer figures only where at least {MIN_PEERS} other practices bought the item that year.",
    )
    def get(self, request: Request) -> Response:
        query = BenchmarkQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        practice = _practice(request, data.get("practice"))
        items = ContractItem.objects.select_related("contract").order_by("description", "id")
        items = items.filter(id=data["item"]) if data.get("item") else items.filter(contract_id=data["contract"])
        found = list(items[:500])
        if data.get("item") and not found:
            return Response({"detail": "Not found."}, status=404)
        year = data.get("year") or timezone.localdate().year
        rows = price_benchmarks(user=request.user, practice=practice, items=found, year=year)
        return Response([benchmark_json(row) for row in rows])


def _practice(request: Request, slug: str | None) -> Any:
    """The practice whose price is compared (404 for one the caller cannot see); its figures right is required."""
    practice = scoping.practice_get(user=request.user, slug=slug) if slug else scoping.current_practice(request)
    if practice is None:
        if not has_right(request.user, None, Right.FIGURES):
            raise PermissionDenied(FORBIDDEN_MESSAGES[Right.FIGURES])
        return None
    if not has_right(request.user, practice, Right.FIGURES):
        raise PermissionDenied(FORBIDDEN_MESSAGES[Right.FIGURES])
    return practice


urlpatterns: list[URLPattern | URLResolver] = [
    path("benchmarks/", BenchmarkView.as_view(), name="api-benchmarks"),
]
