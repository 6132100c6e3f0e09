"""Writes of the vendor review queue: map a vendor name to a vendor, or mark it non-GPO; both re-reconcile."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from reports.models import NonGpoVendorName, PurchaseLine, Restatement
from reports.services.reconciliation import lines_reconcile
from vendors.models import Vendor, VendorAlias
from vendors.normalize import normalize_vendor_name
from vendors.services import vendor_create


def _lines_named(normalized_name: str) -> list[int]:
    """Ids of lines whose vendor name normalises to this name (only unresolved or fuzzy lines can change)."""
    candidates = PurchaseLine.objects.exclude(vendor_match__in=["exact", "alias"]).values_list("id", "vendor_name")
    return [line_id for line_id, name in candidates.iterator() if normalize_vendor_name(name) == normalized_name]


@transaction.atomic
def vendor_name_map(*, name: str, vendor: Vendor, user: Any = None) -> tuple[VendorAlias, int]:
    """Map a vendor name seen in uploads to a vendor (an alias), then re-reconcile its lines; returns (alias, n)."""
    normalized = normalize_vendor_name(name)
    if not normalized:
        raise ValidationError({"name": "The vendor name is blank once normalised."})
    alias = VendorAlias.objects.filter(normalized_name=normalized).first() or VendorAlias(normalized_name=normalized)
    alias.vendor = vendor
    alias.name = name.strip()[:200]
    alias.full_clean()
    alias.save()
    NonGpoVendorName.objects.filter(normalized_name=normalized).delete()
    updated = lines_reconcile(
        queryset=PurchaseLine.objects.filter(id__in=_lines_named(normalized)), cause=Restatement.Cause.VENDOR_REVIEW
    )
    return alias, updated


@transaction.atomic
def vendor_name_mark_non_gpo(*, name: str, user: Any = None) -> tuple[NonGpoVendorName, int]:
    """Mark a vendor name as not a coalition vendor (never fuzzy-matched again), then re-reconcile its lines."""
    normalized = normalize_vendor_name(name)
    if not normalized:
        raise ValidationError({"name": "The vendor name is blank once normalised."})
    if (
        VendorAlias.objects.filter(normalized_name=normalized).exists()
        or Vendor.objects.filter(normalized_name=normalized).exists()
    ):
        raise ValidationError({"name": "This name is a vendor's name or alias."})
    marked = NonGpoVendorName.objects.filter(normalized_name=normalized).first() or NonGpoVendorName(
        normalized_name=normalized, marked_by=user if getattr(user, "is_authenticated", False) else None
    )
    marked.full_clean()
    marked.save()
    updated = lines_reconcile(
        queryset=PurchaseLine.objects.filter(id__in=_lines_named(normalized)), cause=Restatement.Cause.VENDOR_REVIEW
    )
    return marked, updated


@transaction.atomic
def vendor_names_map(*, names: list[str], vendor: Vendor, user: Any = None) -> int:
    """Map several vendor names to one vendor at once (bulk review); all or none. Returns the lines reconciled."""
    if not names:
        raise ValidationError({"names": "Tick at least one vendor name."})
    return sum(vendor_name_map(name=name, vendor=vendor, user=user)[1] for name in names)


@transaction.atomic
def vendor_create_from_name(*, name: str, vendor_name: str = "", user: Any = None) -> tuple[Vendor, int]:
    """Create a vendor for a name seen in uploads (named `vendor_name`, else the name) and map the name to it."""
    vendor = vendor_create(name=(vendor_name or name).strip())
    if normalize_vendor_name(name) == vendor.normalized_name:
        # The vendor's own name matches it: no alias needed, only its lines reconciled again.
        NonGpoVendorName.objects.filter(normalized_name=vendor.normalized_name).delete()
        updated = lines_reconcile(queryset=PurchaseLine.objects.filter(id__in=_lines_named(vendor.normalized_name)))
        return vendor, updated
    return vendor, vendor_name_map(name=name, vendor=vendor, user=user)[1]


@transaction.atomic
def vendor_names_mark_non_gpo(*, names: list[str], user: Any = None) -> int:
    """Mark several vendor names non-GPO at once (bulk review); all or none. Returns the lines reconciled."""
    if not names:
        raise ValidationError({"names": "Tick at least one vendor name."})
    return sum(vendor_name_mark_non_gpo(name=name, user=user)[1] for name in names)
