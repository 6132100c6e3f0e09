"""REST API: month closes and their restatements (`/api/month-closes/`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from gpo.api import PracticeScopedViewSet
from gpo.members.rights import Right
from gpo.members.scoping import practice_get
from gpo.money import money_str
from reports.models import MonthClose, Restatement
from reports.periods import month_bounds
from reports.selectors.month_closes import FIGURE_NAMES, month_close_list
from reports.services.month_closes import month_close_create, month_close_reopen, published_figures


class MonthInputField(serializers.CharField):
    """A month written "YYYY-MM"."""

    def to_internal_value(self, data: Any) -> Any:
        text = super().to_internal_value(data)
        try:
            return month_bounds(text)[0]
        except ValueError as exc:
            raise serializers.ValidationError(f"Expected a month YYYY-MM, got {text!r}.") from exc


class MonthCloseCreateInputSerializer(serializers.Serializer):
    """`POST /api/month-closes/`: the practice (slug) and the month to close."""

    practice = serializers.SlugField()
    month = MonthInputField()


class MonthCloseReopenInputSerializer(serializers.Serializer):
    """`POST /api/month-closes/{id}/reopen/`: why the month is reopened."""

    reason = serializers.CharField(max_length=2000)


class RestatementSerializer(serializers.ModelSerializer):
    """One restatement: when, why, and the delta of each figure (money as strings, signed)."""

    cause_label = serializers.CharField(source="get_cause_display", read_only=True)
    spend = serializers.CharField(source="spend_delta")
    on_contract_spend = serializers.CharField(source="on_contract_spend_delta")
    savings = serializers.CharField(source="savings_delta")
    overcharge = serializers.CharField(source="overcharge_delta")
    missed_savings = serializers.CharField(source="missed_savings_delta")
    lines = serializers.IntegerField(source="line_count_delta")

    class Meta:
        model = Restatement
        fields = ["recorded_at", "cause", "cause_label", *FIGURE_NAMES, "lines"]
        read_only_fields = fields


class MonthCloseSerializer(serializers.ModelSerializer):
    """A close: the figures as closed, as published now (closed + restatements), and its restatements."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    practice: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    month = serializers.DateField(format="%Y-%m", read_only=True)
    status = serializers.SerializerMethodField()
    closed_by = serializers.CharField(source="closed_by.username", default=None, read_only=True)
    reopened_by = serializers.CharField(source="reopened_by.username", default=None, read_only=True)
    lines = serializers.IntegerField(source="line_count", read_only=True)
    published = serializers.SerializerMethodField()
    restatements = RestatementSerializer(many=True, read_only=True)

    class Meta:
        model = MonthClose
        fields = [
            "id",
            "practice",
            "month",
            "status",
            "closed_at",
            "closed_by",
            *FIGURE_NAMES,
            "lines",
            "published",
            "restatements",
            "reopened_at",
            "reopened_by",
            "reopen_reason",
        ]
        read_only_fields = fields

    def get_status(self, close: MonthClose) -> str:
        return "closed" if close.is_closed else "reopened"

    def get_published(self, close: MonthClose) -> dict[str, Any]:
        figures = published_figures(close)
        return {**{name: money_str(figures[name]) for name in FIGURE_NAMES}, "lines": int(figures["line_count"])}


class MonthCloseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, PracticeScopedViewSet
):
    """Closed months of the caller's practices (`?practice=&month=&status=closed|reopened`): list, close, reopen."""

    selector = staticmethod(month_close_list)
    serializer_class = MonthCloseSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    action_rights = {"create": Right.MONTH_CLOSE, "reopen": Right.MONTH_REOPEN}

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if params.get("practice"):
            queryset = queryset.filter(practice__slug=params["practice"])
        if params.get("month"):
            try:
                month = MonthInputField().run_validation(params["month"])
            except serializers.ValidationError as exc:  # named after its parameter, as every 400 of the API is
                raise serializers.ValidationError({"month": exc.detail}) from None
            queryset = queryset.filter(month=month)
        if params.get("status") in {"closed", "reopened"}:
            queryset = queryset.filter(reopened_at__isnull=params["status"] == "closed")
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("practice", OpenApiTypes.STR, description="Practice slug."),
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=["closed", "reopened"]),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=MonthCloseCreateInputSerializer, responses={201: MonthCloseSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = MonthCloseCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        practice = practice_get(user=request.user, slug=data.validated_data["practice"])
        close = month_close_create(practice=practice, month=data.validated_data["month"], user=request.user)
        close = month_close_list(user=request.user).get(pk=close.pk)
        return Response(MonthCloseSerializer(close).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MonthCloseReopenInputSerializer, responses={200: MonthCloseSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, id: str | None = None) -> Response:
        """Reopen a closed month with a reason (coalition admins): 409 when it is not closed."""
        # The object first: another practice's month answers 404 whatever the body holds (SECURITY.md item 14).
        month_close = self.get_object()
        data = MonthCloseReopenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        close = month_close_reopen(month_close=month_close, user=request.user, reason=data.validated_data["reason"])
        close = month_close_list(user=request.user).get(pk=close.pk)
        return Response(MonthCloseSerializer(close).data)


router = SimpleRouter()
router.register("month-closes", MonthCloseViewSet, basename="month-close")

urlpatterns = router.urls
