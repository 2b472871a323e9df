"""The identifier checks of graph_service/identifiers.py over whole columns at once, with numpy.

A load checks hundreds of thousands of codes; done one value at a time in Python, the weighted sums of the
check characters (GB 32100 mod 31, GB 11714 and GB 11643 mod 11) were a third of its time. Here a column's
codes become one array of bytes and every check runs over all of them together. The answer is only a
verdict per value, and it is the scalar one's exactly (a property test holds the two equal): why a code
fails is still told by the scalar validator, run for the few that fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from graph_service import identifiers as ids

__all__ = ["id_number_verdicts", "resident_of_valid", "uscc_verdicts"]

Verdicts = npt.NDArray[np.bool_]


def _table(charset: str) -> npt.NDArray[np.int64]:
    """Byte → the character's value in charset, -1 for a byte outside it."""
    table = np.full(256, -1, dtype=np.int64)
    for value, ch in enumerate(charset):
        table[ord(ch)] = value
    return table


_USCC_VALUE = _table(ids.USCC_CHARSET)
_ORG_VALUE = _table(ids._ORG_CODE_BODY_CHARSET)
_DIGIT_VALUE = _table(ids._DIGITS)
_USCC_WEIGHTS = np.array(ids._USCC_WEIGHTS, dtype=np.int64)
_ORG_WEIGHTS = np.array(ids._ORG_CODE_WEIGHTS, dtype=np.int64)
_ID_WEIGHTS = np.array(ids._ID_WEIGHTS, dtype=np.int64)
# Organisation code check: 11 - sum mod 11, 10 written X and 11 written 0; indexed by sum mod 11.
_ORG_CHECK = np.array([ord(ch) for ch in "0X987654321"], dtype=np.int64)
_ID_CHECK = np.array([ord(ch) for ch in ids._ID_CHECK_CHARS], dtype=np.int64)
_USCC_CHARSET = np.array([ord(ch) for ch in ids.USCC_CHARSET], dtype=np.int64)

# Registration authority and organisation type pairs that GB 32100 (as extended) allows.
_AUTHORITY_TYPE = np.zeros((256, 256), dtype=np.bool_)
for _authority, _types in ids._ORGANISATION_TYPES.items():
    for _t in _types:
        _AUTHORITY_TYPE[ord(_authority), ord(_t)] = True
_PROVINCE = np.zeros(100, dtype=np.bool_)
_PROVINCE[[int(p) for p in ids.PROVINCE_CODES]] = True


def _bytes(codes: Sequence[str], width: int) -> npt.NDArray[np.int64]:
    """Codes of `width` ASCII characters as a (n, width) array of their bytes."""
    if not codes:
        return np.zeros((0, width), dtype=np.int64)
    raw = np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8)
    return raw.reshape(len(codes), width).astype(np.int64)


def _split(values: Sequence[str], width: int) -> tuple[list[int], list[str], list[int]]:
    """Which values take the array path (plain ASCII letters and digits of the width, upper-cased as
    normalize_code would) and which the scalar one (anything else: blanks, full width, dashes, other
    lengths, all rare in bulk files)."""
    fast: list[int] = []
    fast_codes: list[str] = []
    slow: list[int] = []
    for i, value in enumerate(values):
        if len(value) == width and value.isascii() and value.isalnum():
            fast.append(i)
            fast_codes.append(value.upper())
        else:
            slow.append(i)
    return fast, fast_codes, slow


def _digits_of(d: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Each row's digit values read as one decimal number."""
    out = np.zeros(len(d), dtype=np.int64)
    for column in range(d.shape[1]):
        out = out * 10 + d[:, column]
    return out


def _uscc_array(codes: npt.NDArray[np.int64]) -> Verdicts:
    values = _USCC_VALUE[codes]
    ok: Verdicts = np.all(values >= 0, axis=1)
    ok &= _AUTHORITY_TYPE[codes[:, 0], codes[:, 1]]
    division = _DIGIT_VALUE[codes[:, 2:8]]
    digits = (division >= 0).all(axis=1)
    number = _digits_of(np.where(division >= 0, division, 0))
    ok &= digits & ((number == int(ids._NATIONAL_DIVISION)) | _PROVINCE[number // 10_000])
    body = _ORG_VALUE[codes[:, 8:16]]
    org_sum = (np.where(body >= 0, body, 0) * _ORG_WEIGHTS).sum(axis=1)
    ok &= _ORG_CHECK[org_sum % 11] == codes[:, 16]
    uscc_sum = (np.where(values[:, :17] >= 0, values[:, :17], 0) * _USCC_WEIGHTS).sum(axis=1)
    ok &= _USCC_CHARSET[(31 - uscc_sum % 31) % 31] == codes[:, 17]
    return ok


def uscc_verdicts(values: Sequence[str]) -> Verdicts:
    """is_valid_uscc of every value, as one array."""
    out = np.zeros(len(values), dtype=np.bool_)
    fast, fast_codes, slow = _split(values, 18)
    if fast:
        out[fast] = _uscc_array(_bytes(fast_codes, 18))
    for i in slow:
        out[i] = ids.is_valid_uscc(values[i])
    return out


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _id_array(codes: npt.NDArray[np.int64], today: date) -> Verdicts:
    digits = _DIGIT_VALUE[codes[:, :17]]
    ok: Verdicts = np.all(digits >= 0, axis=1)
    last = codes[:, 17]
    ok &= (_DIGIT_VALUE[last] >= 0) | (last == ord("X"))
    d = np.where(digits >= 0, digits, 0)
    # No province code starts with 9: such a number is a foreign permanent resident ID (foreign_permit).
    ok &= d[:, 0] != 9
    region = _digits_of(d[:, :6])
    ok &= _PROVINCE[region // 10_000] | (region == 830_000)
    year, month, day = _digits_of(d[:, 6:10]), _digits_of(d[:, 10:12]), _digits_of(d[:, 12:14])
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    days = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    ok &= month_ok & (day >= 1) & (day <= days) & (year >= 1900)
    ok &= year * 10_000 + month * 100 + day <= today.year * 10_000 + today.month * 100 + today.day
    ok &= _digits_of(d[:, 14:17]) != 0
    ok &= _ID_CHECK[(d * _ID_WEIGHTS).sum(axis=1) % 11] == last
    return ok


def id_number_verdicts(values: Sequence[str], today: date | None = None) -> Verdicts:
    """is_valid_id_number of every value (resident identity numbers, GB 11643), as one array. A
    first-generation 15-digit number takes the scalar path, which converts it."""
    today = today or date.today()
    out = np.zeros(len(values), dtype=np.bool_)
    fast, fast_codes, slow = _split(values, 18)
    if fast:
        out[fast] = _id_array(_bytes(fast_codes, 18), today)
    for i in slow:
        try:
            ids.parse_id_number(values[i], today)
        except ids.IdentifierError:
            continue
        out[i] = True
    return out


def resident_of_valid(number: str) -> ids.ResidentId:
    """What parse_id_number returns for an 18-character number id_number_verdicts passed, without
    checking it again."""
    sequence = number[14:17]
    return ids.ResidentId(
        number=number,
        region=number[:6],
        birth_date=date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        sequence=sequence,
        sex="male" if int(sequence) % 2 else "female",
    )
