"""`make loadtest`: the production profile under a bounded locust load on loopback, one table per run (issue 16).

Starts the Procfile (gunicorn, a Celery worker, Celery beat) with honcho against PostgreSQL and Redis, seeds the
demo data when the database is empty, then runs locust headless per scenario and user count and prints requests/s,
p50/p95/p99 and errors per endpoint. Scenarios: `savings` (/api/savings/ practice-year and coalition-year),
`catalog` (catalog home, search, vendor and contract pages), `contracts` (/api/contracts/ pages) and `mixed` (all of
them with the dashboards, /api/lines/ and two users uploading files the whole time).

Environment (defaults in brackets): LOADTEST_DATABASE_URL [postgres://postgres@127.0.0.1:5432/gpo_loadtest],
LOADTEST_REDIS_URL [redis://127.0.0.1:6379/0] (broker and cache), LOADTEST_PORT [8000], LOADTEST_USERS [25,50],
LOADTEST_RUN_TIME [20s], LOADTEST_SCENARIOS [savings,catalog,contracts,mixed], LOADTEST_APP_DIR [this checkout:
the code the server runs, with its own Procfile, e.g. an older checkout to measure "before" with this harness],
LOADTEST_LABEL. WEB_CONCURRENCY, WEB_WORKER_CLASS and WEB_THREADS pass through to the Procfile.
The per-user API throttle is lifted for the run (a load test is one user making thousands of requests).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.__main__ import format_table
from bench._postgres import database_ensure

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"

CREDENTIALS = r"""
import json
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
from contracts.models import Contract
from vendors.models import Vendor

users = get_user_model().objects
def session(username):
    user = users.get(username=username)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key
fixture = {
    "practice": "lakeside-radiology",
    "session_cookie": settings.SESSION_COOKIE_NAME,
    "tokens": {name: Token.objects.get_or_create(user=users.get(username=username))[0].key
               for name, username in (("finance", "finance"), ("staff", "coalition-exec"))},
    "sessions": {name: session(username)
                 for name, username in (("finance", "finance"), ("staff", "coalition-exec"), ("viewer", "viewer"))},
    "vendors": list(Vendor.objects.order_by("slug").values_list("slug", flat=True)[:20]),
    "contracts": list(Contract.objects.exclude(status="draft").order_by("id").values_list("id", flat=True)[:20]),
    "searches": ["contrast", "gloves", "service", "iohexol", "paper"],
    "upload_header": "Date,Vendor,SKU,Description,Qty,UOM,Unit Price,Extended,Invoice",
    "upload_rows": [
        "2025-10-07,HENRY SCHEIN INC,HEN973347-419,Gloves,2,BX,16.36,32.72,L-{invoice}",
        "2025-10-08,OFFICE DEPOT INC,711870,Paper,5,EA,4.47,22.35,L-{invoice}",
        "2025-10-09,Cardinal Health,CAR114309-260,Supplies,1,CS,1024.93,1024.93,L-{invoice}",
    ],
}
print("FIXTURE" + json.dumps(fixture))
"""


def _env() -> dict[str, str]:
    redis = os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    data_dir = Path(tempfile.gettempdir()) / f"gpo-loadtest-{os.environ.get('LOADTEST_PORT', '8000')}"
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        "DEBUG": "0",
        "SECRET_KEY": "loadtest-only-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",  # loopback, no HTTPS in front
        "DATABASE_URL": os.environ.get("LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gpo_loadtest"),
        "CELERY_BROKER_URL": redis,
        "CACHE_URL": redis,
        "DATA_DIR": str(data_dir),
        "API_THROTTLE_USER": "10000000/minute",
        "WEB_ACCESS_LOG": "/dev/null",
        "HOST": "127.0.0.1",
        "PORT": os.environ.get("LOADTEST_PORT", "8000"),
        "LOG_LEVEL": "WARNING",
    }


def _manage(app_dir: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args], cwd=app_dir, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args[:1])} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def _prepare(app_dir: Path, env: dict[str, str]) -> Path:
    """Migrate, seed the demo data when there is none, and write the locust fixture (tokens, sessions, addresses)."""
    database_ensure(env["DATABASE_URL"])
    _manage(app_dir, env, "migrate", "--noinput", "-v0")
    count = "from gpo.members.models import Practice; print(Practice.objects.count())"
    seeded = _manage(app_dir, env, "shell", "-c", count)
    if seeded.strip().splitlines()[-1] == "0":
        print("seeding the demo data (seed_demo)...", flush=True)
        _manage(app_dir, env, "seed_demo")
    output = _manage(app_dir, env, "shell", "-c", CREDENTIALS)
    fixture = next(line[len("FIXTURE") :] for line in output.splitlines() if line.startswith("FIXTURE"))
    path = Path(env["DATA_DIR"]) / "locust-fixture.json"
    path.write_text(fixture, encoding="utf-8")
    return path


def _wait_until_serving(port: int, timeout: float = 180) -> None:
    """Until the login page answers 200 a few times in a row (every gunicorn worker has booted)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    answered = 0
    while time.monotonic() < deadline and answered < 8:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=10) as response:
                answered = answered + 1 if response.status == 200 else 0
        except OSError:
            answered = 0
            time.sleep(1)
    if answered < 8:
        raise SystemExit(f"the server did not answer on port {port} within {timeout:.0f} s")


def _locust(env: dict[str, str], scenario: str, users: int, run_time: str, fixture: Path) -> list[dict[str, Any]]:
    """One headless locust run; the rows of its per-endpoint table."""
    with tempfile.TemporaryDirectory() as folder:
        prefix = Path(folder) / "run"
        run = subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "_locustfile.py"),
                "--headless",
                "--only-summary",
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                run_time,
                "--stop-timeout",
                "10",
                "--host",
                f"http://127.0.0.1:{env['PORT']}",
                "--csv",
                str(prefix),
                "--loglevel",
                "ERROR",
            ],
            env={**env, "LOADTEST_SCENARIO": scenario, "LOADTEST_FIXTURE": str(fixture)},
            capture_output=True,
            text=True,
            check=False,
        )
        if not Path(f"{prefix}_stats.csv").exists():
            raise SystemExit(f"locust wrote no statistics:\n{run.stderr[-3000:]}")
        with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
            stats = list(csv.DictReader(handle))
    rows = []
    for stat in stats:
        rows.append(
            {
                "scenario": scenario,
                "users": users,
                "endpoint": stat["Name"] if stat["Name"] != "Aggregated" else "(all)",
                "requests": int(stat["Request Count"]),
                "req/s": f"{float(stat['Requests/s']):.1f}",
                "p50 ms": stat["50%"],
                "p95 ms": stat["95%"],
                "p99 ms": stat["99%"],
                "errors": int(stat["Failure Count"]),
            }
        )
    return rows


def main() -> int:
    app_dir = Path(os.environ.get("LOADTEST_APP_DIR", str(ROOT))).resolve()
    env = _env()
    users_list = [int(n) for n in os.environ.get("LOADTEST_USERS", "25,50").split(",")]
    scenarios = os.environ.get("LOADTEST_SCENARIOS", "savings,catalog,contracts,mixed").split(",")
    run_time = os.environ.get("LOADTEST_RUN_TIME", "20s")
    label = os.environ.get("LOADTEST_LABEL", str(app_dir))
    fixture = _prepare(app_dir, env)
    server = subprocess.Popen(
        [str(VENV_BIN / "honcho"), "-f", str(app_dir / "Procfile"), "-d", str(app_dir), "start"],
        cwd=app_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    rows: list[dict[str, Any]] = []
    try:
        _wait_until_serving(int(env["PORT"]))
        for scenario in scenarios:
            for users in users_list:
                print(f"running {scenario} with {users} users for {run_time}...", flush=True)
                rows.extend(_locust(env, scenario, users, run_time, fixture))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    web = next(line for line in (app_dir / "Procfile").read_text().splitlines() if line.startswith("web:"))
    print(f"\n== loadtest: {label} ({os.cpu_count()} cores; {web[4:].strip()}) ==")
    print(format_table(rows))
    out = Path(env["DATA_DIR"]) / "loadtest.json"
    out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"(also written to {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
