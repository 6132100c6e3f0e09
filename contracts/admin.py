"""Admin for contracts, items, prices and participations (coalition staff).

Saves go through the services so that every change is validated, audited (CatalogChange) and re-reconciles the
affected vendors' purchase lines (contracts/changes.py). CatalogChange itself is read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from contracts import services
from contracts.catalog_import import CatalogImportError, catalog_import
from contracts.models import (
    CatalogChange,
    Contract,
    ContractDocument,
    ContractItem,
    ContractPrice,
    ContractTier,
    Participation,
)
from gpo.members.rights import Right, right_require

SOURCE = "admin"
CATALOG_WORKBOOK_MAX_BYTES = 20 * 1024 * 1024


def _copy_back(saved: Model, obj: Model) -> None:
    """Make the admin's object the saved one (the admin logs and redirects with it)."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


def _values(obj: Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: getattr(obj, field) for field in fields}


def _save_through_service(obj: Model, user: Any) -> Model:
    """Create or update a catalog object through its service; returns the saved object."""
    if isinstance(obj, Contract):
        if obj.pk is None:
            return services.contract_create(user=user, source=SOURCE, **_values(obj, services.CONTRACT_FIELDS))
        return services.contract_update(
            contract=Contract.objects.get(pk=obj.pk), user=user, source=SOURCE, **_values(obj, services.CONTRACT_FIELDS)
        )
    if isinstance(obj, ContractItem):
        if obj.pk is None:
            return services.contract_item_create(
                contract=obj.contract, user=user, source=SOURCE, **_values(obj, services.ITEM_FIELDS)
            )
        return services.contract_item_update(
            item=ContractItem.objects.get(pk=obj.pk), user=user, source=SOURCE, **_values(obj, services.ITEM_FIELDS)
        )
    if isinstance(obj, ContractPrice):
        if obj.pk is None:
            return services.contract_price_create(
                item=obj.item, user=user, source=SOURCE, **_values(obj, services.PRICE_FIELDS)
            )
        return services.contract_price_update(
            contract_price=ContractPrice.objects.get(pk=obj.pk),
            user=user,
            source=SOURCE,
            **_values(obj, services.PRICE_FIELDS),
        )
    if isinstance(obj, ContractTier):
        if obj.pk is None:
            return services.contract_tier_create(
                contract=obj.contract, user=user, source=SOURCE, **_values(obj, services.TIER_FIELDS)
            )
        return services.contract_tier_update(
            contract_tier=ContractTier.objects.get(pk=obj.pk),
            user=user,
            source=SOURCE,
            **_values(obj, services.TIER_FIELDS),
        )
    if isinstance(obj, Participation):
        if obj.pk is None:
            return services.participation_create(
                practice=obj.practice,
                contract=obj.contract,
                user=user,
                source=SOURCE,
                **_values(obj, services.PARTICIPATION_FIELDS),
            )
        return services.participation_update(
            participation=Participation.objects.get(pk=obj.pk),
            user=user,
            source=SOURCE,
            **_values(obj, services.PARTICIPATION_FIELDS),
        )
    obj.save()
    return obj


def _delete_through_service(obj: Model, user: Any) -> None:
    if isinstance(obj, Contract):
        services.contract_delete(contract=obj, user=user, source=SOURCE)
    elif isinstance(obj, ContractItem):
        services.contract_item_delete(item=obj, user=user, source=SOURCE)
    elif isinstance(obj, ContractPrice):
        services.contract_price_delete(contract_price=obj, user=user, source=SOURCE)
    elif isinstance(obj, Participation):
        services.participation_delete(participation=obj, user=user, source=SOURCE)
    elif isinstance(obj, ContractTier):
        services.contract_tier_delete(contract_tier=obj, user=user, source=SOURCE)
    else:
        obj.delete()


class ServiceValidatedForm(forms.ModelForm):
    """Runs the service's validation while the form is cleaned, so a refused change comes back as a form error."""

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        validator = VALIDATORS.get(type(self.instance))
        if validator is None or self.errors:
            return
        try:
            validator(self.instance)
        except ValidationError as error:
            self._update_errors(error)  # type: ignore[attr-defined]


VALIDATORS: dict[type[Model], Any] = {
    Contract: services.contract_validate,
    ContractItem: services.contract_item_validate,
    ContractPrice: services.contract_price_validate,
    ContractTier: services.contract_tier_validate,
}


class ServiceSavingAdmin(admin.ModelAdmin):
    """Saves and deletes the object and its inlines through the catalog services."""

    form = ServiceValidatedForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        _copy_back(_save_through_service(obj, request.user), obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        _delete_through_service(obj, request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            _delete_through_service(obj, request.user)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            _delete_through_service(obj, request.user)
        for obj in instances:
            _copy_back(_save_through_service(obj, request.user), obj)
        formset.save_m2m()


class ContractItemInline(admin.TabularInline):
    model = ContractItem
    form = ServiceValidatedForm
    extra = 0
    fields = ["vendor_sku", "manufacturer", "mfr_part_number", "description", "uom", "units_per_uom", "list_price"]
    show_change_link = True


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    fields = ["practice", "joined_on", "tier"]
    autocomplete_fields = ["practice"]


class ContractTierInline(admin.TabularInline):
    """Tier thresholds, measured as the contract's tier basis over its tier period (coalition economics)."""

    model = ContractTier
    form = ServiceValidatedForm
    extra = 0
    fields = ["tier", "threshold"]


class ContractDocumentInline(admin.TabularInline):
    model = ContractDocument
    extra = 0


class CatalogWorkbookForm(forms.Form):
    """Upload of the DESIGN §7 catalog workbook."""

    workbook = forms.FileField(
        help_text="An .xlsx with sheets Vendors, Contracts, Items, Prices, Practices, Participation."
    )
    dry_run = forms.BooleanField(required=False, help_text="Check the workbook and show what would change.")

    def clean_workbook(self) -> Any:
        workbook = self.cleaned_data["workbook"]
        if workbook.size > CATALOG_WORKBOOK_MAX_BYTES:
            raise forms.ValidationError("The workbook is larger than 20 MB.")
        return workbook


@admin.register(Contract)
class ContractAdmin(ServiceSavingAdmin):
    list_display = ["number", "title", "vendor", "status", "start_date", "end_date", "discount_pct"]
    list_filter = ["status", "vendor"]
    search_fields = ["number", "title", "vendor__name"]
    autocomplete_fields = ["vendor"]
    filter_horizontal = ["eligible_practices"]
    date_hierarchy = "end_date"
    inlines = [ContractItemInline, ContractTierInline, ParticipationInline, ContractDocumentInline]
    change_list_template = "admin/contracts/contract/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "import-catalog/",
                self.admin_site.admin_view(self.import_catalog_view),
                name="contracts_contract_import_catalog",
            )
        ]
        return custom + super().get_urls()

    def import_catalog_view(self, request: HttpRequest) -> HttpResponse:
        """Upload the catalog workbook; every problem is listed and nothing is written until it is clean."""
        right_require(request.user, None, Right.CATALOG_WRITE)
        errors: list[str] = []
        summary_lines: list[str] = []
        form = CatalogWorkbookForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            dry_run = form.cleaned_data["dry_run"]
            try:
                summary = catalog_import(file=form.cleaned_data["workbook"], user=request.user, dry_run=dry_run)
            except CatalogImportError as error:
                errors = error.errors
            else:
                if not dry_run:
                    messages.success(request, "Catalog imported. " + "; ".join(summary.lines()))
                    return HttpResponseRedirect(reverse("admin:contracts_contract_changelist"))
                summary_lines = summary.lines()
        context = {
            **self.admin_site.each_context(request),
            "title": "Import catalog workbook",
            "opts": self.model._meta,
            "form": form,
            "errors": errors,
            "summary_lines": summary_lines,
        }
        return TemplateResponse(request, "admin/contracts/contract/import_catalog.html", context)


class ContractPriceInline(admin.TabularInline):
    model = ContractPrice
    form = ServiceValidatedForm
    extra = 0
    fields = ["price", "effective_from", "effective_to", "tier", "min_qty"]


@admin.register(ContractItem)
class ContractItemAdmin(ServiceSavingAdmin):
    list_display = ["vendor_sku", "description", "contract", "uom", "units_per_uom", "list_price"]
    list_filter = ["uom", "contract__vendor"]
    search_fields = ["vendor_sku", "vendor_sku_normalized", "mfr_part_number", "description", "contract__number"]
    autocomplete_fields = ["contract", "category"]
    readonly_fields = ["vendor_sku_normalized", "mfr_part_normalized"]
    list_select_related = ["contract"]
    inlines = [ContractPriceInline]


@admin.register(ContractPrice)
class ContractPriceAdmin(ServiceSavingAdmin):
    list_display = ["item", "price", "effective_from", "effective_to", "tier", "min_qty"]
    list_filter = ["tier"]
    search_fields = ["item__vendor_sku", "item__contract__number"]
    autocomplete_fields = ["item"]
    list_select_related = ["item"]


@admin.register(Participation)
class ParticipationAdmin(ServiceSavingAdmin):
    list_display = ["practice", "contract", "joined_on", "tier"]
    list_filter = ["practice", "contract__vendor"]
    search_fields = ["practice__name", "contract__number", "contract__title"]
    autocomplete_fields = ["practice", "contract"]
    list_select_related = ["practice", "contract"]


@admin.register(CatalogChange)
class CatalogChangeAdmin(admin.ModelAdmin):
    """The append-only audit trail: readable, never added, changed or deleted here."""

    list_display = ["changed_at", "action", "object_type", "object_id", "contract_number", "source", "changed_by"]
    list_filter = ["action", "object_type", "source"]
    search_fields = ["contract_number"]
    readonly_fields = [field.name for field in CatalogChange._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
