"""Sign-in limits (SECURITY.md item 21, issue 15): lock-out per address, per username and per pair, throttles on the
login form and the token endpoint per address and per username, all counted in the shared cache.

The Redis tests run against a real Redis (CACHE_TEST_URL, default db 9 under a key prefix of their own) and skip
with the reason where it does not answer.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from gpo.members.models import Role
from tests.redis_check import redis_reachable

PASSWORD = "correct-horse-battery"
REDIS_URL = os.environ.get("CACHE_TEST_URL", "redis://127.0.0.1:6379/9")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Thirteen accounts signing in many times: the slow hasher would only measure itself."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sign_in(client: Client, username: str, password: str, address: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.fixture
def members(make_member, practice_a):
    return [make_member(Role.FINANCE, practice_a, username=f"member-{n:02d}") for n in range(13)]


def test_one_address_trying_many_usernames_is_locked_out(client, members, settings):
    answers = [_sign_in(client, user.username, "wrong", "203.0.113.5").status_code for user in members[:12]]

    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(answers[settings.AXES_FAILURE_LIMIT :]) == {429}
    # Even the right password of an untouched account is refused from that address.
    assert _sign_in(client, members[12].username, PASSWORD, "203.0.113.5").status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_username_tried_from_many_addresses_is_locked_out(client, members, settings):
    victim = members[0].username
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, victim, "wrong", f"198.51.100.{n + 1}")

    assert _sign_in(client, victim, PASSWORD, "198.51.100.200").status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from a fresh address still signs in.
    assert _sign_in(client, members[1].username, PASSWORD, "198.51.100.201").status_code == 302


def test_the_token_endpoint_counts_toward_the_same_lock_out(client, members, settings):
    for user in members[: settings.AXES_FAILURE_LIMIT]:
        client.post("/api/auth/token/", {"username": user.username, "password": "wrong"}, REMOTE_ADDR="192.0.2.9")
    refused = client.post(
        "/api/auth/token/", {"username": members[12].username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.9"
    )
    assert refused.status_code == 429
    assert "token" not in refused.json()


def test_the_login_form_is_throttled_per_address_even_for_right_passwords(client, members, settings):
    settings.LOGIN_THROTTLE_RATES = {"ip": "3/minute", "username": "100/minute"}
    answers = [_sign_in(Client(), user.username, PASSWORD, "203.0.113.77").status_code for user in members[:4]]

    assert answers == [302, 302, 302, 429]
    throttled = _sign_in(client, members[5].username, PASSWORD, "203.0.113.77")
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert "Try again in" in throttled.content.decode()
    assert _sign_in(client, members[5].username, PASSWORD, "203.0.113.78").status_code == 302


def test_the_login_form_is_throttled_per_username_across_addresses(members, settings):
    settings.LOGIN_THROTTLE_RATES = {"ip": "100/minute", "username": "3/minute"}
    name = members[0].username
    answers = [_sign_in(Client(), name, PASSWORD, f"198.51.100.{n}").status_code for n in range(4)]

    assert answers == [302, 302, 302, 429]
    # The same username in another case is the same username.
    assert _sign_in(Client(), name.upper(), PASSWORD, "198.51.100.50").status_code == 429
    assert _sign_in(Client(), members[1].username, PASSWORD, "198.51.100.51").status_code == 302


def test_the_token_endpoint_is_throttled_like_the_login_form(client, members, settings):
    settings.LOGIN_THROTTLE_RATES = {"ip": "100/minute", "username": "2/minute"}
    name = members[0].username
    answers = [
        client.post("/api/auth/token/", {"username": name, "password": PASSWORD}, REMOTE_ADDR=f"192.0.2.{n}")
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0


# --- the same with the real Redis behind CACHE_URL --------------------------------------------------------------


@pytest.fixture
def redis_cache(settings):
    """The default cache on a real Redis, under a key prefix of this test's own."""
    if not redis_reachable(REDIS_URL):
        pytest.skip(f"Redis at {REDIS_URL} does not answer (set CACHE_TEST_URL to run the shared-cache tests)")
    from axes.handlers.proxy import AxesProxyHandler

    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    # As production settings choose with CACHE_URL set.
    settings.AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
    AxesProxyHandler.get_implementation(force=True)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    caches["default"].close()
    settings.AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
    AxesProxyHandler.get_implementation(force=True)


def test_lock_out_counts_live_in_redis_where_every_web_process_reads_them(client, members, settings, redis_cache):
    redis_client, prefix = redis_cache
    victim = members[0].username
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, victim, "wrong", f"198.51.100.{n + 1}")

    # Another web process is another connection to the same Redis: it finds the counts and refuses the account.
    assert list(redis_client.scan_iter(f"{prefix}:*")), "no lock-out count reached Redis"
    caches["default"].close()
    assert _sign_in(Client(), victim, PASSWORD, "198.51.100.99").status_code == 429


def test_sign_in_throttle_counts_live_in_redis(members, settings, redis_cache):
    redis_client, prefix = redis_cache
    settings.LOGIN_THROTTLE_RATES = {"ip": "2/minute", "username": "100/minute"}
    answers = [_sign_in(Client(), user.username, PASSWORD, "203.0.113.90").status_code for user in members[:3]]

    assert answers == [302, 302, 429]
    assert any(b"sign-in-throttle:ip" in key for key in redis_client.scan_iter(f"{prefix}:*"))


def test_api_throttle_counts_live_in_redis(api_client_for, finance_a, settings, redis_cache):
    redis_client, prefix = redis_cache
    from rest_framework.throttling import UserRateThrottle

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "60/minute", "user": "2/minute"},
    }
    rates = UserRateThrottle.THROTTLE_RATES
    UserRateThrottle.THROTTLE_RATES = {**rates, "user": "2/minute"}
    try:
        api = api_client_for(finance_a)
        answers = [api.get("/api/me/").status_code for _ in range(3)]
    finally:
        UserRateThrottle.THROTTLE_RATES = rates
    assert answers == [200, 200, 429]
    assert any(b"throttle_user_" in key for key in redis_client.scan_iter(f"{prefix}:*"))
