"""Member practices, the people in them and their roles (DESIGN.md section 3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from gpo.db import TimeStampedModel


class Practice(TimeStampedModel):
    """A member radiology practice of the coalition."""

    class MembershipStatus(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        LAPSED = "lapsed", "Lapsed"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    membership_status = models.CharField(
        max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    stripe_status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PracticeLocation(TimeStampedModel):
    """A site (imaging centre, office) of a practice."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["practice", "name"]

    def __str__(self) -> str:
        return f"{self.practice}: {self.name}"


class Role(models.TextChoices):
    """What a person may do: practice roles see one practice, coalition roles see every practice."""

    VIEWER = "viewer", "Viewer"
    FINANCE = "finance", "Finance"
    EXECUTIVE = "executive", "Executive"
    COALITION_ADMIN = "coalition_admin", "Coalition admin"
    COALITION_EXECUTIVE = "coalition_executive", "Coalition executive"


PRACTICE_ROLES = frozenset({Role.VIEWER, Role.FINANCE, Role.EXECUTIVE})
COALITION_ROLES = frozenset({Role.COALITION_ADMIN, Role.COALITION_EXECUTIVE})
# The Django admin permissions of the coalition_admin role (created by migration members 0002).
COALITION_ADMIN_GROUP = "Coalition admins"


class Membership(TimeStampedModel):
    """A person's role in one practice, or a coalition staff role (no practice)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships", null=True, blank=True)
    role = models.CharField(max_length=24, choices=Role.choices)

    class Meta:
        ordering = ["user", "practice"]
        constraints = [
            models.UniqueConstraint(fields=["user", "practice", "role"], name="membership_unique_role"),
            models.CheckConstraint(
                condition=(Q(role__in=sorted(COALITION_ROLES)) & Q(practice__isnull=True))
                | (Q(role__in=sorted(PRACTICE_ROLES)) & Q(practice__isnull=False)),
                name="membership_practice_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}" + (f" · {self.practice}" if self.practice else "")
