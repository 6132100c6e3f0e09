"""`send_monthly_summaries [--month YYYY-MM] [--practice SLUG ...]`: the monthly summary emails, now."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reports.services.summaries import monthly_summaries_send


def _month_after(text: str) -> datetime.date:
    """The first day of the month after "YYYY-MM" (the summary covers the month before `today`)."""
    try:
        month = datetime.datetime.strptime(text, "%Y-%m").replace(tzinfo=datetime.UTC).date()
    except ValueError as error:
        raise CommandError(f"--month {text!r} is not YYYY-MM (e.g. 2026-03).") from error
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


class Command(BaseCommand):
    help = "Email each practice's executives the summary of last month (or --month): figures, top claims, a link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="The month to summarise, YYYY-MM; default: last month.")
        parser.add_argument("--practice", action="append", help="Only this practice (slug); repeatable.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = _month_after(options["month"]) if options["month"] else timezone.localdate()
        sent = monthly_summaries_send(today=today, practice_slugs=options["practice"])
        for slug, recipients in sent.items():
            self.stdout.write(f"{slug}: sent to {recipients} executive{'s' if recipients != 1 else ''}.")
        if not sent:
            self.stdout.write("No practice has an executive with an e-mail address: nothing sent.")
