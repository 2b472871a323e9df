"""What the engine answers with: every restriction carries its entry, its rule and its path of roles."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from graph_service.domain.history import EntryState


class SubjectRef(BaseModel):
    kind: Literal["person", "enterprise"]
    key: str
    name: str = ""
    id_masked: str | None = None
    id_number: str | None = None  # present only when the store view lets the caller see it


class StatusChangeRef(BaseModel):
    event: str
    on: date
    status: str
    recorded_at: datetime | None = None


class EntrySummary(BaseModel):
    entry_id: str
    list_type: str
    list_name: str
    domain: str
    kind: str
    authority: str
    decision_number: str
    subject: SubjectRef
    conduct: str
    conduct_date: date | None
    listed_on: date
    expires_on: date | None
    status: str  # the status as the service holds it now (or as known at the moment asked)
    state: EntryState  # where it stands on the day asked about, from its dated history
    status_on: str  # its status on the day asked about
    history: list[StatusChangeRef] = []  # its dated status changes: what the state was computed from


class PathNode(BaseModel):
    kind: Literal["entry", "person", "enterprise"]
    key: str
    name: str = ""


class PathEdge(BaseModel):
    type: str  # NAMES, NAMED_RESPONSIBLE or a role type
    source: str
    target: str
    position: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class ReachPath(BaseModel):
    nodes: list[PathNode]
    edges: list[PathEdge]


class MeasureRef(BaseModel):
    code: str
    name_zh: str
    category: str
    mandatory: bool
    legal_basis: str


class Rule(BaseModel):
    """Why the entry reaches this subject: the list type, and for a role the cover and its day."""

    list_type: str
    via: Literal["subject", "named_responsible", "role"]
    role: str | None = None
    position: str | None = None
    min_ratio: float | None = None
    reference: str | None = None
    reference_date: date | None = None
    list_basis: str = ""  # the document the list type comes from
    basis: str = ""  # the document the cover comes from (via role)


class Reason(BaseModel):
    entry: EntrySummary
    rule: Rule
    path: ReachPath
    measures: list[MeasureRef]


class AssociatedRisk(BaseModel):
    """A black entry in force near the subject that does NOT restrict it (another company of its
    people, a company sharing an owner): information for an official, never a restriction."""

    entry: EntrySummary
    distance: int  # hops from the subject to the entry over roles, in the graph on the day


class CheckResult(BaseModel):
    subject: SubjectRef
    as_of: date
    action: str | None
    measure: str | None
    restricted: bool
    measures: list[MeasureRef]  # the measures in force against the subject for this action
    reasons: list[Reason]  # entries in force that restrict, each with its path
    suspended: list[Reason]  # entries whose measures wait on an objection
    not_counting: list[Reason]  # entries that reach the subject but no longer count (history)
    associated_risk: list[AssociatedRisk] = []
    known_at: datetime | None = None  # answered as the service knew things at this moment
    eligible: bool | None = None  # green channel only (red list, docs/domain.md "Green channel")
    eligibility_basis: str | None = None
    decided_by: str | None = None  # green channel: the entry that decided it
    eligible_from: date | None = None  # green channel: when ineligible, the first day it could be eligible


class Affected(BaseModel):
    subject: SubjectRef
    reasons: list[Reason]
    measures: list[MeasureRef]


class AffectedResult(BaseModel):
    as_of: date
    known_at: datetime | None = None
    entries: list[EntrySummary]
    affected: list[Affected]


class MultiListed(BaseModel):
    subject: SubjectRef
    domains: list[str]
    reasons: list[Reason]


class MultiListResult(BaseModel):
    as_of: date
    known_at: datetime | None = None
    min_domains: int
    subjects: list[MultiListed]
