"""`python -m bench`: run every benchmark module exposing run() and print its rows as a table."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gpo.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    package = Path(__file__).resolve().parent
    for module_info in pkgutil.iter_modules([str(package)]):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{module_info.name}")
        if not hasattr(module, "run"):
            continue
        rows = module.run()
        if not rows:
            continue
        columns = list(rows[0])
        widths = [max(len(str(column)), *(len(str(row[column])) for row in rows)) for column in columns]
        print(f"\n== {module_info.name} ==")
        print("  ".join(str(column).ljust(width) for column, width in zip(columns, widths, strict=True)))
        for row in rows:
            print("  ".join(str(row[column]).ljust(width) for column, width in zip(columns, widths, strict=True)))


if __name__ == "__main__":
    main()
