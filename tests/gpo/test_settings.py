"""Production settings: `check --deploy` is clean, and an unsafe start fails fast (SECURITY.md item 20)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {"DEBUG": "0", "ALLOWED_HOSTS": "gpo.example.org", "CACHE_URL": "redis://127.0.0.1:6379/1"}


def test_check_deploy_is_clean_with_production_environment(tmp_path):
    env = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(64)}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_throttles_and_lock_out_count_per_process(tmp_path):
    env = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(64), "CACHE_URL": ""}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "gpo.W001" in result.stdout + result.stderr


def test_without_cache_url_lock_out_counts_in_the_database_and_checks_stay_quiet(tmp_path):
    code = "from django.conf import settings as s; print(s.CACHES['default']['BACKEND'], s.AXES_HANDLER)"
    result = _manage("shell", "-c", code, env={"DEBUG": "1", "CACHE_URL": ""}, tmp_path=tmp_path)
    assert result.stdout.strip().splitlines()[-1].split() == [
        "django.core.cache.backends.locmem.LocMemCache",
        "axes.handlers.database.AxesDatabaseHandler",
    ]
    assert "axes.W001" not in result.stderr


def test_production_cache_is_the_redis_named_by_cache_url(tmp_path):
    env = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(64)}
    code = (
        "from django.conf import settings as s; from rest_framework.throttling import SimpleRateThrottle as t;"
        "from axes.helpers import get_cache;"
        "print(s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'],"
        " type(t.cache._connections[t.cache._alias]).__name__, type(get_cache()).__name__, s.AXES_HANDLER)"
    )
    result = _manage("shell", "-c", code, env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "gpo.redis_cache.RedisCache",
        "redis://127.0.0.1:6379/1",
        "RedisCache",
        "RedisCache",
        "axes.handlers.cache.AxesCacheHandler",
    ]


def test_production_start_without_secret_key_fails_fast(tmp_path):
    result = _manage("check", env={"DEBUG": "0", "SECRET_KEY": ""}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_cookies_are_secure_and_prefixed(tmp_path):
    env = {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "gpo.example.org"}
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0, s.X_FRAME_OPTIONS)"
    )
    result = _manage("shell", "-c", code, env=env, tmp_path=tmp_path)
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.split() == ["__Secure-sessionid", "__Secure-csrftoken", "True", "True", "True", "DENY"]
