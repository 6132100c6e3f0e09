"""Reads of purchase uploads and their lines, scoped to the caller's practices (STYLE.md rules 2 and 5)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from gpo.members.scoping import scope_to_practices
from reports.models import PurchaseLine, PurchaseUpload, RejectedRow


def upload_list(*, user: Any, practice_id: int | None = None) -> QuerySet[PurchaseUpload]:
    """The uploads of the practices the user may see, newest first."""
    queryset = scope_to_practices(PurchaseUpload.objects.all(), user=user).select_related("practice")
    if practice_id is not None:
        queryset = queryset.filter(practice_id=practice_id)
    return queryset.order_by("-created_at", "-id")


def upload_get(*, user: Any, public_id: UUID | str) -> PurchaseUpload:
    """One upload the user may see, by its public id; another practice's, and an id that cannot be one, answer 404."""
    try:
        key = public_id if isinstance(public_id, UUID) else UUID(str(public_id))
    except ValueError:
        raise Http404("No such upload.") from None
    upload = upload_list(user=user).filter(public_id=key).first()
    if upload is None:
        raise Http404("No such upload.")
    return upload


def rejected_row_list(*, upload: PurchaseUpload) -> QuerySet[RejectedRow]:
    """The rejected rows of an upload (one upload_get gave the caller), in file order."""
    return RejectedRow.objects.filter(upload=upload).order_by("row_number", "id")


def line_list(
    *,
    upload: PurchaseUpload,
    status: str | None = None,
    vendor: str | None = None,
    category: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[PurchaseLine]:
    """The lines of an upload (one upload_get gave the caller), in file order, optionally filtered (both ends in)."""
    queryset = (
        PurchaseLine.objects.filter(upload=upload)
        .select_related("upload", "vendor", "contract", "category", "repeat_of__upload")
        .order_by("row_number", "id")
    )
    if status:
        queryset = queryset.filter(status=status)
    if vendor:
        queryset = queryset.filter(vendor__slug=vendor)
    if category:
        queryset = queryset.filter(category__slug=category)
    if start:
        queryset = queryset.filter(purchase_date__gte=start)
    if end:
        queryset = queryset.filter(purchase_date__lte=end)
    return queryset
