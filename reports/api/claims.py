"""REST API: overcharge claims (`/api/claims/`): what is left to claim, file a claim, track it, its workbook."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from gpo.api import DecimalTextField, PracticeScopedViewSet
from gpo.members.rights import Right, right_require
from gpo.members.scoping import practice_get
from gpo.money import money_str
from gpo.xlsx import XLSX_CONTENT_TYPE, xlsx_download
from reports.claim_workbook import claim_workbook
from reports.models import ClaimEvent, ClaimLine, OverchargeClaim
from reports.selectors.claims import claim_candidates, claim_document, claim_get, claim_list
from reports.services.claims import claim_create, claim_status_update
from vendors.models import Vendor


class ClaimLineSerializer(serializers.ModelSerializer):
    """A claimed line as the vendor sees it."""

    quantity = DecimalTextField("plain")
    unit_price = DecimalTextField("unit_price")
    contract_price = DecimalTextField("unit_price")
    overcharge = DecimalTextField()
    upload = serializers.UUIDField(source="upload_public_id")
    row = serializers.IntegerField(source="row_number")

    class Meta:
        model = ClaimLine
        fields = [
            "upload",
            "row",
            "contract_number",
            "invoice_number",
            "po_number",
            "purchase_date",
            "sku",
            "description",
            "quantity",
            "uom",
            "unit_price",
            "contract_price",
            "overcharge",
        ]
        read_only_fields = fields


class ClaimEventSerializer(serializers.ModelSerializer):
    """One entry of a claim's history: who, when, which status, how much recovered, the note."""

    user = serializers.CharField(source="user.get_username", default=None)
    amount_recovered = DecimalTextField()

    class Meta:
        model = ClaimEvent
        fields = ["at", "user", "status", "amount_recovered", "note"]
        read_only_fields = fields


class OverchargeClaimSerializer(serializers.ModelSerializer):
    """A claim without its lines (lists)."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    practice = serializers.CharField(source="practice.slug")
    vendor = serializers.CharField(source="vendor.slug")
    vendor_name = serializers.CharField(source="vendor.name")
    amount_claimed = DecimalTextField()
    amount_recovered = DecimalTextField()
    created_by = serializers.CharField(source="created_by.get_username", default=None)

    class Meta:
        model = OverchargeClaim
        fields = [
            "id",
            "practice",
            "vendor",
            "vendor_name",
            "status",
            "amount_claimed",
            "amount_recovered",
            "period_start",
            "period_end",
            "notes",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OverchargeClaimDetailSerializer(OverchargeClaimSerializer):
    """A claim with its lines and its history."""

    lines = ClaimLineSerializer(many=True, read_only=True)
    events = ClaimEventSerializer(many=True, read_only=True)

    class Meta(OverchargeClaimSerializer.Meta):
        fields = [*OverchargeClaimSerializer.Meta.fields, "lines", "events"]
        read_only_fields = fields


class ClaimCreateInputSerializer(serializers.Serializer):
    """`POST /api/claims/`: the practice and vendor, optionally the purchase dates to claim (both days included)."""

    practice = serializers.SlugField()
    vendor = serializers.SlugField()
    start = serializers.DateField(required=False, allow_null=True, input_formats=["iso-8601"])
    end = serializers.DateField(required=False, allow_null=True, input_formats=["iso-8601"])
    notes = serializers.CharField(required=False, allow_blank=True, max_length=4000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and start > end:
            raise serializers.ValidationError({"end": ["The end date is before the start date."]})
        return attrs


class ClaimStatusInputSerializer(serializers.Serializer):
    """`POST /api/claims/{id}/status/`: the new status, the amount recovered (partial credits), a note."""

    status = serializers.ChoiceField(choices=OverchargeClaim.Status.choices)
    amount_recovered = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


CANDIDATES_RESPONSE = inline_serializer(
    "ClaimCandidate",
    {
        "vendor": serializers.CharField(),
        "vendor_name": serializers.CharField(),
        "lines": serializers.IntegerField(),
        "amount": serializers.CharField(),
        "first_date": serializers.DateField(),
        "last_date": serializers.DateField(),
    },
    many=True,
)


class ClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PracticeScopedViewSet):
    """Overcharge claims of the caller's practices: list, file one per vendor, read, update status, workbook."""

    selector = staticmethod(claim_list)
    serializer_class = OverchargeClaimSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    # DESIGN §3: reading claims is a figures right; filing and updating them the claims right (finance, admin).
    action_rights = {"create": Right.CLAIMS, "status": Right.CLAIMS}

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "list":
            return OverchargeClaimSerializer
        if self.action == "create":
            return ClaimCreateInputSerializer
        if self.action == "status":
            return ClaimStatusInputSerializer
        return OverchargeClaimDetailSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("practice", OpenApiTypes.STR, description="Practice slug."),
            OpenApiParameter("status", OpenApiTypes.STR, description="open, sent, credited, partly_credited, denied"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def filter_queryset(self, queryset: Any) -> Any:
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            if practice := self.request.query_params.get("practice"):
                queryset = queryset.filter(practice__slug=practice)
            if wanted := self.request.query_params.get("status"):
                queryset = queryset.filter(status=wanted)
        return queryset

    @extend_schema(request=ClaimCreateInputSerializer, responses={201: OverchargeClaimDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Who may file for this practice is asked before the rest of the input is read (404, then 403, then 400).
        if named := str(request.data.get("practice") or ""):
            right_require(request.user, practice_get(user=request.user, slug=named), Right.CLAIMS)
        data = ClaimCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        practice = practice_get(user=request.user, slug=data.validated_data["practice"])
        right_require(request.user, practice, Right.CLAIMS)
        vendor = Vendor.objects.filter(slug=data.validated_data["vendor"]).first()
        if vendor is None:
            raise serializers.ValidationError({"vendor": ["No vendor with this slug."]})
        claim = claim_create(
            practice=practice,
            vendor=vendor,
            user=request.user,
            start=data.validated_data.get("start"),
            end=data.validated_data.get("end"),
            notes=data.validated_data.get("notes", ""),
        )
        claim = claim_get(user=request.user, public_id=claim.public_id)
        return Response(OverchargeClaimDetailSerializer(claim).data, status=http_status.HTTP_201_CREATED)

    @extend_schema(request=ClaimStatusInputSerializer, responses={200: OverchargeClaimDetailSerializer})
    @action(detail=True, methods=["post"])
    def status(self, request: Request, id: str | None = None) -> Response:
        """Record that the claim was sent, or the vendor's answer, with the amount recovered and a note."""
        claim = self.get_object()
        data = ClaimStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim_status_update(
            claim=claim,
            user=request.user,
            status=data.validated_data["status"],
            amount_recovered=data.validated_data.get("amount_recovered"),
            note=data.validated_data.get("note", ""),
        )
        return Response(OverchargeClaimDetailSerializer(claim_get(user=request.user, public_id=claim.public_id)).data)

    @extend_schema(responses={(200, XLSX_CONTENT_TYPE): bytes})
    @action(detail=True, methods=["get"], url_path="workbook.xlsx")
    def workbook(self, request: Request, id: str | None = None) -> HttpResponse:
        """The credit-claim workbook for the vendor: a cover sheet and the claimed lines."""
        claim = self.get_object()
        content = claim_workbook(claim_document(claim, today=timezone.localdate()))
        return xlsx_download(content, filename=f"credit-claim-{claim.vendor.slug}-{claim.period_end}")

    @extend_schema(
        parameters=[OpenApiParameter("practice", OpenApiTypes.STR, required=True, description="Practice slug.")],
        responses=CANDIDATES_RESPONSE,
    )
    @action(detail=False, methods=["get"])
    def candidates(self, request: Request) -> Response:
        """Per vendor, the practice's overcharged lines that no claim holds yet: what a new claim would hold."""
        slug = request.query_params.get("practice", "")
        if not slug:
            raise serializers.ValidationError({"practice": ["Name the practice (its slug)."]})
        practice = practice_get(user=request.user, slug=slug)
        right_require(request.user, practice, Right.FIGURES)
        rows = claim_candidates(practice=practice)
        return Response(
            [
                {
                    "vendor": c.vendor.slug,
                    "vendor_name": c.vendor.name,
                    "lines": c.lines,
                    "amount": money_str(c.amount),
                    "first_date": c.first_date,
                    "last_date": c.last_date,
                }
                for c in rows
            ]
        )


router = SimpleRouter()
router.register("claims", ClaimViewSet, basename="claim")

urlpatterns = router.urls
