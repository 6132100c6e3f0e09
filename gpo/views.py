"""Pages shared by every app."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def placeholder(request: HttpRequest, *, title: str, text: str) -> HttpResponse:
    """An honest "coming soon" box for pages a later issue fills."""
    return render(request, "placeholder.html", {"title": title, "coming_soon": text})
