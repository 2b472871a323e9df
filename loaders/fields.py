"""Reading one row's fields: text, dates, amounts, ratios, enumerations and identifiers.

Every accessor records a Problem (the field, its value and a reason) instead of raising, so a row is
checked whole and its reject lines name every fault at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from graph_service.identifier_columns import id_number_verdicts, resident_of_valid, uscc_verdicts
from graph_service.identifiers import (
    IdentifierError,
    ResidentId,
    id_check_char,
    mask_id_number,
    normalize_code,
    normalize_name,
    parse_id_number,
    validate_enterprise_code,
    validate_registration_number,
)
from graph_service.model import ORG_CODE_SHAPE, DocumentType
from graph_service.text_safety import mask_ids_in_text
from loaders.mapping import Resolved, header_key

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_DASHES = re.compile(r"[-\u2010-\u2014\u2212]")
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

# rejected: the row is not loaded; kept_flagged: loaded with a code that fails its check (id_valid=false);
# left_empty: a bad optional field is reported and left empty, the rest of the row loads.
Outcome = Literal["rejected", "kept_flagged", "left_empty"]


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
    # Masked before it is cut: a number cut in two would slip past the masking of the report.
    value = mask_ids_in_text(value)
    return value if len(value) <= _SHOWN else value[:_SHOWN] + "…"


# A time after a date, as spreadsheets and database exports append it: 2001-5-8 0:00:00, 2001/05/08 00:00:00.
_TIME = re.compile(r"[ T]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
# Spreadsheet serial dates count days from 1899-12-30 (the Lotus leap-year error folded in); five digits
# cover 1927 to 2173, and no other date form has five digits.
_SERIAL = re.compile(r"^(\d{5})(\.0+)?$")
_SERIAL_EPOCH = date(1899, 12, 30)


def parse_date(text: str) -> date | None:
    cleaned = unicodedata.normalize("NFKC", text).strip()
    cleaned = _TIME.sub("", cleaned)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(cleaned)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    serial = _SERIAL.match(cleaned)
    if serial:
        return _SERIAL_EPOCH + timedelta(days=int(serial.group(1)))
    return None


# Currencies as registration data words them, in a 币种 column or after an amount, to ISO 4217.
CURRENCIES: dict[str, str] = {
    "人民币": "CNY",
    "人民币元": "CNY",
    "元": "CNY",
    "美元": "USD",
    "美金": "USD",
    "港元": "HKD",
    "港币": "HKD",
    "欧元": "EUR",
    "日元": "JPY",
    "英镑": "GBP",
    "澳门元": "MOP",
    "新台币": "TWD",
    "新加坡元": "SGD",
    "澳大利亚元": "AUD",
    "加拿大元": "CAD",
    "瑞士法郎": "CHF",
    "韩元": "KRW",
}
_ISO = frozenset(CURRENCIES.values())
# Longest words first: 人民币元 before 元, 万美元 before 美元.
_AMOUNT_UNITS = sorted(
    [(f"万{w}", 1.0, c) for w, c in CURRENCIES.items()]
    + [(f"{w}", 1e-4, c) for w, c in CURRENCIES.items()]
    + [("万元人民币", 1.0, "CNY"), ("万人民币元", 1.0, "CNY"), ("万", 1.0, None)],
    key=lambda unit: -len(unit[0]),
)


def currency_of(text: str) -> str | None:
    """The ISO 4217 code of a currency as written (人民币元, 美元, USD), None when unknown."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if cleaned.upper() in _ISO:
        return cleaned.upper()
    return CURRENCIES.get(cleaned.removeprefix("万"))


def parse_amount(text: str) -> tuple[float, str | None] | None:
    """An amount in 万 (10,000) of its currency, as registration data states capital, and the currency
    the cell names (None when it names none): 50.000000 → (50, None); 100万美元 → (100, USD);
    5000元 → (0.5, CNY). None when it is not an amount."""
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "")
    factor, currency = 1.0, None
    for unit, f, c in _AMOUNT_UNITS:
        if cleaned.endswith(unit):
            cleaned, factor, currency = cleaned[: -len(unit)], f, c
            break
    try:
        value = float(cleaned) * factor
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        return None
    return round(value, 6), currency


def parse_money(text: str) -> float | None:
    """An amount in 万元 (10,000 yuan); 元 amounts are converted. None for another currency's amount."""
    parsed = parse_amount(text)
    if parsed is None or parsed[1] not in (None, "CNY"):
        return None
    return parsed[0]


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


def is_foreign_permit(number: str) -> bool:
    """An 18-character foreign permanent resident ID: it begins with 9 and carries a GB 11643 check
    character (the 2017 and 2023 forms alike)."""
    return (
        len(number) == 18
        and number[0] == "9"
        and number[:17].isdigit()
        and id_check_char(number[:17]) == number[17]
    )


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
    registration: bool = False  # a valid 15-digit 注册号 kept as the key of an enterprise without a USCC


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

    def precheck(
        self, rows: Sequence[dict[str, str | None]], codes: Sequence[str], documents: Sequence[str]
    ) -> None:
        """Check a batch's columns of enterprise codes and of resident ID numbers at once (numpy), and
        remember the values that pass, so that each row's check finds them here. What fails is left to
        the row's own check, which says why."""
        for name in codes:
            values = _plain_values(rows, name, self.codes)
            for value, ok in zip(values, uscc_verdicts(values), strict=True):
                if ok:
                    self.remember_code(value, value.upper())
        for name in documents:
            values = [v.upper() for v in _plain_values(rows, name, {})]
            values = [v for v in dict.fromkeys(values) if v not in self.residents]
            for number, ok in zip(values, id_number_verdicts(values), strict=True):
                if ok:
                    if len(self.residents) >= _MEMO_LIMIT:
                        self.residents.clear()
                    self.residents[number] = resident_of_valid(number)

    def resident(self, number: str) -> ResidentId:
        found = self.residents.get(number)
        if found is None:
            found = parse_id_number(number)
            if len(self.residents) >= _MEMO_LIMIT:
                self.residents.clear()
            self.residents[number] = found
        return found


def _plain_values(rows: Sequence[dict[str, str | None]], name: str, known: dict[str, str]) -> list[str]:
    """The distinct 18-character plain ASCII values of a column not known yet: the form whose checks
    the array path makes (others, rare in bulk files, take the row's own check)."""
    found: dict[str, None] = {}
    for values in rows:
        value = values.get(name)
        if (
            value is not None
            and len(value) == 18
            and value not in known
            and value.isascii()
            and value.isalnum()
        ):
            found[value] = None
    return list(found)


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

    def bad_value(self, name: str, reason: str, required: bool, strict: bool = False) -> None:
        """A value that cannot be read: the row is rejected when the field is required (or strict: its
        absence would change what the row means, like an end date or a status); otherwise the field is
        reported and left empty, and the rest of the row loads."""
        if required or strict:
            self.problem(name, reason)
            return
        self.problem(name, f"{reason}; left empty, the rest of the row loads", outcome="left_empty")
        self.values[name] = None

    def text(self, name: str, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, "required field is empty")
            return None
        return normalize_name(value)

    def enum(self, name: str, required: bool = False, strict: bool = False) -> str | None:
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
            self.bad_value(name, f"not one of the allowed values ({shown})", required, strict)
        return found

    def date(
        self, name: str, required: bool = False, end_inclusive: bool = False, strict: bool = False
    ) -> date | None:
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, "required field is empty")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.bad_value(
                name,
                "not a date (expected YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年M月D日)",
                required,
                strict,
            )
            return None
        if parsed.year < 1900 or parsed.year > 2200:
            self.bad_value(name, f"date {parsed.isoformat()} is out of range", required, strict)
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
            self.bad_value(name, "not an amount (a non-negative number, in 万元 unless it says 元)", required)
        return parsed

    def ratio(self, name: str, strict: bool = False) -> float | None:
        value = self.values.get(name)
        if value is None:
            return None
        parsed = parse_ratio(value)
        if parsed is None:
            self.bad_value(name, "not a share between 0 and 1 (or 0% and 100%)", False, strict)
        return parsed

    def integer(self, name: str, low: int, high: int, strict: bool = False) -> int | None:
        value = self.values.get(name)
        if value is None:
            return None
        cleaned = unicodedata.normalize("NFKC", value).strip()
        if not cleaned.isdigit() or not low <= int(cleaned) <= high:
            self.bad_value(name, f"not a whole number from {low} to {high}", False, strict)
            return None
        return int(cleaned)

    def enterprise_code(
        self, name: str, required: bool = True, registration_as_key: bool = False
    ) -> EnterpriseCode | None:
        """A USCC (hyphens and blanks inside dropped); one failing its check (or a legacy registration
        number) is rejected, or kept flagged with id_valid=false when the operator asked to keep such
        codes. Where the layout falls back to 注册号 for a subject without a USCC (registration_as_key), a
        valid registration number is kept as the key, flagged."""
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, "required field is empty")
            return None
        known = self.memo.code(value)
        if known is not None:
            return EnterpriseCode(known, True)
        plain = _DASHES.sub("", value) if _DASHES.search(value) else value
        try:
            kind, code = validate_enterprise_code(plain)
        except IdentifierError as err:
            return self._invalid_code(name, value, f"{err.kind} {err.check}: {err}")
        if kind == "uscc":
            self.memo.remember_code(value, code)
            return EnterpriseCode(code, True)
        if registration_as_key:
            self.problem(
                name,
                "a 15-digit 注册号 and no USCC: kept as the enterprise's key, id_valid=false, until its USCC "
                "arrives",
                outcome="kept_flagged",
            )
            return EnterpriseCode(code, False, registration=True)
        return self._invalid_code(name, value, "a 15-digit registration number, not a USCC")

    def registration_number(self, name: str) -> str | None:
        """An optional 15-digit 注册号 (GB/T 15xxx check digit); a bad one is reported and left empty."""
        value = self.values.get(name)
        if value is None:
            return None
        plain = _DASHES.sub("", normalize_code(value))
        try:
            return validate_registration_number(plain)
        except IdentifierError as err:
            self.bad_value(name, f"{err.kind} {err.check}: {err}", False)
            return None

    def capital(
        self, name: str, currency_name: str, rates: dict[str, float]
    ) -> tuple[float | None, str | None]:
        """Registered capital in 万 of its currency, and the currency (None for 人民币): from the amount
        cell (100万美元) or a 币种 column; converted into 人民币 only where the mapping gives a rate."""
        value = self.values.get(name)
        word = self.values.get(currency_name)
        column = currency_of(word) if word is not None else None
        if value is None:
            return None, None
        if word is not None and column is None:
            # An amount in a currency not understood is not taken for yuan: both are left empty.
            self.bad_value(currency_name, f"not a currency the loaders know ({', '.join(CURRENCIES)})", False)
            self.bad_value(name, f"its currency {word!r} is not one the loaders know", False)
            return None, None
        parsed = parse_amount(value)
        if parsed is None:
            self.bad_value(name, "not an amount (a non-negative number, in 万 of its currency)", False)
            return None, None
        amount, stated = parsed
        if stated is not None and column is not None and stated != column:
            self.bad_value(name, f"the amount says {stated} but the currency column says {column}", False)
            return None, None
        currency = stated or column or "CNY"
        if currency != "CNY" and currency in rates:
            return round(amount * rates[currency], 6), None
        return amount, None if currency == "CNY" else currency

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
        typed = type_name is not None and self.values.get(type_name) is not None
        if type_name is not None and typed:
            chosen = self.enum(type_name, strict=required)
            if chosen is None:
                if not required:
                    self.bad_value(name, "its document type cannot be read", required)
                return None
            if chosen not in DOCUMENT_TYPES:
                self.bad_value(type_name, f"maps to {chosen!r}, not a document type", required)
                return None
            document_type = DOCUMENT_TYPES[chosen]
        number = fast_code(value)
        if "*" in number:
            if allow_masked:
                return Document(number, document_type, masked=True)
            self.bad_value(name, "masked number: a full document number is required here", required)
            return None
        if document_type != "resident_id":
            if not re.fullmatch(r"[0-9A-Z()\-]{5,30}", number):
                self.bad_value(name, f"not a {document_type} number: 5 to 30 letters and digits", required)
                return None
            return Document(number, document_type, masked=False)
        try:
            resident = self.memo.resident(number)
        except IdentifierError as err:
            if not typed and is_foreign_permit(number):
                # A foreign permanent resident ID (外国人永久居留身份证, 9…) in a column without a type:
                # its shape and GB 11643 check character say what it is.
                return Document(number, "foreign_permit", masked=False)
            self.bad_value(name, f"{err.kind} {err.check}: {err}", required)
            return None
        return Document(resident.number, document_type, masked=False, resident=resident)
