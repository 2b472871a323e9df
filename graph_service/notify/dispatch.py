"""Posting notices to the departments' endpoints: signed, retried with backoff, in order per subject.

Each round claims the notices that are due (storage.claim_due: at most one per subscription and ordering
key, each leased so that no other dispatcher takes it meanwhile), posts them on a few threads over one
pooled HTTP client, and records every attempt (storage.finish_attempt) before the next round claims
again. The next notice of a subject can only be claimed once the one before it is delivered or given up,
so posting a round's notices at once never reorders a subject's notices.

What an answer means (docs/notifications.md, "Receiving notifications"): 2xx delivered; 410 Gone, the
receiver wants no more: the notice is given up and the subscription paused; anything else, and no answer
at all, is tried again later, with exponential backoff, until the retry window (counted from the first
attempt) has passed, then given up (redeliverable). Redirects are not followed: a moved endpoint is for
its department to correct in the subscription, not for us to chase.

Nothing of an answer is kept but its status and the first 500 characters of its body, ID numbers masked.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Literal

import httpx

from graph_service.notify.models import Attempt, Notice
from graph_service.notify.signing import delivery_headers
from graph_service.notify.storage import NotifyStore, UnknownSubscription, now_utc
from graph_service.settings import Settings
from graph_service.text_safety import mask_ids_in_text

log = logging.getLogger(__name__)

EXCERPT_CHARS = 500
# Enough bytes for 500 characters of any UTF-8 text with room to spare, so an ID number cut by the end of
# what was read lies past the 500 kept (and is not half-masked).
EXCERPT_BYTES = 4096
# A round claims this many notices per worker; the lease must outlast a worker posting all of them.
CLAIMS_PER_WORKER = 4
LEASE_MARGIN_SECONDS = 30.0
MAX_REST_SECONDS = 60.0  # the longest wait after rounds that failed


def lease_for(timeout_seconds: float) -> float:
    """A lease long enough for one worker to post a round's share of notices, each taking the whole
    timeout, and to record them."""
    return timeout_seconds * (CLAIMS_PER_WORKER + 1) + LEASE_MARGIN_SECONDS


@dataclass(frozen=True)
class DeliverySettings:
    timeout_seconds: float = 10.0  # per connect, send and read
    workers: int = 8  # notices posted at once
    retry_base_seconds: float = 10.0  # the wait after the first failure; doubled after each next one ...
    retry_max_seconds: float = 3600.0  # ... up to this
    retry_for_seconds: float = 26 * 3600.0  # from the first attempt; then the notice is given up
    failing_after: int = 5  # failed attempts in a row that mark the subscription failing
    lease_seconds: float = lease_for(10.0)
    poll_seconds: float = 1.0  # the wait after a round that found nothing due

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not value > 0 or not math.isfinite(value):
                raise ValueError(f"{field.name}: must be a positive number, not {value!r}")
        if self.lease_seconds <= self.timeout_seconds:
            # A notice still being posted when its lease runs out is claimed and posted a second time.
            raise ValueError(
                f"lease_seconds: must be longer than timeout_seconds ({self.timeout_seconds}), "
                f"not {self.lease_seconds}"
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliverySettings:
        return cls(
            timeout_seconds=settings.notify_timeout_seconds,
            workers=settings.notify_workers,
            retry_base_seconds=settings.notify_retry_base_seconds,
            retry_max_seconds=settings.notify_retry_max_seconds,
            retry_for_seconds=settings.notify_retry_hours * 3600.0,
            failing_after=settings.notify_failing_after,
            lease_seconds=lease_for(settings.notify_timeout_seconds),
            poll_seconds=settings.notify_poll_seconds,
        )


def backoff(attempt: int, settings: DeliverySettings, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number `attempt` (from 1): the base doubled per attempt,
    capped at retry_max, with equal jitter (half of it fixed, half random) so that notices failing
    together, as when an endpoint goes down, do not all come back at the same moment."""
    if attempt < 1:
        raise ValueError(f"attempt: counts from 1, not {attempt}")
    # The exponent is bounded so the doubling cannot overflow a float long after the cap is reached.
    ceiling = min(settings.retry_max_seconds, settings.retry_base_seconds * 2.0 ** min(attempt - 1, 64))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def encode_body(body: dict[str, Any]) -> bytes:
    """The bytes posted, and signed, for a notice body."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _safe_text(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Text from the other side fit for the delivery log: on one line, ID numbers masked, cut short."""
    return mask_ids_in_text(" ".join(text.split()))[:limit]


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a Retry-After header asks us to wait (a number of seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


@dataclass(frozen=True)
class _Endpoint:
    """Where a subscription's notices go and how they are signed, or why they cannot go."""

    url: str | None
    secret: str | None
    reason: str | None = None


@dataclass(frozen=True)
class _Answer:
    status_code: int | None  # None: no answer
    error: str | None
    retry_after: float | None
    duration_ms: int


_TIMEOUT_STAGES: tuple[tuple[type[httpx.TimeoutException], str], ...] = (
    (httpx.ConnectTimeout, "connecting"),
    (httpx.WriteTimeout, "sending the notice"),
    (httpx.ReadTimeout, "waiting for the answer"),
    (httpx.PoolTimeout, "waiting for a free connection"),
)


class Dispatcher:
    """Posts due notices; `run` until stopped, or `run_once` for one round. Close it when done."""

    def __init__(
        self,
        notices: NotifyStore,
        settings: DeliverySettings,
        clock: Callable[[], datetime] = now_utc,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.notices = notices
        self.settings = settings
        self.clock = clock
        self._rng = rng or random.Random()
        self._client = httpx.Client(
            timeout=httpx.Timeout(settings.timeout_seconds),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=settings.workers, max_keepalive_connections=settings.workers),
        )
        self._pool = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="notify-post")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._client.close()

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # -- rounds -------------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set, resting poll_seconds after a round with nothing due. A failing
        round (the notification file unreadable, say) is logged and the next one tried: a notice it had
        claimed comes back when its lease runs out."""
        failed_rounds = 0
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception:
                failed_rounds += 1
                # A fault that lasts (a full disk) is logged ever more rarely, not once per poll.
                rest = min(self.settings.poll_seconds * 2.0 ** min(failed_rounds - 1, 16), MAX_REST_SECONDS)
                log.exception("a delivery round failed; the next one starts in %.2f s", rest)
                stop.wait(rest)
                continue
            failed_rounds = 0
            if not done:
                stop.wait(self.settings.poll_seconds)

    def run_once(self) -> int:
        """Claim the notices due now, post them, record each attempt; how many were attempted."""
        claimed = self.notices.claim_due(
            self.clock(), self.settings.workers * CLAIMS_PER_WORKER, self.settings.lease_seconds
        )
        if not claimed:
            return 0
        # Read once per round, so a rotated secret or a changed endpoint holds from the next round on.
        endpoints = self._endpoints({n.subscription_id for n in claimed})
        posts = [self._pool.submit(self._deliver, n, endpoints[n.subscription_id]) for n in claimed]
        for post in posts:
            post.result()
        return len(claimed)

    def _endpoints(self, subscription_ids: Collection[str]) -> dict[str, _Endpoint]:
        found: dict[str, _Endpoint] = {}
        for sub_id in subscription_ids:
            try:
                subscription = self.notices.get(sub_id)
            except UnknownSubscription:
                found[sub_id] = _Endpoint(None, None, "the subscription was deleted")
                continue
            if subscription.url is None:
                found[sub_id] = _Endpoint(None, None, "the subscription has no endpoint now (pull only)")
                continue
            found[sub_id] = _Endpoint(subscription.url, self.notices.secret(sub_id))
        return found

    # -- one notice ---------------------------------------------------------------------------------

    def _deliver(self, notice: Notice, endpoint: _Endpoint) -> None:
        try:
            self._attempt(notice, endpoint)
        except Exception:
            # Not recorded: the notice stays leased and is tried again when the lease runs out.
            log.exception(
                "notice %d of subscription %s: the attempt failed before it was recorded",
                notice.seq,
                notice.subscription_id,
            )

    def _attempt(self, notice: Notice, endpoint: _Endpoint) -> None:
        number = notice.attempts + 1
        at = self.clock()
        if endpoint.url is None or endpoint.secret is None:
            answer = _Answer(None, endpoint.reason, None, 0)
            self._finish(notice, number, at, answer, "gave_up", None)
            return
        body = encode_body(notice.body)
        try:
            headers = delivery_headers(
                endpoint.secret, notice.event_id, int(at.timestamp()), body, notice.seq, number
            )
        except ValueError as exc:
            answer = _Answer(None, f"cannot sign the notice: {exc}", None, 0)
        else:
            answer = self._post(endpoint.url, headers, body)
        code = answer.status_code
        if code is not None and 200 <= code < 300:
            self._finish(notice, number, at, answer, "delivered", None)
            return
        if code == 410:
            self._finish(notice, number, at, answer, "gave_up", None)
            # The receiver's word that this endpoint is gone: nothing more is posted to it until its
            # department resumes the subscription.
            self.notices.set_status(notice.subscription_id, "paused")
            log.warning(
                "subscription %s paused: its endpoint answered 410 Gone to notice %d",
                notice.subscription_id,
                notice.seq,
            )
            return
        ended = self.clock()
        window_ends = (notice.first_attempt_at or at) + timedelta(seconds=self.settings.retry_for_seconds)
        if ended >= window_ends:
            self._finish(notice, number, at, answer, "gave_up", None)
            log.warning(
                "notice %d of subscription %s given up after %d attempts: %s",
                notice.seq,
                notice.subscription_id,
                number,
                answer.error,
            )
            return
        wait = backoff(number, self.settings, self._rng)
        if answer.retry_after is not None:
            wait = max(wait, min(answer.retry_after, self.settings.retry_max_seconds))
        # The last try falls at the end of the window rather than past it.
        next_at = min(ended + timedelta(seconds=wait), window_ends)
        self._finish(notice, number, at, answer, "retry", next_at)
        log.info(
            "notice %d of subscription %s, attempt %d: %s; next attempt at %s",
            notice.seq,
            notice.subscription_id,
            number,
            answer.error,
            next_at.isoformat(),
        )

    def _finish(
        self,
        notice: Notice,
        number: int,
        at: datetime,
        answer: _Answer,
        outcome: Literal["delivered", "retry", "gave_up"],
        next_at: datetime | None,
    ) -> None:
        attempt = Attempt(
            notice_seq=notice.seq,
            subscription_id=notice.subscription_id,
            event_id=notice.event_id,
            at=at,
            attempt=number,
            status_code=answer.status_code,
            error=answer.error,
            duration_ms=answer.duration_ms,
            outcome=outcome,
        )
        self.notices.finish_attempt(notice, attempt, next_at, self.settings.failing_after)

    def _post(self, url: str, headers: dict[str, str], body: bytes) -> _Answer:
        started = time.monotonic()

        def took() -> int:
            return round((time.monotonic() - started) * 1000)

        try:
            with self._client.stream("POST", url, content=body, headers=headers) as response:
                code = response.status_code
                excerpt = _safe_text(self._read_some(response).decode("utf-8", errors="replace"))
                retry_after = _retry_after(response.headers.get("retry-after"), self.clock())
                location = response.headers.get("location")
        except httpx.TimeoutException as exc:
            stage = next((name for kind, name in _TIMEOUT_STAGES if isinstance(exc, kind)), "")
            return _Answer(
                None, f"timed out {stage} ({self.settings.timeout_seconds} s)".strip(), None, took()
            )
        except httpx.ConnectError as exc:
            return _Answer(None, _safe_text(f"cannot connect: {exc}"), None, took())
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return _Answer(None, _safe_text(f"{type(exc).__name__}: {exc}"), None, took())
        if 200 <= code < 300:
            return _Answer(code, None, None, took())
        error = f"HTTP {code}"
        if 300 <= code < 400:
            error += " (redirects are not followed: the subscription needs the endpoint's new address"
            error += f" {_safe_text(location, 200)})" if location else ")"
        elif code == 410:
            error += " Gone (the endpoint asks for no more notices: the subscription is paused)"
        if excerpt:
            error += f": {excerpt}"
        return _Answer(code, error[: EXCERPT_CHARS * 2], retry_after, took())

    @staticmethod
    def _read_some(response: httpx.Response) -> bytes:
        """At most EXCERPT_BYTES of the body; an answer cut off while read keeps what came."""
        taken = bytearray()
        try:
            for chunk in response.iter_bytes():
                taken += chunk
                if len(taken) >= EXCERPT_BYTES:
                    break
        except httpx.HTTPError:
            pass
        return bytes(taken[:EXCERPT_BYTES])
