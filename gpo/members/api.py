"""API for the signed-in user: token and identity."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from gpo.members.selectors import me_get
from gpo.members.sign_in_throttle import sign_in_wait


class SignInThrottle(BaseThrottle):
    """Token requests count as sign-in attempts: per client address and per username, as on the login form."""

    def __init__(self) -> None:
        self.seconds: int | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        username = request.data.get("username") if hasattr(request.data, "get") else None
        self.seconds = sign_in_wait(request, username if isinstance(username, str) else None)
        return self.seconds is None

    def wait(self) -> float | None:
        return self.seconds


class TokenObtainView(ObtainAuthToken):
    """`POST /api/auth/token/ {username, password}` -> `{"token": "..."}`; failures count toward lock-out."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [SignInThrottle]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.ValidationError:
            # django-axes marks the request it was given (DRF's, not Django's): its middleware never sees the flag.
            if getattr(request, "axes_locked_out", False):
                raise exceptions.Throttled(detail="Too many failed sign-ins: locked for a while.") from None
            raise


class MeView(APIView):
    """`GET /api/me/`: the caller's user, roles and practices."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "email": serializers.CharField(),
                "roles": serializers.ListField(child=serializers.CharField()),
                "is_coalition_staff": serializers.BooleanField(),
                "practices": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request: Request) -> Response:
        return Response(me_get(user=request.user))
