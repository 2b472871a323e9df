"""An entry's state on any day, from its listing, expiry and dated history (docs/domain.md, "Time").

- An entry counts from `listed_on` until `expires_on` (exclusive), while its status on that day is active.
- A change takes effect on its day `on`: an objection filed on d suspends the measures from d; a repair
  on d ends counting from d; an upheld or corrected objection resumes them from its day.
- A revocation means the listing was wrong: it never counted, on any day.
- An entry with no history holds its stored status since its listing (a source gave no date).

`as_known(entry, moment)` is the entry as the service held it at that moment: the changes recorded by
then, and the fields as they stood before any later correction. Every answer "as known at" a moment is
the ordinary answer over entries seen through it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Literal

from graph_service.model import EntryStatus, ListEntry

EntryState = Literal[
    "in_force",
    "suspended",  # an objection is being verified: measures wait (docs/domain.md, "A listing's life")
    "not_yet_listed",
    "expired",
    "repaired",
    "revoked",
    "removed_from_source",
    "archived",
]
ENDED: frozenset[str] = frozenset({"repaired", "removed_from_source", "archived"})
# Neo4j cannot store an open end in a list of dates; the last representable day stands for "none".
OPEN_END = date.max


def _revoked(entry: ListEntry) -> bool:
    if entry.history:
        return any(c.status == "revoked" for c in entry.history)
    return entry.status == "revoked"


def status_on(entry: ListEntry, day: date) -> EntryStatus:
    """The status the entry had on the day: that of the last change taking effect by then."""
    if not entry.history:
        return entry.status
    status: EntryStatus = "active"
    for change in entry.history:
        if change.on > day:
            break
        status = change.status
    return status


def state_on(entry: ListEntry, day: date) -> EntryState:
    """Where the entry stands on the day. Expiry is computed from expires_on, never stored."""
    if _revoked(entry):
        return "revoked"
    if day < entry.listed_on:
        return "not_yet_listed"
    status = status_on(entry, day)
    if status in ENDED:
        return status  # type: ignore[return-value]
    if entry.expires_on is not None and day >= entry.expires_on:
        return "expired"
    return "suspended" if status == "under_objection" else "in_force"


def in_force_on(entry: ListEntry, day: date) -> bool:
    """Counts on that day: its measures apply."""
    return state_on(entry, day) == "in_force"


def periods(entry: ListEntry, states: Collection[str] = ("in_force",)) -> list[tuple[date, date | None]]:
    """The maximal periods [start, end) in which the entry's state is one of `states`, oldest first;
    end None for a period still open. The state can change only on the listing day, the expiry day or
    the day of a change, so it is evaluated once per such day."""
    days = sorted({entry.listed_on, *(c.on for c in entry.history), *filter(None, [entry.expires_on])})
    out: list[tuple[date, date | None]] = []
    for i, start in enumerate(days):
        end = days[i + 1] if i + 1 < len(days) else None
        if state_on(entry, start) not in states:
            continue
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def counting_periods(entry: ListEntry) -> tuple[list[date], list[date]]:
    """The periods in which the entry counts, as two lists of start and end days (OPEN_END for none):
    what a backend stores on the entry to select entries in force natively."""
    found = periods(entry)
    return [s for s, _ in found], [e or OPEN_END for _, e in found]


def until(entry: ListEntry, day: date) -> ListEntry:
    """The entry with only the changes that took effect by `day`: what could be said of it on that day
    (a repair dated later has not happened yet)."""
    kept = tuple(c for c in entry.history if c.on <= day)
    if len(kept) == len(entry.history):
        return entry
    return entry.model_copy(update={"history": kept, "status": kept[-1].status if kept else "active"})


def moment_utc(moment: datetime | None) -> datetime | None:
    """A moment without a time zone is taken as UTC, as the model takes the stamps it compares with."""
    return moment if moment is None or moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def as_known(entry: ListEntry, moment: datetime | None) -> ListEntry | None:
    """The entry as the service held it at `moment` (None: as held now); None if not yet recorded. A
    moment without a time zone is taken as UTC, as the model takes the stamps."""
    moment = moment_utc(moment)
    if moment is None:
        return entry
    if entry.recorded_at is not None and entry.recorded_at > moment:
        return None
    kept = [c for c in entry.history if c.recorded_at is None or c.recorded_at <= moment]
    if len(kept) == len(entry.history):
        return entry
    later = [c for c in entry.history if c not in kept]
    fields = entry.model_dump()
    for change in reversed(later):  # undo the newest correction first
        if change.previous:
            fields.update(json.loads(change.previous))
    fields["history"] = [c.model_dump() for c in kept]
    fields["status"] = kept[-1].status if kept else "active"
    return ListEntry.model_validate(fields)
