"""The Standard Webhooks signature: a published test vector, what verify refuses, and the reference
implementation (the `standardwebhooks` package) accepting what sign makes."""

from __future__ import annotations

import base64
import time

import pytest
import standardwebhooks

from graph_service.notify.signing import InvalidSignature, delivery_headers, sign, signing_key, verify
from graph_service.notify.storage import new_secret

NOW = 1_750_000_000
BODY = '{"id":"ev_1","type":"standing.changed","subject":{"name":"某某公司"}}'.encode()


def headers_for(secret: str, event_id: str = "ev_1", at: int = NOW, body: bytes = BODY) -> dict[str, str]:
    return delivery_headers(secret, event_id, at, body, notice_seq=7, attempt=2)


def test_the_signature_matches_the_published_example() -> None:
    # The example verification of the Standard Webhooks libraries and their documentation.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_headers_carry_id_timestamp_signature_and_the_delivery() -> None:
    secret = new_secret()
    headers = headers_for(secret)
    assert headers["webhook-id"] == "ev_1"
    assert headers["webhook-timestamp"] == str(NOW)
    assert headers["webhook-signature"] == sign(secret, "ev_1", NOW, BODY)
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("credit-graph/")
    assert headers["Credit-Graph-Delivery"] == "7.2"


def test_verify_accepts_a_signed_request_within_the_tolerance() -> None:
    secret = new_secret()
    headers = headers_for(secret)
    verify(secret, headers, BODY, now=NOW)
    verify(secret, headers, BODY, now=NOW + 300)
    verify(secret, headers, BODY, now=NOW - 300)
    verify(secret, {k.upper(): v for k, v in headers.items()}, BODY, now=NOW)
    # One matching v1 signature among others (a second key, another scheme) is enough.
    others = f"v1a,{base64.b64encode(b'x' * 64).decode()} {sign(new_secret(), 'ev_1', NOW, BODY)}"
    verify(
        secret, {**headers, "webhook-signature": f"{others} {headers['webhook-signature']}"}, BODY, now=NOW
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"webhook-signature": None}, "missing header: webhook-signature"),
        ({"webhook-id": None, "webhook-timestamp": None}, "missing header: webhook-id, webhook-timestamp"),
        ({"webhook-timestamp": "soon"}, "not a whole number"),
        ({"webhook-timestamp": str(NOW - 301)}, "more than 300 s old"),
        ({"webhook-timestamp": str(NOW + 301)}, "more than 300 s ahead"),
        ({"webhook-id": "ev_2"}, "no signature matches"),
        ({"webhook-signature": "v1,not base64!"}, "no signature matches"),
        ({"webhook-signature": "v2,AAAA"}, "no signature matches"),
    ],
)
def test_verify_refuses_saying_why(change: dict[str, str | None], reason: str) -> None:
    secret = new_secret()
    headers: dict[str, str] = {**headers_for(secret)}
    for name, value in change.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    with pytest.raises(InvalidSignature) as refused:
        verify(secret, headers, BODY, now=NOW)
    assert reason in refused.value.reason


def test_verify_refuses_a_changed_body_or_another_secret() -> None:
    secret = new_secret()
    headers = headers_for(secret)
    with pytest.raises(InvalidSignature, match="no signature matches"):
        verify(secret, headers, BODY.replace("某某".encode(), "其他".encode()), now=NOW)
    with pytest.raises(InvalidSignature, match="no signature matches"):
        verify(new_secret(), headers, BODY, now=NOW)


def test_the_reference_implementation_accepts_our_signature() -> None:
    secret = new_secret()
    now = int(time.time())  # the reference checks the timestamp against its own clock
    headers = headers_for(secret, at=now)
    assert standardwebhooks.Webhook(secret).verify(BODY, headers)["subject"]["name"] == "某某公司"
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secret).verify(BODY + b" ", headers)


def test_bad_secrets_and_event_ids_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="secret: a signing secret starts with whsec_"):
        signing_key("c2VjcmV0")
    with pytest.raises(ValueError, match="secret: the part after whsec_ is not base64"):
        signing_key("whsec_***")
    with pytest.raises(ValueError, match="secret: empty"):
        signing_key("whsec_")
    with pytest.raises(ValueError, match="event_id"):
        sign(new_secret(), "ev.1", NOW, BODY)
    assert len(signing_key(new_secret())) == 32
