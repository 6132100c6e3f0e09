"""Building small xlsx workbooks for the catalog import tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook


def workbook_write(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write `sheets` ({name: [header, row, ...]}) to an xlsx at `path`."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path
