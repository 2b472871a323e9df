"""What the queue holds of one unresolved reference: who the source names, which stored persons were
considered and why each fits or not, and what a decision changes (its target)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from graph_service.identifiers import is_valid_id_number, normalize_code
from graph_service.model import MAX_TEXT, PERSON_KEY, Moment

Status = Literal["open", "resolved", "rejected", "undone"]
STATUSES: tuple[Status, ...] = ("open", "resolved", "rejected", "undone")
Action = Literal["resolve", "reject", "undo"]


def _no_full_number(value: str) -> str:
    if value and is_valid_id_number(normalize_code(value)):
        raise ValueError("masked: a full ID number is never kept here; give it masked")
    return value


class Candidate(BaseModel):
    """A stored person the matcher considered for a reference, and why it fits or does not."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    person_key: str = Field(pattern=PERSON_KEY)
    name: str = Field(max_length=MAX_TEXT["name"])
    masked: str = Field(default="", max_length=64)  # the stored number, masked
    fits: bool
    why: str = Field(max_length=MAX_TEXT["long"])

    @field_validator("masked")
    @classmethod
    def _masked_only(cls, value: str) -> str:
        return _no_full_number(value)


class EntrySubject(BaseModel):
    """A list entry held back whole because its subject is this reference: its fields (all but its id and
    subject key), so that a decision can create it with the chosen person as subject."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["entry_subject"] = "entry_subject"
    entry: dict[str, Any]


class EntryNamed(BaseModel):
    """A list entry that loaded without this named person: the role as the decision words it, and the
    row's named persons in its order (person keys, or ``ref:<ref_key>`` for those unresolved), so that a
    person a decision adds stands where a later load of the same row puts him."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["entry_named"] = "entry_named"
    entry_id: str = Field(min_length=1, max_length=128)
    role: str = Field(max_length=MAX_TEXT["short"])
    order: tuple[str, ...] = ()


Target = Annotated[EntrySubject | EntryNamed, Field(discriminator="kind")]


class Reference(BaseModel):
    """One unresolved reference as a loader meets it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ref_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    source: str = Field(max_length=MAX_TEXT["source"])
    file_name: str = Field(max_length=MAX_TEXT["source"])
    row: int = Field(ge=0)
    field: str = Field(max_length=MAX_TEXT["short"])  # the file's header
    name: str = Field(max_length=MAX_TEXT["name"])
    masked: str = Field(default="", max_length=64)  # the number the source gives, masked; or empty
    enterprise: str = Field(default="", max_length=64)  # the USCC the reference was looked for in
    reason: str = Field(max_length=MAX_TEXT["long"])
    candidates: tuple[Candidate, ...] = ()
    target: Target

    @field_validator("masked")
    @classmethod
    def _masked_only(cls, value: str) -> str:
        return _no_full_number(value)


def reference_key(
    source: str,
    list_type: str,
    authority: str,
    decision_number: str,
    subject_name: str,
    field: str,
    name: str,
    masked: str,
) -> str:
    """What identifies a reference across loads of the same source: the listing decision, the field and
    who it names. Built from the masked number only, never from a full one."""
    _no_full_number(masked)
    parts = (source, list_type, authority, decision_number, subject_name, field, name, masked)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class Decision(BaseModel):
    """One decision on a reference: who took it, why, when, and what it changed in the store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Action
    person_key: str | None = None
    was_candidate: bool | None = None
    actor: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    at: Moment
    applied: str  # what was done, in words
    entry_id: str | None = None  # the entry it changed or would have
    changed: bool = False  # whether it changed the store (an undo reverses only what its decision did)


class QueuedReference(Reference):
    """A reference as the queue keeps it: its short id, status and decisions."""

    id: str
    status: Status
    person_key: str | None = None  # the person chosen, while resolved
    first_seen: datetime
    last_seen: datetime
    decisions: tuple[Decision, ...] = ()
