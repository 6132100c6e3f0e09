"""The role table of DESIGN.md section 3: what each role may do, on pages and in the API alike.

Seeing a practice at all is the tenancy door's question (`scoping`): another practice's object answers 404 before
any right is asked. This module answers the second question, for a practice the caller may see: may this role do
this here? A missing right answers 403 (`right_require`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from gpo.members.models import COALITION_ROLES, Practice, Role
from gpo.members.scoping import memberships_of, practice_roles, roles_of

M = TypeVar("M", bound=Model)


class Right(StrEnum):
    """The rows of the role table."""

    CATALOG = "catalog"  # catalog, vendor and contract pages, the prices the practice pays
    UPLOADS = "uploads"  # uploads: create, reprocess, delete; rejected rows
    FIGURES = "figures"  # lines, savings, dashboards, exports, claims
    BILLING_VIEW = "billing_view"  # the billing page: dues, invoices
    BILLING_PAY = "billing_pay"  # pay dues, manage the payment method, switch billing
    CATALOG_WRITE = "catalog_write"  # catalog writes (admin, API, imports), vendor review, member management
    CLAIMS = "claims"  # overcharge claims: file one, record what the vendor answered
    MONTH_CLOSE = "month_close"  # close a month once its uploads are in (its figures are published)
    MONTH_REOPEN = "month_reopen"  # reopen a closed month, with a reason (coalition staff)
    COALITION_FIGURES = "coalition_figures"  # coalition economics: tiers, commitments, admin-fee audit
    FEE_REPORTS = "fee_reports"  # import vendors' admin-fee reports (coalition admins)


# DESIGN §3: practice roles hold a right in their own practice; coalition roles hold it in every practice.
ROLE_RIGHTS: dict[str, frozenset[Right]] = {
    Role.VIEWER: frozenset({Right.CATALOG}),
    Role.FINANCE: frozenset({Right.CATALOG, Right.UPLOADS, Right.FIGURES, Right.CLAIMS, Right.MONTH_CLOSE}),
    Role.EXECUTIVE: frozenset({Right.CATALOG, Right.FIGURES, Right.BILLING_VIEW, Right.BILLING_PAY}),
    Role.COALITION_EXECUTIVE: frozenset({Right.CATALOG, Right.FIGURES, Right.BILLING_VIEW, Right.COALITION_FIGURES}),
    Role.COALITION_ADMIN: frozenset(Right),
}

FORBIDDEN_MESSAGES: dict[Right, str] = {
    Right.CATALOG: "You may not browse the catalog.",
    Right.UPLOADS: "Only the practice's finance lead or a coalition admin may work with its uploads.",
    Right.FIGURES: "Purchase lines, savings and dashboards are for the practice's finance lead and executives.",
    Right.BILLING_VIEW: "The billing page is for the practice's executives and coalition staff.",
    Right.BILLING_PAY: "Only the practice's executives or a coalition admin may pay dues or change billing.",
    Right.CATALOG_WRITE: "Only coalition admins change the catalog, vendor mappings and members.",
    Right.CLAIMS: "Only the practice's finance lead or a coalition admin may file and update overcharge claims.",
    Right.MONTH_CLOSE: "Only the practice's finance lead or a coalition admin may close its months.",
    Right.MONTH_REOPEN: "Only a coalition admin may reopen a closed month.",
    Right.COALITION_FIGURES: "Coalition figures (tiers, commitments, admin fees) are for coalition staff.",
    Right.FEE_REPORTS: "Only a coalition admin may import vendors' admin-fee reports.",
}


def rights_of(user: Any, practice: Practice | None = None) -> frozenset[Right]:
    """The rights the user holds in `practice` (None: the rights that hold without a practice, i.e. coalition-wide)."""
    roles = practice_roles(user, practice) if practice is not None else _coalition_roles(user)
    held: set[Right] = set()
    for role in roles:
        held |= ROLE_RIGHTS.get(role, frozenset())
    return frozenset(held)


def has_right(user: Any, practice: Practice | None, right: Right) -> bool:
    """Whether the user may exercise `right` in `practice` (None: across the coalition)."""
    return right in rights_of(user, practice)


def right_require(user: Any, practice: Practice | None, right: Right) -> None:
    """Raise PermissionDenied (403) unless the user holds `right` in `practice`."""
    if not has_right(user, practice, right):
        raise PermissionDenied(FORBIDDEN_MESSAGES[right])


def practice_ids_with_right(user: Any, right: Right) -> set[int] | None:
    """Ids of the practices where the user holds `right`; None: every practice (a coalition role holds it)."""
    if has_right(user, None, right):
        return None
    return {
        m.practice_id
        for m in memberships_of(user)
        if m.practice_id is not None and right in ROLE_RIGHTS.get(m.role, frozenset())
    }


def scope_to_right(queryset: QuerySet[M], *, user: Any, right: Right, field: str = "practice") -> QuerySet[M]:
    """A list of practice data narrowed to the practices where the user holds `right`; 403 when there is none.

    Lists only: a single object is found through the tenancy door first (404 for another practice) and then
    checked with `right_require` (403), so a list and its objects answer alike.
    """
    ids = practice_ids_with_right(user, right)
    if ids is None:
        return queryset
    if not ids:
        raise PermissionDenied(FORBIDDEN_MESSAGES[right])
    return queryset.filter(**{f"{field}__in": ids})


def _coalition_roles(user: Any) -> set[str]:
    """The user's coalition-wide roles (a superuser counts as coalition admin)."""
    return roles_of(user) & COALITION_ROLES
