"""A listing's life (docs/domain.md): every transition recorded with who, when and why; illegal ones
refused by domain.lifecycle, which this module writes through the store.

Expiry is not a transition: it is computed from expires_on against the day asked about. Nothing is ever
deleted; records that stop counting are archived with their history.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from statistics import median
from typing import Any

from pydantic import BaseModel

from graph_service.domain.errors import DomainError as EngineError
from graph_service.domain.errors import NotFoundError as NotFoundError  # re-exported for the API
from graph_service.domain.errors import TransitionError as TransitionError
from graph_service.domain.lifecycle import CORRECTABLE as CORRECTABLE
from graph_service.domain.lifecycle import TRANSITIONS as TRANSITIONS
from graph_service.domain.lifecycle import change
from graph_service.model import EntryEvent, EventName, Feedback, ListEntry, RepairMethod
from graph_service.rules import RuleSet, UnknownListTypeError
from graph_service.store import mark_data_as_of
from graph_service.store.base import GraphStore


def _now() -> datetime:
    return datetime.now(UTC)


def check_entry_rules(rules: RuleSet, entry: ListEntry) -> None:
    """An entry must be of a list type the rules define, and agree with it on kind and domain:
    otherwise nothing could be decided for it (every path in calls this: API, loaders, import)."""
    try:
        list_type = rules.require_list_type(entry.list_type)
    except UnknownListTypeError as exc:
        raise EngineError(str(exc)) from None
    if entry.kind != list_type.kind:
        raise EngineError(f"kind: a {entry.list_type} entry is {list_type.kind}, not {entry.kind}")
    if entry.domain != list_type.domain:
        raise EngineError(
            f"domain: a {entry.list_type} entry is of domain {list_type.domain}, not {entry.domain}"
        )


def initiate(
    store: GraphStore,
    entry: ListEntry,
    actor: str,
    on: date,
    departments: tuple[str, ...],
    rules: RuleSet,
) -> list[EntryEvent]:
    """Record a new listing and push it to the implementing departments."""
    check_entry_rules(rules, entry)
    if entry.status != "active":
        raise EngineError("status: a new entry starts active")
    now = _now()
    initiated = EntryEvent(
        entry_id=entry.entry_id,
        event="initiated",
        on=on,
        actor=actor,
        status_after="active",
        recorded_at=now,
    )
    fresh = entry.model_copy(update={"recorded_at": now, "history": ()})  # its life starts here
    store.apply_event(fresh, initiated, expected_status=None)
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
    """Record one life-cycle event (domain.lifecycle.change decides what it may do and leaves)."""
    entry = store.get_entry(entry_id)
    if entry is None:
        raise NotFoundError(f"entry_id: no entry {entry_id}")
    changed, record = change(entry, event, actor, on, _now(), reason, method, departments, corrections)
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


@dataclass(frozen=True)
class Expectation:
    """A notice that told a department of entries whose measures it is to apply (the notification
    side's record of it, with the department of its subscription)."""

    department: str
    entry_ids: tuple[str, ...]
    measures: tuple[str, ...]
    delivered_at: datetime | None
    delivery: str  # pending, delivered, gave_up or pull


class NoticeFeedback(BaseModel):
    """For one department and measure: the notices that expected the measure applied, and whether and how
    soon the department reported on it for the notice's entries."""

    department: str
    measure: str
    notices: int
    delivered: int
    with_feedback: int  # of the delivered: the department reported on the measure for one of their entries
    days_to_feedback_median: float | None  # days from delivery to the first report (one before: 0)
    days_to_feedback_max: int | None
    pending: int  # still being posted
    gave_up: int  # posting given up (still in the pull feed, and redeliverable)
    pull: int  # read through /v1/changes only: no delivery to time from


class FeedbackStats(BaseModel):
    total: int
    by_department: list[Rate]
    by_measure: list[Rate]
    by_list_type: list[Rate]
    notifications: list[NoticeFeedback] = []


def notice_feedback(records: Sequence[Feedback], expectations: Sequence[Expectation]) -> list[NoticeFeedback]:
    """Per department and measure, how the notices that expected it were delivered and answered."""
    first: dict[tuple[str, str, str], date] = {}
    for f in records:
        key = (f.department, f.measure, f.entry_id)
        first[key] = min(first.get(key, f.on), f.on)
    counts: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    days: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
    for e in expectations:
        for measure in dict.fromkeys(e.measures):
            group = (e.department, measure)
            counts[group]["notices"] += 1
            counts[group][e.delivery] += 1
            if e.delivery != "delivered" or e.delivered_at is None:
                continue
            reported = [first[k] for k in ((e.department, measure, i) for i in e.entry_ids) if k in first]
            if reported:
                counts[group]["with_feedback"] += 1
                days[group].append(max(0, (min(reported) - e.delivered_at.astimezone(UTC).date()).days))
    return [
        NoticeFeedback(
            department=department,
            measure=measure,
            notices=c["notices"],
            delivered=c["delivered"],
            with_feedback=c["with_feedback"],
            days_to_feedback_median=float(median(days[(department, measure)]))
            if days[(department, measure)]
            else None,
            days_to_feedback_max=max(days[(department, measure)], default=None),
            pending=c["pending"],
            gave_up=c["gave_up"],
            pull=c["pull"],
        )
        for (department, measure), c in sorted(counts.items())
    ]


def feedback_stats(store: GraphStore, expectations: Sequence[Expectation] = ()) -> FeedbackStats:
    """Execution rates of measures, and, given the notices that expected measures applied, how they were
    delivered and answered."""
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
        notifications=notice_feedback(records, expectations),
    )
