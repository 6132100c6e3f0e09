"""REST API: every line behind a figure, across uploads (`GET /api/lines/`, DESIGN.md section 7)."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, serializers
from rest_framework.routers import SimpleRouter

from gpo.api import PracticeScopedViewSet
from reports.api.uploads import PurchaseLineSerializer
from reports.filters import PurchaseLineFilterSet
from reports.selectors.lines import purchase_line_list


class LineSerializer(PurchaseLineSerializer):
    """An upload's line fields plus the upload it came from."""

    # The upload's random public id, as `GET /api/uploads/{id}/` names it (SECURITY.md item 16).
    upload = serializers.UUIDField(source="upload.public_id", read_only=True)

    class Meta(PurchaseLineSerializer.Meta):
        fields = [*PurchaseLineSerializer.Meta.fields, "upload"]
        read_only_fields = fields


class LineViewSet(mixins.ListModelMixin, PracticeScopedViewSet):
    """`GET /api/lines/?practice=&start=&end=&status=&vendor=&category=&contract=&month=&search=`.

    The counted lines (not repeats, not pending) of the practices whose figures the caller may read; the money of
    any filter sums exactly to the matching `/api/savings/` figure or breakdown.
    """

    selector = staticmethod(purchase_line_list)
    serializer_class = LineSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PurchaseLineFilterSet


router = SimpleRouter()
router.register("lines", LineViewSet, basename="line")

urlpatterns = router.urls
