"""Column recognition: which column of a purchase file holds which field (DESIGN.md §5, no confident wrong number).

Pure: no Django, no file reading. Given a header row (and, when known, some values under each header) it answers
field -> column with how sure each guess is (`exact`, `likely`, `guess`). It generalises rather than listing
spellings:

1. A header is read as words: case, punctuation, underscores, `#`, dots and camelCase split; abbreviations expanded
   (no / nbr / num / # -> number, qty, ext, amt, uom / u/m, mfr / mfg, cat, inv, po / p.o., desc, dt...); run-together
   words split ("VENDORNAME"); a misspelt word corrected when it is close to a known one ("Quantty").
2. Every (column, field) pair is scored from those words: a field's own nouns ("date", "vendor", "price"), the words
   that sharpen it ("invoice date", "vendor item number") and those that refute it ("due date", "vendor id", "list
   price", "tax amount"), and another field's noun in the header ("item description" is no item number).
3. The values under the header confirm or refute the guess: dates parse as dates, money and quantities as numbers,
   item, invoice and PO numbers look like codes, UOMs like unit codes, vendor names are words that repeat.
4. Fields are assigned to columns as a whole (the Hungarian method over integer scores), not first come first served.
   A pair's score depends on its own column only, and exact ties are broken by a hash of the header text, so the
   order of the columns and columns that fit no field never change what the others are mapped to.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

FIELDS = (
    "purchase_date",
    "vendor_name",
    "sku",
    "mfr_part_number",
    "description",
    "quantity",
    "uom",
    "unit_price",
    "extended_amount",
    "invoice_number",
    "po_number",
)
NUMBER_FIELDS = ("quantity", "unit_price", "extended_amount")
FIELD_LABELS = {
    "purchase_date": "purchase date",
    "vendor_name": "vendor",
    "sku": "SKU",
    "mfr_part_number": "manufacturer part number",
    "description": "description",
    "quantity": "quantity",
    "uom": "UOM",
    "unit_price": "unit price",
    "extended_amount": "extended amount",
    "invoice_number": "invoice number",
    "po_number": "PO number",
}

EXACT, LIKELY, GUESS = "exact", "likely", "guess"
CONFIDENCES = (EXACT, LIKELY, GUESS)
MAP_THRESHOLD = 0.4  # below this a column is left unmapped rather than guessed
LIKELY_THRESHOLD = 0.6
EXACT_THRESHOLD = 0.85
HEADER_CELL_THRESHOLD = 0.6  # a header-row cell must name a field this clearly to count towards finding the row
CONFIRM_BONUS = 0.12
REFUTE_FACTOR = 0.45

# --------------------------------------------------------------------------------------------------------------
# Words

_ABBREVIATIONS = {
    "no": "number",
    "nbr": "number",
    "num": "number",
    "nr": "number",
    "nmbr": "number",
    "numb": "number",
    "qty": "quantity",
    "qnty": "quantity",
    "qnt": "quantity",
    "qtys": "quantity",
    "quan": "quantity",
    "quant": "quantity",
    "ext": "extended",
    "extd": "extended",
    "extn": "extended",
    "extension": "extended",
    "extend": "extended",
    "amt": "amount",
    "amnt": "amount",
    "amts": "amount",
    "um": "uom",
    "uofm": "uom",
    "uoms": "uom",
    "mfr": "manufacturer",
    "mfg": "manufacturer",
    "mfgr": "manufacturer",
    "manuf": "manufacturer",
    "mnfr": "manufacturer",
    "manu": "manufacturer",
    "mftr": "manufacturer",
    "manufact": "manufacturer",
    "vendors": "vendor",
    "cat": "catalog",
    "catalogue": "catalog",
    "ctlg": "catalog",
    "catlg": "catalog",
    "inv": "invoice",
    "invc": "invoice",
    "desc": "description",
    "descr": "description",
    "dscr": "description",
    "descrip": "description",
    "dsc": "description",
    "dt": "date",
    "dte": "date",
    "vend": "vendor",
    "vndr": "vendor",
    "vdr": "vendor",
    "vendr": "vendor",
    "supp": "supplier",
    "suppl": "supplier",
    "splr": "supplier",
    "prod": "product",
    "prd": "product",
    "itm": "item",
    "prc": "price",
    "ea": "each",
    "tot": "total",
    "ttl": "total",
    "val": "value",
    "txn": "transaction",
    "trx": "transaction",
    "trans": "transaction",
    "tran": "transaction",
    "rcv": "received",
    "rcvd": "received",
    "recd": "received",
    "recv": "received",
    "rec": "received",
    "shp": "shipped",
    "shpd": "shipped",
    "shipd": "shipped",
    "ord": "order",
    "ordr": "order",
    "ordd": "ordered",
    "pkg": "package",
    "pk": "pack",
    "pck": "pack",
    "cd": "code",
    "ref": "reference",
    "acct": "account",
    "dept": "department",
    "purch": "purchase",
    "pur": "purchase",
    "prch": "purchase",
    "doc": "document",
    "nm": "name",
    "pcs": "pieces",
    "req": "requisition",
    "reqn": "requisition",
    "std": "standard",
    "avg": "average",
    "pct": "percent",
    "bo": "backorder",
    "cust": "customer",
    "ctr": "center",
    "cntr": "center",
    "centre": "center",
    "vchr": "voucher",
    "vouch": "voucher",
    "pymt": "payment",
    "pmt": "payment",
    "chk": "check",
    "mdse": "merchandise",
    "merch": "merchant",
    "ln": "line",
    "seq": "sequence",
    "stk": "stock",
    "lst": "list",
    "ven": "vendor",
    "meas": "measure",
    "msr": "measure",
    "identifier": "id",
    "qtyshipped": "quantity shipped",
    "qtyord": "quantity order",
    "cost center": "cost_center",
}
_STOP_WORDS = frozenset({"of", "the", "a", "an", "in", "for", "to", "on", "at", "and", "or", "by", "is", "as", "from"})
# Multi-word ideas read as one word (after abbreviations are expanded); the longest phrase wins.
_PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("u", "m"): ("uom",),
    ("u", "of", "m"): ("uom",),
    ("unit", "of", "measure"): ("uom",),
    ("units", "of", "measure"): ("uom",),
    ("unit", "measure"): ("uom",),
    ("unit", "of", "issue"): ("uom",),
    ("unit", "issue"): ("uom",),
    ("measure", "unit"): ("uom",),
    ("measuring", "unit"): ("uom",),
    ("p", "o"): ("po",),
    ("purchase", "order"): ("po",),
    ("purchasing", "document"): ("po",),
    ("purchase", "document"): ("po",),
    ("sales", "order"): ("so",),
    ("cost", "center"): ("cost_center",),
    ("line", "number"): ("line_number",),
    ("b", "o"): ("backorder",),
    ("back", "order"): ("backorder",),
    ("back", "ordered"): ("backorder",),
    ("line", "item"): ("line",),
    ("date", "of", "service"): ("service", "date"),
    ("number", "of", "units"): ("quantity",),
    ("number", "of", "items"): ("quantity",),
    ("number", "of", "pieces"): ("quantity",),
    ("short", "text"): ("description",),
    ("sold", "by"): ("seller",),
    ("remit", "to"): ("remit",),
    ("ship", "to"): ("ship_to",),
    ("bill", "to"): ("bill_to",),
    ("sold", "to"): ("sold_to",),
    ("deliver", "to"): ("ship_to",),
    ("on", "hand"): ("on_hand",),
}
_PHRASE_LENGTHS = sorted({len(phrase) for phrase in _PHRASES}, reverse=True)

# --------------------------------------------------------------------------------------------------------------
# What names each field: rules (a set of words -> base score), the words that sharpen or weaken it, and the
# nouns that make a header another field's (a header naming another field's noun is about that field).

_RULES: dict[str, tuple[tuple[frozenset[str], float], ...]] = {}
_MODIFIERS: dict[str, dict[str, float]] = {}
_HEADS: dict[str, frozenset[str]] = {}
# Words that refute a field outright (money of another kind, other dates, identifiers of other things).
_REFUTING: dict[str, frozenset[str]] = {}


def _field(
    name: str, rules: dict[str, float], modifiers: dict[str, float], heads: set[str], refuting: set[str] | None = None
) -> None:
    _RULES[name] = tuple((frozenset(words.split()), score) for words, score in rules.items())
    _MODIFIERS[name] = modifiers
    _HEADS[name] = frozenset(heads)
    _REFUTING[name] = frozenset(refuting or ())


# Words of things a purchase line is not about: taxes and fees, accounting codes, people, places, statuses.
_NOT_A_FIELD = frozenset(
    {
        "tax",
        "vat",
        "gst",
        "freight",
        "shipping",
        "insurance",
        "discount",
        "fee",
        "fees",
        "surcharge",
        "handling",
        "rebate",
        "savings",
        "saving",
        "budget",
        "balance",
        "cost_center",
        "department",
        "account",
        "ledger",
        "weight",
        "kilograms",
        "kg",
        "lbs",
        "status",
        "type",
        "class",
        "classification",
        "category",
        "group",
        "comment",
        "comments",
        "note",
        "notes",
        "approver",
        "buyer",
        "requester",
        "requestor",
        "employee",
        "cardholder",
        "address",
        "city",
        "state",
        "zip",
        "postal",
        "phone",
        "email",
        "contact",
        "country",
        "region",
        "site",
        "location",
        "currency",
        "exchange",
        "percent",
        "terms",
        "term",
        "incoterm",
        "inco",
        "tracking",
        "carrier",
        "lot",
        "serial",
        "project",
        "fund",
        "grant",
        "program",
        "line_number",
        "sequence",
        "index",
        "row",
        "variance",
        "difference",
        "overcharge",
        "ship_to",
        "bill_to",
        "sold_to",
        "customer",
        "facility",
        "entity",
        "period",
        "year",
        "month",
        "fiscal",
        "flag",
        "indicator",
        "reason",
        "method",
        "mode",
        "batch",
        "unspsc",
        "hcpcs",
        "cpt",
    }
)
_IDENTIFIER = {"number": 0.0, "id": 0.0, "code": 0.0, "key": 0.0, "reference": 0.0}
_ID_WORDS = frozenset({"number", "id", "code", "key"})

_field(
    "purchase_date",
    {"date": 0.62, "datetime": 0.62, "timestamp": 0.5},
    {
        "purchase": 0.33,
        "purchased": 0.33,
        "invoice": 0.3,
        "invoiced": 0.3,
        "transaction": 0.28,
        "order": 0.25,
        "ordered": 0.25,
        "po": 0.22,
        "posting": 0.2,
        "posted": 0.2,
        "post": 0.2,
        "bill": 0.15,
        "billing": 0.15,
        "billed": 0.15,
        "received": 0.16,
        "receipt": 0.16,
        "receiving": 0.16,
        "shipped": 0.14,
        "ship": 0.14,
        "shipment": 0.14,
        "delivered": 0.14,
        "delivery": 0.14,
        "service": 0.1,
        "document": 0.1,
        "voucher": 0.1,
        "accounting": 0.06,
        "gl": 0.06,
        "entry": 0.0,
        "line": 0.0,
        "payment": -0.05,
        "paid": -0.05,
        "check": -0.05,
        # dates of the process around a purchase, not of the purchase itself
        "scheduled": -0.22,
        "expected": -0.22,
        "promised": -0.22,
        "requested": -0.22,
        "required": -0.22,
        "need": -0.22,
        "needed": -0.22,
        "estimated": -0.22,
        "sent": -0.22,
        "recorded": -0.22,
        "entered": -0.22,
        "created": -0.22,
        "modified": -0.22,
        "updated": -0.22,
        "changed": -0.22,
        "approved": -0.22,
        "approval": -0.22,
        "last": -0.22,
        "first": -0.22,
    },
    {"date", "datetime", "timestamp"},
    {
        "due",
        "expiration",
        "expiry",
        "expire",
        "expires",
        "exp",
        "effective",
        "start",
        "end",
        "stop",
        "begin",
        "birth",
        "hire",
        "contract",
        "cancel",
        "cancelled",
        "canceled",
        "termination",
    },
)
_field(
    "vendor_name",
    {
        "vendor": 0.85,
        "supplier": 0.85,
        "payee": 0.75,
        "merchant": 0.75,
        "seller": 0.7,
        "distributor": 0.7,
        "remit": 0.6,
        "name": 0.42,
        "vendor name": 0.95,
        "supplier name": 0.95,
        "payee name": 0.9,
        "merchant name": 0.9,
    },
    {"name": 0.05, "legal": 0.0, "dba": 0.0, "primary": 0.0, "trading": 0.0, "full": 0.0, "sold": 0.0, "po": -0.05},
    {"vendor", "supplier", "payee", "merchant", "seller", "distributor"},
    set(_ID_WORDS) | {"brand", "user", "file", "trade", "generic", "drug"},
)
_field(
    "sku",
    {
        "sku": 0.92,
        "item": 0.62,
        "item number": 0.85,
        "item id": 0.78,
        "item code": 0.8,
        "catalog": 0.65,
        "catalog number": 0.85,
        "catalog id": 0.75,
        "catalog code": 0.8,
        "product number": 0.82,
        "product code": 0.8,
        "product id": 0.75,
        "part number": 0.72,
        "part": 0.5,
        "part id": 0.65,
        "material": 0.62,
        "material number": 0.8,
        "article number": 0.78,
        "article": 0.55,
        "stock number": 0.72,
        "ndc": 0.7,
        "upc": 0.55,
        "gtin": 0.55,
        "reorder number": 0.72,
    },
    {
        "vendor": 0.12,
        "supplier": 0.12,
        "distributor": 0.12,
        "seller": 0.1,
        "order": 0.0,
        "reorder": 0.0,
        "line": 0.0,
        "invoice": 0.0,
        "po": 0.0,
        "number": 0.0,
        "id": 0.0,
        "code": 0.0,
        "product": 0.0,
        # our own item numbers are not the vendor's (they will not match a contract item)
        "internal": -0.25,
        "local": -0.25,
        "our": -0.25,
        "master": -0.2,
    },
    {"sku", "item", "catalog", "part", "material", "article", "ndc", "upc", "gtin", "stock"},
    {"count", "quantity", "size", "manufacturer", "oem", "buyer"},
)
_field(
    "mfr_part_number",
    {
        "mpn": 0.92,
        "manufacturer number": 0.8,
        "manufacturer part": 0.88,
        "manufacturer item": 0.85,
        "manufacturer catalog": 0.88,
        "manufacturer product": 0.85,
        "manufacturer code": 0.5,
        "manufacturer reference": 0.8,
        "manufacturer model": 0.8,
        "manufacturer sku": 0.85,
        "manufacturer id": 0.45,
        "model number": 0.55,
        "model": 0.45,
        "oem number": 0.75,
        "oem part": 0.85,
        "oem": 0.5,
    },
    dict(_IDENTIFIER),
    {"manufacturer", "mpn", "oem", "model"},
    {"name", "vendor", "supplier", "distributor"},
)
_field(
    "description",
    {
        "description": 0.9,
        "item name": 0.8,
        "product name": 0.8,
        "product": 0.62,
        "material name": 0.75,
        "supply name": 0.75,
        "supply description": 0.9,
        "item text": 0.7,
        "memo": 0.5,
        "narrative": 0.5,
        "details": 0.4,
        "detail": 0.4,
        "goods": 0.4,
    },
    {
        "item": 0.03,
        "product": 0.03,
        "line": 0.02,
        "material": 0.0,
        "long": 0.0,
        "short": 0.0,
        "full": 0.0,
        "invoice": -0.05,
        "po": -0.05,
        "vendor": -0.1,
        "supplier": -0.1,
        "service": 0.0,
    },
    {"description", "memo", "narrative", "name", "product", "text"},
    set(_ID_WORDS) | {"unit", "uom"},
)
_field(
    "quantity",
    {"quantity": 0.88, "units": 0.6, "pieces": 0.55, "count": 0.4},
    {
        "invoiced": 0.06,
        "invoice": 0.05,
        "billed": 0.06,
        "voucher": 0.05,
        "vouchered": 0.06,
        "shipped": 0.05,
        "ship": 0.05,
        "delivered": 0.05,
        "received": 0.04,
        "purchased": 0.04,
        "purchase": 0.03,
        "ordered": 0.0,
        "order": 0.0,
        "po": -0.02,
        "line": 0.0,
        "item": 0.0,
        "total": 0.0,
        "each": 0.0,
        "sold": 0.0,
        "net": 0.0,
    },
    {"quantity", "units", "pieces", "count"},
    {
        "per",
        "backorder",
        "backordered",
        "open",
        "remaining",
        "outstanding",
        "cancelled",
        "canceled",
        "short",
        "on_hand",
        "available",
        "min",
        "max",
        "minimum",
        "maximum",
        "reorder",
        "par",
        "size",
        "pack",
        "case",
        "box",
        "conversion",
        "factor",
        "multiple",
    },
)
_field(
    "uom",
    {
        "uom": 0.92,
        "measure": 0.6,
        "unit": 0.3,
        "units": 0.35,
        "pack": 0.45,
        "package": 0.45,
        "packaging": 0.5,
        "selling unit": 0.75,
        "sell unit": 0.75,
        "order unit": 0.75,
        "purchase unit": 0.75,
        "purchasing unit": 0.75,
        "ordering unit": 0.75,
    },
    {
        "order": 0.0,
        "ordered": 0.0,
        "invoice": 0.0,
        "purchase": 0.0,
        "po": 0.0,
        "code": 0.0,
        "description": 0.0,
        "line": 0.0,
        "item": 0.0,
        "vendor": 0.0,
        "selling": 0.0,
        "sell": 0.0,
    },
    {"uom", "measure", "pack", "package", "packaging"},
    {"size", "conversion", "factor", "per", "quantity", "count", "cost", "amount"},
)
_field(
    "unit_price",
    {
        "price": 0.72,
        "unit price": 0.88,
        "cost": 0.62,
        "unit cost": 0.86,
        "rate": 0.5,
        "unit rate": 0.75,
        "price each": 0.85,
        "cost each": 0.85,
        "each price": 0.85,
        "pack price": 0.92,
        "net price": 0.8,
        "unit amount": 0.75,
        "unit dollars": 0.7,
        "price per unit": 0.88,
        "cost per unit": 0.86,
    },
    {
        "unit": 0.0,
        "each": 0.0,
        "per": 0.0,
        "net": 0.0,
        "pack": 0.0,
        "invoice": 0.08,
        "invoiced": 0.08,
        "paid": 0.08,
        "actual": 0.08,
        "billed": 0.06,
        "purchase": 0.05,
        "po": 0.0,
        "order": 0.0,
        "item": 0.0,
        "line": 0.0,
        "sell": 0.0,
        "sales": 0.0,
        "selling": 0.0,
        "entered": 0.0,
        "uom": 0.0,
        "case": 0.0,
        "box": 0.0,
        "vendor": 0.0,
        "supplier": 0.0,
        "dollars": 0.0,
        "quoted": -0.15,
        "amount": 0.0,
    },
    {"price", "cost", "rate"},
    {
        "contract",
        "list",
        "msrp",
        "catalog",
        "gpo",
        "expected",
        "standard",
        "average",
        "base",
        "original",
        "target",
        "benchmark",
        "retail",
        "replacement",
        "landed",
        "exchange",
        "extended",
        "total",
        "subtotal",
    },
)
_field(
    "extended_amount",
    {
        "amount": 0.7,
        "total": 0.55,
        "extended": 0.85,
        "extended price": 0.9,
        "extended cost": 0.9,
        "extended amount": 0.92,
        "extended total": 0.9,
        "value": 0.45,
        "line value": 0.8,
        "line total": 0.85,
        "line amount": 0.85,
        "total price": 0.8,
        "total cost": 0.8,
        "total amount": 0.8,
        "total value": 0.75,
        "net value": 0.75,
        "item total": 0.8,
        "spend": 0.7,
        "dollars": 0.5,
        "subtotal": 0.55,
        "merchandise amount": 0.85,
        "net amount": 0.8,
        "gross amount": 0.75,
        "debit": 0.5,
        "expense": 0.5,
        "charge": 0.45,
    },
    {
        "line": 0.0,
        "net": 0.0,
        "gross": 0.0,
        "price": 0.0,
        "cost": 0.0,
        "merchandise": 0.0,
        "item": 0.0,
        "transaction": 0.0,
        "charge": 0.0,
        "paid": 0.0,
        "payment": -0.05,
        "billed": 0.0,
        "billing": 0.0,
        "invoice": -0.15,
        "invoiced": -0.05,
        "po": -0.1,
        "order": -0.1,
        "spend": 0.0,
        "dollars": 0.0,
        "usd": 0.0,
        "purchase": 0.0,
        "debit": 0.0,
    },
    {"amount", "total", "extended", "value", "spend", "subtotal", "dollars"},
    {
        "unit",
        "each",
        "per",
        "contract",
        "list",
        "expected",
        "standard",
        "due",
        "open",
        "remaining",
        "outstanding",
        "encumbered",
        "budget",
        "credit",
        "quantity",
        "units",
        "count",
        "weight",
    },
)
_field(
    "invoice_number",
    {
        "invoice": 0.75,
        "invoice number": 0.92,
        "invoice id": 0.85,
        "invoice reference": 0.85,
        "bill number": 0.75,
        "bill": 0.5,
        "voucher number": 0.5,
        "voucher id": 0.5,
        "voucher": 0.45,
    },
    {**_IDENTIFIER, "vendor": 0.0, "supplier": 0.0, "document": 0.0, "ap": 0.0},
    {"invoice", "bill", "voucher"},
    {"line", "date", "total", "amount", "status", "type"},
)
_field(
    "po_number",
    {
        "po": 0.8,
        "po number": 0.92,
        "po id": 0.85,
        "order number": 0.78,
        "order id": 0.7,
        "order": 0.45,
        "requisition number": 0.45,
    },
    {**_IDENTIFIER, "so": 0.0, "customer": 0.0, "vendor": 0.0, "purchasing": 0.0, "document": 0.0},
    {"po", "order", "requisition"},
    {"line", "date", "status", "type", "release"},
)
_ALLOWED = {name: frozenset().union(*(words for words, _ in _RULES[name])) | set(_MODIFIERS[name]) for name in FIELDS}
_HEAD_OWNER = {word: name for name in FIELDS for word in _HEADS[name]}
_VOCABULARY = (
    frozenset(_ABBREVIATIONS)
    | {word for expanded in _ABBREVIATIONS.values() for word in expanded.split()}
    | frozenset().union(*_ALLOWED.values())
    | frozenset().union(*_REFUTING.values())
    | _NOT_A_FIELD
    | _STOP_WORDS
    | {word for phrase in _PHRASES for word in phrase}
    | {"name", "number", "id", "code", "date", "so", "dollars", "usd", "client", "brand", "manufacturing", "size"}
)
# Words long enough to correct a misspelling towards (short abbreviations would attract unrelated words).
_CORRECTABLE = sorted(word for word in _VOCABULARY if len(word) >= 4 and word.isalpha())
# Words a run-together header may be made of ("VENDORNAME", "itemno").
_SEGMENT_WORDS = frozenset(word for word in _VOCABULARY if len(word) >= 2 and word.isalpha())
_FUZZY_CUTOFF = 85
_UNKNOWN_WORD_PENALTY = 0.04
_FOREIGN_HEAD_PENALTY = 0.55
_FOREIGN_MODIFIER_PENALTY = 0.3
_WEAK_RULE = 0.5
_FUZZY_FACTOR = 0.92

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_BRACKETED = re.compile(r"[(\[{][^)\]}]*[)\]}]")
_SPLIT = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class Words:
    """A header read as words: the words, and whether a misspelling had to be corrected to read it."""

    words: tuple[str, ...]
    corrected: bool


@lru_cache(maxsize=8192)
def header_words(header: str) -> Words:
    """The words of a header: split, abbreviations expanded, run-together words split, misspellings corrected."""
    text = unicodedata.normalize("NFKC", str(header))
    without_notes = _BRACKETED.sub(" ", text)
    if without_notes.strip(" \t-_./"):
        text = without_notes  # "Unit of Measure (Per Pack)": the note in brackets is not what the column is
    text = _CAMEL.sub(" ", text)
    text = text.replace("#", " number ").replace("%", " percent ").replace("&", " and ").replace("$", " dollars ")
    raw = [word for word in _SPLIT.split(text.lower()) if word]
    words: list[str] = []
    corrected = False
    for word in raw:
        found, fixed = _read_word(word)
        words.extend(found)
        corrected |= fixed
    # Phrases first ("remit to", "qty on hand"), then again without the small words ("unit (of) measure").
    collapsed = _collapse_phrases(words)
    return Words(tuple(_collapse_phrases([word for word in collapsed if word not in _STOP_WORDS])), corrected)


def _read_word(word: str) -> tuple[list[str], bool]:
    """One split word as known words: (words, whether it was a misspelling corrected)."""
    if word in _ABBREVIATIONS:
        return _ABBREVIATIONS[word].split(), False
    if word in _VOCABULARY or word.isdigit():
        return [word], False
    if word.endswith("s") and word[:-1] in _VOCABULARY:
        return _read_word(word[:-1])
    if len(word) >= 5:
        pieces = _segment(word)
        if pieces:
            return [expanded for piece in pieces for expanded in _read_word(piece)[0]], False
    if len(word) >= 3 and word.isalpha():
        from rapidfuzz import fuzz, process

        match = process.extractOne(word, _CORRECTABLE, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        if match is not None:
            return _read_word(match[0])[0], True
        if len(word) == 3:
            # "Nme", "Qyt": three letters against the four-letter words only (ratio 86 for one letter dropped)
            short = [w for w in _CORRECTABLE if len(w) == 4]
            match = process.extractOne(word, short, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
            if match is not None:
                return _read_word(match[0])[0], True
    return [word], False


@lru_cache(maxsize=4096)
def _segment(word: str) -> tuple[str, ...] | None:
    """A run-together word split into known words ("vendorname" -> vendor, name), fewest pieces; None if it is not."""
    best: list[tuple[str, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for end in range(2, len(word) + 1):
        for start in range(max(0, end - 16), end - 1):
            head = best[start]
            piece = word[start:end]
            if head is not None and piece in _SEGMENT_WORDS:
                candidate = (*head, piece)
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    found = best[len(word)]
    return found if found is not None and len(found) >= 2 else None


def _collapse_phrases(words: list[str]) -> list[str]:
    result: list[str] = []
    index = 0
    while index < len(words):
        for length in _PHRASE_LENGTHS:
            phrase = tuple(words[index : index + length])
            if len(phrase) == length and phrase in _PHRASES:
                result.extend(_PHRASES[phrase])
                index += length
                break
        else:
            result.append(words[index])
            index += 1
    return result


# --------------------------------------------------------------------------------------------------------------
# Scores from the header's words


@lru_cache(maxsize=8192)
def header_scores(header: str) -> tuple[float, ...]:
    """How well a header names each field (in FIELDS order), 0 to 1, from its words alone."""
    read = header_words(header)
    if not read.words:
        return tuple(0.0 for _ in FIELDS)
    scores = []
    for name in FIELDS:
        score = _word_score(name, read.words)
        scores.append(max(0.0, min(1.0, score * (_FUZZY_FACTOR if read.corrected else 1.0))))
    return tuple(scores)


def _word_score(name: str, words: tuple[str, ...]) -> float:
    present = set(words)
    base = max((score for rule, score in _RULES[name] if rule <= present), default=0.0)
    if base == 0.0:
        return 0.0
    matched = max((rule for rule, score in _RULES[name] if rule <= present and score == base), key=len)
    modifiers = _MODIFIERS[name]
    others = present - matched
    if base < _WEAK_RULE and others - set(modifiers):
        return 0.0  # a weak word ("name", "unit", "order") names the field only on its own
    allowed = _ALLOWED[name]
    head = words[-1]  # English headers end on their noun: "Item Description" is a description
    score = base
    for word in others:
        if word in _REFUTING[name] or (word in _NOT_A_FIELD and word not in allowed):
            return 0.0
        if word in modifiers:
            score += modifiers[word]
        elif word in _HEAD_OWNER and _HEAD_OWNER[word] != name:
            score -= _FOREIGN_HEAD_PENALTY if word == head else _FOREIGN_MODIFIER_PENALTY
        elif word not in allowed and word not in _VOCABULARY:
            score -= _UNKNOWN_WORD_PENALTY
    return score


# --------------------------------------------------------------------------------------------------------------
# Evidence from the values under a header

_DATE_VALUE = re.compile(
    r"^(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[ T][0-9:.]+)?"
    r"|[0-9]{1,2}/[0-9]{1,2}/(?:[0-9]{4}|[0-9]{2})(?: [0-9:]+(?: ?[AaPp][Mm])?)?"
    r"|[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}"
    r"|[0-9]{1,2}[-\s/]+[A-Za-z]{3,9}\.?[-\s/,]+(?:[0-9]{4}|[0-9]{2})"
    r"|[A-Za-z]{3,9}\.?[-\s/]+[0-9]{1,2}(?:st|nd|rd|th)?,?[-\s/,]+(?:[0-9]{4}|[0-9]{2})"
    r"|[0-9]{8}"
    r")$"
)
_NUMBER_VALUE = re.compile(
    r"^[-+(]?\s*-?\$?\s*(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\)?-?$"
)
_DECIMAL_VALUE = re.compile(r"^[-(]?\$?[0-9,]*\.[0-9]{1,4}\)?$")
_CODE_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_./#:]{0,39}$")
_UOM_VALUE = re.compile(
    r"^[A-Za-z]{1,4}$|^(?:each|case|box|pack|package|bottle|vial|kit|roll|pair|carton|dozen)s?$", re.IGNORECASE
)
_LETTERS = re.compile(r"[^\W\d_]")
_HAS_DIGIT = re.compile(r"[0-9]")
_MIN_SAMPLES = 3


@dataclass(frozen=True)
class Evidence:
    """What the values of a column look like: shares of its non-blank sample values of each kind."""

    count: int
    dates: float
    numbers: float
    decimals: float
    codes: float
    uoms: float
    words: float
    names: float
    distinct: float
    long_text: float


def value_evidence(values: Sequence[str]) -> Evidence:
    """The shares of date, number, code, UOM and worded values among the non-blank values."""
    cells = [str(value).strip() for value in values]
    cells = [cell for cell in cells if cell]
    count = len(cells)
    if not count:
        return Evidence(0, 0, 0, 0, 0, 0, 0, 0, 1.0, 0)
    dates = sum(1 for cell in cells if _DATE_VALUE.match(cell))
    numbers = sum(1 for cell in cells if _NUMBER_VALUE.match(cell) and _HAS_DIGIT.search(cell))
    decimals = sum(1 for cell in cells if _DECIMAL_VALUE.match(cell))
    codes = sum(
        1
        for cell in cells
        if _CODE_VALUE.match(cell)
        and _HAS_DIGIT.search(cell)
        and not _DATE_VALUE.match(cell)
        and not _DECIMAL_VALUE.match(cell)
    )
    uoms = sum(1 for cell in cells if _UOM_VALUE.match(cell))
    words = sum(1 for cell in cells if _LETTERS.search(cell))
    names = sum(1 for cell in cells if len(_LETTERS.findall(cell)) >= 3)
    long_text = sum(1 for cell in cells if len(cell) >= 12 and " " in cell)
    return Evidence(
        count=count,
        dates=dates / count,
        numbers=numbers / count,
        decimals=decimals / count,
        codes=codes / count,
        uoms=uoms / count,
        words=words / count,
        names=names / count,
        distinct=len(set(cells)) / count,
        long_text=long_text / count,
    )


def _verdict(name: str, evidence: Evidence) -> int:
    """+1 when the values confirm the field, -1 when they refute it, 0 when they say nothing either way."""
    if evidence.count < _MIN_SAMPLES:
        return 0
    if name == "purchase_date":
        return 1 if evidence.dates >= 0.8 else -1 if evidence.dates < 0.5 else 0
    if name in NUMBER_FIELDS:
        return 1 if evidence.numbers >= 0.9 else -1 if evidence.numbers < 0.5 else 0
    if name in {"sku", "mfr_part_number", "invoice_number", "po_number"}:
        if evidence.dates >= 0.5 or evidence.decimals >= 0.5 or evidence.long_text >= 0.5:
            return -1
        return 1 if evidence.codes >= 0.8 else 0
    if name == "vendor_name":
        if evidence.words < 0.5 or evidence.dates >= 0.5:
            return -1  # vendor numbers, not names
        repeats = evidence.count >= 10 and evidence.distinct <= 0.8
        return 1 if evidence.names >= 0.9 and (repeats or evidence.count < 10) else 0
    if name == "description":
        if evidence.words < 0.5:
            return -1
        return 1 if evidence.words >= 0.9 and evidence.codes < 0.5 else 0
    if name == "uom":
        if evidence.dates >= 0.5 or evidence.decimals >= 0.5:
            return -1
        return 1 if evidence.uoms >= 0.8 else 0
    return 0


# --------------------------------------------------------------------------------------------------------------
# Assignment


@dataclass(frozen=True)
class Recognition:
    """Field -> column position, how sure each is, and each column's scores (FIELDS order) for showing them."""

    columns: dict[str, int]
    confidence: dict[str, str]
    scores: tuple[tuple[float, ...], ...]

    def mapping(self, headers: Sequence[str]) -> dict[str, str]:
        """Field -> header text, in FIELDS order."""
        return {name: headers[self.columns[name]] for name in FIELDS if name in self.columns}


def confidence_of(score: float) -> str:
    """The confidence band of a final score (at least MAP_THRESHOLD)."""
    return EXACT if score >= EXACT_THRESHOLD else LIKELY if score >= LIKELY_THRESHOLD else GUESS


def column_scores(header: str, values: Sequence[str] | None = None) -> tuple[float, ...]:
    """A column's score for each field (FIELDS order): its header's, confirmed or refuted by its values."""
    scores = header_scores(header)
    if not values or not any(score > 0 for score in scores):
        return scores
    evidence = value_evidence(values)
    adjusted = []
    for name, score in zip(FIELDS, scores, strict=True):
        if score > 0:
            verdict = _verdict(name, evidence)
            score = min(1.0, score + CONFIRM_BONUS) if verdict > 0 else score * REFUTE_FACTOR if verdict < 0 else score
        adjusted.append(score)
    return tuple(adjusted)


def recognise(
    headers: Sequence[str],
    samples: Sequence[Sequence[str]] | None = None,
    given: Mapping[str, str | None] | None = None,
) -> Recognition:
    """Assign fields to columns as a whole; `samples[i]` are values of column i, `given` fixes fields by header.

    A given field maps to the first column with that header text (None or "": the field is not in the file); given
    fields count as `exact`. The remaining fields go to the remaining columns maximising the total score, each pair
    at least MAP_THRESHOLD.
    """
    scores = tuple(column_scores(header, samples[i] if samples else None) for i, header in enumerate(headers))
    columns: dict[str, int] = {}
    confidence: dict[str, str] = {}
    taken: set[int] = set()
    for name, header in (given or {}).items():
        if name in FIELDS and header:
            position = next((i for i, text in enumerate(headers) if text == header), None)
            if position is not None and position not in taken:
                columns[name] = position
                confidence[name] = EXACT
                taken.add(position)
    fixed = set(given or {})
    open_fields = [name for name in FIELDS if name not in fixed]
    candidates = [
        i
        for i in range(len(headers))
        if i not in taken and any(scores[i][FIELDS.index(name)] >= MAP_THRESHOLD for name in open_fields)
    ]
    for name, position in _best_assignment(open_fields, candidates, headers, scores).items():
        columns[name] = position
        confidence[name] = confidence_of(scores[position][FIELDS.index(name)])
    return Recognition(columns, confidence, scores)


_SCALE = 1_000_000
_TIE_RANGE = 1000


def _points(score: float, header: str, name: str) -> int:
    """A score as an integer with a tie-breaker that depends on the header text and field only (not the position)."""
    digest = hashlib.blake2b(f"{name}\x1f{header}".encode(), digest_size=4).digest()
    return round(score * _SCALE) * _TIE_RANGE + int.from_bytes(digest, "big") % _TIE_RANGE


def _best_assignment(
    fields: list[str], candidates: list[int], headers: Sequence[str], scores: tuple[tuple[float, ...], ...]
) -> dict[str, int]:
    """Field -> column maximising the total points; a field may stay unassigned, a pair must reach MAP_THRESHOLD."""
    if not fields or not candidates:
        return {}
    forbidden = 10**15
    # Columns: the candidates, then one "not in this file" slot per field (cost 0).
    costs = []
    for name in fields:
        index = FIELDS.index(name)
        row = [
            -_points(scores[c][index], headers[c], name) if scores[c][index] >= MAP_THRESHOLD else forbidden
            for c in candidates
        ]
        costs.append(row + [0] * len(fields))
    chosen = hungarian(costs)
    return {
        name: candidates[column]
        for name, column in zip(fields, chosen, strict=True)
        if column < len(candidates) and costs[fields.index(name)][column] < forbidden
    }


def hungarian(costs: list[list[int]]) -> list[int]:
    """Minimum-cost assignment of every row to a distinct column (rows <= columns): the column of each row.

    The Hungarian method with potentials, O(rows^2 x columns), exact on integers.
    """
    rows, width = len(costs), len(costs[0]) if costs else 0
    infinity = 1 << 62
    u = [0] * (rows + 1)
    v = [0] * (width + 1)
    owner = [0] * (width + 1)  # owner[j]: the row (1-based) holding column j, 0 when free
    way = [0] * (width + 1)
    for row in range(1, rows + 1):
        owner[0] = row
        column = 0
        least = [infinity] * (width + 1)
        used = [False] * (width + 1)
        while True:
            used[column] = True
            current, delta, next_column = owner[column], infinity, 0
            for j in range(1, width + 1):
                if not used[j]:
                    reduced = costs[current - 1][j - 1] - u[current] - v[j]
                    if reduced < least[j]:
                        least[j], way[j] = reduced, column
                    if least[j] < delta:
                        delta, next_column = least[j], j
            for j in range(width + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    least[j] -= delta
            column = next_column
            if owner[column] == 0:
                break
        while column:
            previous = way[column]
            owner[column] = owner[previous]
            column = previous
    result = [0] * rows
    for j in range(1, width + 1):
        if owner[j]:
            result[owner[j] - 1] = j - 1
    return result


def header_row_score(cells: Sequence[str]) -> int:
    """How many different fields the cells of a row name clearly (to find the header row under title rows)."""
    named = set()
    for cell in cells:
        if cell and len(cell) <= 80:
            scores = header_scores(cell)
            best = max(range(len(FIELDS)), key=lambda i: scores[i])
            if scores[best] >= HEADER_CELL_THRESHOLD:
                named.add(best)
    return len(named)


def normalize_header(text: str) -> str:
    """A header as remembered mappings key it: lower-case, no parenthesised notes, letters/digits, single spaces."""
    text = re.sub(r"\([^)]*\)", " ", str(text).lower()).replace("#", " number ").replace("&", " and ")
    text = text.replace("no.", "no ")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())
