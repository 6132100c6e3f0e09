"""`/api/vendors/`: vendors with a coalition deal; coalition admins create and edit (DESIGN.md section 7)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from gpo.api import CatalogViewSet
from gpo.members.rights import Right, has_right
from vendors import selectors, services
from vendors.filters import VendorFilterSet
from vendors.models import Category, Vendor

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class IsCoalitionAdminForWrites(permissions.BasePermission):
    """Everyone signed in reads the catalog; only coalition admins change it."""

    message = "Only coalition admins may change the catalog."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method not in WRITE_METHODS or has_right(request.user, None, Right.CATALOG_WRITE)


class CategorySerializer(serializers.ModelSerializer):
    """A category with its "Parent > Child" path."""

    path = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["slug", "name", "path", "unspsc_code"]

    def get_path(self, category: Category) -> str:
        return selectors.category_path(category)


class VendorSerializer(serializers.ModelSerializer):
    """A vendor, its other spellings and how many contracts it has."""

    category = CategorySerializer(read_only=True, allow_null=True)
    aliases = serializers.SerializerMethodField()
    contract_count = serializers.SerializerMethodField()

    class Meta:
        model = Vendor
        fields = [
            "id",
            "slug",
            "name",
            "category",
            "website",
            "description",
            "contact_name",
            "contact_email",
            "contact_phone",
            "aliases",
            "contract_count",
        ]

    def get_aliases(self, vendor: Vendor) -> list[str]:
        return [alias.name for alias in vendor.aliases.all()]

    def get_contract_count(self, vendor: Vendor) -> int:
        count = getattr(vendor, "contract_count", None)
        return count if count is not None else vendor.contracts.exclude(status="draft").count()


class VendorCreateInputSerializer(serializers.Serializer):
    """Input of `POST /api/vendors/` (coalition admins)."""

    name = serializers.CharField(max_length=200)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )
    description = serializers.CharField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False)


class VendorUpdateInputSerializer(VendorCreateInputSerializer):
    """Input of `PATCH /api/vendors/{id}/`: any subset; `aliases` are added to the existing ones."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class VendorViewSet(CatalogViewSet):
    """Vendors visible to the caller (`?search=&category=`); coalition admins create and edit."""

    serializer_class = VendorSerializer
    permission_classes = [IsCoalitionAdminForWrites]
    filterset_class = VendorFilterSet

    def get_queryset(self) -> Any:
        return selectors.vendor_list(user=self.request.user)

    def _read(self, vendor: Vendor) -> dict[str, Any]:
        return VendorSerializer(selectors.vendor_list(user=self.request.user).get(pk=vendor.pk)).data

    @extend_schema(request=VendorCreateInputSerializer, responses={201: VendorSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = VendorCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        aliases = data.pop("aliases", [])
        with transaction.atomic():
            vendor = services.vendor_create(**data)
            for alias in aliases:
                services.vendor_alias_add(vendor=vendor, name=alias)
        return Response(self._read(vendor), status=status.HTTP_201_CREATED)

    @extend_schema(request=VendorUpdateInputSerializer, responses=VendorSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        vendor = self.get_object()
        serializer = VendorUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        aliases = data.pop("aliases", [])
        with transaction.atomic():
            services.vendor_update(vendor=vendor, **data)
            for alias in aliases:
                services.vendor_alias_add(vendor=vendor, name=alias)
        return Response(self._read(vendor))
