"""A listing's life (docs/domain.md, "A listing's life"): which event may follow which, what each leaves,
and the dated status change it adds to the entry's history. Pure: the engine writes what this returns.

Only administrators record life-cycle events (access/policy.py, operation manage_entries); a loader records
`removed_from_source` when a newer snapshot of a list no longer has an entry.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from graph_service.domain.errors import DomainError, TransitionError
from graph_service.domain.history import state_on
from graph_service.model import (
    EntryEvent,
    EntryStatus,
    EventName,
    ListEntry,
    RepairMethod,
    StatusChange,
)

# event -> (statuses it may start from, status it leaves; None keeps the status)
TRANSITIONS: dict[str, tuple[frozenset[str], EntryStatus | None]] = {
    "pushed": (frozenset({"active", "under_objection"}), None),
    "objection_filed": (frozenset({"active"}), "under_objection"),
    "objection_upheld": (frozenset({"under_objection"}), "active"),
    "objection_corrected": (frozenset({"under_objection"}), "active"),
    "objection_revoked": (frozenset({"under_objection"}), "revoked"),
    "repair_applied": (frozenset({"active"}), None),
    "repaired": (frozenset({"active"}), "repaired"),
    "revoked": (frozenset({"active", "under_objection"}), "revoked"),
    "removed_from_source": (frozenset({"active", "under_objection"}), "removed_from_source"),
    "relisted": (frozenset({"removed_from_source"}), "active"),
    "archived": (frozenset({"repaired", "revoked", "removed_from_source"}), "archived"),
}
# What a corrected objection may change in the entry; the rest of a decision stands.
CORRECTABLE = frozenset({"conduct", "conduct_category", "conduct_date", "expires_on", "named_responsible"})
NEEDS_REASON = frozenset({"objection_revoked", "revoked", "objection_filed", "removed_from_source"})
# The status a list's publisher gives an entry (its 状态 or 履行情况 column). A source's status without a
# date holds from the listing; a later one it publishes is a dated change like any other.
PUBLISHED = "published_status"


def with_start(entry: ListEntry) -> tuple[StatusChange, ...]:
    """The entry's history, beginning with the status a source gave without a date, made explicit on the
    listing day, so that changes added after it leave the days before them as they were."""
    if entry.history or entry.status == "active":
        return entry.history
    start = StatusChange(
        event=PUBLISHED, on=entry.listed_on, status=entry.status, recorded_at=entry.recorded_at
    )
    return (start,)


def last_published(entry: ListEntry) -> EntryStatus:
    """The status the entry's source last gave it: active unless it published another."""
    if not entry.history:
        return entry.status
    return next((c.status for c in reversed(entry.history) if c.event == PUBLISHED), "active")


def _after_last(entry: ListEntry, history: tuple[StatusChange, ...], event: str, on: date) -> None:
    if history and on < history[-1].on:
        raise TransitionError(
            f"on: {on} comes before the entry's last change ({history[-1].event} on {history[-1].on}); "
            f"a {event} takes effect on or after the change before it"
        )


def publish(
    entry: ListEntry, status: EntryStatus, source: str, on: date, recorded_at: datetime
) -> tuple[ListEntry, EntryEvent]:
    """The source now publishes `status` for the entry (a loader saw it in a newer file): a dated change
    from `on`, whatever the status was (the source speaks for its own list)."""
    history = with_start(entry)
    _after_last(entry, history, PUBLISHED, on)
    change_ = StatusChange(event=PUBLISHED, on=on, status=status, recorded_at=recorded_at)
    changed = entry.model_copy(update={"status": status, "history": (*history, change_)})
    record = EntryEvent(
        entry_id=entry.entry_id,
        event="published_status",
        on=on,
        actor=f"loader: {source}"[:200],
        reason=f"{source} publishes {status}",
        status_before=entry.status,
        status_after=status,
        recorded_at=recorded_at,
    )
    return changed, record


def change(
    entry: ListEntry,
    event: EventName,
    actor: str,
    on: date,
    recorded_at: datetime,
    reason: str = "",
    method: RepairMethod | None = None,
    departments: tuple[str, ...] = (),
    corrections: dict[str, Any] | None = None,
) -> tuple[ListEntry, EntryEvent]:
    """The entry as the event leaves it, and the event to append. A status-changing event adds a dated
    change to the entry's history; its day may not come before the last change's (history is told in
    order), so that the status on any day is the status of the last change by then."""
    if event not in TRANSITIONS:
        raise DomainError(f"event: {event!r} is not something that can be done to an entry")
    allowed, after = TRANSITIONS[event]
    starts = set(allowed)
    if event == "archived" and entry.status == "active" and state_on(entry, on) == "expired":
        starts.add("active")  # an expired entry is archived from its last status
    if entry.status not in starts:
        raise TransitionError(
            f"event: cannot record {event} for an entry that is {entry.status}; "
            f"it needs one of: {', '.join(sorted(starts))}"
        )
    if event in ("repair_applied", "repaired") and method is None:
        raise DomainError("method: a repair names its method (docs/domain.md, repair)")
    if event == "pushed" and not departments:
        raise DomainError("departments: name the departments the entry is pushed to")
    if event in NEEDS_REASON and not reason.strip():
        raise DomainError("reason: say why")
    status = after or entry.status
    history = with_start(entry)
    _after_last(entry, history, event, on)
    fields: dict[str, Any] = {}
    previous: str | None = None
    if event == "objection_corrected":
        if not corrections:
            raise DomainError("corrections: a corrected objection says what was corrected")
        unknown = set(corrections) - CORRECTABLE
        if unknown:
            raise DomainError(f"corrections: {', '.join(sorted(unknown))} cannot be corrected")
        fields = dict(corrections)
        previous = json.dumps(entry.model_dump(mode="json", include=set(corrections)), ensure_ascii=False)
    if after is not None:
        history = (
            *history,
            StatusChange(event=event, on=on, status=status, recorded_at=recorded_at, previous=previous),
        )
    try:
        changed = ListEntry.model_validate(
            {**entry.model_dump(), **fields, "status": status, "history": history}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise DomainError(f"corrections: {first['msg']}") from None
    record = EntryEvent(
        entry_id=entry.entry_id,
        event=event,
        on=on,
        actor=actor,
        reason=reason,
        method=method,
        departments=departments,
        status_before=entry.status,
        status_after=status,
        recorded_at=recorded_at,
    )
    return changed, record
