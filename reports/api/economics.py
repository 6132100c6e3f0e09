"""REST API: coalition economics figures for coalition staff (`/api/tier-simulation/`, `/api/commitments/`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.selectors.commitments import commitment_list
from reports.selectors.tiers import tier_simulation_get


class TierSimulationQueryInputSerializer(serializers.Serializer):
    """`?contract=` (number or id) and optional `as_of` (the tier period ends with the month before it)."""

    contract = serializers.CharField(max_length=64)
    as_of = serializers.DateField(required=False, input_formats=["iso-8601"])


class TierSimulationView(APIView):
    """`GET /api/tier-simulation/?contract=&as_of=`: aggregate, tiers, gap, its value per member, gap closers."""

    @extend_schema(
        parameters=[
            OpenApiParameter("contract", OpenApiTypes.STR, required=True, description="Contract number (or id)."),
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="Default today; whole months before it count."),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        query = TierSimulationQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        as_of = data.get("as_of") or timezone.localdate()
        return Response(tier_simulation_get(user=request.user, contract=data["contract"], as_of=as_of))


class AsOfQueryInputSerializer(serializers.Serializer):
    """Optional `as_of` (default today): months before its month count as done."""

    as_of = serializers.DateField(required=False, input_formats=["iso-8601"])


class CommitmentsView(APIView):
    """`GET /api/commitments/?as_of=`: contracts with a commitment, run rate, projection, shortfall, at risk first."""

    @extend_schema(
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, description="Default today.")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        query = AsOfQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = commitment_list(user=request.user, as_of=query.validated_data.get("as_of") or timezone.localdate())
        # Every contract with a commitment fits one page: the list shape of DESIGN §7, never a next page.
        return Response({"count": len(rows), "next": None, "previous": None, "results": rows})


urlpatterns: list[URLPattern | URLResolver] = [
    path("tier-simulation/", TierSimulationView.as_view(), name="api-tier-simulation"),
    path("commitments/", CommitmentsView.as_view(), name="api-commitments"),
]
