"""Reads for practices and people (STYLE.md rule 2)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gpo.members import scoping
from gpo.members.models import Practice


def practice_list(*, user: Any) -> QuerySet[Practice]:
    """The practices the user may see, by name."""
    return scoping.practices_visible(user).order_by("name")


def me_get(*, user: Any) -> dict[str, Any]:
    """The signed-in user's identity, roles and practices (for `GET /api/me/`)."""
    memberships = scoping._memberships(user)
    practices: dict[int, dict[str, Any]] = {}
    for membership in memberships:
        if membership.practice is None or membership.practice_id is None:
            continue
        entry = practices.setdefault(
            membership.practice_id,
            {"slug": membership.practice.slug, "name": membership.practice.name, "roles": []},
        )
        entry["roles"].append(membership.role)
    return {
        "username": user.get_username(),
        "email": getattr(user, "email", ""),
        "roles": sorted(scoping.roles_of(user)),
        "is_coalition_staff": scoping.is_coalition_staff(user),
        "practices": sorted(practices.values(), key=lambda p: p["name"]),
    }
