"""Template context for the header: the practice picker and the user's roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from gpo.members import scoping
from gpo.members.rights import rights_of


def practice_context(request: HttpRequest) -> dict[str, Any]:
    """The current practice, the practices to pick from and the user's standing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    practice = scoping.current_practice(request)
    coalition_rights = rights_of(user)
    return {
        "current_practice": practice,
        # What the header offers follows the role table (DESIGN §3) for the practice shown, else coalition-wide.
        "rights": {str(r) for r in (rights_of(user, practice) if practice is not None else coalition_rights)},
        "coalition_rights": {str(r) for r in coalition_rights},
        "picker_practices": scoping.practices_by_name(user, limit=200),
        "is_coalition_staff": scoping.is_coalition_staff(user),
        "is_coalition_admin": scoping.is_coalition_admin(user),
        "user_roles": sorted(scoping.roles_of(user)),
    }
