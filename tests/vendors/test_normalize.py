"""Property tests for the normalisers (DESIGN §4 rules 1-3, STYLE.md rule 11)."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from vendors.normalize import fold_uom, normalize_sku, normalize_skus, normalize_vendor_name

names = st.text(alphabet=string.ascii_letters + string.digits + " &.,-'()/é", max_size=40)
skus = st.text(alphabet=string.ascii_letters + string.digits + "-. /_#", max_size=30)
punctuation = st.sampled_from([".", ",", "-", "/", "'", "(", ")", "  ", "#", "*"])


@given(names)
def test_vendor_name_normalisation_is_idempotent(name: str) -> None:
    once = normalize_vendor_name(name)
    assert normalize_vendor_name(once) == once


@given(names)
def test_vendor_name_ignores_case(name: str) -> None:
    assert normalize_vendor_name(name.upper()) == normalize_vendor_name(name.lower()) == normalize_vendor_name(name)


@given(st.lists(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8), min_size=1, max_size=4), punctuation)
def test_vendor_name_ignores_punctuation_between_words(words: list[str], mark: str) -> None:
    assert normalize_vendor_name(f"{mark}".join(words)) == normalize_vendor_name(" ".join(words))


@given(names)
def test_vendor_name_drops_company_words(name: str) -> None:
    assert normalize_vendor_name(f"The {name}, Inc.") == normalize_vendor_name(name)


@given(names)
def test_vendor_name_has_only_letters_digits_and_single_spaces(name: str) -> None:
    result = normalize_vendor_name(name)
    assert "  " not in result
    assert result == result.strip()
    assert all(char.isalnum() or char == " " for char in result)


def test_vendor_name_examples() -> None:
    assert normalize_vendor_name("GE Healthcare Inc.") == normalize_vendor_name("GE HEALTHCARE") == "ge healthcare"
    assert normalize_vendor_name("Bausch & Lomb") == "bausch and lomb"
    assert normalize_vendor_name("Dr. Reddy’s Laboratories, Inc.") == "dr reddy s laboratories"


@given(skus)
def test_sku_normalisation_is_idempotent(sku: str) -> None:
    once = normalize_sku(sku)
    assert normalize_sku(once) == once


@given(skus)
def test_sku_ignores_case_and_punctuation(sku: str) -> None:
    assert normalize_sku(sku.lower()) == normalize_sku(sku.upper())
    assert normalize_sku(sku.replace("-", "")) == normalize_sku(sku)


@given(st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=20), st.integers(0, 5))
def test_sku_drops_leading_zeros(sku: str, zeros: int) -> None:
    assert normalize_sku("0" * zeros + sku) == normalize_sku(sku)


def test_sku_examples() -> None:
    assert normalize_sku("00270-1315-35") == normalize_sku("270131535") == "270131535"
    assert normalize_sku("000") == "0"
    assert normalize_sku(None) == ""


@given(st.lists(st.one_of(st.none(), skus, st.text(max_size=12)), max_size=20))
def test_vectorised_sku_normalisation_equals_normalize_sku(values: list[str | None]) -> None:
    # Any text, non-ASCII included (its letters and digits, Python's upper-casing: "ß" -> "SS"), and missing cells.
    assert normalize_skus(values).to_pylist() == [normalize_sku(value) for value in values]


def test_vectorised_sku_normalisation_examples() -> None:
    values = ["00270-1315-35", "000", "-", None, "", "ß-01", "0a0", "Straße 7"]

    assert normalize_skus(values).to_pylist() == ["270131535", "0", "", "", "", "SS01", "A0", "STRASSE7"]


def test_normalize_skus_of_an_array_whose_offsets_do_not_start_at_zero() -> None:
    """Arrow's csv reader hands out string arrays that start part-way into a shared data buffer."""
    import numpy as np
    import pyarrow as pa

    data = pa.py_buffer(b"xx,SKU-1SKU-22b-0")
    offsets = pa.py_buffer(np.array([3, 8, 14, 17], dtype=np.int32).tobytes())
    values = pa.Array.from_buffers(pa.string(), 3, [None, offsets, data])
    assert values.to_pylist() == ["SKU-1", "SKU-22", "b-0"]

    assert normalize_skus(values).to_pylist() == ["SKU1", "SKU22", "B0"]


@given(st.sampled_from(["EA", "each", "Each", "BX", "box", "CS", "case", "CA", "PK", "pack"]))
def test_uom_fold_is_idempotent(uom: str) -> None:
    assert fold_uom(fold_uom(uom)) == fold_uom(uom)


def test_uom_synonyms_fold() -> None:
    assert [fold_uom(u) for u in ["each", "EA", "Box", "case", "CA", "pack", "kg?"]] == [
        "EA",
        "EA",
        "BX",
        "CS",
        "CS",
        "PK",
        "KG",
    ]
