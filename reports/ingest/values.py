"""Reading the values finance files hold: money and quantities ("$1,234.56", "(12.00)") as scaled integers, never
through float, and dates (ISO, US month-first, month names, Excel serials). DESIGN.md section 5."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gpo.money import cents, unit_price

# --------------------------------------------------------------------------------------------------------------
# Values: numbers and dates, vectorised with Arrow compute kernels (RE2 regexes run in C++)


def _mask(array: Any) -> np.ndarray:
    """An Arrow boolean array as a numpy bool array (nulls -> False)."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _trimmed(array: pa.Array) -> pa.Array:
    # Unicode-aware: non-breaking and figure spaces are trimmed too (SECURITY.md item 8).
    return pc.utf8_trim_whitespace(array) if _edges_may_be_space(array) else array


def _edges_may_be_space(array: pa.Array) -> bool:
    """False when no cell starts or ends with a byte of a space: ASCII whitespace is at most 0x20 and every other
    whitespace character is non-ASCII, so cells whose first and last bytes lie in 0x21-0x7F trim to themselves."""
    if array.null_count or array.type != pa.string():
        return True
    characters = array.buffers()[2]
    if characters is None or not len(array):
        return False
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32, count=len(array) + 1, offset=4 * array.offset)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    if not filled.all():
        starts, ends = starts[filled], ends[filled]
    data = np.frombuffer(characters, dtype=np.uint8)
    edges = np.concatenate((data[starts], data[ends - 1]))
    return bool(((edges <= 0x20) | (edges >= 0x80)).any())


def _any(array: Any) -> bool:
    return bool(pc.any(array).as_py())


def _all(array: Any) -> bool:
    return bool(pc.all(array).as_py())


def _has(array: pa.Array, text: str) -> bool:
    """Whether some cell contains `text` (the buffer look-up first: usually no cell can)."""
    return _may_hold(array, text.encode()) and _any(pc.match_substring(array, text))


def _blank(array: pa.Array) -> np.ndarray:
    # Empty or nothing but whitespace: what trims to "" (utf8_is_space uses the same whitespace as the trim, per
    # code point, without building the trimmed strings).
    return _mask(pc.or_(pc.equal(pc.binary_length(array), 0), pc.utf8_is_space(array)))


_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"
_NUMBER = r"^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"
_GROUPED = r"^[-(]?-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?\)?-?$"


@dataclass
class _Numbers:
    scaled: np.ndarray  # int64: value x 10^places rounded half away from zero; 0 where blank, unreadable, too large
    blank: np.ndarray
    readable: np.ndarray
    too_large: np.ndarray  # readable but |value| >= 10^14 once rounded (more than the database columns hold)

    def take(self, positions: np.ndarray) -> _Numbers:
        return _Numbers(
            self.scaled[positions], self.blank[positions], self.readable[positions], self.too_large[positions]
        )


LIMIT_DIGITS = 14  # |quantity|, |unit price|, |extended amount| and |spend| stay below 10^14 (the DB columns)
_POWERS = 10 ** np.arange(19, dtype=np.int64)
_ROUNDING = {2: cents, 4: unit_price}


def _clean_numbers(raw: pa.Array, dollars: bool) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Finance spellings to plain number text: "$1,234.56", "(12.00)", "12.00-", "−12", NBSP; (text, blank, ok).

    `dollars`: whether the column has a "$" anywhere. It decides for every cell whether a sign followed by spaces
    ("- 12") is closed up, so a column split into parts must pass it for the whole column.
    """
    text = _trimmed(raw)
    blank = _mask(pc.equal(pc.utf8_length(text), 0))
    # Each rewrite runs only when some cell needs it: regex rewrites cost far more than the checks.
    if dollars:
        text = pc.replace_substring(text, "$", "")
        if _any(pc.match_substring(text, " ")):
            text = _trimmed(pc.replace_substring_regex(text, r"^([-(]?)\s+", r"\1"))
    if not _all(pc.string_is_ascii(text)):
        text = pc.replace_substring_regex(text, "[\u2212\u2012\u2013\u2014]", "-")
    has_comma = _mask(pc.match_substring(text, ","))
    bad_grouping = np.zeros(len(text), dtype=bool)
    if has_comma.any():
        bad_grouping = has_comma & ~_mask(pc.match_substring_regex(text, _GROUPED))
        text = pc.replace_substring(text, ",", "")
    if _any(pc.starts_with(text, "(")):
        text = pc.replace_substring_regex(text, r"^\(\s*([^()-]*?)\s*\)$", r"-\1")
    if _any(pc.ends_with(text, "-")):
        text = pc.replace_substring_regex(text, r"^([^-].*)-$", r"-\1")
    if _any(pc.starts_with(text, "+")):
        text = pc.replace_substring_regex(text, r"^\+", "")
    readable = _mask(pc.match_substring_regex(text, _NUMBER)) & ~blank & ~bad_grouping
    return text, blank, readable


# The usual shapes: "-1234.5", "1,234.56", "$1,234.56", "-$12"; at most 14 integer digits and `places` decimals. These
# are exact decimals once "$" and "," are dropped, which Arrow casts straight to scaled integers.
_GROUPED_14 = r"[0-9]{1,3}(?:,[0-9]{3}){1,3}|[0-9]{1,2}(?:,[0-9]{3}){4}"
_USUAL_NUMBER = {
    places: rf"^-?\$?(?:[0-9]{{1,{LIMIT_DIGITS}}}|{_GROUPED_14})(?:\.[0-9]{{1,{places}}})?$" for places in (2, 4)
}


def _parse_numbers(raw: pa.Array, places: int) -> _Numbers:
    """Readable numbers of a column scaled to `places` decimals (4: quantity, unit price; 2: amounts, in cents).

    Once per distinct text when the column repeats itself (quantities, prices). Empty cells and the usual shapes take
    two kernels; every other cell goes through _parse_odd_numbers, once per distinct text when those repeat.
    """
    distinct = _few_distinct(raw)
    if distinct is not None:
        # The distinct texts hold a "$" exactly when the column does: _clean_numbers reads each one as in the column.
        return _parse_number_cells(distinct[0], places).take(distinct[1])
    return _parse_number_cells(raw, places)


def _parse_number_cells(raw: pa.Array, places: int) -> _Numbers:
    size = len(raw)
    blank = _mask(pc.equal(pc.binary_length(raw), 0))
    whole = _plain_column_scaled(raw, blank, places)
    if whole is not None:
        return _Numbers(whole, blank, ~blank, np.zeros(size, dtype=bool))
    usual = _mask(pc.match_substring_regex(raw, _USUAL_NUMBER[places]))
    numbers = _Numbers(np.zeros(size, dtype=np.int64), blank, usual.copy(), np.zeros(size, dtype=bool))
    if usual.any():
        numbers.scaled[usual] = _usual_scaled(raw if usual.all() else raw.filter(pa.array(usual)), places)
    odd = ~usual & ~blank
    if odd.any():
        positions = np.flatnonzero(odd)
        cells = raw if len(positions) == size else raw.take(pa.array(positions))
        distinct = _few_distinct(cells)
        dollars = _has(raw, "$")
        if distinct is None:
            parsed = _parse_odd_numbers(cells, places, dollars)
        else:
            parsed = _parse_odd_numbers(distinct[0], places, dollars).take(distinct[1])
        numbers.scaled[positions] = parsed.scaled
        numbers.blank[positions] = parsed.blank
        numbers.readable[positions] = parsed.readable
        numbers.too_large[positions] = parsed.too_large
    return numbers


_DECIMALS = {2: pa.decimal64(LIMIT_DIGITS + 2, 2), 4: pa.decimal64(LIMIT_DIGITS + 4, 4)}
# Bytes that rule a column out of _plain_column_scaled: Arrow would read exponents and "+", and commas and spaces need
# the cleaning chain (grouping checks, "- 12").
_NOT_PLAIN_BYTES = (b"e", b"E", b"+", b",", b" ")
_PLAIN_MAX_CHARACTERS = LIMIT_DIGITS


def _plain_column_scaled(raw: pa.Array, blank: np.ndarray, places: int) -> np.ndarray | None:
    """Scaled integers of a column whose non-empty cells are all sign, digits and point ("$" dropped), else None.

    One Arrow decimal cast, no regex: the cast fails on any other text, on more than `places` non-zero decimals and on
    values of 10^14 or more. For the cells it accepts, the cleaning chain would give the same exact value.
    """
    characters = _characters(raw)
    if any(byte in characters for byte in _NOT_PLAIN_BYTES):
        return None
    texts = raw.filter(pa.array(~blank)) if blank.any() else raw
    if b"$" in characters:
        texts = pc.replace_substring(texts, "$", "")
    # pyarrow 26's decimal64 cast overflows int64 silently past 18 digits, reading or scaling up: "1900000000000000" at
    # 4 places gives 55325592629044.8384. Cells of at most 14 characters are below 10^14, so their scaled values stay
    # below 10^18 and the cast is exact; a column with longer ones takes the regex path.
    if len(texts) and pc.max(pc.binary_length(texts)).as_py() > _PLAIN_MAX_CHARACTERS:
        return None
    try:
        decimals = pc.cast(texts, _DECIMALS[places])
    except pa.ArrowInvalid:
        return None
    values = np.frombuffer(decimals.buffers()[1], dtype=np.int64, count=len(decimals), offset=8 * decimals.offset)
    if len(values) == len(raw):
        return values.copy()  # writable, like the scattered case
    scaled = np.zeros(len(raw), dtype=np.int64)
    scaled[~blank] = values
    return scaled


def _usual_scaled(texts: pa.Array, places: int) -> np.ndarray:
    """int64 value x 10^places of texts of the _USUAL_NUMBER shape: Arrow's exact decimal cast, read as its integers."""
    if _may_hold(texts, b"$"):
        texts = pc.replace_substring(texts, "$", "")
    if _may_hold(texts, b","):
        texts = pc.replace_substring(texts, ",", "")
    decimals = pc.cast(texts, _DECIMALS[places])
    # A decimal64 is its unscaled integer: the buffer read as int64 is the value x 10^places.
    return np.frombuffer(decimals.buffers()[1], dtype=np.int64, count=len(decimals), offset=8 * decimals.offset)


_DISTINCT_MIN_ROWS = 20_000
_DISTINCT_SAMPLE = 4096


def _few_distinct(values: pa.Array) -> tuple[pa.Array, np.ndarray] | None:
    """(distinct values, each cell's position among them) when a long column repeats itself, else None.

    Work done once per distinct value then taken back is exact for any per-cell function; whether it pays is guessed
    from the first rows (dates, quantities, prices and vendors repeat; amounts seldom do).
    """
    if len(values) < _DISTINCT_MIN_ROWS:
        return None
    sample = values.slice(0, _DISTINCT_SAMPLE)
    if pc.count_distinct(sample).as_py() * 2 > len(sample):
        return None
    encoded = pc.dictionary_encode(values)
    return encoded.dictionary, np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _parse_odd_numbers(raw: pa.Array, places: int, dollars: bool | None = None) -> _Numbers:
    """_parse_numbers for any cell text: finance spellings cleaned, rare shapes through Decimal.

    `dollars` is whether the whole column has a "$" (see _clean_numbers); None: whether these cells have one.
    """
    if dollars is None:
        dollars = _has(raw, "$")
    plain = _mask(pc.match_substring_regex(raw, _PLAIN_NUMBER))
    size = len(raw)
    if plain.all():
        text, blank, readable = raw, np.zeros(size, dtype=bool), plain
    else:
        # Only the cells that are not already plain numbers go through the cleaning chain.
        others = np.flatnonzero(~plain)
        cleaned, other_blank, other_readable = _clean_numbers(raw.take(pa.array(others)), dollars)
        text = pc.replace_with_mask(raw, pa.array(~plain), cleaned)
        blank = np.zeros(size, dtype=bool)
        blank[others] = other_blank
        readable = plain.copy()
        readable[others] = other_readable
    scaled, too_large = _scaled(text, readable, places)
    return _Numbers(scaled, blank, readable, too_large)


def _scaled(text: pa.Array, readable: np.ndarray, places: int) -> tuple[np.ndarray, np.ndarray]:
    """(int64 value x 10^places rounded half away from zero, too-large mask) of the readable number texts.

    The usual shapes ("-1234.5") are cut at the point by Arrow kernels: the digits without the point read as one
    integer, times 10 to the number of places missing. Exponents, more places or more digits (rare) go through
    Decimal and gpo.money's rounding, one cell at a time.
    """
    size = len(text)
    scaled = np.zeros(size, dtype=np.int64)
    too_large = np.zeros(size, dtype=bool)
    if not readable.any():
        return scaled, too_large
    # Readable texts are sign, digits, point and exponent only: no exponent, at most `places` decimals and at most
    # 14 integer digits make the simple shape (plain substring kernels, cheaper than a second regex).
    point = np.asarray(pc.find_substring(text, ".").to_numpy(zero_copy_only=False), dtype=np.int64)
    length = np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False), dtype=np.int64)
    given = np.where(point >= 0, length - point - 1, 0)
    integer_digits = np.where(point >= 0, point, length) - _mask(pc.starts_with(text, "-"))
    exponent = _mask(pc.match_substring(text, "e", ignore_case=True))
    simple = readable & ~exponent & (given <= places) & (integer_digits <= LIMIT_DIGITS)
    if simple.any():
        subset = text if simple.all() else text.filter(pa.array(simple))
        digits = _integers(pc.replace_substring(subset, ".", ""))
        scaled[simple] = digits * _POWERS[places - given[simple]]
    limit = Decimal(10) ** LIMIT_DIGITS
    rare = np.flatnonzero(readable & ~simple)
    for index, cell in zip(rare.tolist(), text.take(pa.array(rare)).to_pylist(), strict=True):
        number = Decimal(cell)
        # Compared before rounding (context-free copy_abs): quantize() of a huge number exceeds the precision.
        if number.copy_abs() >= limit or (rounded := _ROUNDING[places](number)).copy_abs() >= limit:
            too_large[index] = True
        else:
            scaled[index] = int(rounded.scaleb(places))
    return scaled, too_large


_MONTH_NAMES = (
    ("jan", "january"),
    ("feb", "february"),
    ("mar", "march"),
    ("apr", "april"),
    ("may",),
    ("jun", "june"),
    ("jul", "july"),
    ("aug", "august"),
    ("sep", "sept", "september"),
    ("oct", "october"),
    ("nov", "november"),
    ("dec", "december"),
)
_MONTH_LOOKUP = pa.array([name for names in _MONTH_NAMES for name in names])
_MONTH_NUMBER = np.array([number for number, names in enumerate(_MONTH_NAMES, start=1) for _ in names] + [0])
_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?: ?[AaPp][Mm])?)?"
# DESIGN §5: ISO, US month-first (03/15/2026, 3/15/26) and month names (15-Mar-2026, Mar 15 2026).
_DATE_PATTERNS = (
    rf"^(?P<y>[0-9]{{4}})-(?P<m>[0-9]{{1,2}})-(?P<d>[0-9]{{1,2}}){_TIME}$",
    rf"^(?P<m>[0-9]{{1,2}})/(?P<d>[0-9]{{1,2}})/(?P<y>[0-9]{{4}}|[0-9]{{2}}){_TIME}$",
    r"^(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})-(?P<y>[0-9]{4})$",
    r"^(?P<d>[0-9]{1,2})[-\s/]+(?P<n>[A-Za-z]{3,9})\.?[-\s/,]+(?P<y>[0-9]{4}|[0-9]{2})$",
    r"^(?P<n>[A-Za-z]{3,9})\.?[-\s/]+(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?,?[-\s/,]+(?P<y>[0-9]{4}|[0-9]{2})$",
)
_ISO_FAST = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
_US_FAST = r"^[0-9]{1,2}/[0-9]{1,2}/(?:[0-9]{4}|[0-9]{2})$"
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_NOT_A_DATE = np.datetime64("NaT", "D")


def _integers(array: pa.Array) -> np.ndarray:
    return np.asarray(pc.cast(pc.fill_null(array, "0"), pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _calendar_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """datetime64[D] from parts, NaT where the date does not exist (2/30, month 13)."""
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (year >= 1) & (year <= 9999)
    months = np.where(valid, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    dates = months.astype("datetime64[D]") + np.where(valid, day - 1, 0).astype("timedelta64[D]")
    valid &= dates.astype("datetime64[M]") == months
    return np.where(valid, dates, _NOT_A_DATE)


def _parse_dates(raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[D], NaT where unreadable; blank mask): ISO, US, month names, Excel serials; per distinct text."""
    distinct = _few_distinct(raw)
    if distinct is None:
        return _parse_date_cells(raw)
    dates, blank = _parse_date_cells(distinct[0])
    return dates[distinct[1]], blank[distinct[1]]


def _parse_date_cells(raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    text = _trimmed(raw)
    blank = _mask(pc.equal(pc.utf8_length(text), 0))
    result = np.full(len(text), _NOT_A_DATE, dtype="datetime64[D]")
    pending = ~blank
    # Fast paths without regex extraction: calamine's "2026-03-15 00:00:00" / ISO text, then US "03/15/2026".
    for pattern, split in ((_ISO_FAST, None), (_US_FAST, "/")):
        if not pending.any():
            break
        positions = np.flatnonzero(pending)
        candidates = text.take(pa.array(positions)) if len(positions) < len(text) else text
        matched = _mask(pc.match_substring_regex(candidates, pattern))
        if not matched.any():
            continue
        found = candidates.filter(pa.array(matched)) if not matched.all() else candidates
        if split is None:
            year, month, day = (_integers(pc.utf8_slice_codeunits(found, a, b)) for a, b in ((0, 4), (5, 7), (8, 10)))
        else:
            parts = pc.split_pattern(found, split)
            month, day, year = (_integers(pc.list_element(parts, i)) for i in range(3))
            year = np.where(year < 100, np.where(year < 69, 2000, 1900) + year, year)
        where = positions[matched]
        result[where] = _calendar_dates(year, month, day)
        pending[where] = False
    for pattern in _DATE_PATTERNS:
        if not pending.any():
            break
        positions = np.flatnonzero(pending)
        parts = pc.extract_regex(text.take(pa.array(positions)), pattern)
        matched = _mask(pc.is_valid(parts))
        if not matched.any():
            continue
        parts = parts.filter(pa.array(matched))
        year_text = parts.field("y")
        year = _integers(year_text)
        short = _mask(pc.less(pc.utf8_length(year_text), 4))
        # Two-digit years follow Python's %y pivot: 00-68 -> 2000s, 69-99 -> 1900s.
        year = np.where(short, np.where(year < 69, 2000, 1900) + year, year)
        if "?P<n>" in pattern:
            index = pc.index_in(pc.utf8_lower(parts.field("n")), value_set=_MONTH_LOOKUP)
            month = _MONTH_NUMBER[np.asarray(pc.fill_null(index, -1).to_numpy(zero_copy_only=False), dtype=np.int64)]
        else:
            month = _integers(parts.field("m"))
        where = positions[matched]
        result[where] = _calendar_dates(year, month, _integers(parts.field("d")))
        pending[where] = False
    if pending.any():
        positions = np.flatnonzero(pending)
        candidates = text.take(pa.array(positions))
        serial_mask = _mask(pc.match_substring_regex(candidates, r"^[0-9]{1,7}(?:\.[0-9]+)?$"))
        if serial_mask.any():
            serial = pc.cast(candidates.filter(pa.array(serial_mask)), pa.float64()).to_numpy(zero_copy_only=False)
            valid = (serial >= 1) & (serial < 2958466)
            dates = _EXCEL_EPOCH + np.where(valid, np.floor(serial), 0).astype(np.int64).astype("timedelta64[D]")
            result[positions[serial_mask]] = np.where(valid, dates, _NOT_A_DATE)
    return result, blank


def _characters(column: pa.Array) -> bytes:
    """A string column's cells run together, as bytes (a copy of its part of the character buffer)."""
    if column.type != pa.string():
        column = column.cast(pa.string())  # 32-bit offsets below
    characters = column.buffers()[2]
    if characters is None or not len(column):
        return b""
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32, count=len(column) + 1, offset=4 * column.offset)
    return characters.slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_pybytes()


def _may_hold(column: pa.Array, needle: bytes) -> bool:
    """False when no cell of a string column can contain `needle` (one memchr-speed scan of its characters)."""
    return needle in _characters(column)
