"""Reading one row's fields: text, dates, amounts, ratios, enumerations and identifiers.

Every accessor records a Problem (the field, its value and a reason) instead of raising, so a row is
checked whole and its reject lines name every fault at once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from graph_service.identifiers import (
    IdentifierError,
    ResidentId,
    mask_id_number,
    normalize_code,
    normalize_name,
    parse_id_number,
    validate_enterprise_code,
)
from graph_service.model import ORG_CODE_SHAPE, DocumentType
from loaders.mapping import Resolved, header_key

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MONEY_UNITS = (
    ("万元人民币", 1.0),
    ("万人民币", 1.0),
    ("万元", 1.0),
    ("万", 1.0),
    ("人民币元", 1e-4),
    ("元", 1e-4),
)
# The longest value a reject line shows: enough to recognise it, never a whole pasted document.
_SHOWN = 100
DOCUMENT_TYPES: dict[str, DocumentType] = {
    "resident_id": "resident_id",
    "passport": "passport",
    "hk_macau_permit": "hk_macau_permit",
    "taiwan_permit": "taiwan_permit",
    "foreign_permit": "foreign_permit",
    "other": "other",
}

Outcome = Literal["rejected", "kept_flagged"]


@dataclass
class Problem:
    field: str  # the header as the file spells it
    value: str
    reason: str
    outcome: Outcome = "rejected"


def shown_value(value: str | None, sensitive: bool = False) -> str:
    """A value as a reject file may show it: document numbers masked, long text cut."""
    if value is None:
        return ""
    code = normalize_code(value)
    if sensitive or _ID_SHAPE.match(code):
        return mask_id_number(value)
    return value if len(value) <= _SHOWN else value[:_SHOWN] + "…"


def parse_date(text: str) -> date | None:
    cleaned = unicodedata.normalize("NFKC", text).strip()
    # Spreadsheets and exports append a midnight time to dates.
    cleaned = re.sub(r"[ T]00:00(:00(\.0+)?)?$", "", cleaned)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(cleaned)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def parse_money(text: str) -> float | None:
    """An amount in 万元 (10,000 yuan), as registration data states capital; 元 amounts are converted."""
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "")
    factor = 1.0
    for unit, f in _MONEY_UNITS:
        if cleaned.endswith(unit):
            cleaned, factor = cleaned[: -len(unit)], f
            break
    try:
        value = float(cleaned) * factor
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        return None
    return round(value, 6)


def parse_ratio(text: str) -> float | None:
    """A share: 0.4, 40% or 40 (per cent when above 1)."""
    cleaned = unicodedata.normalize("NFKC", text).replace(" ", "")
    percent = cleaned.endswith("%")
    try:
        value = float(cleaned.rstrip("%"))
    except ValueError:
        return None
    if percent or value > 1:
        value = value / 100
    if not 0 <= value <= 1:
        return None
    return round(value, 10)


def document_problem(number: str) -> str | None:
    """Why a full resident ID number fails GB 11643, or None when it passes."""
    try:
        parse_id_number(number)
    except IdentifierError as err:
        return f"{err.kind} {err.check}: {err}"
    return None


@dataclass
class EnterpriseCode:
    code: str
    valid: bool  # False: kept although it fails its check (the operator chose to keep such codes)


@dataclass
class Document:
    """A person's identity document as a row gives it."""

    number: str  # normalised
    document_type: DocumentType
    masked: bool
    resident: ResidentId | None = None


# Codes checked once per load: registration tables name the same enterprise and person in many rows.
_MEMO_LIMIT = 500_000


class Memo:
    """Identifiers a load has already checked: valid enterprise codes, and parsed resident IDs."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.residents: dict[str, ResidentId] = {}

    def code(self, raw: str) -> str | None:
        return self.codes.get(raw)

    def remember_code(self, raw: str, code: str) -> None:
        if len(self.codes) >= _MEMO_LIMIT:
            self.codes.clear()
        self.codes[raw] = code

    def resident(self, number: str) -> ResidentId:
        found = self.residents.get(number)
        if found is None:
            found = parse_id_number(number)
            if len(self.residents) >= _MEMO_LIMIT:
                self.residents.clear()
            self.residents[number] = found
        return found


def fast_code(raw: str) -> str:
    """normalize_code, without its character-by-character pass for the common plain ASCII code."""
    if raw.isascii() and raw.isalnum():
        return raw.upper()
    return normalize_code(raw)


@dataclass
class Row:
    """One source row being read into a loader's record; problems collect instead of raising."""

    number: int
    values: dict[str, str | None]
    resolved: Resolved
    keep_invalid_codes: bool = False
    problems: list[Problem] = field(default_factory=list)
    sensitive: frozenset[str] = frozenset()
    memo: Memo = field(default_factory=Memo)
    # Fields whose value came from a later header of the mapping (a 注册号 where the USCC is empty).
    fallbacks: dict[str, str] = field(default_factory=dict)

    @property
    def bad(self) -> bool:
        return any(p.outcome == "rejected" for p in self.problems)

    def header(self, name: str) -> str:
        return self.fallbacks.get(name) or self.resolved.header_of.get(name, name)

    def problem(
        self, name: str, reason: str, value: str | None = None, outcome: Outcome = "rejected"
    ) -> None:
        raw = self.values.get(name) if value is None else value
        self.problems.append(
            Problem(self.header(name), shown_value(raw, name in self.sensitive), reason, outcome)
        )

    def raw(self, name: str) -> str | None:
        return self.values.get(name)

    def text(self, name: str, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, "required field is empty")
            return None
        return normalize_name(value)

    def enum(self, name: str, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, "required field is empty")
            return None
        allowed = self.resolved.values.get(name)
        if allowed is None:
            return normalize_name(value)
        found = allowed.get(header_key(value))
        if found is None:
            words = self.resolved.raw_values.get(name) or []
            shown = ", ".join(words[:12]) + (" …" if len(words) > 12 else "")
            self.problem(name, f"not one of the allowed values ({shown})")
        return found

    def date(self, name: str, required: bool = False, end_inclusive: bool = False) -> date | None:
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, "required field is empty")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.problem(name, "not a date (expected YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年M月D日)")
            return None
        if parsed.year < 1900 or parsed.year > 2200:
            self.problem(name, f"date {parsed.isoformat()} is out of range")
            return None
        # A register's "valid until" or "term ends" day is the last day the role held; the graph keeps
        # the first day it no longer held.
        return parsed + timedelta(days=1) if end_inclusive else parsed

    def money(self, name: str, required: bool = False) -> float | None:
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, "required field is empty")
            return None
        parsed = parse_money(value)
        if parsed is None:
            self.problem(name, "not an amount (a non-negative number, in 万元 unless it says 元)")
        return parsed

    def ratio(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None:
            return None
        parsed = parse_ratio(value)
        if parsed is None:
            self.problem(name, "not a share between 0 and 1 (or 0% and 100%)")
        return parsed

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self.values.get(name)
        if value is None:
            return None
        cleaned = unicodedata.normalize("NFKC", value).strip()
        if not cleaned.isdigit() or not low <= int(cleaned) <= high:
            self.problem(name, f"not a whole number from {low} to {high}")
            return None
        return int(cleaned)

    def enterprise_code(self, name: str, required: bool = True) -> EnterpriseCode | None:
        """A USCC; one failing its check (or a legacy registration number) is rejected, or kept flagged
        with id_valid=false when the operator asked to keep such codes."""
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, "required field is empty")
            return None
        known = self.memo.code(value)
        if known is not None:
            return EnterpriseCode(known, True)
        try:
            kind, code = validate_enterprise_code(value)
        except IdentifierError as err:
            return self._invalid_code(name, value, f"{err.kind} {err.check}: {err}")
        if kind == "uscc":
            self.memo.remember_code(value, code)
            return EnterpriseCode(code, True)
        return self._invalid_code(name, value, "a 15-digit registration number, not a USCC")

    def _invalid_code(self, name: str, value: str, reason: str) -> EnterpriseCode | None:
        code = normalize_code(value)
        keepable = re.fullmatch(ORG_CODE_SHAPE, code) is not None and not _ID_SHAPE.match(code)
        if self.keep_invalid_codes and keepable:
            self.problem(name, f"{reason}; kept with id_valid=false", outcome="kept_flagged")
            return EnterpriseCode(code, False)
        if self.keep_invalid_codes:
            reason += "; cannot be kept: not the shape of an organisation code"
        self.problem(name, reason)
        return None

    def document(
        self,
        name: str,
        type_name: str | None = None,
        required: bool = True,
        allow_masked: bool = False,
    ) -> Document | None:
        """A person's document number; a resident ID must pass GB 11643. Masked numbers only where the
        loader can match a person by them."""
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, "required field is empty")
            return None
        document_type: DocumentType = "resident_id"
        if type_name is not None and self.values.get(type_name) is not None:
            chosen = self.enum(type_name)
            if chosen is None:
                return None
            if chosen not in DOCUMENT_TYPES:
                self.problem(type_name, f"maps to {chosen!r}, not a document type")
                return None
            document_type = DOCUMENT_TYPES[chosen]
        number = fast_code(value)
        if "*" in number:
            if allow_masked:
                return Document(number, document_type, masked=True)
            self.problem(name, "masked number: a full document number is required here")
            return None
        if document_type != "resident_id":
            if not re.fullmatch(r"[0-9A-Z()\-]{5,30}", number):
                self.problem(name, f"not a {document_type} number: 5 to 30 letters and digits")
                return None
            return Document(number, document_type, masked=False)
        try:
            resident = self.memo.resident(number)
        except IdentifierError as err:
            self.problem(name, f"{err.kind} {err.check}: {err}")
            return None
        return Document(resident.number, document_type, masked=False, resident=resident)
