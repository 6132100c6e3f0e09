"""Members, roles and the one tenancy door."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from gpo.members import scoping
from gpo.members.models import Membership, Practice, Role
from gpo.members.services import member_add


@pytest.mark.django_db
def test_practice_member_sees_only_their_practice(practice_a, practice_b, finance_a):
    assert list(scoping.practices_visible(finance_a)) == [practice_a]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COALITION_ADMIN, Role.COALITION_EXECUTIVE])
def test_coalition_staff_see_every_practice(role, practice_a, practice_b, make_member):
    staff = make_member(role)
    assert set(scoping.practices_visible(staff)) == {practice_a, practice_b}


@pytest.mark.django_db
def test_scope_to_practices_filters_querysets(practice_a, practice_b, finance_a):
    scoped = scoping.scope_to_practices(Practice.objects.all(), user=finance_a, field="id")
    assert list(scoped) == [practice_a]


@pytest.mark.django_db
def test_practice_get_answers_404_for_another_practice(practice_b, finance_a):
    from django.http import Http404

    with pytest.raises(Http404):
        scoping.practice_get(user=finance_a, slug=practice_b.slug)


def test_a_members_practice_comes_with_the_memberships_read_once(practice_a, practice_b, finance_a):
    finance_a.refresh_from_db()  # a fresh user object, as each request has
    with CaptureQueriesContext(connection) as queries:
        found = scoping.practice_get(user=finance_a, slug=practice_a.slug)
        again = scoping.practice_get(user=finance_a, slug=practice_a.slug)
        with pytest.raises(Http404):
            scoping.practice_get(user=finance_a, slug=practice_b.slug)

    assert found == again == practice_a
    assert len(queries) == 1  # the memberships, with their practices


def test_the_current_practice_is_the_one_chosen_else_the_first_by_name(practice_a, practice_b, make_member):
    user = make_member(Role.FINANCE, practice_b)
    Membership.objects.create(user=user, practice=practice_a, role=Role.VIEWER)
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionBase()
    first = min((practice_a, practice_b), key=lambda p: p.name)

    assert scoping.current_practice(request) == first
    request.session[scoping.SESSION_PRACTICE_KEY] = practice_b.id
    assert scoping.current_practice(request) == practice_b
    request.session[scoping.SESSION_PRACTICE_KEY] = Practice.objects.create(name="Other", slug="other").id
    assert scoping.current_practice(request) == first  # a practice the user is not in is never chosen


@pytest.mark.django_db
def test_practice_role_needs_a_practice_in_the_database():
    user = member_add(username="someone", role=Role.COALITION_ADMIN).user
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, practice=None, role=Role.FINANCE)


@pytest.mark.django_db
def test_member_add_refuses_practice_role_without_practice():
    with pytest.raises(ValidationError):
        member_add(username="nobody", role=Role.VIEWER)
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_add_member_command_creates_user_with_role_and_password(practice_a):
    call_command("add_member", "dana", "--role", "finance", "--practice", practice_a.slug, "--password", "s3cret-pass!")
    membership = Membership.objects.get(user__username="dana")
    assert (membership.role, membership.practice) == ("finance", practice_a)
    assert membership.user.check_password("s3cret-pass!")


@pytest.mark.django_db
def test_add_member_command_fails_clearly_on_unknown_practice():
    with pytest.raises(CommandError, match="No practice with slug 'nowhere'"):
        call_command("add_member", "dana", "--role", "finance", "--practice", "nowhere")


@pytest.mark.django_db
def test_coalition_admin_becomes_staff_for_the_admin_site():
    membership = member_add(username="boss", role=Role.COALITION_ADMIN, password="x-very-secret-1")
    assert membership.user.is_staff
