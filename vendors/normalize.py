"""Normalisers for vendor names, SKUs and units of measure (DESIGN.md section 4, rules 1-3).

Pure functions shared by the catalog (what is stored), the upload pipeline and the reconciliation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

_NOISE_WORDS = frozenset({"inc", "llc", "ltd", "corp", "corporation", "co", "company", "the"})
_SPACES = re.compile(r"\s+")
# ASCII text (nearly every SKU) takes a regular expression instead of a look at each character's category.
_NOT_ASCII_ALNUM_UPPER = re.compile(r"[^0-9A-Z]+")
_NOT_ASCII_ALNUM_LOWER = re.compile(r"[^0-9a-z]+")


def _is_letter_or_digit(char: str) -> bool:
    return unicodedata.category(char)[0] in {"L", "N"}


def normalize_vendor_name(name: str | None) -> str:
    """DESIGN §4.1: lower-case, "&" -> " and ", other non letter/digit -> space, drop company words, collapse."""
    if not name:
        return ""
    text = str(name).lower().replace("&", " and ")
    if text.isascii():
        text = _NOT_ASCII_ALNUM_LOWER.sub(" ", text)
    else:
        text = "".join(char if _is_letter_or_digit(char) else " " for char in text)
    return " ".join(word for word in text.split() if word not in _NOISE_WORDS)


def normalize_sku(sku: object) -> str:
    """DESIGN §4.2: upper-case, letters and digits only, leading zeros dropped (spreadsheets eat them)."""
    if sku is None:
        return ""
    text = str(sku).upper()
    if text.isascii():
        text = _NOT_ASCII_ALNUM_UPPER.sub("", text)
    else:
        text = "".join(char for char in text if _is_letter_or_digit(char))
    stripped = text.lstrip("0")
    if not stripped and text:
        return "0"
    return stripped


def normalize_skus(values: pa.Array | Sequence[str | None]) -> pa.Array:
    """`normalize_sku` of many texts at once (a missing one gives ""): Arrow kernels for ASCII, else the function."""
    array = values if isinstance(values, pa.Array) else pa.array(values, type=pa.large_string())
    text = pc.fill_null(array.cast(pa.large_string()), "")
    # The steps of normalize_sku; on ASCII text, upper-casing and the character class agree with Python's.
    # utf8_upper, not ascii_upper: pyarrow 26's ascii_upper shifts the text of an array whose first offset is not
    # zero (as Arrow's csv reader makes them), e.g. "SKU-1" -> "-1SKU".
    kept = pc.replace_substring_regex(pc.utf8_upper(text), pattern="[^0-9A-Z]+", replacement="")
    stripped = pc.utf8_ltrim(kept, characters="0")
    result = pc.if_else(pc.and_(pc.equal(stripped, ""), pc.not_equal(kept, "")), "0", stripped)
    ascii_only = pc.string_is_ascii(text)
    if pc.all(ascii_only).as_py() is not False:
        return result
    patched = result.to_pylist()
    for k in pc.indices_nonzero(pc.invert(ascii_only)).to_pylist():
        patched[k] = normalize_sku(text[k].as_py())
    return pa.array(patched, type=pa.large_string())


# DESIGN §4.3: UOM synonyms fold to one code.
_UOM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "EA": ("EA", "EACH", "E", "UNIT", "UN", "PC", "PCS", "PIECE", "PIECES", "EACHES"),
    "BX": ("BX", "BOX", "BOXES", "BXS"),
    "CS": ("CS", "CASE", "CA", "CASES", "CSE"),
    "PK": ("PK", "PACK", "PKG", "PACKAGE", "PAK", "PACKS", "PKS"),
    "DZ": ("DZ", "DOZ", "DOZEN"),
    "PR": ("PR", "PAIR", "PAIRS"),
    "RL": ("RL", "ROLL", "ROLLS", "RO"),
    "BG": ("BG", "BAG", "BAGS"),
    "BT": ("BT", "BTL", "BOTTLE", "BOTTLES", "BO"),
    "VL": ("VL", "VIAL", "VIALS", "VI"),
    "KT": ("KT", "KIT", "KITS"),
    "ST": ("ST", "SET", "SETS"),
    "TB": ("TB", "TUBE", "TUBES"),
    "CT": ("CT", "CTN", "CARTON", "CARTONS"),
    "SY": ("SY", "SYR", "SYRINGE", "SYRINGES"),
    "MO": ("MO", "MONTH", "MONTHS", "MTH", "MONTHLY"),
    "YR": ("YR", "YEAR", "YEARS", "ANNUAL"),
    "HR": ("HR", "HOUR", "HOURS", "HRS"),
    "LB": ("LB", "LBS", "POUND", "POUNDS"),
    "GAL": ("GAL", "GALLON", "GALLONS", "GL"),
    "ML": ("ML", "MILLILITER", "MILLILITRE"),
    "L": ("L", "LITER", "LITRE", "LT"),
    "RM": ("RM", "REAM", "REAMS"),
    "TR": ("TR", "TRAY", "TRAYS"),
    "PL": ("PL", "PAIL", "PAILS"),
    "CN": ("CN", "CAN", "CANS"),
}
_UOM_FOLD = {alias: code for code, aliases in _UOM_SYNONYMS.items() for alias in aliases}


def fold_uom(uom: object) -> str:
    """The canonical code of a unit of measure ("each" -> "EA", "Case" -> "CS"); unknown codes upper-cased."""
    if uom is None:
        return ""
    text = "".join(char for char in str(uom).upper() if char.isalnum())
    return _UOM_FOLD.get(text, text)


EACH = "EA"
