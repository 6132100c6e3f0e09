"""`import_catalog FILE.xlsx`: load the catalog workbook of DESIGN.md section 7 (thin: one service call)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contracts.catalog_import import CatalogImportError, catalog_import


class Command(BaseCommand):
    help = (
        "Load vendors, contracts, items, prices, practices and participations from one workbook. Every problem is "
        "listed as 'Sheet!row column: reason' and nothing is written; loading the same workbook twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The .xlsx workbook")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report without writing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = catalog_import(path=options["file"], dry_run=options["dry_run"])
        except CatalogImportError as error:
            raise CommandError("\n".join([error.message, *error.errors])) from None
        except FileNotFoundError:
            raise CommandError(f"No such file: {options['file']}") from None
        for line in summary.lines():
            self.stdout.write(line)
        verb = "would be" if summary.dry_run else "were"
        note = "Dry run: nothing written." if summary.dry_run else "Catalog imported."
        if not summary.changed:
            note += " Nothing changed."
        self.stdout.write(self.style.SUCCESS(f"{note} Vendors whose catalog {verb} changed: {len(summary.vendor_ids)}"))
