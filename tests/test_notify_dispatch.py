"""The dispatcher against a real HTTP endpoint: a ThreadingHTTPServer on 127.0.0.1 in this process that
records every request and answers as each test tells it. Subscriptions and notices are made directly in
a NotifyStore in tmp_path (the notification file is the same for either graph backend, which the
dispatcher never touches). Waits are short (retries after 0.05-0.2 s), so the file runs in seconds."""

from __future__ import annotations

import json
import logging
import random
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks

from graph_service import __version__
from graph_service.identifiers import build_id_number
from graph_service.notify.dispatch import DeliverySettings, Dispatcher, backoff, encode_body, lease_for
from graph_service.notify.models import NewNotice, Notice, Subscription
from graph_service.notify.signing import InvalidSignature, sign, verify
from graph_service.notify.storage import NotifyStore, new_secret, now_utc
from graph_service.settings import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "notifications.md"
ID_NUMBER = build_id_number("410922", date(1980, 5, 17), 12)
FAST = DeliverySettings(
    timeout_seconds=2.0,
    workers=4,
    retry_base_seconds=0.05,
    retry_max_seconds=0.2,
    retry_for_seconds=60.0,
    failing_after=5,
    lease_seconds=5.0,
    poll_seconds=0.02,
)


# -- the receiving end ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]  # names in lower case
    body: bytes
    path: str

    @property
    def event_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up waiting (the timeout tests) is not an error here."""


class Receiver:
    """An endpoint that records each request and answers with `answer(request)`."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[Received] = []
        self.answer: Callable[[Received], Reply] = lambda _: Reply()
        self.in_flight: dict[str, int] = {}  # per ordering key, while the answer is being made
        self.most_in_flight = 0
        self.most_in_flight_per_key = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so the dispatcher's pool is used

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                got = Received({k.lower(): v for k, v in self.headers.items()}, body, self.path)
                key = str(_json(body).get("key", ""))
                with receiver._lock:
                    receiver.requests.append(got)
                    receiver.in_flight[key] = receiver.in_flight.get(key, 0) + 1
                    receiver.most_in_flight = max(receiver.most_in_flight, sum(receiver.in_flight.values()))
                    receiver.most_in_flight_per_key = max(
                        receiver.most_in_flight_per_key, receiver.in_flight[key]
                    )
                reply = receiver.answer(got)
                time.sleep(reply.delay)
                with receiver._lock:
                    receiver.in_flight[key] -= 1
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the dispatcher stopped waiting

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", port), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def count(self, event_id: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.event_id == event_id)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _json(body: bytes) -> dict[str, Any]:
    found = json.loads(body)
    assert isinstance(found, dict)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- fixtures and helpers ---------------------------------------------------------------------------


@pytest.fixture
def notices(tmp_path: Path) -> Iterator[NotifyStore]:
    store = NotifyStore(tmp_path / "notify.sqlite")
    yield store
    store.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


def subscribe(notices: NotifyStore, url: str | None, sub_id: str = "S1") -> str:
    """A subscription posting to `url`; its secret."""
    secret = new_secret()
    notices.create(
        Subscription(
            id=sub_id,
            kind="subjects",
            department="市场监督管理局",
            key_id="K1",
            role="agency",
            classes=("public",),
            url=url,
            created_at=now_utc(),
            from_seq=0,
            from_day="2026-01-01",
        ),
        secret,
    )
    return secret


def notify(notices: NotifyStore, keys: list[str], sub_id: str = "S1") -> list[Notice]:
    """One notice per key given (an ordering key), in that order; the notices as recorded."""
    start = len(notices.feed([sub_id], 0, 10_000))
    made = [
        NewNotice(
            event_id=f"ev_{sub_id}_{start + i}",
            subscription_id=sub_id,
            type="standing.changed",
            ordering_key=key,
            body={
                "id": f"ev_{sub_id}_{start + i}",
                "type": "standing.changed",
                "subscription": sub_id,
                "key": key,
                "subject": {"name": "河南某某建材有限公司", "note": "失信 — 限制 ✓"},
            },
        )
        for i, key in enumerate(keys)
    ]
    notices.record(made, {})
    return notices.feed([sub_id], 0, 10_000)[start:]


def settle(dispatcher: Dispatcher, done: Callable[[], bool], seconds: float = 10.0) -> None:
    """Run rounds until `done()`; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            pytest.fail("the dispatcher did not get there in time")
        if not dispatcher.run_once():
            time.sleep(0.01)


def current(notices: NotifyStore, notice: Notice) -> Notice:
    found = notices.notice(notice.seq)
    assert found is not None
    return found


def outcomes(notices: NotifyStore, sub_id: str = "S1") -> list[tuple[str, int | None]]:
    return [(a.outcome, a.status_code) for _, a in notices.attempts(sub_id, limit=1000)]


# -- delivery and its signature ---------------------------------------------------------------------


def test_a_notice_is_posted_signed_and_recorded(notices: NotifyStore, receiver: Receiver) -> None:
    secret = subscribe(notices, receiver.url)
    [notice] = notify(notices, ["person:P1"])
    with Dispatcher(notices, FAST) as dispatcher:
        assert dispatcher.run_once() == 1
        assert dispatcher.run_once() == 0
    [got] = receiver.requests
    assert got.body == encode_body(notice.body)
    assert "河南某某建材有限公司".encode() in got.body  # UTF-8, not \u escapes
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == f"credit-graph/{__version__}"
    assert got.headers["credit-graph-delivery"] == f"{notice.seq}.1"
    assert got.event_id == notice.event_id
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 10
    assert got.headers["webhook-signature"].startswith("v1,")
    verify(secret, got.headers, got.body)
    # The reference implementation accepts it too.
    assert standardwebhooks.Webhook(secret).verify(got.body, got.headers) == notice.body
    with pytest.raises(InvalidSignature):
        verify(new_secret(), got.headers, got.body)

    delivered = current(notices, notice)
    assert delivered.delivery == "delivered" and delivered.delivered_at is not None
    assert outcomes(notices) == [("delivered", 200)]
    subscription = notices.get("S1")
    assert subscription.last_delivered_at is not None and subscription.status == "active"


def _documented_verifier() -> Callable[..., None]:
    """The Python example of docs/notifications.md, run as a receiver would paste it."""
    section = DOC.read_text(encoding="utf-8").split("### Verifying a delivery", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, "docs/notifications.md: no Python block under 'Verifying a delivery'"
    namespace: dict[str, Any] = {"__name__": "receiver"}
    exec(compile(found.group(1), str(DOC), "exec"), namespace)
    verifier: Callable[..., None] = namespace["verify_delivery"]
    return verifier


def test_the_documented_verification_accepts_a_delivery_and_nothing_else(
    notices: NotifyStore, receiver: Receiver
) -> None:
    verify_delivery = _documented_verifier()
    secret = subscribe(notices, receiver.url)
    notify(notices, ["person:P1"])
    with Dispatcher(notices, FAST) as dispatcher:
        dispatcher.run_once()
    [got] = receiver.requests
    verify_delivery(secret, got.headers, got.body)
    # Header names as a framework may hand them over.
    verify_delivery(secret, {k.title(): v for k, v in got.headers.items()}, got.body)

    wrong_signature = {**got.headers, "webhook-signature": sign(new_secret(), got.event_id, 1, b"{}")}
    stale = int(time.time()) - 600
    stale_headers = {
        **got.headers,
        "webhook-timestamp": str(stale),
        "webhook-signature": sign(secret, got.event_id, stale, got.body),
    }
    for headers, body in (
        (wrong_signature, got.body),
        (got.headers, got.body.replace(b"P1", b"P2")),
        (stale_headers, got.body),
        ({k: v for k, v in got.headers.items() if k != "webhook-id"}, got.body),
    ):
        with pytest.raises(Exception) as refused:
            verify_delivery(secret, headers, body)
        assert type(refused.value).__name__ == "InvalidDelivery"
    # The signature itself was good for that stale request: only its age is refused.
    verify(secret, stale_headers, got.body, now=stale)


# -- failures and retries ---------------------------------------------------------------------------


def test_an_endpoint_down_gets_every_notice_exactly_once_when_it_is_back(notices: NotifyStore) -> None:
    port = free_port()
    subscribe(notices, f"http://127.0.0.1:{port}/hook")
    made = notify(notices, ["person:P1", "person:P2", "person:P1", "entry:E1", "person:P2", "entry:E1"])
    stop = threading.Event()
    dispatcher = Dispatcher(notices, FAST)
    runner = threading.Thread(target=dispatcher.run, args=(stop,), daemon=True)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while len(notices.attempts("S1", limit=1000)) < 6:  # some rounds against the closed port
            assert time.monotonic() < deadline
            time.sleep(0.02)
        receiver = Receiver(port)
        try:
            while notices.delivery_counts()["delivered"] < len(made):
                assert time.monotonic() < deadline, notices.delivery_counts()
                time.sleep(0.02)
        finally:
            receiver.stop()
    finally:
        stop.set()
        runner.join(10)
        dispatcher.close()
    assert not runner.is_alive()
    assert sorted(r.event_id for r in receiver.requests) == sorted(n.event_id for n in made)
    failed = [a for _, a in notices.attempts("S1", limit=1000) if a.outcome == "retry"]
    assert failed and all(a.status_code is None and "cannot connect" in (a.error or "") for a in failed)
    assert notices.get("S1").last_error is None


def test_a_server_error_is_retried_and_only_a_masked_excerpt_of_its_answer_kept(
    notices: NotifyStore, receiver: Receiver, tmp_path: Path
) -> None:
    secret = subscribe(notices, receiver.url)
    [notice] = notify(notices, ["person:P1"])
    long_answer = f"数据库错误：身份证号 {ID_NUMBER} 重复 ".encode() + b"x" * 5000
    receiver.answer = lambda r: Reply(500, long_answer) if receiver.count(r.event_id) == 1 else Reply()
    with Dispatcher(notices, FAST) as dispatcher:
        settle(dispatcher, lambda: current(notices, notice).delivery == "delivered")
    assert outcomes(notices) == [("retry", 500), ("delivered", 200)]
    first, second = (a for _, a in notices.attempts("S1"))
    assert first.error is not None and first.error.startswith("HTTP 500: 数据库错误")
    assert ID_NUMBER not in first.error and ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:] in first.error
    assert len(first.error) <= 520
    assert second.error is None and current(notices, notice).last_error is None
    # Each attempt signed anew, under the same event id.
    one, two = receiver.requests
    assert one.event_id == two.event_id
    assert [r.headers["credit-graph-delivery"] for r in receiver.requests] == [
        f"{notice.seq}.1",
        f"{notice.seq}.2",
    ]
    verify(secret, two.headers, two.body)
    notices.close()
    kept = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("notify.sqlite"))
    assert ID_NUMBER.encode() not in kept and b"x" * 600 not in kept


def test_a_rotated_secret_signs_from_the_next_round_on(notices: NotifyStore, receiver: Receiver) -> None:
    old = subscribe(notices, receiver.url)
    notify(notices, ["person:P1"])
    with Dispatcher(notices, FAST) as dispatcher:
        dispatcher.run_once()
        new = notices.rotate_secret("S1")
        notify(notices, ["person:P1"])
        dispatcher.run_once()
    first, second = receiver.requests
    verify(old, first.headers, first.body)
    verify(new, second.headers, second.body)
    with pytest.raises(InvalidSignature):
        verify(old, second.headers, second.body)


def test_a_redirect_is_not_followed(notices: NotifyStore, receiver: Receiver) -> None:
    subscribe(notices, receiver.url)
    notify(notices, ["person:P1"])
    receiver.answer = lambda r: Reply(301, b"", {"Location": f"{receiver.url}/moved"})
    with Dispatcher(notices, FAST) as dispatcher:
        dispatcher.run_once()
    assert [r.path for r in receiver.requests] == ["/hook"]
    [(_, attempt)] = notices.attempts("S1")
    assert attempt.outcome == "retry" and attempt.status_code == 301
    assert "redirects are not followed" in (attempt.error or "") and "/hook/moved" in (attempt.error or "")


def test_retry_after_is_honoured(notices: NotifyStore, receiver: Receiver) -> None:
    subscribe(notices, receiver.url)
    [notice] = notify(notices, ["person:P1"])
    receiver.answer = lambda r: Reply(503, b"busy", {"Retry-After": "2"})
    with Dispatcher(notices, replace(FAST, retry_max_seconds=5.0)) as dispatcher:
        dispatcher.run_once()
    [(_, attempt)] = notices.attempts("S1")
    waiting = current(notices, notice)
    assert waiting.next_attempt_at is not None
    assert waiting.next_attempt_at - attempt.at >= timedelta(seconds=1.9)


def test_after_the_retry_window_a_notice_is_given_up_and_redelivery_brings_it_back(
    notices: NotifyStore, receiver: Receiver
) -> None:
    subscribe(notices, receiver.url)
    [notice] = notify(notices, ["person:P1"])
    healthy = threading.Event()
    receiver.answer = lambda r: Reply() if healthy.is_set() else Reply(503, b"down for maintenance")
    settings = replace(FAST, retry_for_seconds=0.4, failing_after=1000)
    with Dispatcher(notices, settings) as dispatcher:
        settle(dispatcher, lambda: current(notices, notice).delivery == "gave_up")
        tried = [a for _, a in notices.attempts("S1", limit=1000)]
        assert [a.outcome for a in tried] == ["retry"] * (len(tried) - 1) + ["gave_up"]
        assert len(tried) >= 3
        assert tried[-1].at - tried[0].at >= timedelta(seconds=0.3)
        assert dispatcher.run_once() == 0  # given up: no longer posted
        assert notices.get("S1").last_error == "HTTP 503: down for maintenance"

        assert notices.redeliver("S1") == 1
        assert current(notices, notice).delivery == "pending"
        # A redelivered notice has a whole window again: one more failure does not give it up.
        failures_before = len(receiver.requests)
        receiver.answer = lambda r: (
            Reply() if len(receiver.requests) > failures_before + 1 else Reply(503, b"still starting")
        )
        settle(dispatcher, lambda: current(notices, notice).delivery == "delivered")
    assert outcomes(notices)[-2:] == [("retry", 503), ("delivered", 200)]
    assert len({r.event_id for r in receiver.requests}) == 1


def test_a_subscription_is_failing_after_failures_in_a_row_and_active_again_after_a_success(
    notices: NotifyStore, receiver: Receiver
) -> None:
    subscribe(notices, receiver.url)
    [notice] = notify(notices, ["person:P1"])
    healthy = threading.Event()
    receiver.answer = lambda r: Reply() if healthy.is_set() else Reply(500, b"")
    with Dispatcher(notices, replace(FAST, failing_after=3)) as dispatcher:
        settle(dispatcher, lambda: notices.get("S1").status == "failing")
        failing = notices.get("S1")
        assert failing.consecutive_failures == 3 and len(receiver.requests) == 3
        assert failing.last_error == "HTTP 500"
        healthy.set()
        settle(dispatcher, lambda: current(notices, notice).delivery == "delivered")
    recovered = notices.get("S1")
    assert recovered.status == "active" and recovered.consecutive_failures == 0
    assert recovered.last_error is None


def test_410_gone_gives_the_notice_up_and_pauses_the_subscription(
    notices: NotifyStore, receiver: Receiver
) -> None:
    subscribe(notices, receiver.url)
    [first] = notify(notices, ["person:P1"])
    receiver.answer = lambda r: Reply(410, b"no longer used")
    with Dispatcher(notices, FAST) as dispatcher:
        assert dispatcher.run_once() == 1
        assert current(notices, first).delivery == "gave_up"
        assert notices.get("S1").status == "paused"
        assert outcomes(notices) == [("gave_up", 410)]
        assert "410 Gone" in (notices.get("S1").last_error or "")
        [second] = notify(notices, ["person:P1"])
        assert dispatcher.run_once() == 0  # paused: nothing is posted
        assert len(receiver.requests) == 1

        # Back in service: the given-up notice is put back before resuming, so it still goes first.
        receiver.answer = lambda r: Reply()
        assert notices.redeliver("S1") == 1
        notices.set_status("S1", "active")
        settle(dispatcher, lambda: current(notices, second).delivery == "delivered")
    assert [r.event_id for r in receiver.requests] == [first.event_id, first.event_id, second.event_id]


def test_a_subjects_notices_arrive_in_order_with_several_workers_and_a_slow_endpoint(
    notices: NotifyStore, receiver: Receiver
) -> None:
    subscribe(notices, receiver.url)
    keys = ["person:A", "person:B", "entry:C"]
    made = notify(notices, keys * 4)
    seq_of = {n.event_id: n.seq for n in made}
    stumble = made[4].event_id  # person:B's second: fails once, holding up B's later ones

    def answer(r: Received) -> Reply:
        if r.event_id == stumble and receiver.count(stumble) == 1:
            return Reply(500, b"", delay=0.1)
        return Reply(delay=0.1)

    receiver.answer = answer
    with Dispatcher(notices, replace(FAST, workers=4)) as dispatcher:
        settle(dispatcher, lambda: notices.delivery_counts()["delivered"] == len(made))
    assert receiver.most_in_flight > 1  # posted at once ...
    assert receiver.most_in_flight_per_key == 1  # ... but never two of one subject
    for key in keys:
        arrivals = [seq_of[r.event_id] for r in receiver.requests if _json(r.body)["key"] == key]
        assert arrivals == sorted(arrivals), key
    assert receiver.count(stumble) == 2 and len(receiver.requests) == len(made) + 1


def test_a_notice_claimed_by_a_dispatcher_that_died_is_posted_once_its_lease_runs_out(
    notices: NotifyStore, receiver: Receiver
) -> None:
    subscribe(notices, receiver.url)
    [notice] = notify(notices, ["person:P1"])
    settings = replace(FAST, timeout_seconds=0.3, lease_seconds=0.6)
    claimed_at = time.monotonic()
    assert len(notices.claim_due(now_utc(), 10, settings.lease_seconds)) == 1  # and never finished
    with Dispatcher(notices, settings) as dispatcher:
        assert dispatcher.run_once() == 0
        settle(dispatcher, lambda: current(notices, notice).delivery == "delivered", seconds=5)
    assert time.monotonic() - claimed_at >= 0.6
    [got] = receiver.requests
    assert got.headers["credit-graph-delivery"] == f"{notice.seq}.1"


def test_an_endpoint_too_slow_to_answer_is_timed_out_and_tried_again(
    notices: NotifyStore, receiver: Receiver
) -> None:
    subscribe(notices, receiver.url)
    [notice] = notify(notices, ["person:P1"])
    receiver.answer = lambda r: Reply(delay=0.8) if receiver.count(r.event_id) == 1 else Reply()
    settings = replace(FAST, timeout_seconds=0.2, lease_seconds=2.0)
    with Dispatcher(notices, settings) as dispatcher:
        settle(dispatcher, lambda: current(notices, notice).delivery == "delivered")
    first, second = (a for _, a in notices.attempts("S1"))
    assert first.outcome == "retry" and first.status_code is None
    assert first.error == "timed out waiting for the answer (0.2 s)"
    assert 150 <= first.duration_ms < 700
    assert second.outcome == "delivered"
    # The slow endpoint did get the first request: the event id is how a receiver drops the repeat.
    assert [r.event_id for r in receiver.requests] == [notice.event_id] * 2


def test_a_subscription_gone_pull_only_keeps_its_notices_in_the_feed_only(
    notices: NotifyStore, receiver: Receiver
) -> None:
    subscribe(notices, receiver.url)
    [notice] = notify(notices, ["person:P1"])
    notices.update(notices.get("S1").model_copy(update={"url": None}))
    with Dispatcher(notices, FAST) as dispatcher:
        assert dispatcher.run_once() == 0
    assert current(notices, notice).delivery == "pull"
    assert [n.event_id for n in notices.feed(["S1"], 0)] == [notice.event_id]
    assert receiver.requests == []


def test_the_dispatcher_survives_a_failing_round(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "notify.sqlite"
    notices = NotifyStore(path)
    subscribe(notices, receiver.url)
    with sqlite3.connect(path) as other:
        other.execute("DROP TABLE notices")  # every round now fails to claim
    stop = threading.Event()
    dispatcher = Dispatcher(notices, FAST)
    runner = threading.Thread(target=dispatcher.run, args=(stop,), daemon=True)
    with caplog.at_level(logging.ERROR, logger="graph_service.notify.dispatch"):
        runner.start()
        try:
            deadline = time.monotonic() + 5
            while not any("delivery round failed" in r.getMessage() for r in caplog.records):
                assert time.monotonic() < deadline and runner.is_alive()
                time.sleep(0.02)
            repaired = NotifyStore(path)  # makes the table again
            [notice] = notify(repaired, ["person:P1"])
            while current(notices, notice).delivery != "delivered":
                assert time.monotonic() < deadline and runner.is_alive()
                time.sleep(0.02)
            repaired.close()
        finally:
            stop.set()
            runner.join(5)
            dispatcher.close()
            notices.close()
    assert not runner.is_alive()
    assert len(receiver.requests) == 1


# -- settings and backoff ---------------------------------------------------------------------------


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    settings = replace(FAST, retry_base_seconds=10.0, retry_max_seconds=3600.0)
    rng = random.Random(7)
    for attempt, ceiling in ((1, 10.0), (2, 20.0), (3, 40.0), (9, 2560.0), (10, 3600.0), (10_000, 3600.0)):
        waits = [backoff(attempt, settings, rng) for _ in range(200)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits), attempt
        assert max(waits) - min(waits) > ceiling / 4  # jittered, not one fixed wait
    with pytest.raises(ValueError, match="attempt"):
        backoff(0, settings, rng)


def test_delivery_settings_come_from_the_service_settings_and_are_checked() -> None:
    settings = DeliverySettings.from_settings(Settings(notify_retry_hours=30, notify_workers=3))
    assert settings.retry_for_seconds == 30 * 3600 and settings.workers == 3
    assert settings.timeout_seconds == 10.0 and settings.lease_seconds == lease_for(10.0)
    assert settings.lease_seconds > settings.timeout_seconds
    with pytest.raises(ValueError, match="lease_seconds"):
        replace(FAST, lease_seconds=1.0, timeout_seconds=2.0)
    with pytest.raises(ValueError, match="workers"):
        replace(FAST, workers=0)
