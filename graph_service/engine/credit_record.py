"""A subject's credit record (信用记录): one assembly for the API and the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from graph_service.domain.history import moment_utc
from graph_service.engine.decisions import ASSOCIATED_LIMIT, GREEN_CHANNEL, Engine, near_hops
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
    """The record on a day, as known at a moment (events recorded after it left out), from one
    `record_facts` call."""
    known_at = moment_utc(known_at)
    facts = store.record_facts(
        kind, key, engine.covers, as_of, known_at, near_hops(True, known_at), ASSOCIATED_LIMIT
    )
    subject = [(kind, key)]
    result = engine.decide(facts, subject, as_of, action=GREEN_CHANNEL, associated=True, known_at=known_at)[0]
    ids = {r.entry.entry_id for r in (*result.reasons, *result.suspended, *result.not_counting)}
    ids |= {
        link.entry.entry_id
        for link in facts.links
        if known_at is None or link.entry.recorded_at is None or link.entry.recorded_at <= known_at
    }
    # Red status is the green-channel answer; the measures are those in force for any action (decided
    # again from the same facts, without the associated-risk walk, which the first answer carries).
    result.measures = engine.decide(facts, subject, as_of, known_at=known_at)[0].measures
    history = {
        i: [
            e
            for e in facts.events.get(i, [])
            if known_at is None or e.recorded_at is None or e.recorded_at <= known_at
        ]
        for i in sorted(ids)
    }
    return CreditRecord(check=result, history=history)
