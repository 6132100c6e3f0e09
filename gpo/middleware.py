"""Pages answer errors with the house's styled pages in every mode, never with Django's debug pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults


def _is_page(request: HttpRequest) -> bool:
    """A human's page, not the JSON API or a static file."""
    prefixes = ("/api/", settings.STATIC_URL or "/static/", settings.MEDIA_URL or "/media/")
    return not request.path.startswith(tuple(p for p in prefixes if p))


class StyledNotFoundMiddleware:
    """With DEBUG on, Django answers 404 with its technical page (every URL pattern listed); pages get the styled
    404.html instead, as they do with DEBUG off (django.views.defaults.page_not_found renders it then)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and _is_page(request)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return defaults.page_not_found(request, Http404())
        return response
