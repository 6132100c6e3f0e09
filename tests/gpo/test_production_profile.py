"""The production profile (issue 16): the Procfile honcho runs, and the real parts it points at (DESIGN.md §6)."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest
from honcho.environ import parse_procfile

from gpo.redis_cache import RedisCache
from tests.gpo.test_settings import _manage
from tests.redis_check import redis_reachable

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_URL = "redis://127.0.0.1:6379/6"


def test_procfile_runs_gunicorn_a_celery_worker_and_celery_beat():
    procfile = parse_procfile((ROOT / "Procfile").read_text())

    commands = {name: command.split() for name, command in procfile.processes.items()}

    assert set(commands) == {"web", "worker", "beat"}
    assert commands["web"][:2] == ["gunicorn", "gpo.wsgi"]
    assert commands["worker"][:4] == ["celery", "-A", "gpo", "worker"]
    assert commands["beat"][:4] == ["celery", "-A", "gpo", "beat"]


def test_serve_prod_refuses_to_start_without_the_real_parts(tmp_path):
    # -o: never (re)build the virtualenv from a test.
    result = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", "serve-prod"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "set CELERY_BROKER_URL" in result.stdout


def test_cache_url_gives_every_process_one_shared_redis_cache(tmp_path):
    env = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "gpo.example.org",
        "CACHE_URL": "redis://127.0.0.1:6379/6",
    }
    code = "from django.conf import settings as s; c = s.CACHES['default']; print(c['BACKEND'], c['LOCATION'])"

    result = _manage("shell", "-c", code, env=env, tmp_path=tmp_path)

    assert result.stdout.strip().splitlines()[-1].split() == ["gpo.redis_cache.RedisCache", "redis://127.0.0.1:6379/6"]


@pytest.mark.skipif(not redis_reachable(REDIS_URL), reason=f"no Redis answers at {REDIS_URL}")
def test_the_redis_cache_keeps_one_client_and_still_reads_and_writes():
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": secrets.token_hex(8)})

    cache.set("figure", {"spend": "12.50"}, 30)

    assert cache.get("figure") == {"spend": "12.50"}
    assert cache._cache.get_client(write=True) is cache._cache.get_client("figure")  # Django's builds one per call
    cache.delete("figure")
    assert cache.get("figure") is None


def test_without_cache_url_the_cache_is_local_memory(settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_sessions_read_through_the_shared_cache_only_when_there_is_one(tmp_path, settings):
    env = {"DEBUG": "1", "CACHE_URL": "redis://127.0.0.1:6379/6"}
    result = _manage(
        "shell", "-c", "from django.conf import settings as s; print(s.SESSION_ENGINE)", env=env, tmp_path=tmp_path
    )

    assert result.stdout.strip().splitlines()[-1] == "django.contrib.sessions.backends.cached_db"
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_postgresql_connections_are_kept_between_requests(tmp_path):
    env = {"DEBUG": "1", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused"}
    code = "from django.conf import settings as s; d = s.DATABASES['default']; print(d['CONN_MAX_AGE'])"

    result = _manage("shell", "-c", code, env=env, tmp_path=tmp_path)

    assert result.stdout.strip().splitlines()[-1] == "300"
