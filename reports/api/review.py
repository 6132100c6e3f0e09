"""REST API: the vendor review queue for coalition staff (`/api/vendor-review/`)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gpo.members.rights import Right, right_require
from gpo.pagination import StandardPagination
from gpo.schema import page_of
from reports.selectors.review import vendor_review_list
from reports.services.review import vendor_name_map, vendor_name_mark_non_gpo
from vendors.models import Vendor


class VendorReviewEntrySerializer(serializers.Serializer):
    normalized_name = serializers.CharField()
    names = serializers.ListField(child=serializers.CharField())
    vendor = serializers.CharField(source="vendor_slug", allow_null=True)
    match = serializers.CharField()
    spend = serializers.DecimalField(max_digits=16, decimal_places=2)
    lines = serializers.IntegerField()
    practices = serializers.ListField(child=serializers.CharField(), help_text="Practices that bought under the name.")
    samples = serializers.ListField(child=serializers.CharField(), help_text="Up to 3 items bought (SKU description).")


class VendorNameMapInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300)
    vendor = serializers.SlugField(required=False, help_text="Vendor slug; omit with non_gpo=true.")
    non_gpo = serializers.BooleanField(default=False)


class VendorReviewListView(APIView):
    """`GET /api/vendor-review/`: unresolved and fuzzy-matched vendor names (coalition admins; others 403)."""

    @extend_schema(responses=page_of("PaginatedVendorReviewEntryList", VendorReviewEntrySerializer))
    def get(self, request: Request) -> Response:
        right_require(request.user, None, Right.CATALOG_WRITE)
        entries = vendor_review_list(user=request.user)
        paginator = StandardPagination()
        page: list[Any] | None = paginator.paginate_queryset(entries, request, view=self)  # type: ignore[arg-type]
        return paginator.get_paginated_response(VendorReviewEntrySerializer(page, many=True).data)


class VendorReviewMapView(APIView):
    """`POST /api/vendor-review/map/ {name, vendor}` or `{name, non_gpo: true}`: decide a name, re-reconcile."""

    @extend_schema(request=VendorNameMapInputSerializer, responses=dict[str, Any])
    def post(self, request: Request) -> Response:
        right_require(request.user, None, Right.CATALOG_WRITE)
        data = VendorNameMapInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        name = data.validated_data["name"]
        if data.validated_data["non_gpo"]:
            marked, updated = vendor_name_mark_non_gpo(name=name, user=request.user)
            return Response({"normalized_name": marked.normalized_name, "vendor": None, "lines_reconciled": updated})
        if not data.validated_data.get("vendor"):
            raise serializers.ValidationError({"vendor": ["A vendor slug is required."]})
        vendor = get_object_or_404(Vendor, slug=data.validated_data["vendor"])
        alias, updated = vendor_name_map(name=name, vendor=vendor, user=request.user)
        return Response({"normalized_name": alias.normalized_name, "vendor": vendor.slug, "lines_reconciled": updated})


urlpatterns: list[URLPattern | URLResolver] = [
    path("vendor-review/", VendorReviewListView.as_view(), name="api-vendor-review"),
    path("vendor-review/map/", VendorReviewMapView.as_view(), name="api-vendor-review-map"),
]
