"""`import_price_list FILE (--contract NUMBER | --multi) [--map field=Column ...]`: load a published price file."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contracts.price_list import SYNONYMS, PriceListImportError, price_list_import
from contracts.spreadsheet import CellError, cell_date


class Command(BaseCommand):
    help = (
        "Load a price file: a vendor's list for one contract (--contract NUMBER) or a multi-contract list naming "
        "contract, vendor and dates on every row (--multi, e.g. the VA FSS list). Every row is loaded or reported; "
        "a new price closes the previous open window of the same item and tier."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="An .xlsx/.xls/.ods price file")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--contract", help="Number of the (existing) contract the whole file prices")
        target.add_argument("--multi", action="store_true", help="Each row names its contract and vendor")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help=f"Map a column to a field; fields: {', '.join(SYNONYMS)}",
        )
        parser.add_argument("--sheet", help="Sheet name (default: the first)")
        parser.add_argument("--effective-from", help="Start date for rows without one (YYYY-MM-DD)")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report without writing")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Load the valid rows and list the rejected ones (default: all or nothing)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mapping: dict[str, str] = {}
        for pair in options["map"]:
            field_name, separator, column = pair.partition("=")
            if not separator or not field_name.strip() or not column.strip():
                raise CommandError(f"--map expects FIELD=COLUMN, got {pair!r}")
            mapping[field_name.strip()] = column.strip()
        try:
            default_from = cell_date(options["effective_from"]) if options["effective_from"] else None
        except CellError as error:
            raise CommandError(f"--effective-from: {error}") from None
        try:
            summary = price_list_import(
                path=options["file"],
                contract_number=options["contract"],
                multi=options["multi"],
                mapping=mapping,
                sheet=options["sheet"],
                effective_from=default_from,
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
            )
        except PriceListImportError as error:
            raise CommandError("\n".join([error.message, *error.errors])) from None
        for line in summary.lines():
            self.stdout.write(line)
        for problem in summary.errors:
            self.stdout.write(f"  rejected {problem}")
        note = "Dry run: nothing written." if summary.dry_run else "Price list loaded."
        self.stdout.write(self.style.SUCCESS(note))
