"""A listing's life (DOMAIN.md §7): every transition recorded with who, when and why; illegal ones refused.

Expiry is not a transition: it is computed from expires_on against the day asked about. Nothing is ever
deleted; records that stop counting are archived with their history.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from graph_service.engine.decisions import EngineError, entry_state
from graph_service.model import EntryEvent, EntryStatus, EventName, Feedback, ListEntry, RepairMethod
from graph_service.rules import RuleSet
from graph_service.store import mark_data_as_of
from graph_service.store.base import GraphStore

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
    "archived": (frozenset({"repaired", "revoked", "removed_from_source"}), "archived"),
}
# What a corrected objection may change in the entry; the rest of a decision stands.
CORRECTABLE = frozenset({"conduct", "conduct_category", "conduct_date", "expires_on", "named_responsible"})


class TransitionError(EngineError):
    """The event cannot happen to the entry as it stands (HTTP 409)."""


class NotFoundError(EngineError):
    """No such entry (HTTP 404)."""


def _now() -> datetime:
    return datetime.now(UTC)


def initiate(
    store: GraphStore, entry: ListEntry, actor: str, on: date, departments: tuple[str, ...]
) -> list[EntryEvent]:
    """Record a new listing and push it to the implementing departments."""
    if entry.status != "active":
        raise EngineError("status: a new entry starts active")
    initiated = EntryEvent(
        entry_id=entry.entry_id,
        event="initiated",
        on=on,
        actor=actor,
        status_after="active",
        recorded_at=_now(),
    )
    store.apply_event(entry, initiated, expected_status=None)
    mark_data_as_of(store)
    events = [initiated]
    if departments:
        events.append(transition(store, entry.entry_id, "pushed", actor, on, departments=departments)[1])
    return events


def transition(
    store: GraphStore,
    entry_id: str,
    event: EventName,
    actor: str,
    on: date,
    reason: str = "",
    method: RepairMethod | None = None,
    departments: tuple[str, ...] = (),
    corrections: dict[str, Any] | None = None,
) -> tuple[ListEntry, EntryEvent]:
    entry = store.get_entry(entry_id)
    if entry is None:
        raise NotFoundError(f"entry_id: no entry {entry_id}")
    if event not in TRANSITIONS:
        raise EngineError(f"event: {event!r} is not something that can be done to an entry")
    allowed, after = TRANSITIONS[event]
    starts = set(allowed)
    if event == "archived" and entry.status == "active" and entry_state(entry, on) == "expired":
        starts.add("active")  # an expired entry is archived from its last status
    if entry.status not in starts:
        raise TransitionError(
            f"event: cannot record {event} for an entry that is {entry.status}; "
            f"it needs one of: {', '.join(sorted(starts))}"
        )
    if event in ("repair_applied", "repaired") and method is None:
        raise EngineError("method: a repair names its method (DOMAIN.md §7)")
    if event == "pushed" and not departments:
        raise EngineError("departments: name the departments the entry is pushed to")
    if event in ("objection_revoked", "revoked", "objection_filed") and not reason.strip():
        raise EngineError("reason: say why")
    changed = entry
    if event == "objection_corrected":
        if not corrections:
            raise EngineError("corrections: a corrected objection says what was corrected")
        unknown = set(corrections) - CORRECTABLE
        if unknown:
            raise EngineError(f"corrections: {', '.join(sorted(unknown))} cannot be corrected")
        try:
            changed = ListEntry.model_validate({**entry.model_dump(), **corrections})
        except ValidationError as exc:
            first = exc.errors()[0]
            raise EngineError(f"corrections: {first['msg']}") from None
    status = after or entry.status
    changed = changed.model_copy(update={"status": status})
    record = EntryEvent(
        entry_id=entry_id,
        event=event,
        on=on,
        actor=actor,
        reason=reason,
        method=method,
        departments=departments,
        status_before=entry.status,
        status_after=status,
        recorded_at=_now(),
    )
    store.apply_event(changed, record, expected_status=entry.status)
    mark_data_as_of(store)
    return changed, record


def record_feedback(store: GraphStore, rules: RuleSet, feedback: Feedback) -> None:
    entry = store.get_entry(feedback.entry_id)
    if entry is None:
        raise NotFoundError(f"entry_id: no entry {feedback.entry_id}")
    list_type = rules.list_type(entry.list_type)
    triggered = {m.code for m in rules.measures_for(list_type)} if list_type else set()
    if feedback.measure not in triggered:
        raise EngineError(
            f"measure: {feedback.measure!r} is not a measure a {entry.list_type} listing triggers"
        )
    store.append_feedback(feedback)


class Rate(BaseModel):
    key: str
    applied: int
    not_applicable: int
    not_applied: int
    rate: float | None  # applied / (applied + not_applied); none when nothing was due


class FeedbackStats(BaseModel):
    total: int
    by_department: list[Rate]
    by_measure: list[Rate]
    by_list_type: list[Rate]


def feedback_stats(store: GraphStore) -> FeedbackStats:
    records = store.feedback()
    entries = store.get_entries({f.entry_id for f in records})
    tallies: dict[str, defaultdict[str, Counter[str]]] = {
        "department": defaultdict(Counter),
        "measure": defaultdict(Counter),
        "list_type": defaultdict(Counter),
    }
    for f in records:
        entry = entries.get(f.entry_id)
        tallies["department"][f.department][f.outcome] += 1
        tallies["measure"][f.measure][f.outcome] += 1
        tallies["list_type"][entry.list_type if entry else "unknown"][f.outcome] += 1

    def rates(table: defaultdict[str, Counter[str]]) -> list[Rate]:
        out = []
        for key in sorted(table):
            c = table[key]
            due = c["applied"] + c["not_applied"]
            out.append(
                Rate(
                    key=key,
                    applied=c["applied"],
                    not_applicable=c["not_applicable"],
                    not_applied=c["not_applied"],
                    rate=round(c["applied"] / due, 4) if due else None,
                )
            )
        return out

    return FeedbackStats(
        total=len(records),
        by_department=rates(tallies["department"]),
        by_measure=rates(tallies["measure"]),
        by_list_type=rates(tallies["list_type"]),
    )
