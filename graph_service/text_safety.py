"""Text made safe for files that people open: ID numbers masked, and no cell a spreadsheet would run.

These are for human-facing reports (reject lists, summaries), never for files a program reads back:
an escaped or masked cell is no longer the value it was.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from graph_service.identifiers import PROVINCE_CODES, is_valid_uscc, mask_id_number

__all__ = ["mask_ids_in_text", "mask_ids_keeping_uscc", "report_cell", "spreadsheet_safe"]

# No ID number without 15 digits in a row, or with single blanks or hyphens between them (110101-19900307-
# 777X, 1101 0119 9003 0777 7X), ASCII or full width: clean text leaves after one search.
_LONG_DIGIT_RUN = re.compile(r"[0-9\uff10-\uff19]{15}")
_SPACED_DIGITS = re.compile(r"[0-9\uff10-\uff19][ \-][0-9\uff10-\uff19]")
_LOOSE_DIGIT_RUN = re.compile(r"[0-9\uff10-\uff19](?:[ \-]?[0-9\uff10-\uff19]){14}")
_FULL_WIDTH_DIGIT = re.compile(r"[\uff10-\uff19]")
# Not inside a longer number: the neighbours must not be digits. Letters are no boundary to a number
# (ID410922…, 身份证号110101…，): a code with letters inside it has no 17 digits in a row to match.
_ID_18 = re.compile(r"(?<![0-9])(?:[0-9][ \-]?){17}[0-9Xx](?![0-9])")
_ID_15 = re.compile(r"(?<![0-9])(?:[0-9][ \-]?){14}[0-9](?![0-9])")
_SEPARATORS = re.compile(r"[ \-]")
# OWASP's list for CSV injection: what makes Excel, LibreOffice or Sheets read a cell as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _first_generation(number: str) -> bool:
    """A 15-digit run that reads as a first-generation ID: a province prefix and a YYMMDD birth date."""
    if number[:2] not in PROVINCE_CODES:
        return False
    try:
        date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return False
    return True


def _mask_18(match: re.Match[str]) -> str:
    return mask_id_number(_SEPARATORS.sub("", match.group(0)))


def _mask_15(match: re.Match[str]) -> str:
    found = _SEPARATORS.sub("", match.group(0))
    return mask_id_number(found) if _first_generation(found) else match.group(0)


def mask_ids_in_text(text: str) -> str:
    """The text with every 18-character ID-shaped run (17 digits and a digit or X) and every 15-digit run
    that reads as a first-generation ID masked as mask_id_number masks them.

    Shape is enough for 18 characters: masking a code that only looks like an ID number costs a reader
    little, missing a real one exposes a person. Full-width digits are caught by NFKC-normalising the
    text, which is done only when one is present, so other text keeps its form.
    """
    if not _LONG_DIGIT_RUN.search(text) and not (
        _SPACED_DIGITS.search(text) and _LOOSE_DIGIT_RUN.search(text)
    ):
        return text
    if _FULL_WIDTH_DIGIT.search(text):
        text = unicodedata.normalize("NFKC", text)
    text = _ID_18.sub(_mask_18, text)
    return _ID_15.sub(_mask_15, text)


def mask_ids_keeping_uscc(value: str) -> str:
    """A value with its ID numbers masked, unless it is a whole USCC: one whose organisation code is
    digits only has the shape of an ID number, and it is what names an enterprise (a person is named by
    person key, never by ID number)."""
    return value if len(value) == 18 and is_valid_uscc(value) else mask_ids_in_text(value)


def spreadsheet_safe(cell: str) -> str:
    """The cell with a leading apostrophe when a spreadsheet would read it as a formula (OWASP, CSV
    injection): it begins with =, +, -, @, a tab or a carriage return.

    Numbers such as -5 or +86 10 1234 are escaped too: the rule cannot tell a number from a formula that
    begins like one (-2+3+cmd|...), and in a report for people the apostrophe costs only a character.
    """
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def report_cell(value: object) -> str:
    """A value as a cell of a human-facing report file: ID numbers masked, formulas defused. None is an
    empty cell."""
    return spreadsheet_safe(mask_ids_in_text("" if value is None else str(value)))
