"""Mask personal ID numbers in the server's access log: a search by ID number travels in the query
string, and the log must not keep what the responses never show."""

from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import parse_qsl, unquote

from graph_service.identifiers import is_valid_id_number, mask_id_number, normalize_code

# 18 or 15 digits (the last of 18 may be X), not inside a longer code.
ID_SHAPE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def _masked_value(value: str) -> str:
    """A decoded query value with its ID numbers masked: the whole value when the search would read it as
    one number (blanks and full-width digits undone), else every number standing in it (张三4109…,
    id:4109…, a comma-separated list)."""
    whole = normalize_code(value)
    if is_valid_id_number(whole):
        return mask_id_number(whole)
    return _mask_shapes(unicodedata.normalize("NFKC", value))


def _mask_shapes(text: str) -> str:
    def masked(match: re.Match[str]) -> str:
        found = match.group(0).upper()
        return mask_id_number(found) if is_valid_id_number(found) else match.group(0)

    return ID_SHAPE.sub(masked, text)


def mask_ids(text: str) -> str:
    """The text with every ID number in it masked, read as the service reads a request (percent-encoding
    and `+` undone), in the path and in each query value; a query holding one is logged decoded."""
    path, sep, rest = text.partition("?")
    path = _mask_shapes(unicodedata.normalize("NFKC", unquote(path)))
    if not sep:
        return path
    query, space, tail = rest.partition(" ")  # a request line ends in " HTTP/1.1"
    pairs = parse_qsl(query, keep_blank_values=True)
    masked = [(k, _masked_value(v)) for k, v in pairs]
    if masked != pairs:
        query = "&".join(f"{k}={v}" for k, v in masked)
    return path + sep + query + space + tail


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
