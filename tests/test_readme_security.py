"""The README's security table names, for every SECURITY.md item, tests that exist (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECURITY = ROOT.parent / "shared" / "SECURITY.md"
ROW = re.compile(r"^\| (\d+) \| [^|]+ \| (.+) \|$", re.MULTILINE)
NODE = re.compile(r"`(tests/[^`:]+\.py)::(\w+)`")


def _rows() -> dict[int, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Security: each requirement and the tests that fail without it", 1)[1]
    return {int(number): tests for number, tests in ROW.findall(section.split("\n## ", 1)[0])}


def test_every_security_item_has_a_row_with_a_test():
    if not SECURITY.is_file():
        pytest.skip(f"{SECURITY} is absent")
    items = {int(n) for n in re.findall(r"^(\d+)\. ", SECURITY.read_text(encoding="utf-8"), re.MULTILINE)}
    rows = _rows()
    assert items <= set(rows), sorted(items - set(rows))
    assert all(NODE.search(tests) for tests in rows.values())


def test_every_named_test_exists():
    for tests in _rows().values():
        for path, name in NODE.findall(tests):
            source = (ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^def {name}\(", source, re.MULTILINE), f"{path}::{name}"
