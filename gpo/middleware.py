"""Request guards and error answers that belong in front of every view."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from gpo.error_pages import page_not_found

NUL = "\x00"


class RefuseNulCharactersMiddleware:
    """Answer 400 to a request whose path, query or form fields hold a NUL character.

    No text column can store NUL on PostgreSQL ("text fields cannot contain NUL"), so such a value would otherwise
    reach the database and fail there as a 500; no legitimate address, filter or form value contains one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request):
            message = "The request contains a NUL character, which no address, filter or field may hold."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _holds_nul(request: HttpRequest) -> bool:
    """Whether the path, a query parameter or a url-encoded form field holds a NUL character."""
    if NUL in request.path:
        return True
    if any(NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()):
        return True
    # Multipart bodies are left to the views: reading them here would fix the upload handlers before a view can.
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        return any(NUL in key or any(NUL in value for value in values) for key, values in request.POST.lists())
    return False


def _is_page(request: HttpRequest) -> bool:
    """A human's page, not the JSON API or a static file."""
    prefixes = ("/api/", settings.STATIC_URL or "/static/", settings.MEDIA_URL or "/media/")
    return not request.path.startswith(tuple(p for p in prefixes if p))


class StyledNotFoundMiddleware:
    """With DEBUG on, Django answers 404 with its technical page (every URL pattern listed); pages get the styled
    404 instead, as they do with DEBUG off (the same handler404, gpo.error_pages.page_not_found)."""

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
            return page_not_found(request, Http404())
        return response
