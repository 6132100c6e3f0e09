"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gpo.members.models import Membership, Practice, Role
from tests.factories import MembershipFactory, PracticeFactory, UserFactory

REAL_DATA = Path(
    os.environ.get("GPO_REAL_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "real")
)


@pytest.fixture(autouse=True)
def _isolated_media(settings: Any, tmp_path: Path) -> None:
    """Every test writes uploaded files to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _only_the_tests_transaction(connection: Any) -> bool:
    return connection.in_atomic_block and all(getattr(b, "_from_testcase", False) for b in connection.atomic_blocks)


@pytest.fixture(autouse=True)
def _commits_as_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's wrapping transaction (pytest-django's, never committed) stands for the database itself.

    So work the code leaves for after its commit (gpo.jobs.run_after_commit) runs when production would run it:
    at once when the code has no transaction open (autocommit), and when the code leaves its outermost transaction
    without error (its commit); work of a rolled-back transaction never runs.
    """
    original_on_commit = BaseDatabaseWrapper.on_commit
    original_exit = transaction.Atomic.__exit__

    def on_commit(self: Any, func: Callable[[], Any], robust: bool = False) -> None:
        if _only_the_tests_transaction(self):
            func()
            return
        original_on_commit(self, func, robust)

    def exit_(self: Any, exc_type: Any, exc_value: Any, traceback: Any) -> Any:
        connection = transaction.get_connection(self.using)
        blocks = connection.atomic_blocks
        outermost = not self._from_testcase and all(getattr(b, "_from_testcase", False) for b in blocks[:-1])
        result = original_exit(self, exc_type, exc_value, traceback)
        if outermost and exc_type is None and _only_the_tests_transaction(connection) and not connection.needs_rollback:
            pending, connection.run_on_commit = connection.run_on_commit, []
            for _, func, _ in pending:
                func()
        return result

    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)
    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Every test starts with an empty cache (throttle and lock-out counts, cached figures) in this process."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def real_data() -> Path:
    """The folder of real public price lists and purchase histories; skips where it is absent."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real data folder {REAL_DATA} is absent")
    return REAL_DATA


@pytest.fixture
def practice_a(db: None) -> Practice:
    return PracticeFactory(name="Alpha Radiology", slug="alpha-radiology")


@pytest.fixture
def practice_b(db: None) -> Practice:
    return PracticeFactory(name="Beta Imaging", slug="beta-imaging")


@pytest.fixture
def make_member(db: None) -> Callable[..., Any]:
    """Create a user holding `role` (in `practice` for practice roles)."""

    def make(role: str, practice: Practice | None = None, username: str | None = None) -> Any:
        user = UserFactory(username=username) if username else UserFactory()
        Membership.objects.create(user=user, practice=practice, role=role)
        return user

    return make


@pytest.fixture
def api_client_for() -> Callable[[Any], APIClient]:
    """An API client authenticated with the user's token."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def finance_a(make_member: Callable[..., Any], practice_a: Practice) -> Any:
    return make_member(Role.FINANCE, practice_a)


@pytest.fixture
def finance_b(make_member: Callable[..., Any], practice_b: Practice) -> Any:
    return make_member(Role.FINANCE, practice_b)


@pytest.fixture
def coalition_admin(make_member: Callable[..., Any]) -> Any:
    return make_member(Role.COALITION_ADMIN)


__all__ = ["MembershipFactory"]
