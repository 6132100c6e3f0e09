"""DRF plumbing shared by every app: pagination, the exception handler and the two viewset bases (STYLE.md 5, 9)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gpo.errors import ApplicationError
from gpo.members.rights import Right, right_require, scope_to_right
from gpo.money import money_str, plain_decimal_str, unit_price_str


def _validation_detail(error: DjangoValidationError) -> Any:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in error.error_dict.items()}
    return {"detail": error.messages[0] if len(error.messages) == 1 else error.messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map Django ValidationError and ApplicationError to 4xx answers; otherwise DRF's handler."""
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, **exc.extra}, status=exc.status_code)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class PracticeScopedViewSet(viewsets.GenericViewSet):
    """Base of every viewset that returns practice data: the queryset always comes from a scoped selector.

    Subclasses set `selector = staticmethod(<entity>_list)`, a function taking `user=` and returning a queryset
    already scoped to that user's practices. Overriding `get_queryset` is refused at class definition, so no
    viewset can forget the scope.


    Rights (DESIGN §3): every action needs `right` (lines, savings, dashboards, exports by default) unless
    `action_rights` names another for it. A list holds only the practices where the caller has the right (403 when
    none); a single object is found through the scoped queryset first (404 for another practice's), then its
    practice's right is required (403).
    """

    selector: ClassVar[Callable[..., QuerySet[Any]]]
    right: ClassVar[Right] = Right.FIGURES
    action_rights: ClassVar[dict[str, Right]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__} must not override get_queryset: set `selector` instead.")

    def get_queryset(self) -> QuerySet[Any]:
        selector = type(self).__dict__.get("selector") or next(
            klass.__dict__["selector"] for klass in type(self).__mro__ if "selector" in klass.__dict__
        )
        function = selector.__func__ if isinstance(selector, staticmethod) else selector
        return function(user=self.request.user)

    def action_right(self) -> Right:
        """The right the current action needs."""
        return self.action_rights.get(self.action or "", self.right)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            queryset = scope_to_right(queryset, user=self.request.user, right=self.action_right())
        return queryset

    def get_object(self) -> Any:
        found = super().get_object()
        right_require(self.request.user, found.practice, self.action_right())
        return found


class CatalogViewSet(viewsets.ReadOnlyModelViewSet):
    """Base of catalog viewsets: read for everyone signed in; the catalog is shared by every member."""


@extend_schema_field({"type": "string", "nullable": True, "example": "1234.50"})
class DecimalTextField(serializers.ReadOnlyField):
    """A Decimal as DESIGN §7 writes it in JSON: a string; null stays null (read-only).

    kind "money": an amount with two decimals ("1234.50", zero "0.00"); "unit_price": two decimals when exact,
    else up to the four stored; "plain": a quantity or percentage without trailing zeros. The one money field of
    every serializer (gpo.money formats it).
    """

    FORMATS: ClassVar[dict[str, Callable[[Decimal], str | None]]] = {
        "money": money_str,
        "unit_price": unit_price_str,
        "plain": plain_decimal_str,
    }

    def __init__(self, kind: str = "money", **kwargs: Any) -> None:
        self.format = self.FORMATS[kind]
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal | None) -> str | None:
        return None if value is None else self.format(value)
