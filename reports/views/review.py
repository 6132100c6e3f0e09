"""Pages: the vendor review queue for coalition staff (`/coalition/vendor-review/`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, URLResolver, path

from gpo.members.rights import Right, right_require
from reports.selectors.review import vendor_review_list
from reports.services.review import vendor_name_map, vendor_name_mark_non_gpo
from vendors.models import Vendor


@login_required
def vendor_review(request: HttpRequest) -> HttpResponse:
    """Unresolved and fuzzy-matched vendor names with their spend; map one to a vendor or mark it non-GPO."""
    right_require(request.user, None, Right.CATALOG_WRITE)
    entries = vendor_review_list(user=request.user)
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            if request.POST.get("action") == "non_gpo":
                _, updated = vendor_name_mark_non_gpo(name=name, user=request.user)
                messages.success(request, f"“{name}” marked non-GPO; {updated} lines reconciled again.")
            else:
                vendor = get_object_or_404(Vendor, slug=request.POST.get("vendor", ""))
                _, updated = vendor_name_map(name=name, vendor=vendor, user=request.user)
                messages.success(request, f"“{name}” mapped to {vendor.name}; {updated} lines reconciled again.")
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
        return redirect("vendor-review")
    return render(
        request,
        "reports/vendor_review.html",
        {
            "entries": entries,
            "vendors": Vendor.objects.order_by("name").only("slug", "name"),
            "can_edit": True,
        },
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("coalition/vendor-review/", vendor_review, name="vendor-review"),
]
