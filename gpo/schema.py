"""The OpenAPI schema says every answer the API gives (issue 15): the error answers every operation can give are
added here in one place, so no view has to list them and none can forget one.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

# Error answers: `{"detail": "..."}`, or `{field: [messages]}` for a 400 naming the fields at fault.
ERROR_BODY = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERRORS = {
    "400": "The request is malformed or a value is refused; the body names the fields or says why.",
    "401": "No or bad credentials.",
    "403": "Signed in, but the caller's role lacks the right (DESIGN.md section 3).",
    "404": "No such object, or another practice's.",
    "405": "The method is not allowed here.",
    "406": "The Accept header asks for a format this address does not give.",
    "429": "Too many requests: try again after the Retry-After seconds.",
}
# A refused duplicate or a state that forbids the action: which upload it is about, where there is one.
CONFLICT_BODY = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "upload_id": {"type": "string", "format": "uuid"}},
    "required": ["detail"],
}
BODY_ERRORS = {
    "413": "The uploaded file is larger than the limit.",
    "415": "The body's media type is not accepted here.",
}


class GpoAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with the error answers added to each operation, and per-view extras."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        codes = dict(ERRORS)
        if self.method in {"POST", "PUT", "PATCH"}:
            codes.update(BODY_ERRORS)
        # A view names the extra answers of its actions: `schema_error_codes = {action: {code: description}}`.
        extra = getattr(self.view, "schema_error_codes", {})
        codes.update(extra.get(getattr(self.view, "action", None) or self.method.lower(), {}))
        for code, description in codes.items():
            body = CONFLICT_BODY if code == "409" else ERROR_BODY
            responses.setdefault(code, {"description": description, "content": {"application/json": {"schema": body}}})
        return responses


def page_of(name: str, item: Any) -> Any:
    """The schema of a `{"count", "next", "previous", "results"}` page of `item`, for views that paginate by hand."""
    from drf_spectacular.utils import inline_serializer
    from rest_framework import serializers

    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )
