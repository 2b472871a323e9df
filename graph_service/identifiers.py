"""Chinese organisation and person identifiers: normalise, validate, mask, key and build.

Covers the Unified Social Credit Code (GB 32100-2015), the organisation code it embeds
(GB 11714-1997), the resident identity number (GB 11643-1999) and the legacy 15-digit
market-entity registration number (GS 15-2006). Validation names the first check that
failed, so a loader can reject a row with a reason, or keep it flagged, instead of dropping it.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "PROVINCE_CODES",
    "USCC_CHARSET",
    "IdentifierError",
    "ResidentId",
    "build_id_number",
    "build_registration_number",
    "build_uscc",
    "id_check_char",
    "is_masked",
    "is_valid_id_number",
    "is_valid_uscc",
    "mask_id_number",
    "normalize_code",
    "normalize_enterprise_code",
    "normalize_name",
    "normalize_org_code",
    "org_code_check_char",
    "org_code_of",
    "parse_id_number",
    "person_key",
    "registration_check_digit",
    "upgrade_id_number",
    "uscc_check_char",
    "validate_enterprise_code",
    "validate_id_number",
    "validate_org_code",
    "validate_registration_number",
    "validate_uscc",
]

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

_USCC_VALUES = {ch: i for i, ch in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_DIGITS = "0123456789"
_ORG_CODE_BODY_CHARSET = _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"

# Appendix A of GB 32100-2015 as extended by the code-issuing centre's later assignments
# (2 diplomacy ... 8 trade unions, A military, N agriculture). Authority 9 has no "other" type,
# and Y deliberately has only one type, so neither gets a 9.
_ORGANISATION_TYPES: dict[str, str] = {
    "1": "1239",  # institutional staffing: organ, public institution, mass organisation, other
    "2": "19",  # foreign affairs: resident foreign news agency, other
    "3": "123459",  # justice: law firm, notary, legal service, forensic, arbitration, other
    "4": "19",  # culture: foreign cultural centre, other
    "5": "1239",  # civil affairs: social organisation, private non-enterprise unit, foundation, other
    "6": "129",  # tourism: foreign and HK/Macau/Taiwan tourism offices, other
    "7": "129",  # religion: venue, religious college, other
    "8": "19",  # trade unions: grass-roots union, other
    "9": "123",  # market regulation: enterprise, individual business, farmers' cooperative
    "A": "19",  # CMC reform and staffing office: military public institution, other
    "N": "1239",  # agriculture: group, village and township collective economic organisations, other
    "Y": "1",  # other authorities
}

# Only the province prefix is checked: divisions are renamed and merged over time, and codes
# issued under a since-abolished county stay valid for life, so a full GB/T 2260 table would
# reject genuine old codes.
PROVINCE_CODES = frozenset(
    [
        str(p)
        for first, last in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65))
        for p in range(first, last + 1)
    ]
    + ["71", "81", "82"]
)
# Residence permits for Hong Kong, Macau and Taiwan residents (港澳台居民居住证) carry resident-ID-shaped
# numbers whose region is 810000, 820000 or 830000. 83 is no GB/T 2260 province (Taiwan is 71), so it
# is accepted as a resident ID region only, and only as 830000; divisions of enterprise codes keep to
# GB/T 2260.
_PERMIT_REGIONS = frozenset({"830000"})
# Organisations registered by central authorities carry the national-level code.
_NATIONAL_DIVISION = "100000"

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"
_VALUE_LIMIT = 40


class IdentifierError(ValueError):
    """A code failed one named check."""

    def __init__(self, kind: str, check: str, value: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.check = check
        # Inputs come from uncontrolled files; an error must not carry a whole pasted document around.
        self.value = value[:_VALUE_LIMIT]
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[IdentifierError], tuple[str, str, str, str]]:
        # Loaders may validate in worker processes; the default reduce would call __init__ with
        # only the message and fail to unpickle.
        return (type(self), (self.kind, self.check, self.value, self.message))


@dataclass(frozen=True)
class ResidentId:
    number: str
    region: str
    birth_date: date
    sequence: str
    sex: Literal["male", "female"]


def normalize_code(raw: str) -> str:
    """Canonical form of a code as typed or pasted: half-width, no blanks or invisibles, upper case."""
    if raw.isascii() and raw.isalnum():
        # The common case in bulk loads: NFKC leaves plain ASCII letters and digits as they are.
        return raw.upper()
    text = _strip_invisible(unicodedata.normalize("NFKC", raw))
    # Removing a blank can leave a combining mark beside a new base letter (NFKC turns a lone
    # cedilla into space + combining cedilla), and upper-casing can leave text un-normalised, so
    # normalise once more: person keys hash this form and must not change when it is re-applied.
    return _strip_invisible(unicodedata.normalize("NFKC", text.upper()))


def _strip_invisible(text: str) -> str:
    # Format characters (zero-width space, BOM, soft hyphen, bidi marks) are invisible in
    # spreadsheets and web pages, so a person can never see why two equal-looking codes differ.
    if text.isprintable() and " " not in text:
        return text  # neither blanks nor format characters (no whitespace but " " is printable)
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")


def normalize_enterprise_code(raw: str) -> str:
    """normalize_code without the hyphens and dashes that print enterprise codes in groups
    (91-110000-600037341L, MAJXU7DA-9). Not for person document numbers: person keys hash the
    normalize_code form, which must stay as it is."""
    code = normalize_code(raw)
    if code.isalnum():
        return code
    return "".join(ch for ch in code if ch not in _DASHES)


def normalize_name(raw: str) -> str:
    """Canonical form of an organisation or person name for comparison and display."""
    # NFKC already turns full-width brackets, letters, digits and U+3000 into their ASCII forms; it leaves
    # plain ASCII as it is.
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    # Format characters (Cf) are never printable: a printable name, nearly every one, has none to drop, and
    # asking the category of each character of every name was a tenth of a load.
    if not text.isprintable():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def _fail(kind: str, check: str, value: str, message: str) -> IdentifierError:
    return IdentifierError(kind=kind, check=check, value=value, message=message)


def _first_outside(text: str, charset: str) -> int:
    return next((i for i, ch in enumerate(text) if ch not in charset), -1)


def _division_ok(code: str, *, allow_national: bool) -> bool:
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    if allow_national and code == _NATIONAL_DIVISION:
        return True
    return code[:2] in PROVINCE_CODES


# --- Unified Social Credit Code ---------------------------------------------------------------


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character for the first 17 characters of a USCC."""
    if len(first17) != 17:
        raise _fail("uscc", "length", first17, f"need the first 17 USCC characters, got {len(first17)}")
    bad = _first_outside(first17, USCC_CHARSET)
    if bad >= 0:
        raise _fail("uscc", "charset", first17, f"{first17[bad]!r} is not a USCC character (GB 32100)")
    total = sum(_USCC_VALUES[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def _charset_hint(ch: str) -> str:
    # These letters are excluded from the charset because they are read as digits.
    hints = {
        "O": "; the letter O is never used, did you mean zero?",
        "I": "; the letter I is never used, did you mean one?",
    }
    return hints.get(ch, "")


def validate_uscc(raw: str) -> str:
    """Return the normalised USCC or raise IdentifierError(kind="uscc") naming the failed check."""
    code = normalize_enterprise_code(raw)
    if not code:
        raise _fail("uscc", "empty", code, "USCC is empty")
    if len(code) != 18:
        hint = ""
        if len(code) == 15 and code.isdigit():
            hint = "; a 15-digit number is a legacy registration number, not a USCC"
        elif len(code) in (9, 10):
            hint = "; a 9-character code is an organisation code, not a USCC"
        raise _fail("uscc", "length", code, f"USCC must be 18 characters, got {len(code)}{hint} (GB 32100)")
    bad = _first_outside(code, USCC_CHARSET)
    if bad >= 0:
        ch = code[bad]
        raise _fail(
            "uscc",
            "charset",
            code,
            f"USCC has {ch!r} at position {bad + 1}; only digits and upper-case letters other than "
            f"I, O, S, V and Z are allowed (GB 32100){_charset_hint(ch)}",
        )
    authority, org_type = code[0], code[1]
    allowed = _ORGANISATION_TYPES.get(authority)
    if allowed is None:
        raise _fail(
            "uscc",
            "registration_authority",
            code,
            f"USCC starts with {authority!r}, which is not a registration authority code "
            f"(one of {', '.join(_ORGANISATION_TYPES)}; GB 32100)",
        )
    if org_type not in allowed:
        raise _fail(
            "uscc",
            "organisation_type",
            code,
            f"USCC position 2 is {org_type!r}, which is not an organisation type of authority "
            f"{authority!r} (allowed: {', '.join(allowed)}; GB 32100)",
        )
    division = code[2:8]
    if not _division_ok(division, allow_national=True):
        raise _fail(
            "uscc",
            "division",
            code,
            f"USCC positions 3-8 are {division!r}, which is not an administrative division code: "
            f"six digits starting with a province code (GB/T 2260)",
        )
    org_code = code[8:17]
    expected_org = org_code_check_char(org_code[:8])
    if org_code[8] != expected_org:
        raise _fail(
            "uscc",
            "org_code_check",
            code,
            f"the organisation code in USCC positions 9-17 ({org_code}) should end in "
            f"{expected_org!r}, not {org_code[8]!r} (GB 11714)",
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise _fail(
            "uscc",
            "check_character",
            code,
            f"USCC check character is {expected!r} but the code ends in {code[17]!r} (GB 32100)",
        )
    return code


def is_valid_uscc(raw: str) -> bool:
    try:
        validate_uscc(raw)
    except IdentifierError:
        return False
    return True


def org_code_of(uscc: str) -> str:
    """The organisation code a USCC embeds in positions 9-17 (GB 32100 4.4), after validating the USCC."""
    return validate_uscc(uscc)[8:17]


# --- Organisation code (GB 11714) -------------------------------------------------------------


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character for an 8-character organisation code body."""
    if len(first8) != 8:
        raise _fail("org_code", "length", first8, f"need the 8-character code body, got {len(first8)}")
    bad = _first_outside(first8, _ORG_CODE_BODY_CHARSET)
    if bad >= 0:
        raise _fail(
            "org_code", "charset", first8, f"{first8[bad]!r} is not a digit or upper-case letter (GB 11714)"
        )
    total = sum(_ORG_CODE_BODY_CHARSET.index(ch) * w for ch, w in zip(first8, _ORG_CODE_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def validate_org_code(raw: str) -> str:
    """Return the 9-character organisation code (hyphen removed) or raise IdentifierError(kind="org_code")."""
    # Certificates print the code as 8 + hyphen + check character.
    code = normalize_enterprise_code(raw)
    if not code:
        raise _fail("org_code", "empty", code, "organisation code is empty")
    if len(code) != 9:
        raise _fail(
            "org_code",
            "length",
            code,
            f"organisation code must be 9 characters (or 8, a hyphen and 1), got {len(code)} (GB 11714)",
        )
    bad = _first_outside(code[:8], _ORG_CODE_BODY_CHARSET)
    if bad >= 0:
        raise _fail(
            "org_code",
            "charset",
            code,
            f"organisation code has {code[bad]!r} at position {bad + 1}; only digits and upper-case "
            f"letters are allowed (GB 11714)",
        )
    if code[8] not in _DIGITS + "X":
        raise _fail(
            "org_code",
            "charset",
            code,
            f"organisation code check character must be a digit or X, got {code[8]!r} (GB 11714)",
        )
    expected = org_code_check_char(code[:8])
    if code[8] != expected:
        raise _fail(
            "org_code",
            "check_character",
            code,
            f"organisation code check character is {expected!r} but the code ends in {code[8]!r} (GB 11714)",
        )
    return code


def normalize_org_code(raw: str) -> str:
    """An organisation code as written (MAJXU7DA-9, full width, blanks) in its 9-character form without
    the hyphen, after the GB 11714 check; IdentifierError(kind="org_code") otherwise."""
    return validate_org_code(raw)


# --- Resident identity number (GB 11643) ------------------------------------------------------


def id_check_char(first17: str) -> str:
    """GB 11643 check character for the first 17 digits of a resident identity number."""
    if len(first17) != 17:
        raise _fail("id_number", "length", first17, f"need the first 17 digits, got {len(first17)}")
    if _first_outside(first17, _DIGITS) >= 0:
        raise _fail("id_number", "charset", first17, "the first 17 characters must be digits (GB 11643)")
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def upgrade_id_number(number15: str) -> str:
    """The 18-character form of a first-generation 15-digit resident ID (GB 11643-1999 annex): the
    century 19 inserted before the two-digit birth year and the check character appended. Only the
    shape is checked here; parse_id_number checks the result."""
    number = normalize_code(number15)
    if len(number) != 15:
        raise _fail(
            "id_number", "length", number, f"a first-generation ID number has 15 digits, got {len(number)}"
        )
    if not (number.isascii() and number.isdigit()):
        raise _fail("id_number", "charset", number, "a first-generation ID number is 15 digits only")
    # Every first-generation number was issued to someone born in the 1900s.
    first17 = number[:6] + "19" + number[6:]
    return first17 + id_check_char(first17)


def _is_first_generation(number: str) -> bool:
    return len(number) == 15 and number.isascii() and number.isdigit()


def parse_id_number(raw: str, today: date | None = None) -> ResidentId:
    """Validate a resident identity number and split it into its fields.

    A first-generation 15-digit number is converted to its 18-character form (upgrade_id_number), which
    is the number returned: both forms name the same person. Messages never quote the whole number,
    because error text ends up in logs and reject files.
    """
    number = normalize_code(raw)
    if _is_first_generation(number):
        try:
            return _parse_18(upgrade_id_number(number), today, first_generation=True)
        except IdentifierError as err:
            raise _fail(
                err.kind, err.check, number, f"first-generation (15-digit) ID number: {err.message}"
            ) from None
    return _parse_18(number, today)


def _parse_18(number: str, today: date | None, first_generation: bool = False) -> ResidentId:
    if not number:
        raise _fail("id_number", "empty", number, "ID number is empty")
    if len(number) != 18:
        raise _fail(
            "id_number",
            "length",
            number,
            f"ID number must be 18 characters (or a first-generation 15 digits), got {len(number)} "
            f"(GB 11643)",
        )
    bad = _first_outside(number[:17], _DIGITS)
    if bad < 0 and number[17] not in _DIGITS + "X":
        bad = 17
    if bad >= 0:
        raise _fail(
            "id_number",
            "charset",
            number,
            f"ID number has {number[bad]!r} at position {bad + 1}; it must be 17 digits followed by "
            f"a digit or X (GB 11643)",
        )
    region = number[:6]
    if region[0] == "9" and not first_generation:
        # No province code starts with 9; the 18-character foreign permanent resident ID (issued since
        # 2023: 9, the issuing province, the nationality, the birth date) does.
        raise _fail(
            "id_number",
            "foreign_permit",
            number,
            "the number begins with 9: it looks like a foreign permanent resident ID "
            "(外国人永久居留身份证), not a resident identity number; give the row the document type "
            "foreign_permit",
        )
    if not (_division_ok(region, allow_national=False) or region in _PERMIT_REGIONS):
        raise _fail(
            "id_number",
            "region",
            number,
            f"ID number region code {region} does not start with a province code (GB/T 2260)",
        )
    raw_birth = number[6:14]
    try:
        birth = date(int(raw_birth[:4]), int(raw_birth[4:6]), int(raw_birth[6:]))
    except ValueError:
        raise _fail(
            "id_number",
            "birth_date",
            number,
            f"ID number birth date {raw_birth[:4]}-{raw_birth[4:6]}-{raw_birth[6:]} is not a calendar date",
        ) from None
    if birth.year < 1900:
        raise _fail(
            "id_number", "birth_date", number, f"ID number birth date {birth.isoformat()} is before 1900"
        )
    today = today or date.today()
    if birth > today:
        raise _fail(
            "id_number",
            "birth_date",
            number,
            f"ID number birth date {birth.isoformat()} is after today ({today.isoformat()})",
        )
    sequence = number[14:17]
    if sequence == "000":
        raise _fail("id_number", "sequence", number, "ID number sequence 000 is never issued (GB 11643)")
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise _fail(
            "id_number",
            "check_character",
            number,
            f"ID number check character is {expected!r} but the number ends in {number[17]!r} (GB 11643)",
        )
    sex: Literal["male", "female"] = "male" if int(sequence) % 2 else "female"
    return ResidentId(number=number, region=region, birth_date=birth, sequence=sequence, sex=sex)


def validate_id_number(raw: str) -> str:
    return parse_id_number(raw).number


def is_valid_id_number(raw: str) -> bool:
    try:
        parse_id_number(raw)
    except IdentifierError:
        return False
    return True


# --- Legacy registration number (GS 15-2006) --------------------------------------------------


def registration_check_digit(first14: str) -> str:
    """ISO 7064 MOD 11,10 check digit of a 15-digit registration number.

    Verified against the example 110108000000016 that GS 15-2006 itself gives, and against
    the real number 140000100028286.
    """
    if len(first14) != 14:
        raise _fail("registration_number", "length", first14, f"need the first 14 digits, got {len(first14)}")
    if _first_outside(first14, _DIGITS) >= 0:
        raise _fail("registration_number", "charset", first14, "the first 14 characters must be digits")
    product = 10
    for ch in first14:
        remainder = (product + int(ch)) % 10 or 10
        product = remainder * 2 % 11
    # The check digit makes the final running sum congruent to 1 mod 10.
    return str((11 - product) % 10)


def validate_registration_number(raw: str) -> str:
    """Return the normalised 15-digit number or raise IdentifierError(kind="registration_number")."""
    number = normalize_enterprise_code(raw)
    if not number:
        raise _fail("registration_number", "empty", number, "registration number is empty")
    if len(number) != 15:
        raise _fail(
            "registration_number",
            "length",
            number,
            f"registration number must be 15 digits, got {len(number)} characters (GS 15-2006)",
        )
    bad = _first_outside(number, _DIGITS)
    if bad >= 0:
        raise _fail(
            "registration_number",
            "charset",
            number,
            f"registration number has {number[bad]!r} at position {bad + 1}; only digits are allowed",
        )
    if not _division_ok(number[:6], allow_national=True):
        raise _fail(
            "registration_number",
            "division",
            number,
            f"registration number starts with {number[:6]}, which is not an administrative division "
            f"code of the registering authority (GB/T 2260)",
        )
    expected = registration_check_digit(number[:14])
    if number[14] != expected:
        raise _fail(
            "registration_number",
            "check_character",
            number,
            f"registration number check digit is {expected!r} but the number ends in {number[14]!r} "
            f"(ISO 7064 MOD 11,10)",
        )
    return number


def validate_enterprise_code(raw: str) -> tuple[str, str]:
    """Validate whichever enterprise identifier this is: ("uscc" | "registration_number", normalised)."""
    code = normalize_enterprise_code(raw)
    if not code:
        raise _fail("enterprise_code", "empty", code, "enterprise code is empty")
    if len(code) == 18:
        return "uscc", validate_uscc(code)
    if len(code) == 15:
        return "registration_number", validate_registration_number(code)
    hint = ""
    if len(code) in (9, 10):
        hint = "; a 9-character code is an organisation code, which does not identify an enterprise alone"
    raise _fail(
        "enterprise_code",
        "length",
        code,
        f"enterprise code must be an 18-character USCC or a 15-digit registration number, "
        f"got {len(code)} characters{hint}",
    )


# --- Personal data protection -----------------------------------------------------------------


def mask_id_number(raw: str) -> str:
    """Mask a document number for display to people not entitled to see it.

    An 18-character ID keeps its first 4 and last 4 characters (3405**********001X). Shorter
    numbers keep a quarter of their length at each end at most, so at least half is always hidden:
    keeping 4 + 4 of an 8- or 9-character passport or permit number would reveal nearly all of it.
    """
    code = normalize_code(raw)
    n = len(code)
    if n < 8:
        return "*" * n
    keep = min(4, n // 4)
    return code[:keep] + "*" * (n - 2 * keep) + code[n - keep :]


def is_masked(raw: str) -> bool:
    """True for numbers published with hidden digits, such as court lists' 4109**********1234."""
    return "*" in normalize_code(raw)


def person_key(number: str, secret: str | bytes, document_type: str = "resident_id") -> str:
    """Graph key for a person: a keyed hash, so the graph never stores raw ID numbers as keys.

    The document type is part of the hashed text because numbers are unique only within one
    kind of document. A first-generation 15-digit resident ID is keyed in its 18-character form.
    """
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key:
        raise ValueError("person_key needs a non-empty secret")
    if not document_type:
        raise ValueError("person_key needs a document type")
    code = normalize_code(number)
    if not code:
        raise _fail("document", "empty", code, "document number is empty; a person cannot be keyed by it")
    if document_type == "resident_id" and _is_first_generation(code):
        # The 15-digit and the 18-character form are one person's one number (parse_id_number).
        code = upgrade_id_number(code)
    if "*" in code:
        # Distinct people share a masked form, so keying on it would merge them into one node.
        raise _fail(
            "document",
            "charset",
            code,
            "document number is masked ('*'); match the person by name and other data instead",
        )
    message = f"{document_type}:{code}".encode()
    return "P" + hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


# --- Builders for synthetic data --------------------------------------------------------------


def _require_length(kind: str, part: str, value: str, length: int) -> None:
    if len(value) != length:
        raise _fail(kind, "length", value, f"{part} must be {length} characters, got {len(value)}")


def build_uscc(authority: str, org_type: str, division: str, org_code_body: str) -> str:
    """Assemble a valid USCC from its parts, appending both check characters."""
    authority, org_type = normalize_code(authority), normalize_code(org_type)
    division, body = normalize_code(division), normalize_code(org_code_body)
    _require_length("uscc", "registration authority", authority, 1)
    _require_length("uscc", "organisation type", org_type, 1)
    _require_length("uscc", "division", division, 6)
    _require_length("uscc", "organisation code body", body, 8)
    first17 = authority + org_type + division + body + org_code_check_char(body)
    # Re-validating means a generator bug surfaces here, not as bad data downstream.
    return validate_uscc(first17 + uscc_check_char(first17))


def build_id_number(region: str, birth: date, sequence: int) -> str:
    """Assemble a valid resident identity number, appending the check character."""
    if not 1 <= sequence <= 999:
        raise _fail("id_number", "sequence", str(sequence), f"sequence must be 1..999, got {sequence}")
    first17 = normalize_code(region) + f"{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    # Validated against the real today, so a generator cannot emit people born in the future.
    return validate_id_number(first17 + id_check_char(first17))


def build_registration_number(division: str, body8: str) -> str:
    """Assemble a valid 15-digit registration number, appending the check digit."""
    division, body = normalize_code(division), normalize_code(body8)
    _require_length("registration_number", "division", division, 6)
    _require_length("registration_number", "body", body, 8)
    first14 = division + body
    return validate_registration_number(first14 + registration_check_digit(first14))
