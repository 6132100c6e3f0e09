"""Billing pages: member dues through Stripe."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gpo.members import scoping
from gpo.members.rights import Right, right_require


@login_required
def billing_home(request: HttpRequest) -> HttpResponse:
    """Dues and membership status of the current practice (DESIGN §3: executives and coalition staff)."""
    right_require(request.user, scoping.current_practice(request), Right.BILLING_VIEW)
    return render(request, "billing/home.html")
