"""What /v1/subscriptions and /v1/changes read and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from graph_service.notify.models import Attempt, Delivery, Notice, NoticeType, Subscription, SubscriptionKind
from graph_service.notify.subjects import MAX_BATCH, SubjectKind

# A subject in a request: a USCC, an ID number or a person key as a string, or an object naming the field
# ({"uscc": …} | {"id_number": …, "document_type": …} | {"person_key": …}).
SubjectGiven = str | dict[str, str]
Codes = list[str]
MAX_CODES = 500
MAX_SEQ = 2**63 - 1  # the largest seq the notification file can hold (an SQLite integer)
# A notice by its place in the feed: a number past what any seq can be is refused, not looked up.
Seq = Annotated[int, Field(ge=1, le=MAX_SEQ)]


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "measures",
                    "url": "https://notify.example.gov.cn/credit",
                    "description": "招投标监管: 失信主体变动",
                    "measures": ["limit_public_bidding"],
                },
                {"kind": "subjects", "subjects": ["91410922MA0000015G"]},
            ]
        },
    )

    kind: SubscriptionKind = Field(
        description="subjects: the watched subjects' standing; lists: every event of these lists; "
        "measures: the subjects whose standing under these measures changes"
    )
    url: str | None = Field(
        default=None, description="http(s) endpoint notices are posted to, signed; absent: /v1/changes only"
    )
    description: str = ""
    department: str | None = Field(
        default=None, description="Administrators only: the department it is for (an agency key's is its own)"
    )
    list_types: Codes = Field(default_factory=list, max_length=MAX_CODES)
    domains: Codes = Field(default_factory=list, max_length=MAX_CODES)
    measures: Codes = Field(
        default_factory=list, max_length=MAX_CODES, description="Required for kind measures"
    )
    subjects: list[SubjectGiven] = Field(
        default_factory=list, max_length=MAX_BATCH, description="A first batch of subjects to watch"
    )


class SubscriptionPatch(BaseModel):
    """What a PATCH changes; a field left out is kept, `url: null` makes the subscription pull only."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    description: str | None = None
    list_types: Codes | None = Field(default=None, max_length=MAX_CODES)
    domains: Codes | None = Field(default=None, max_length=MAX_CODES)
    measures: Codes | None = Field(default=None, max_length=MAX_CODES)
    status: Literal["active", "paused"] | None = None


class NotInStore(BaseModel):
    """Watched subjects the store does not hold yet: watched all the same, heard of once they are."""

    enterprises: int = 0
    persons: int = 0


class WatchOut(BaseModel):
    added: int = Field(description="Subjects newly watched (one already watched is not counted again)")
    removed: int
    watching: int = Field(description="Subjects the subscription watches now")
    not_in_store: NotInStore


class SubscriptionCreated(BaseModel):
    subscription: Subscription
    secret: str = Field(description="The signing secret: shown now only (rotate it to get a new one)")
    subjects: WatchOut | None = None


class SubscriptionList(BaseModel):
    items: list[Subscription]


class SecretOut(BaseModel):
    subscription: str
    secret: str = Field(description="The new signing secret, shown now only; the old one stops at once")


class WatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"add": ["91410922MA0000015G"], "remove": []}]},
    )

    add: list[SubjectGiven] = Field(default_factory=list, max_length=MAX_BATCH)
    remove: list[SubjectGiven] = Field(default_factory=list, max_length=MAX_BATCH)

    @model_validator(mode="after")
    def _within_a_call(self) -> WatchIn:
        if len(self.add) + len(self.remove) > MAX_BATCH:
            raise ValueError(
                f"add: at most {MAX_BATCH:,} subjects a call, added and removed together; "
                "give the rest in further calls"
            )
        return self


class WatchedSubject(BaseModel):
    kind: SubjectKind
    key: str = Field(description="USCC, or person key (never an ID number)")


class WatchedPage(BaseModel):
    items: list[WatchedSubject]
    next_cursor: str | None = None


class RedeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notices: list[Seq] | None = Field(
        default=None, max_length=MAX_BATCH, description="These notices (their seq); absent: all given up"
    )


class RedeliverOut(BaseModel):
    redelivered: int


class DeliveryItem(BaseModel):
    cursor: str
    notice: int
    event_id: str
    at: datetime
    attempt: int
    status_code: int | None
    error: str | None
    duration_ms: int
    outcome: Literal["delivered", "retry", "gave_up"]

    @classmethod
    def of(cls, seq: int, attempt: Attempt) -> DeliveryItem:
        return cls(
            cursor=str(seq),
            notice=attempt.notice_seq,
            event_id=attempt.event_id,
            at=attempt.at,
            attempt=attempt.attempt,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
            outcome=attempt.outcome,
        )


class DeliveryPage(BaseModel):
    items: list[DeliveryItem]
    next_cursor: str | None = None


class ChangeItem(BaseModel):
    cursor: str = Field(description="Give it back as `after` to read on from here")
    event_id: str = Field(
        description="The notice's own, the same each time it is read or posted: the idempotency key"
    )
    subscription: str
    type: NoticeType
    created_at: datetime
    delivery: Delivery
    body: dict[str, Any]

    @classmethod
    def of(cls, notice: Notice) -> ChangeItem:
        return cls(
            cursor=str(notice.seq),
            event_id=notice.event_id,
            subscription=notice.subscription_id,
            type=notice.type,
            created_at=notice.created_at,
            delivery=notice.delivery,
            body=notice.body,
        )


class ChangesPage(BaseModel):
    items: list[ChangeItem]
    next_cursor: str = Field(description="Where the next call reads on from (the same when nothing was new)")
