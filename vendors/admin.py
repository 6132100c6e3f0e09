"""Admin for vendors, aliases and categories (coalition staff); saves go through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vendors import services
from vendors.models import Category, Vendor, VendorAlias


class CatalogVersionBumpMixin:
    """Admin saves and deletes that bypass the services still give the catalog a new version (cached fragments)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        services.catalog_version_bump()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        services.catalog_version_bump()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        services.catalog_version_bump()


@admin.register(Category)
class CategoryAdmin(CatalogVersionBumpMixin, admin.ModelAdmin):
    list_display = ["name", "parent", "slug", "unspsc_code"]
    list_filter = ["parent"]
    search_fields = ["name", "slug", "unspsc_code"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


class VendorAliasInline(admin.TabularInline):
    model = VendorAlias
    extra = 1
    fields = ["name", "normalized_name"]
    readonly_fields = ["normalized_name"]


@admin.register(Vendor)
class VendorAdmin(CatalogVersionBumpMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "category", "website"]
    list_filter = ["category"]
    search_fields = ["name", "slug", "normalized_name", "aliases__name", "description"]
    readonly_fields = ["normalized_name"]
    autocomplete_fields = ["category"]
    inlines = [VendorAliasInline]

    def save_model(self, request: HttpRequest, obj: Vendor, form: Any, change: bool) -> None:
        fields = {field: getattr(obj, field) for field in services.VENDOR_FIELDS}
        if change:
            stored = Vendor.objects.get(pk=obj.pk)
            saved = services.vendor_update(vendor=stored, **fields)
        else:
            saved = services.vendor_create(slug=obj.slug or None, **fields)
        for model_field in saved._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(saved, model_field.attname))
        obj._state.adding = False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not VendorAlias:
            super().save_formset(request, form, formset, change)
            return
        aliases = formset.save(commit=False)
        for alias in formset.deleted_objects:
            alias.delete()
        for alias in aliases:
            if alias.pk is not None:
                alias.delete()  # renamed: re-added below so the normalised name and uniqueness are re-checked
            services.vendor_alias_add(vendor=form.instance, name=alias.name)
