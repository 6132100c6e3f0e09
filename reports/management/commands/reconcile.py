"""`reconcile [--practice SLUG]`: reconcile stored purchase lines again and print how many hold each status."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from gpo.members.models import Practice
from reports.models import PurchaseLine
from reports.selectors.savings import lines_of_practices
from reports.services.reconciliation import lines_reconcile


class Command(BaseCommand):
    help = "Reconcile purchase lines against the catalog (all practices, or one) and print counts per status."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", help="Slug of the practice whose lines to reconcile.")

    def handle(self, *args: Any, **options: Any) -> None:
        lines = PurchaseLine.objects.all()
        if options["practice"]:
            practice = Practice.objects.filter(slug=options["practice"]).first()
            if practice is None:
                raise CommandError(f"No practice with slug {options['practice']!r}.")
            lines = lines_of_practices(lines, [practice.id])
        updated = lines_reconcile(queryset=lines)
        counts = dict(lines.values_list("status").annotate(n=Count("id")).order_by())
        self.stdout.write(f"Reconciled {updated} lines.")
        for status in PurchaseLine.Status.values:
            self.stdout.write(f"{status}: {counts.get(status, 0)}")
