"""Writes for practices and people (STYLE.md rule 1)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction

from gpo.members.models import COALITION_ADMIN_GROUP, COALITION_ROLES, PRACTICE_ROLES, Membership, Practice, Role


@transaction.atomic
def practice_create(*, name: str, slug: str) -> Practice:
    """Create a member practice, or update the name of the one with this slug."""
    practice, _ = Practice.objects.get_or_create(slug=slug, defaults={"name": name})
    if practice.name != name:
        practice.name = name
    practice.full_clean()
    practice.save()
    return practice


@transaction.atomic
def member_add(
    *,
    username: str,
    role: str,
    practice: Practice | None = None,
    email: str = "",
    password: str | None = None,
) -> Membership:
    """Create (or find) a user and give them a role, in a practice or in the coalition."""
    if role not in {r.value for r in Role}:
        raise ValidationError({"role": f"Unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}."})
    if role in PRACTICE_ROLES and practice is None:
        raise ValidationError({"practice": f"Role {role!r} needs a practice (--practice SLUG)."})
    if role in COALITION_ROLES and practice is not None:
        raise ValidationError({"practice": f"Role {role!r} is coalition-wide; give no practice."})
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    assert isinstance(user, AbstractUser)
    if email and user.email != email:
        user.email = email
    if password is not None:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    if role == Role.COALITION_ADMIN:
        user.is_staff = True
    user.full_clean(exclude=["password"])
    user.save()
    membership, _ = Membership.objects.get_or_create(user=user, practice=practice, role=role)
    membership.full_clean()
    if role == Role.COALITION_ADMIN:
        # The admin shows a staff user only what its groups grant (migration members 0002 fills this one).
        user.groups.add(*Group.objects.filter(name=COALITION_ADMIN_GROUP))
    return membership
