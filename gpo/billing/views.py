"""Billing pages: member dues through Stripe."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def billing_home(request: HttpRequest) -> HttpResponse:
    """Dues and membership status of the current practice."""
    return render(request, "billing/home.html")
