"""What the notification side keeps: subscriptions, and the notices made for them.

A notice is one event (a change of one subject's standing, or of one entry) for one subscription. Its
`event_id` is that notice's: the same on every attempt and however often the notifier makes it, another
for another subscription (whose notice of the same event differs, in the measures it expects applied):
receivers use it as the idempotency key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SubscriptionKind = Literal["subjects", "lists", "measures"]
SubscriptionStatus = Literal["active", "failing", "paused"]
# pending: to be posted; delivered: the endpoint answered 2xx; gave_up: retried for the whole retry
# window without success (still in the pull feed, and redeliverable); pull: the subscription has no
# endpoint and is read through /v1/changes only.
Delivery = Literal["pending", "delivered", "gave_up", "pull"]
NoticeType = Literal["standing.changed", "entry.changed"]
MAX_WATCHED = 100_000  # subjects per subscription


class Subscription(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: SubscriptionKind
    department: str
    key_id: str  # the key that made it: what its notices may carry is what that key may read
    role: str
    classes: tuple[str, ...]  # disclosure classes its notices are made with
    url: str | None = None  # None: pull only
    description: str = ""
    list_types: tuple[str, ...] = ()  # kind lists: these list types ...
    domains: tuple[str, ...] = ()  # ... and every list type of these domains
    measures: tuple[str, ...] = ()  # the measures the department implements (kind measures: required)
    created_at: datetime
    from_seq: int  # changes after this one (the store's change log) are its to hear about
    from_day: str  # days after this one are its to hear about
    status: SubscriptionStatus = "active"
    consecutive_failures: int = 0
    last_error: str | None = None
    last_delivered_at: datetime | None = None
    watched: int = 0


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int  # the feed's order and cursor
    event_id: str
    subscription_id: str
    type: NoticeType
    ordering_key: str  # notices with one key are delivered in seq order: "person:P…", "entry:…"
    created_at: datetime
    body: dict[str, Any]
    delivery: Delivery
    attempts: int = 0
    next_attempt_at: datetime | None = None
    first_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None


class NewNotice(BaseModel):
    """A notice as the notifier makes it, before it has a place in the feed."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    subscription_id: str
    type: NoticeType
    ordering_key: str
    body: dict[str, Any]
    # For the feedback statistics: the entries the notice is about and the measures it expects applied.
    entry_ids: tuple[str, ...] = ()
    expected_measures: tuple[str, ...] = ()


class Attempt(BaseModel):
    """One try at posting a notice: the delivery log."""

    model_config = ConfigDict(frozen=True)

    notice_seq: int
    subscription_id: str
    event_id: str
    at: datetime
    attempt: int
    status_code: int | None = None  # None: no answer (refused, timed out, cut off)
    error: str | None = None
    duration_ms: int = Field(ge=0)
    outcome: Literal["delivered", "retry", "gave_up"]
