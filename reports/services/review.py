"""Writes of the vendor review queue: map a vendor name to a vendor, or mark it non-GPO; both re-reconcile."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from reports.models import NonGpoVendorName, PurchaseLine, Restatement
from reports.services.reconciliation import lines_reconcile
from vendors.models import Vendor, VendorAlias
from vendors.normalize import normalize_vendor_name


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
