"""Locust users for `make loadtest` (bench/_loadtest.py starts them; not a benchmark module of `make bench`).

The scenario (LOADTEST_SCENARIO) picks which users run; the credentials and the catalog's addresses come from the
JSON file named by LOADTEST_FIXTURE, written by bench/_loadtest.py from the database under test.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from typing import Any

from locust import FastHttpUser, between, constant, task

FIXTURE: dict[str, Any] = json.loads(open(os.environ["LOADTEST_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115
SCENARIO = os.environ.get("LOADTEST_SCENARIO", "mixed")
YEAR = "start=2025-01-01&end=2025-12-31"


def _token(name: str) -> dict[str, str]:
    return {"Authorization": f"Token {FIXTURE['tokens'][name]}"}


def _session(name: str) -> dict[str, str]:
    return {"Cookie": f"{FIXTURE['session_cookie']}={FIXTURE['sessions'][name]}"}


def _check(response: Any) -> None:
    """Anything but the expected status (2xx) counts as an error."""
    if not 200 <= response.status_code < 300:
        response.failure(f"HTTP {response.status_code}")


class _Base(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def _get(self, url: str, name: str, headers: dict[str, str]) -> None:
        with self.client.get(url, name=name, headers=headers, catch_response=True) as response:
            _check(response)

    def savings(self) -> None:
        practice = FIXTURE["practice"]
        if random.random() < 0.75:
            self._get(f"/api/savings/?practice={practice}&{YEAR}", "/api/savings/ practice-year", _token("finance"))
        else:
            self._get(f"/api/savings/?{YEAR}", "/api/savings/ coalition-year", _token("staff"))

    def catalog(self) -> None:
        pick = random.random()
        headers = _session("viewer")
        if pick < 0.4:
            self._get("/catalog/", "/catalog/", headers)
        elif pick < 0.6:
            self._get(f"/catalog/?q={random.choice(FIXTURE['searches'])}", "/catalog/?q=", headers)
        elif pick < 0.8:
            self._get(f"/catalog/vendors/{random.choice(FIXTURE['vendors'])}/", "/catalog/vendors/{slug}/", headers)
        else:
            self._get(f"/catalog/contracts/{random.choice(FIXTURE['contracts'])}/", "/catalog/contracts/{id}/", headers)

    def contracts(self) -> None:
        page = random.choice([1, 1, 2])
        self._get(f"/api/contracts/?page={page}", "/api/contracts/", _token("finance"))


class SavingsUser(_Base):
    @task
    def work(self) -> None:
        self.savings()


class CatalogUser(_Base):
    @task
    def work(self) -> None:
        self.catalog()


class ContractsUser(_Base):
    @task
    def work(self) -> None:
        self.contracts()


class MixedUser(_Base):
    """A member practice's and the coalition's day: catalog, dashboards, savings, lines, contracts."""

    @task(4)
    def browse_catalog(self) -> None:
        self.catalog()

    @task(4)
    def read_savings(self) -> None:
        self.savings()

    @task(2)
    def read_contracts(self) -> None:
        self.contracts()

    @task(2)
    def practice_dashboard(self) -> None:
        self._get("/dashboard/", "/dashboard/", _session("finance"))

    @task(1)
    def coalition_dashboard(self) -> None:
        self._get("/coalition/", "/coalition/", _session("staff"))

    @task(2)
    def lines(self) -> None:
        status = random.choice(["overcharged", "off_contract", "on_contract"])
        url = f"/api/lines/?practice={FIXTURE['practice']}&{YEAR}&status={status}"
        self._get(url, "/api/lines/?practice&status", _token("finance"))


class Uploader(FastHttpUser):
    """Two finance users uploading small purchase files at once, all along the mixed run."""

    fixed_count = 2
    wait_time = between(1, 2)

    @task
    def upload(self) -> None:
        invoice = uuid.uuid4().hex[:12]
        rows = [row.replace("{invoice}", invoice) for row in FIXTURE["upload_rows"]]
        body = ("\r\n".join([FIXTURE["upload_header"], *rows]) + "\r\n").encode()
        boundary = uuid.uuid4().hex
        payload = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="practice"\r\n\r\n'.encode(),
                FIXTURE["practice"].encode(),
                f"\r\n--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="file"; filename="load-{invoice}.csv"\r\n'.encode(),
                b"Content-Type: text/csv\r\n\r\n",
                body,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        headers = {**_token("finance"), "Content-Type": f"multipart/form-data; boundary={boundary}"}
        with self.client.post(
            "/api/uploads/",
            name="POST /api/uploads/",
            data=payload,  # type: ignore[arg-type]  # bytes are sent as they are (a multipart body)
            headers=headers,
            catch_response=True,
        ) as response:
            _check(response)


_CLASSES: dict[str, list[type[FastHttpUser]]] = {
    "savings": [SavingsUser],
    "catalog": [CatalogUser],
    "contracts": [ContractsUser],
    "mixed": [MixedUser, Uploader],
}
for _name, _cls in list(globals().items()):
    if isinstance(_cls, type) and issubclass(_cls, FastHttpUser) and _cls not in _CLASSES[SCENARIO]:
        _cls.abstract = True  # locust runs only the scenario's users
