"""Pages: coalition economics for coalition staff (`/coalition/tiers/`, `/coalition/commitments/`)."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone

from gpo.members.rights import Right, right_require
from reports.selectors.commitments import commitment_list
from reports.selectors.tiers import tier_simulation_get, tiered_contract_list


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


urlpatterns: list[URLPattern | URLResolver] = [
    path("coalition/tiers/", tier_simulator, name="coalition-tiers"),
    path("coalition/commitments/", commitments, name="coalition-commitments"),
]
