"""API for the signed-in user: token and identity."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from gpo.members.selectors import me_get


class TokenThrottle(AnonRateThrottle):
    """Token requests are throttled per client address, signed in or not."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": "token", "ident": self.get_ident(request)}


class TokenObtainView(ObtainAuthToken):
    """`POST /api/auth/token/ {username, password}` -> `{"token": "..."}`; failures count toward lock-out."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [TokenThrottle]


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
