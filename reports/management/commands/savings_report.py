"""`savings_report --practice SLUG --start D --end D --out FILE.xlsx`: the savings workbook of one practice."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gpo.members.models import Practice
from reports.exports import savings_workbook_write
from reports.selectors.savings import savings_figures, savings_lines


def _date(text: str | None, name: str) -> datetime.date | None:
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--{name} {text!r} is not a date: use YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Write the savings workbook (Summary, By status/vendor/category/month, Lines) of a practice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="Practice slug.")
        parser.add_argument("--start", help="First purchase date counted, YYYY-MM-DD (inclusive).")
        parser.add_argument("--end", help="Last purchase date counted, YYYY-MM-DD (inclusive).")
        parser.add_argument("--out", required=True, help="Path of the xlsx file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = _date(options["start"], "start"), _date(options["end"], "end")
        if start and end and start > end:
            raise CommandError(f"--end {end} is before --start {start}.")
        practice = Practice.objects.filter(slug=options["practice"]).first()
        if practice is None:
            raise CommandError(f"No practice with slug {options['practice']!r}.")
        figures = savings_figures(practice_ids=[practice.id], start=start, end=end)
        lines = savings_lines(practice_ids=[practice.id], start=start, end=end).iterator(chunk_size=5000)
        try:
            savings_workbook_write(
                options["out"], practice_name=practice.name, start=start, end=end, figures=figures, lines=lines
            )
        except OSError as error:
            raise CommandError(f"Cannot write {options['out']}: {error}") from None
        total = figures["total"]
        self.stdout.write(
            f"{practice.slug}: {total.lines} lines, spend {total.spend}, savings {total.savings}, "
            f"overcharge {total.overcharge}, missed savings {total.missed_savings} -> {options['out']}"
        )
