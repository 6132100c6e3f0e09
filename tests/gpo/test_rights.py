"""The role table of DESIGN.md section 3, right by right."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from gpo.members.models import Role
from gpo.members.rights import Right, has_right, right_require, rights_of

# DESIGN §3, read row by row: the rights each role holds in its own practice (coalition roles: in any practice).
EXPECTED = {
    Role.VIEWER: {Right.CATALOG},
    Role.FINANCE: {Right.CATALOG, Right.UPLOADS, Right.FIGURES, Right.CLAIMS, Right.MONTH_CLOSE},
    Role.EXECUTIVE: {Right.CATALOG, Right.FIGURES, Right.BILLING_VIEW, Right.BILLING_PAY},
    Role.COALITION_EXECUTIVE: {Right.CATALOG, Right.FIGURES, Right.BILLING_VIEW, Right.COALITION_FIGURES},
    Role.COALITION_ADMIN: set(Right),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "right"), [(role, right) for role in EXPECTED for right in Right])
def test_role_holds_exactly_the_rights_of_the_table(role, right, make_member, practice_a):
    given = make_member(role, practice_a if role in (Role.VIEWER, Role.FINANCE, Role.EXECUTIVE) else None)
    assert has_right(given, practice_a, right) is (right in EXPECTED[role])


@pytest.mark.django_db
def test_practice_role_holds_no_right_in_another_practice(finance_a, practice_b):
    assert rights_of(finance_a, practice_b) == frozenset()


@pytest.mark.django_db
def test_rights_combine_across_a_users_roles_in_one_practice(make_member, practice_a):
    user = make_member(Role.VIEWER, practice_a)
    user.memberships.create(practice=practice_a, role=Role.EXECUTIVE)
    user._gpo_memberships = None
    assert rights_of(user, practice_a) == EXPECTED[Role.EXECUTIVE]


@pytest.mark.django_db
def test_coalition_wide_rights_only_for_coalition_roles(finance_a, make_member):
    assert rights_of(finance_a) == frozenset()
    assert rights_of(make_member(Role.COALITION_EXECUTIVE)) == EXPECTED[Role.COALITION_EXECUTIVE]


@pytest.mark.django_db
def test_right_require_raises_403_with_a_plain_reason(make_member, practice_a):
    viewer = make_member(Role.VIEWER, practice_a)
    with pytest.raises(PermissionDenied, match="finance lead"):
        right_require(viewer, practice_a, Right.UPLOADS)
    right_require(viewer, practice_a, Right.CATALOG)


@pytest.mark.django_db
def test_superuser_counts_as_coalition_admin(django_user_model, practice_a):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw-123456789")
    assert rights_of(root, practice_a) == frozenset(Right)
