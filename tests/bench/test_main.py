"""The benchmark runner finds every module and prints aligned tables."""

from __future__ import annotations

from bench.__main__ import format_table, module_names


def test_module_names_discovers_catalog_search_and_skips_private_modules():
    names = module_names()

    assert "catalog_search" in names
    assert all(not name.startswith("_") for name in names)


def test_format_table_aligns_columns_and_right_aligns_numbers():
    table = format_table([{"case": "sku", "ms": "1.5"}, {"case": "description", "ms": "12.0"}])

    assert table.splitlines() == [
        "case           ms",
        "-----------  ----",
        "sku           1.5",
        "description  12.0",
    ]


def test_format_table_of_nothing_says_so():
    assert format_table([]) == "(no rows)"
