"""A subject's credit record (信用记录): one assembly for the API and the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from graph_service.domain.history import moment_utc
from graph_service.engine.decisions import Engine
from graph_service.engine.results import CheckResult
from graph_service.model import EntryEvent
from graph_service.store.base import GraphStore


class CreditRecord(BaseModel):
    """信用记录: the subject's entries the caller may see, the measures in force against it, its red
    (green-channel) status, and each entry's history."""

    check: CheckResult
    history: dict[str, list[EntryEvent]]


def credit_record(
    engine: Engine,
    store: GraphStore,
    kind: Literal["person", "enterprise"],
    key: str,
    as_of: date,
    known_at: datetime | None = None,
) -> CreditRecord:
    """The record on a day, as known at a moment (events recorded after it left out)."""
    known_at = moment_utc(known_at)
    result = engine.check(kind, key, as_of, action="green_channel", known_at=known_at)
    ids = {r.entry.entry_id for r in (*result.reasons, *result.suspended, *result.not_counting)}
    ids |= {
        link.entry.entry_id
        for link in store.entries_of_subject(kind, key)
        if known_at is None or link.entry.recorded_at is None or link.entry.recorded_at <= known_at
    }
    # Red status is the green-channel answer; the measures are those in force for any action (asked
    # without the associated-risk walk, which the first answer already carries).
    result.measures = engine.check_many([(kind, key)], as_of, known_at=known_at)[0].measures
    history = {
        i: [
            e
            for e in store.events_of_entry(i)
            if known_at is None or e.recorded_at is None or e.recorded_at <= known_at
        ]
        for i in sorted(ids)
    }
    return CreditRecord(check=result, history=history)
