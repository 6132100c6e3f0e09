"""Pages: the vendor review queue for coalition staff (`/coalition/vendor-review/`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path

from gpo.members.rights import Right, right_require
from reports.selectors.review import vendor_review_list
from reports.services.review import (
    vendor_create_from_name,
    vendor_name_map,
    vendor_name_mark_non_gpo,
    vendor_names_map,
    vendor_names_mark_non_gpo,
)
from vendors.models import Vendor


def _chosen_vendor(request: HttpRequest) -> Vendor:
    vendor = Vendor.objects.filter(slug=request.POST.get("vendor", "")).first()
    if vendor is None:
        raise ValidationError("Choose the vendor to map to.")
    return vendor


def _decide(request: HttpRequest) -> str:
    """Carry out the decision posted (one name or the ticked ones); the message saying what changed."""
    action = request.POST.get("action", "map")
    name = request.POST.get("name", "")
    if action == "non_gpo":
        _, updated = vendor_name_mark_non_gpo(name=name, user=request.user)
        return f"“{name}” marked non-GPO; {updated} lines reconciled again."
    if action == "bulk_non_gpo":
        names = request.POST.getlist("names")
        updated = vendor_names_mark_non_gpo(names=names, user=request.user)
        return f"{len(names)} names marked non-GPO; {updated} lines reconciled again."
    if action == "bulk_map":
        vendor = _chosen_vendor(request)
        names = request.POST.getlist("names")
        updated = vendor_names_map(names=names, vendor=vendor, user=request.user)
        return f"{len(names)} names mapped to {vendor.name}; {updated} lines reconciled again."
    if action == "create_vendor":
        created, updated = vendor_create_from_name(
            name=name, vendor_name=request.POST.get("vendor_name", ""), user=request.user
        )
        return f"Vendor {created.name} created for “{name}”; {updated} lines reconciled again."
    vendor = _chosen_vendor(request)
    _, updated = vendor_name_map(name=name, vendor=vendor, user=request.user)
    return f"“{name}” mapped to {vendor.name}; {updated} lines reconciled again."


@login_required
def vendor_review(request: HttpRequest) -> HttpResponse:
    """Unresolved and fuzzy-matched vendor names with their context; map, bulk map, mark non-GPO or create a vendor."""
    right_require(request.user, None, Right.CATALOG_WRITE)
    if request.method == "POST":
        try:
            messages.success(request, _decide(request))
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
        return redirect("vendor-review")
    return render(
        request,
        "reports/vendor_review.html",
        {
            "entries": vendor_review_list(user=request.user),
            "vendors": Vendor.objects.order_by("name").only("slug", "name"),
            "can_edit": True,
        },
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("coalition/vendor-review/", vendor_review, name="vendor-review"),
]
