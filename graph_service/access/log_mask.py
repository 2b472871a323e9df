"""Mask personal ID numbers in the server's access log: a search by ID number travels in the query
string, and the log must not keep what the responses never show."""

from __future__ import annotations

import logging
import re

from graph_service.identifiers import is_valid_id_number, mask_id_number

# 18 or 15 digits (the last of 18 may be X), not inside a longer code; percent-encoded X is not a concern.
ID_SHAPE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def mask_ids(text: str) -> str:
    def masked(match: re.Match[str]) -> str:
        found = match.group(0)
        return mask_id_number(found) if is_valid_id_number(found) else found

    return ID_SHAPE.sub(masked, text)


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
