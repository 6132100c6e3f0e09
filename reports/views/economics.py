"""Pages: coalition economics for coalition staff (`/coalition/tiers/`, `/coalition/commitments/`,
`/coalition/admin-fees/`)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone

from gpo.errors import ApplicationError
from gpo.members.rights import Right, has_right, right_require
from reports.admin_fees import quarter_label, quarter_of
from reports.selectors.admin_fees import admin_fee_audit, admin_fee_report_list
from reports.selectors.commitments import commitment_list
from reports.selectors.tiers import tier_simulation_get, tiered_contract_list
from reports.services.admin_fees import admin_fee_report_create
from vendors.models import Vendor


@login_required
def tier_simulator(request: HttpRequest) -> HttpResponse:
    """Tiered contracts; for the chosen one, where the members stand, the gap, its value and who could close it."""
    right_require(request.user, None, Right.COALITION_FIGURES)
    contracts = tiered_contract_list()
    chosen = request.GET.get("contract") or (contracts[0].number if contracts else "")
    simulation, error = None, ""
    if chosen:
        try:
            as_of = datetime.date.fromisoformat(request.GET["as_of"]) if request.GET.get("as_of") else None
            simulation = tier_simulation_get(user=request.user, contract=chosen, as_of=as_of or timezone.localdate())
        except (ValidationError, ValueError) as problem:
            error = "; ".join(getattr(problem, "messages", [str(problem)]))
    return render(
        request,
        "reports/economics/tiers.html",
        {"contracts": contracts, "chosen": chosen, "simulation": simulation, "error": error},
    )


@login_required
def commitments(request: HttpRequest) -> HttpResponse:
    """Contracts with a committed volume or spend: run rate, projection, shortfall and warnings, at risk first."""
    rows = commitment_list(user=request.user, as_of=timezone.localdate())
    return render(request, "reports/economics/commitments.html", {"commitments": rows})


@login_required
def admin_fees(request: HttpRequest) -> HttpResponse:
    """Import a vendor's admin-fee report (admins); the audit per vendor, contract, member and quarter."""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if not isinstance(upload, UploadedFile):
            messages.error(request, "Choose the report file.")
            return redirect("coalition-admin-fees")
        try:
            report = admin_fee_report_create(file=upload, user=request.user, vendor=request.POST.get("vendor") or None)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"{report.original_filename}: {report.rows_accepted} rows kept, {report.rows_rejected} not kept, "
                f"{report.rows_skipped} blank or total rows skipped.",
            )
        return redirect("coalition-admin-fees")
    reports = list(admin_fee_report_list(user=request.user)[:20])
    params = request.GET
    quarter = None
    if params.get("quarter"):
        try:
            quarter = quarter_of(params["quarter"])
        except ValueError:
            messages.error(request, 'Choose a quarter such as "2026-Q1".')
    rows = admin_fee_audit(
        user=request.user,
        vendor=params.get("vendor") or None,
        quarter=quarter,
        contract=params.get("contract") or None,
        flagged=params.get("flagged") == "1",
    )
    return render(
        request,
        "reports/economics/admin_fees.html",
        {
            "reports": reports,
            "rows": rows,
            "flagged_count": sum(1 for row in rows if row["flags"]),
            "vendors": Vendor.objects.filter(contracts__isnull=False).distinct().order_by("name"),
            "can_import": has_right(request.user, None, Right.FEE_REPORTS),
            "filters": {key: params.get(key, "") for key in ("vendor", "quarter", "contract", "flagged")},
            "quarter": quarter_label(quarter) if quarter else "",
        },
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("coalition/admin-fees/", admin_fees, name="coalition-admin-fees"),
    path("coalition/tiers/", tier_simulator, name="coalition-tiers"),
    path("coalition/commitments/", commitments, name="coalition-commitments"),
]
