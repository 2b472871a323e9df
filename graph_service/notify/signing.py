"""The signature on every posted notice, as the Standard Webhooks specification has it.

Three headers go with each request: `webhook-id` (the notice's event id, the receiver's idempotency key),
`webhook-timestamp` (when the attempt was made, in unix seconds: the receiver refuses old ones, so a
captured request cannot be replayed later) and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of
`{id}.{timestamp}.{body}`, keyed with the decoded part of the subscription's `whsec_` secret). Signing
id and timestamp along with the body means neither can be changed without the signature failing.

docs/notifications.md shows a receiver how to check them; `verify` here is the same check, for the
tests and for anyone receiving notices with this package installed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from graph_service import __version__
from graph_service.notify.storage import SECRET_PREFIX

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
DELIVERY_HEADER = "Credit-Graph-Delivery"
USER_AGENT = f"credit-graph/{__version__}"
SIGNATURE_VERSION = "v1"
TOLERANCE_SECONDS = 300


class InvalidSignature(Exception):
    """A delivery whose signature headers do not prove it came, unchanged and recently, from us."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signing_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret: the bytes its base64 part stands for."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"secret: a signing secret starts with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"secret: the part after {SECRET_PREFIX} is not base64") from None
    if not key:
        raise ValueError("secret: empty")
    return key


def _signature(key: bytes, event_id: str, timestamp: int, body: bytes) -> bytes:
    signed = f"{event_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for this body sent as this event at this time."""
    # The full stop separates the signed parts: an id holding one could make two different
    # (id, timestamp) pairs sign the same text.
    if not event_id or "." in event_id:
        raise ValueError("event_id: must be non-empty and hold no full stop")
    digest = _signature(signing_key(secret), event_id, timestamp, body)
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def delivery_headers(
    secret: str, event_id: str, timestamp: int, body: bytes, notice_seq: int, attempt: int
) -> dict[str, str]:
    """Every header of one attempt at posting a notice."""
    return {
        ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, event_id, timestamp, body),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        # Which notice in the feed and which try at it: for the receiver's logs and ours, not for
        # deduplication (the event id is that).
        DELIVERY_HEADER: f"{notice_seq}.{attempt}",
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: int | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Return if the headers carry a valid signature of this body made within `tolerance` seconds of
    `now` (default: the current time); raise InvalidSignature saying why not otherwise."""
    found = {name.lower(): value for name, value in headers.items()}
    event_id = found.get(ID_HEADER)
    timestamp_text = found.get(TIMESTAMP_HEADER)
    signatures = found.get(SIGNATURE_HEADER)
    if not (event_id and timestamp_text and signatures):
        missing = [name for name in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER) if not found.get(name)]
        raise InvalidSignature(f"missing header: {', '.join(missing)}")
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        raise InvalidSignature(f"{TIMESTAMP_HEADER} is not a whole number of seconds") from None
    current = int(time.time()) if now is None else now
    if timestamp < current - tolerance:
        raise InvalidSignature(f"{TIMESTAMP_HEADER} is more than {tolerance} s old")
    if timestamp > current + tolerance:
        raise InvalidSignature(f"{TIMESTAMP_HEADER} is more than {tolerance} s ahead")
    expected = _signature(signing_key(secret), event_id, timestamp, body)
    # A list separated by spaces: during a change of key a sender may sign with both; signatures of
    # another scheme (v1a, asymmetric) are not ours to check.
    for item in signatures.split():
        version, _, encoded = item.partition(",")
        if version != SIGNATURE_VERSION:
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return
    raise InvalidSignature("no signature matches")
