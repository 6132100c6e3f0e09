"""REST API: vendors' admin-fee reports and their audit (`/api/admin-fee-reports/`), for coalition staff."""

from __future__ import annotations

import json
from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gpo.pagination import StandardPagination
from gpo.schema import page_of
from reports.admin_fees import FIELDS, quarter_label, quarter_of
from reports.models import AdminFeeReport
from reports.selectors.admin_fees import admin_fee_audit, admin_fee_report_list
from reports.services.admin_fees import admin_fee_report_create


class AdminFeeReportSerializer(serializers.ModelSerializer):
    """A report as imported: its rows' counts, how its columns were read, the rows not kept and its quarters."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    vendor: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    filename = serializers.CharField(source="original_filename", read_only=True)
    mapping = serializers.SerializerMethodField()
    quarters = serializers.SerializerMethodField()

    class Meta:
        model = AdminFeeReport
        fields = [
            "id",
            "vendor",
            "filename",
            "file_format",
            "header_row",
            "mapping",
            "rows_total",
            "rows_accepted",
            "rows_rejected",
            "rows_skipped",
            "rejected",
            "quarters",
            "created_at",
        ]
        read_only_fields = fields

    def get_mapping(self, report: AdminFeeReport) -> dict[str, dict[str, str]]:
        return {
            name: {"column": column, "confidence": report.column_confidence.get(name, "")}
            for name, column in report.column_mapping.items()
        }

    def get_quarters(self, report: AdminFeeReport) -> list[str]:
        return [quarter_label(q) for q in sorted(set(report.lines.values_list("quarter", flat=True)))]


class AdminFeeReportCreateInputSerializer(serializers.Serializer):
    """Multipart `file`, optional `vendor` (slug; else the report's vendor column) and `mapping` (JSON)."""

    file = serializers.FileField()
    vendor = serializers.SlugField(required=False, allow_blank=True)
    mapping = serializers.CharField(required=False, allow_blank=True)

    def validate_mapping(self, value: str) -> dict[str, str]:
        if not value:
            return {}
        try:
            mapping = json.loads(value)
        except json.JSONDecodeError as exc:
            raise serializers.ValidationError("Give the mapping as JSON {field: header text}.") from exc
        if not isinstance(mapping, dict) or set(mapping) - set(FIELDS):
            raise serializers.ValidationError(f"Mapping fields are {', '.join(FIELDS)}.")
        return {str(k): str(v) for k, v in mapping.items()}


class AdminFeeReportsView(APIView):
    """`GET /api/admin-fee-reports/` (newest first), `POST` one report (coalition admins)."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        operation_id="admin_fee_reports_list",
        responses=page_of("PaginatedAdminFeeReportList", AdminFeeReportSerializer),
    )
    def get(self, request: Request) -> Response:
        paginator = StandardPagination()
        page = paginator.paginate_queryset(admin_fee_report_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(AdminFeeReportSerializer(page, many=True).data)

    @extend_schema(request=AdminFeeReportCreateInputSerializer, responses={201: AdminFeeReportSerializer})
    def post(self, request: Request) -> Response:
        data = AdminFeeReportCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = admin_fee_report_create(
            file=data.validated_data["file"],
            user=request.user,
            vendor=data.validated_data.get("vendor") or None,
            mapping=data.validated_data.get("mapping") or None,
        )
        return Response(AdminFeeReportSerializer(report).data, status=status.HTTP_201_CREATED)


class AdminFeeReportDetailView(APIView):
    """`GET /api/admin-fee-reports/{id}/`: one report with its rejected rows."""

    @extend_schema(responses=AdminFeeReportSerializer)
    def get(self, request: Request, id: str) -> Response:
        report = get_object_or_404(admin_fee_report_list(user=request.user), public_id=id)
        return Response(AdminFeeReportSerializer(report).data)


class AdminFeeAuditView(APIView):
    """`GET /api/admin-fee-reports/audit/?vendor=&quarter=&contract=&flagged=`: reported against uploaded."""

    @extend_schema(
        parameters=[
            OpenApiParameter("vendor", OpenApiTypes.STR, description="Vendor slug."),
            OpenApiParameter("quarter", OpenApiTypes.STR, description='"2026-Q1"'),
            OpenApiParameter("contract", OpenApiTypes.STR, description="Contract number."),
            OpenApiParameter("flagged", OpenApiTypes.BOOL, description="Only rows with a flag."),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        quarter = None
        if params.get("quarter"):
            try:
                quarter = quarter_of(params["quarter"])
            except ValueError as exc:
                raise serializers.ValidationError({"quarter": ['Expected a quarter such as "2026-Q1".']}) from exc
        rows = admin_fee_audit(
            user=request.user,
            vendor=params.get("vendor") or None,
            quarter=quarter,
            contract=params.get("contract") or None,
            flagged=params.get("flagged") in {"1", "true", "yes"},
        )
        return Response({"count": len(rows), "next": None, "previous": None, "results": rows})


urlpatterns: list[URLPattern | URLResolver] = [
    path("admin-fee-reports/", AdminFeeReportsView.as_view(), name="api-admin-fee-reports"),
    path("admin-fee-reports/audit/", AdminFeeAuditView.as_view(), name="api-admin-fee-audit"),
    path("admin-fee-reports/<uuid:id>/", AdminFeeReportDetailView.as_view(), name="api-admin-fee-report"),
]
