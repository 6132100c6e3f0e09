"""`seed_demo`: realistic demo data and one login per role (DESIGN.md section 7). Safe to run twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from contracts.demo import seed_catalog
from gpo.members.demo import DEMO_PASSWORD, seed_members


class Command(BaseCommand):
    help = "Create demo practices, users, catalog and purchases. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = seed_members()
        catalog = seed_catalog()
        self.stdout.write(
            "Catalog: {vendors} vendors, {contracts} contracts ({contracts_created} new), {items} items, "
            "{prices} prices, {participations} participations.".format(**catalog)
        )
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/accounts/login/"))
        self.stdout.write(f"{'username':<18} {'password':<16} {'role':<20} practice")
        for username, role, practice in logins:
            self.stdout.write(f"{username:<18} {DEMO_PASSWORD:<16} {role:<20} {practice}")
