"""`seed_demo`: realistic demo data and one login per role (DESIGN.md section 7). Safe to run twice."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from contracts.demo import seed_catalog
from gpo.billing.demo import LAPSED_LOGIN, seed_billing
from gpo.members.demo import DEMO_PASSWORD, seed_members
from reports.demo import seed_purchases
from reports.demo_economics import (
    seed_admin_fee_report,
    seed_commitment_terms,
    seed_month_closes,
    seed_tier_terms,
)


class Command(BaseCommand):
    help = "Create demo practices, users, catalog and purchases. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--real-data",
            type=Path,
            default=settings.BASE_DIR.parent / "shared" / "data" / "real",
            help="Folder of real public price lists; its VA FSS diagnostic-agent rows join the catalog when present.",
        )
        parser.add_argument("--no-real-data", action="store_true", help="Seed the synthetic catalog only.")
        # The address printed for signing in: the one the server will use (`make demo` passes its HOST and PORT).
        parser.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1", help="Host the server listens on.")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000), help="Its port.")

    def handle(self, *args: Any, **options: Any) -> None:
        logins = seed_members()
        real_data = None if options["no_real_data"] or not options["real_data"].is_dir() else options["real_data"]
        catalog = seed_catalog(real_data=real_data)
        self.stdout.write(
            "Catalog: {vendors} vendors, {contracts} contracts ({contracts_created} new), {items} items, "
            "{prices} prices, {participations} participations, {va_rows} VA FSS imaging rows loaded.".format(**catalog)
        )
        for slug, row in seed_purchases().items():
            state = "uploaded" if row["created"] else "already there"
            self.stdout.write(
                f"Purchases {slug} ({state}, upload {row['upload_id']} {row['status']}): {row['lines']} lines, "
                f"{row['accepted']} accepted, {row['rejected']} rejected, savings ${row['savings']:,}, "
                f"overcharge ${row['overcharge']:,}."
            )
        closes = seed_month_closes()
        self.stdout.write(
            f"Month close: {closes['closed']} months closed, {closes['restatements']} restatement(s) after a late "
            "credit memo."
        )
        tiered = seed_tier_terms()
        self.stdout.write(f"Tier thresholds (spend over 12 months) on {', '.join(tiered) or 'no contract'}.")
        committed = seed_commitment_terms()
        self.stdout.write(f"Spend commitments (one at risk, one on track) on {', '.join(committed) or 'no contract'}.")
        fee_vendor = seed_admin_fee_report()
        self.stdout.write(f"Admin-fee report of last quarter (one member under-reported): {fee_vendor or 'none'}.")
        standings = seed_billing()
        self.stdout.write(
            "Dues (stored locally; Stripe not needed): "
            + ", ".join(f"{slug} {status}" for slug, status in sorted(standings.items()))
            + "."
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready. Sign in at http://{options['host']}:{options['port']}/accounts/login/"
            )
        )
        self.stdout.write(f"{'username':<18} {'password':<16} {'role':<20} practice")
        for username, role, practice in [*logins, LAPSED_LOGIN]:
            self.stdout.write(f"{username:<18} {DEMO_PASSWORD:<16} {role:<20} {practice}")
