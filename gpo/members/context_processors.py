"""Template context for the header: the practice picker and the user's roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from gpo.members import scoping


def practice_context(request: HttpRequest) -> dict[str, Any]:
    """The current practice, the practices to pick from and the user's standing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_practice": scoping.current_practice(request),
        "picker_practices": list(scoping.practices_visible(user).order_by("name")[:200]),
        "is_coalition_staff": scoping.is_coalition_staff(user),
        "is_coalition_admin": scoping.is_coalition_admin(user),
        "user_roles": sorted(scoping.roles_of(user)),
    }
