"""Error answers of every route (handler400/403/404/500): JSON under /api/, the site's error pages elsewhere.

Whatever went wrong, the answer names no file, query, class or traceback: a 500 says only that the request failed,
and a 404 never repeats the lookup that missed (Django's own messages name the model). DRF views answer their own
errors through gpo.api.exception_handler; these handlers catch the rest (unknown addresses, page views).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist, loader
from django.utils.html import escape

API_PREFIX = "/api/"

_MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    500: "The server could not answer this request. Nothing was changed by it; try again, or tell the coalition staff.",
}
_TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 500: "Server error"}


def _answer(request: HttpRequest | None, status: int, message: str | None = None) -> HttpResponse:
    detail = message or _MESSAGES[status]
    if request is not None and request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": detail}, status=status)
    try:
        # A 500 renders without the request: its context processors read the database, which may be what failed.
        template = loader.get_template(f"{status}.html")
        body = template.render({"message": detail, "status": status}, None if status == 500 else request)
    except TemplateDoesNotExist:
        body = f"<!doctype html><title>{_TITLES[status]}</title><h1>{_TITLES[status]}</h1><p>{escape(detail)}</p>"
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 without the reason Django found (it can quote headers or internals)."""
    return _answer(request, 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403 with the rule's own message: services and the role table write them for the user."""
    message = str(exception) if exception is not None and str(exception) else None
    return _answer(request, 403, message)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 that never repeats the lookup (Django's messages name the model or the URL patterns tried)."""
    return _answer(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500 without a traceback, file path, query or exception text."""
    return _answer(request, 500)
