"""The one tenancy door (STYLE.md rule 5): which practices a user may see, and scoping querysets to them.

Every selector that returns practice data filters through `scope_to_practices`; a request for another practice's
object therefore finds nothing and answers 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from gpo.members.models import COALITION_ROLES, Membership, Practice, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

M = TypeVar("M", bound=Model)

SESSION_PRACTICE_KEY = "current_practice_id"


def _memberships(user: Any) -> list[Membership]:
    """The user's memberships, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_gpo_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("practice"))
        user._gpo_memberships = cached
    return cached


def memberships_of(user: Any) -> list[Membership]:
    """The user's memberships (practice and coalition roles), read once per request."""
    return _memberships(user)


def roles_of(user: Any) -> set[str]:
    """Every role the user holds, in any practice or in the coalition."""
    roles = {m.role for m in _memberships(user)}
    if getattr(user, "is_superuser", False):
        roles.add(Role.COALITION_ADMIN)
    return roles


def is_coalition_staff(user: Any) -> bool:
    """Coalition staff see every practice's data."""
    return bool(roles_of(user) & COALITION_ROLES)


def is_coalition_admin(user: Any) -> bool:
    """Coalition admins maintain the catalog and may act for any practice."""
    return Role.COALITION_ADMIN in roles_of(user)


def practice_ids_for(user: Any) -> set[int] | None:
    """Ids of the practices the user may see; None means every practice (coalition staff)."""
    if is_coalition_staff(user):
        return None
    return {m.practice_id for m in _memberships(user) if m.practice_id is not None}


def practices_visible(user: Any) -> QuerySet[Practice]:
    """The practices the user may see."""
    ids = practice_ids_for(user)
    if ids is None:
        return Practice.objects.all()
    return Practice.objects.filter(id__in=ids)


def scope_to_practices(queryset: QuerySet[M], *, user: Any, field: str = "practice") -> QuerySet[M]:
    """Restrict a queryset of practice data to the practices the user may see."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    ids = practice_ids_for(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def practice_roles(user: Any, practice: Practice) -> set[str]:
    """The user's roles in one practice (coalition roles count everywhere)."""
    roles = {m.role for m in _memberships(user) if m.practice_id == practice.id}
    return roles | (roles_of(user) & COALITION_ROLES)


def has_practice_role(user: Any, practice: Practice, roles: Iterable[str]) -> bool:
    """Whether the user holds one of `roles` in the practice; coalition admins act for any practice."""
    held = practice_roles(user, practice)
    return bool(held & set(roles)) or Role.COALITION_ADMIN in held


def _member_practices(user: Any) -> list[Practice]:
    """The practices a member (not coalition staff) belongs to, by name, from the memberships read for the request."""
    practices = {m.practice_id: m.practice for m in _memberships(user) if m.practice is not None}
    return sorted(practices.values(), key=lambda practice: (practice.name, practice.pk))


def practices_by_name(user: Any, *, limit: int) -> list[Practice]:
    """Up to `limit` practices the user may see, by name (the header's picker); a member's need no query."""
    if is_coalition_staff(user):
        return list(Practice.objects.order_by("name", "pk")[:limit])
    return _member_practices(user)[:limit]


def practice_get(*, user: Any, slug: str) -> Practice:
    """A practice the user may see, by slug; another practice answers 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such practice.")
    if is_coalition_staff(user):
        practice = Practice.objects.filter(slug=slug).first()
    else:  # a member's practices came with the memberships: no query
        practice = next((p for p in _member_practices(user) if p.slug == slug), None)
    if practice is None:
        raise Http404("No such practice.")
    return practice


def current_practice(request: Any) -> Practice | None:
    """The practice picked in the header (remembered in the session), else the user's first practice."""
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return None
    chosen_id = request.session.get(SESSION_PRACTICE_KEY)
    if is_coalition_staff(user):
        return None if chosen_id is None else Practice.objects.filter(id=chosen_id).first()
    practices = _member_practices(user)  # no query: they came with the memberships
    chosen = next((p for p in practices if p.pk == chosen_id), None)
    return chosen or (practices[0] if practices else None)
