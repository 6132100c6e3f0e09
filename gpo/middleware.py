"""Request guards that belong in front of every view."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

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
