"""Imports go downward only: reports -> contracts -> vendors -> gpo (DESIGN.md section 2, STYLE.md rule 4)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOORS = {"gpo": 1, "vendors": 2, "contracts": 3, "reports": 4}
# The root URL configuration and settings wire every app together by design.
EXEMPT = {ROOT / "gpo" / "urls.py", ROOT / "gpo" / "settings.py"}


def _imported_top_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _source_files() -> list[Path]:
    return [
        path
        for package in FLOORS
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and path not in EXEMPT
    ]


@pytest.mark.parametrize("path", _source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_upward_imports(path: Path) -> None:
    floor = FLOORS[path.relative_to(ROOT).parts[0]]
    upward = {name for name in _imported_top_packages(path) if FLOORS.get(name, 0) > floor}
    assert not upward, f"{path.relative_to(ROOT)} imports from a higher floor: {sorted(upward)}"
