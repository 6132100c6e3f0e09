"""`/api/contracts/`: contracts (the list without items); one contract with every item and the prices the caller's
practice would pay (DESIGN.md section 7)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from contracts import selectors, services
from contracts.filters import ContractFilterSet
from contracts.models import Contract, ContractItem
from gpo.api import CatalogViewSet, DecimalTextField
from gpo.billing import selectors as billing_selectors
from gpo.cache import cached_by_version
from gpo.members import scoping
from gpo.members.models import Practice
from gpo.money import cents, plain_decimal_str, unit_price_str
from vendors import selectors as vendor_selectors
from vendors.api import IsCoalitionAdminForWrites
from vendors.models import Vendor


class ContractItemSerializer(serializers.ModelSerializer):
    """An item with the price the practice pays today, list price, discount % and volume breaks."""

    list_price = DecimalTextField("unit_price")
    price = serializers.SerializerMethodField()
    tier = serializers.SerializerMethodField()
    price_effective_from = serializers.SerializerMethodField()
    price_effective_to = serializers.SerializerMethodField()
    discount_pct = serializers.SerializerMethodField()
    volume_breaks = serializers.SerializerMethodField()

    class Meta:
        model = ContractItem
        fields = [
            "id",
            "vendor_sku",
            "manufacturer",
            "mfr_part_number",
            "description",
            "uom",
            "units_per_uom",
            "list_price",
            "price",
            "tier",
            "price_effective_from",
            "price_effective_to",
            "discount_pct",
            "volume_breaks",
        ]

    def _price(self, item: ContractItem) -> selectors.ItemPrice:
        prices: dict[int, selectors.ItemPrice] = self.context["prices"]
        return prices.get(item.id) or selectors.ItemPrice(item_id=item.id, price=None)

    def get_price(self, item: ContractItem) -> str | None:
        return unit_price_str(self._price(item).price)

    def get_tier(self, item: ContractItem) -> str | None:
        found = self._price(item)
        return found.tier if found.price is not None else None

    def get_price_effective_from(self, item: ContractItem) -> str | None:
        found = self._price(item).effective_from
        return found.isoformat() if found else None

    def get_price_effective_to(self, item: ContractItem) -> str | None:
        found = self._price(item).effective_to
        return found.isoformat() if found else None

    def get_discount_pct(self, item: ContractItem) -> str | None:
        discount = self._price(item).discount_pct(item.list_price)
        return None if discount is None else f"{cents(discount):.2f}"

    def get_volume_breaks(self, item: ContractItem) -> list[dict[str, Any]]:
        return [
            {"min_qty": plain_decimal_str(row.min_qty), "price": unit_price_str(row.price)}
            for row in self._price(item).volume_breaks
        ]


class ContractListSerializer(serializers.ModelSerializer):
    """A contract, its terms, how many items it lists and whether the caller's practice participates (no items)."""

    vendor: serializers.SlugRelatedField[Vendor] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    vendor_name = serializers.CharField(source="vendor.name", read_only=True)
    admin_fee_pct = DecimalTextField("plain")
    discount_pct = serializers.SerializerMethodField()
    in_force = serializers.SerializerMethodField()
    practice = serializers.SerializerMethodField()
    participating = serializers.SerializerMethodField()
    joined_on = serializers.SerializerMethodField()
    participation_tier = serializers.SerializerMethodField()
    prices_notice = serializers.SerializerMethodField()
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "title",
            "vendor",
            "vendor_name",
            "description",
            "start_date",
            "end_date",
            "status",
            "in_force",
            "admin_fee_pct",
            "discount_pct",
            "renewal_notice_days",
            "open_to_all_members",
            "terms",
            "practice",
            "participating",
            "joined_on",
            "participation_tier",
            "prices_notice",
            "item_count",
        ]

    def get_discount_pct(self, contract: Contract) -> str | None:
        if self.context.get("prices_notice"):
            return None  # a percent-off contract's discount is its price: hidden from a lapsed practice too
        return plain_decimal_str(contract.discount_pct)

    def get_prices_notice(self, contract: Contract) -> str | None:
        """Why every price is null: the practice's dues have lapsed (null when prices are shown)."""
        notice: str | None = self.context.get("prices_notice")
        return notice

    def get_in_force(self, contract: Contract) -> bool:
        return selectors.contract_in_force(contract, self.context["on"])

    def get_practice(self, contract: Contract) -> str | None:
        practice = self.context["practice"]
        return practice.slug if practice is not None else None

    def _participation(self, contract: Contract) -> Any:
        return self.context["participations"].get(contract.id)

    def get_participating(self, contract: Contract) -> bool:
        participation = self._participation(contract)
        return participation is not None and participation.joined_on <= self.context["on"]

    def get_joined_on(self, contract: Contract) -> str | None:
        participation = self._participation(contract)
        return participation.joined_on.isoformat() if participation is not None else None

    def get_participation_tier(self, contract: Contract) -> str | None:
        participation = self._participation(contract)
        return participation.tier if participation is not None else None


class ContractSerializer(ContractListSerializer):
    """A contract as the list shows it, plus its items with the prices the caller's practice pays."""

    items = ContractItemSerializer(many=True, read_only=True)

    class Meta(ContractListSerializer.Meta):
        fields = [*ContractListSerializer.Meta.fields, "items"]


class ContractCreateInputSerializer(serializers.Serializer):
    """Input of `POST /api/contracts/` (coalition admins)."""

    vendor = serializers.SlugRelatedField(slug_field="slug", queryset=Vendor.objects.all())
    number = serializers.CharField(max_length=64)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    status = serializers.ChoiceField(choices=Contract.Status.choices, required=False)
    admin_fee_pct = serializers.DecimalField(max_digits=7, decimal_places=4, required=False)
    discount_pct = serializers.DecimalField(max_digits=7, decimal_places=4, required=False, allow_null=True)
    renewal_notice_days = serializers.IntegerField(min_value=0, required=False)
    open_to_all_members = serializers.BooleanField(required=False)
    terms = serializers.CharField(required=False, allow_blank=True)


class ContractUpdateInputSerializer(ContractCreateInputSerializer):
    """Input of `PATCH /api/contracts/{id}/`: any subset of the create fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


PRACTICE_PARAMETER = OpenApiParameter(
    "practice", str, description="Slug of a practice you may see (default: your practice; staff: none)"
)


class ContractViewSet(CatalogViewSet):
    """Contracts (the list without items); one contract with its items and the prices the caller's practice would pay
    today; coalition admins create and edit."""

    serializer_class = ContractSerializer
    permission_classes = [IsCoalitionAdminForWrites]
    filterset_class = ContractFilterSet

    def get_queryset(self) -> Any:
        if self.action == "list":
            return selectors.contract_list(user=self.request.user)
        return selectors.contract_detail_list(user=self.request.user)

    def _practice(self) -> Practice | None:
        slug = self.request.query_params.get("practice")
        if slug:
            return scoping.practice_get(user=self.request.user, slug=slug)
        if scoping.is_coalition_staff(self.request.user):
            return None
        return scoping.current_practice(self.request)

    def _context(self, contracts: list[Contract], *, with_items: bool = True) -> dict[str, Any]:
        on = timezone.localdate()
        practice = self._practice()
        items = [item for contract in contracts for item in contract.items.all()] if with_items else []
        # A lapsed practice gets the same shapes with every price null, and a notice saying why (gpo.billing).
        withheld = billing_selectors.prices_withheld(practice=practice)
        return {
            **self.get_serializer_context(),
            "on": on,
            "practice": practice,
            "prices": {}
            if withheld or not items
            else selectors.item_prices_for_practice(items=items, practice=practice, on=on),
            "prices_notice": billing_selectors.prices_withheld_message(practice=practice) if withheld else None,
            "participations": selectors.participations_for_practice(
                practice=practice, contract_ids=[contract.id for contract in contracts]
            ),
        }

    @extend_schema(parameters=[PRACTICE_PARAMETER], responses=ContractListSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The same page for every caller with the same practice, rights and query: cached under the catalog's
        # version (every contract, item, price and participation write replaces it) and the day (joins take effect).
        practice = self._practice()  # another practice: 404 before anything is read from the cache
        parameters = (
            practice.pk if practice else None,
            scoping.is_coalition_staff(request.user),
            billing_selectors.prices_withheld(practice=practice),
            request.get_host(),  # the page links are absolute
            sorted(request.query_params.lists()),
            timezone.localdate(),
        )
        body = cached_by_version("contracts-list", vendor_selectors.catalog_version(), parameters, self._list_body)
        return Response(body)

    def _list_body(self) -> Any:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        contracts = list(page if page is not None else self.filter_queryset(self.get_queryset()))
        data = ContractListSerializer(contracts, many=True, context=self._context(contracts, with_items=False)).data
        return (self.get_paginated_response(data) if page is not None else Response(data)).data

    @extend_schema(parameters=[PRACTICE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contract = self.get_object()
        return Response(ContractSerializer(contract, context=self._context([contract])).data)

    @extend_schema(request=ContractCreateInputSerializer, responses={201: ContractSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ContractCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = services.contract_create(user=request.user, source="api", **serializer.validated_data)
        contract = selectors.contract_detail_list(user=request.user).get(pk=contract.pk)
        body = ContractSerializer(contract, context=self._context([contract])).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=ContractUpdateInputSerializer, responses=ContractSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contract = self.get_object()
        serializer = ContractUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.contract_update(contract=contract, user=request.user, source="api", **serializer.validated_data)
        contract = selectors.contract_detail_list(user=request.user).get(pk=contract.pk)
        return Response(ContractSerializer(contract, context=self._context([contract])).data)

    def get_object(self) -> Contract:
        try:
            return super().get_object()
        except (ValueError, TypeError):
            raise Http404 from None
