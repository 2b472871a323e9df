"""Mask personal ID numbers in the server's access log: a search by ID number travels in the query
string, and the log must not keep what the responses never show."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode

from graph_service.identifiers import is_valid_id_number, mask_id_number, normalize_code

# 18 or 15 digits (the last of 18 may be X), not inside a longer code.
ID_SHAPE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def _as_id_number(value: str) -> str | None:
    """The ID number a query value means, read as the search reads it (blanks, full-width digits and
    percent-encoding undone), or None."""
    code = normalize_code(value)
    return code if is_valid_id_number(code) else None


def mask_ids(text: str) -> str:
    def masked(match: re.Match[str]) -> str:
        found = match.group(0)
        return mask_id_number(found) if is_valid_id_number(found) else found

    path, sep, rest = text.partition("?")
    if sep:
        query, space, tail = rest.partition(" ")  # a request line ends in " HTTP/1.1"
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_as_id_number(v) for _, v in pairs):
            numbers = [(k, _as_id_number(v)) for k, v in pairs]
            query = urlencode(
                [(k, mask_id_number(n) if n else v) for (k, n), (_, v) in zip(numbers, pairs, strict=True)],
                safe="*",
            )
        rest = query + space + tail
    return ID_SHAPE.sub(masked, path) + sep + ID_SHAPE.sub(masked, rest)


class MaskIdNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(mask_ids(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = mask_ids(record.msg)
        return True


def mask_access_log(name: str = "uvicorn.access") -> None:
    """Install the filter once on the access logger."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, MaskIdNumbers) for f in logger.filters):
        logger.addFilter(MaskIdNumbers())
