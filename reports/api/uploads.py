"""REST API: purchase uploads and their lines (DESIGN.md section 7)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from gpo.api import DecimalTextField, PracticeScopedViewSet
from gpo.members.rights import Right, has_right, right_require
from gpo.members.scoping import practice_get
from gpo.xlsx import xlsx_download
from reports import columns, ingest
from reports.models import PurchaseLine, PurchaseUpload
from reports.selectors.uploads import line_list, rejected_row_list, upload_get, upload_list
from reports.services.upload_recovery import upload_retry
from reports.services.uploads import upload_create, upload_delete, upload_reprocess
from reports.upload_exports import rejected_rows_xlsx


class RejectedRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(source="row_number")
    column = serializers.CharField()
    reason = serializers.CharField()


class UploadWarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class PurchaseUploadSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    practice: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    filename = serializers.CharField(source="original_filename", read_only=True)
    file_total = DecimalTextField()
    accepted_total = DecimalTextField()
    mapping = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = PurchaseUpload
        fields = [
            "id",
            "practice",
            "filename",
            "status",
            "progress",
            "rows_total",
            "rows_accepted",
            "rows_rejected",
            "rows_skipped",
            "file_total",
            "accepted_total",
            "error",
            "mapping",
            "warnings",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "description": "field -> the column used and how sure the mapping was",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "column": {"type": "string"},
                    "confidence": {"type": "string", "enum": list(columns.CONFIDENCES)},
                },
                "required": ["column", "confidence"],
            },
        }
    )
    def get_mapping(self, upload: PurchaseUpload) -> dict[str, dict[str, str]]:
        confidence = upload.column_confidence or {}
        return {
            name: {"column": str(header), "confidence": str(confidence.get(name, columns.EXACT))}
            for name, header in (upload.column_mapping or {}).items()
        }

    @extend_schema_field(UploadWarningSerializer(many=True))
    def get_warnings(self, upload: PurchaseUpload) -> list[dict[str, str]]:
        return [{"code": str(item["code"]), "message": str(item["message"])} for item in upload.warnings or []]


class PurchaseUploadDetailSerializer(PurchaseUploadSerializer):
    rejected = RejectedRowSerializer(source="rejected_rows", many=True, read_only=True)

    class Meta(PurchaseUploadSerializer.Meta):
        fields = [*PurchaseUploadSerializer.Meta.fields, "rejected"]
        read_only_fields = fields


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string", "nullable": True},
        "description": '{field: "header text"} (JSON text in a multipart form); null or "": not in this file',
    }
)
class ColumnMappingField(serializers.Field):
    """`{field: header text}` (JSON text in a multipart form); null or "" for "not in this file".

    The detail shape `{field: {"column": header text, ...}}` is read too, so a mapping read from an upload can be
    sent back corrected.
    """

    default_error_messages = {
        "invalid": 'Expected a JSON object {{field: "header text"}}.',
        "unknown": "Unknown field {name!r} (fields: {fields}).",
    }

    def to_internal_value(self, data: Any) -> dict[str, str | None]:
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else {}
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("invalid")
        mapping: dict[str, str | None] = {}
        for name, value in data.items():
            if name not in ingest.FIELDS:
                self.fail("unknown", name=name, fields=", ".join(ingest.FIELDS))
            if isinstance(value, dict):
                value = value.get("column")
            if value is not None and not isinstance(value, str):
                self.fail("invalid")
            mapping[name] = value
        return mapping

    def to_representation(self, value: Any) -> Any:
        return value


class UploadCreateInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, use_url=False)
    practice = serializers.SlugField()
    sheet = serializers.CharField(required=False, allow_blank=True, max_length=200)
    mapping = ColumnMappingField(required=False, help_text='JSON {field: "header text"}; null: not in this file')
    header_row = serializers.IntegerField(required=False, min_value=1, help_text="when the header is not found")


class UploadReprocessInputSerializer(serializers.Serializer):
    mapping = ColumnMappingField(required=False, help_text='{field: "header text"} over the mapping used before')
    header_row = serializers.IntegerField(required=False, min_value=1, help_text="when the header is not found")


class PurchaseLineSerializer(serializers.ModelSerializer):
    id = serializers.SerializerMethodField()
    row = serializers.IntegerField(source="row_number")
    vendor = serializers.SerializerMethodField()
    quantity = DecimalTextField("plain")
    unit_price = DecimalTextField("unit_price")
    extended_amount = DecimalTextField()
    spend = DecimalTextField()
    overcharge_cause = serializers.SerializerMethodField()
    repeat_of = serializers.SerializerMethodField()
    contract = serializers.SerializerMethodField()
    expected_unit_price = DecimalTextField("unit_price")
    list_price = DecimalTextField("unit_price")
    savings = DecimalTextField()
    overcharge = DecimalTextField()
    missed_savings = DecimalTextField()

    class Meta:
        model = PurchaseLine
        fields = [
            "id",
            "row",
            "purchase_date",
            "vendor_name",
            "vendor",
            "sku",
            "description",
            "quantity",
            "uom",
            "unit_price",
            "extended_amount",
            "spend",
            "status",
            "overcharge_cause",
            "repeat_of",
            "contract",
            "expected_unit_price",
            "list_price",
            "savings",
            "overcharge",
            "missed_savings",
            "invoice_number",
            "po_number",
        ]
        read_only_fields = fields

    def get_id(self, line: PurchaseLine) -> str:
        return line_reference(line)

    def get_repeat_of(self, line: PurchaseLine) -> str | None:
        return line_reference(line.repeat_of) if line.repeat_of_id is not None and line.repeat_of else None

    def get_vendor(self, line: PurchaseLine) -> str | None:
        return line.vendor.slug if line.vendor_id is not None and line.vendor is not None else None

    def get_overcharge_cause(self, line: PurchaseLine) -> str | None:
        return line.overcharge_cause or None

    def get_contract(self, line: PurchaseLine) -> str | None:
        return line.contract.number if line.contract_id is not None and line.contract is not None else None


def line_reference(line: PurchaseLine) -> str:
    """How a line is named outside the server: its upload's public id and its row, e.g. "6f1c…:12".

    Lines have no random id of their own (a UUID column would slow the line store's COPY of a million lines); the
    upload's public id makes the reference as hard to guess, and the row is what the user sees in the file.
    """
    return f"{line.upload.public_id}:{line.row_number}"


def _date_param(request: Request, name: str) -> date | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError({name: [f"Expected a date YYYY-MM-DD, got {value!r}."]}) from exc


class UploadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    PracticeScopedViewSet,
):
    """Purchase uploads of the caller's practices: list, upload, read with rejected rows, lines, reprocess, delete."""

    selector = staticmethod(upload_list)
    serializer_class = PurchaseUploadSerializer
    # Addressed by the random public id (SECURITY.md item 16); an integer or malformed id answers 404.
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    # DESIGN §3: reading uploads and lines is a figures right; changing them and the rejected rows an uploads right.
    action_rights = {
        "create": Right.UPLOADS,
        "destroy": Right.UPLOADS,
        "rejected_rows": Right.UPLOADS,
        "retry": Right.UPLOADS,
        "reprocess": Right.UPLOADS,
    }
    # Answers beyond the common errors (gpo/schema.py), documented per action.
    schema_error_codes = {
        "create": {"409": "This practice already uploaded this file (same SHA-256): `upload_id` is that upload."},
        "reprocess": {"409": "The upload is still being processed, or its file was uploaded again since."},
        "retry": {"409": "Only a failed upload is processed again; or its file was uploaded again since."},
    }

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "create":
            return UploadCreateInputSerializer
        if self.action == "reprocess":
            return UploadReprocessInputSerializer
        if self.action == "lines":
            return PurchaseLineSerializer
        if self.action == "list":
            return PurchaseUploadSerializer
        return PurchaseUploadDetailSerializer

    @extend_schema(responses={201: PurchaseUploadDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = UploadCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        practice = practice_get(user=request.user, slug=data.validated_data["practice"])
        right_require(request.user, practice, Right.UPLOADS)
        upload = upload_create(
            practice=practice,
            user=request.user,
            file=data.validated_data["file"],
            sheet=data.validated_data.get("sheet") or None,
            mapping=data.validated_data.get("mapping"),
            header_row=data.validated_data.get("header_row"),
        )
        upload = upload_get(user=request.user, public_id=upload.public_id)
        return Response(PurchaseUploadDetailSerializer(upload).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = self.get_object()
        data = PurchaseUploadDetailSerializer(upload).data
        if not has_right(request.user, upload.practice, Right.UPLOADS):
            data["rejected"] = None  # DESIGN §3: rejected rows are for the finance lead and coalition admins
        return Response(data)

    @extend_schema(request=UploadReprocessInputSerializer, responses={202: PurchaseUploadDetailSerializer})
    @action(detail=True, methods=["post"])
    def reprocess(self, request: Request, id: str | None = None) -> Response:
        """Replace the upload's lines from its kept original with a corrected mapping (done or failed uploads)."""
        data = UploadReprocessInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = upload_reprocess(
            upload=self.get_object(),
            user=request.user,
            mapping=data.validated_data.get("mapping"),
            header_row=data.validated_data.get("header_row"),
        )
        upload = upload_get(user=request.user, public_id=upload.public_id)
        return Response(PurchaseUploadDetailSerializer(upload).data, status=status.HTTP_202_ACCEPTED)

    def perform_destroy(self, instance: PurchaseUpload) -> None:
        upload_delete(upload=instance, user=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=[value for value, _ in PurchaseLine.Status.choices]),
            OpenApiParameter("vendor", OpenApiTypes.STR, description="vendor slug"),
            OpenApiParameter("category", OpenApiTypes.STR, description="category slug"),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses=PurchaseLineSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def lines(self, request: Request, id: str | None = None) -> Response:
        """The upload's lines with their reconciliation result, in file order."""
        queryset = line_list(
            upload=self.get_object(),
            status=request.query_params.get("status") or None,
            vendor=request.query_params.get("vendor") or None,
            category=request.query_params.get("category") or None,
            start=_date_param(request, "start"),
            end=_date_param(request, "end"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(PurchaseLineSerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: PurchaseUploadDetailSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, id: str | None = None) -> Response:
        """Process a failed upload again from its kept original: 202 with the upload, 409 unless it failed."""
        upload = upload_retry(upload=self.get_object(), user=request.user)
        upload = upload_get(user=request.user, public_id=upload.public_id)
        return Response(PurchaseUploadDetailSerializer(upload).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes})
    @action(detail=True, methods=["get"], url_path="rejected.xlsx")
    def rejected_rows(self, request: Request, id: str | None = None) -> HttpResponse:
        """The rejected rows as xlsx: the original cells plus row, column and reason, to fix and re-upload."""
        upload = self.get_object()
        rows = rejected_row_list(upload=upload)
        content = rejected_rows_xlsx(
            headers=_original_headers(upload),
            rows=((r.row_number, r.values, r.column, r.reason) for r in rows),
        )
        return xlsx_download(content, filename=f"upload-{upload.public_id}-rejected-rows.xlsx")


def _original_headers(upload: PurchaseUpload) -> list[str]:
    """The file's header row, read again from the stored original by the same parsing code."""
    try:
        path = upload.original_file.path
        return [
            str(h)
            for h in ingest.preview(
                path, sheet=upload.sheet_name or None, rows=0, filename=upload.original_filename
            ).headers
        ]
    except Exception:  # a missing or remote original still gets its rows, under generic titles
        return []


router = SimpleRouter()
router.register("uploads", UploadViewSet, basename="upload")

urlpatterns = router.urls
