"""The demo catalog for `seed_demo`: data, not code. `catalog/` holds the six sheets of DESIGN.md section 7's
catalog workbook as csv files (Vendors, Contracts, Items, Prices, Practices, Participation); `seed_catalog` loads
them through `catalog_import`, the audited path a coalition's own workbook takes, so the demo exercises it.

The catalog: 40 vendors of a radiology GPO with the spellings accounts-payable exports use, 36 contracts (contrast
media, equipment service, PACS/IT, supplies, insurance, staffing) priced flat, by tier, by volume (min_qty) or as
"X % off list", last year's dearer windows, a draft, and practices that joined late or not at all. Idempotent:
loading it again changes nothing.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

from contracts.catalog_import import SHEETS, catalog_import
from contracts.models import CatalogChange, Contract, ContractDocument, ContractItem, ContractPrice, Participation
from gpo.xlsx import Column, Sheet, workbook_bytes
from vendors.models import Category, Vendor, VendorAlias

CATALOG_FOLDER = Path(__file__).parent / "catalog"
# Contracts whose page offers a letter-of-participation template to download.
LETTER_TEMPLATES = ("RPC-CM-2025-01", "RPC-CM-2025-02", "RPC-MS-2025-01")


def catalog_workbook(folder: Path = CATALOG_FOLDER) -> bytes:
    """The demo catalog's csv sheets as one workbook, every cell as the text the csv holds (a sheet with no csv
    file is left out, as a workbook may leave out a sheet)."""
    sheets = []
    for name in SHEETS:
        path = folder / f"{name}.csv"
        if not path.is_file():
            continue
        with path.open(newline="", encoding="utf-8") as file:
            header, *rows = list(csv.reader(file))
        sheets.append(Sheet(name, [Column(column, "text") for column in header], rows, autofilter=False))
    return workbook_bytes(sheets)


def _letter_templates() -> None:
    """A letter-of-participation template on the contracts that offer one (once)."""
    for contract in Contract.objects.filter(number__in=LETTER_TEMPLATES, documents__isnull=True):
        ContractDocument.objects.create(
            contract=contract,
            title=f"Letter of participation template ({contract.number})",
            file=ContentFile(
                f"Letter of participation for contract {contract.number}: {contract.title}.\n".encode(),
                name=f"{contract.number.lower()}-participation-letter.txt",
            ),
        )


def catalog_counts() -> dict[str, int]:
    """How big the catalog is now."""
    return {
        "vendors": Vendor.objects.count(),
        "aliases": VendorAlias.objects.count(),
        "categories": Category.objects.count(),
        "contracts": Contract.objects.count(),
        "items": ContractItem.objects.count(),
        "prices": ContractPrice.objects.count(),
        "participations": Participation.objects.count(),
    }


VA_FSS_FILE = "vaFssPharmPrices.xlsx"
VA_SOURCE = "seed_demo_va_fss"
VA_IMAGING_CLASS = "DX"  # VA drug class DX*: diagnostic agents, including contrast media


def _va_imaging_workbook(path: Path) -> tuple[bytes, int]:
    """The VA FSS rows whose VA class starts with "DX", as a one-sheet xlsx with every cell kept as text."""
    from contracts.spreadsheet import cell_text, sheet_rows, workbook_open

    book = workbook_open(path)
    rows = iter(sheet_rows(book, book.sheet_names[0]))
    _, header = next(rows)
    names = [cell_text(cell) for cell in header]
    va_class = names.index("VAClass")
    kept = [
        [cell_text(cell) for cell in cells]
        for _, cells in rows
        if cell_text(cells[va_class] if va_class < len(cells) else "").startswith(VA_IMAGING_CLASS)
    ]
    content = workbook_bytes([Sheet("DX", [Column(name, "text") for name in names], kept, autofilter=False)])
    return content, len(kept)


def seed_va_imaging(folder: Path) -> int:
    """Load the VA Federal Supply Schedule's diagnostic-agent rows through `price_list_import`, once.

    Returns the rows loaded (0 when the file is absent or was loaded before). Optional demo data: the real folder
    is never required.
    """
    from contracts.price_list import price_list_import

    path = folder / VA_FSS_FILE
    if not path.is_file() or CatalogChange.objects.filter(source=VA_SOURCE).exists():
        return 0
    content, count = _va_imaging_workbook(path)
    if not count:
        return 0
    summary = price_list_import(file=io.BytesIO(content), multi=True)
    CatalogChange.objects.create(
        source=VA_SOURCE,
        action=CatalogChange.Action.CREATED,
        object_type="PriceList",
        object_id=0,
        detail={"file": VA_FSS_FILE, "rows": count, "prices_created": summary.prices_created},
    )
    return count


@transaction.atomic
def seed_catalog(*, real_data: Path | None = None) -> dict[str, int]:
    """Load the demo catalog (idempotent) and return its counts, plus what this run created.

    With `real_data` (the folder of real public price lists), the VA FSS diagnostic-agent rows are added too.
    """
    summary = catalog_import(file=io.BytesIO(catalog_workbook()))
    _letter_templates()
    va_rows = seed_va_imaging(real_data) if real_data is not None else 0
    return {
        **catalog_counts(),
        "contracts_created": summary.sheets["Contracts"].created,
        "participations_created": summary.sheets["Participation"].created,
        "va_rows": va_rows,
    }
