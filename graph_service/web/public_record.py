"""What the public credit lookup shows of an enterprise: public records only, no personal ID numbers.

The record is read through the same disclosure filter as a public API key (VisibleStore with the public
class and no ID numbers), so a page can show nothing the public API would not.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel

from graph_service.access.visible import VisibleStore
from graph_service.api.views import EnterpriseView
from graph_service.engine import Engine
from graph_service.engine.decisions import entry_summary
from graph_service.engine.results import EntrySummary, MeasureRef, Reason, SubjectRef
from graph_service.model import ROLE_NAMES_ZH, RoleType
from graph_service.rules import RuleSet
from graph_service.store import data_as_of
from graph_service.store.base import GraphStore

PUBLIC_CLASSES = frozenset({"public"})
# Entries in these states are published; repaired, expired, revoked or archived ones are not (a repaired
# record leaves the public lookup: docs/domain.md, "A listing's life").
PUBLISHED_STATES = ("in_force", "suspended")
Status = Literal["black", "suspended", "watch", "red", "clear"]


class PublishedEntry(BaseModel):
    entry: EntrySummary
    # Why it stands on this enterprise's record when it lists another subject: the role it holds there.
    via: str | None = None


class PublicRecord(BaseModel):
    """信用记录 as published: registration, status, entries in force and the measures they bring."""

    enterprise: EnterpriseView
    legal_representative: str | None
    as_of: date
    status: Status
    entries: list[PublishedEntry]  # black (in force, then under objection), then watch and red
    measures: list[MeasureRef]  # joint-punishment measures in force against the enterprise
    unpublished: int  # entries no longer published (repaired, expired, revoked …)
    data_as_of: datetime | None  # when the data last changed
    generated_at: datetime


def public_view(store: GraphStore) -> GraphStore:
    return VisibleStore(store, PUBLIC_CLASSES, False)


def _published(reason: Reason) -> PublishedEntry:
    rule = reason.rule
    via = None
    if rule.via == "role" and rule.role:
        role = ROLE_NAMES_ZH.get(RoleType(rule.role), rule.role)
        via = f"该企业作为{reason.entry.subject.name or reason.entry.subject.key}的{rule.position or role}"
    return PublishedEntry(entry=reason.entry, via=via)


def public_record(store: GraphStore, rules: RuleSet, uscc: str, as_of: date) -> PublicRecord | None:
    """The published record of an enterprise, or None if the store has no such enterprise."""
    view = public_view(store)
    enterprise = view.get_enterprise(uscc)
    if enterprise is None:
        return None
    # The engine's answer, so that every measure shown is explained by an entry shown: its own black
    # entries and those that reach it through a role it holds (as an organisation controlling another).
    # Associated risk is not published, so the check skips its graph walk.
    check = Engine(view, rules).check_many([("enterprise", enterprise.uscc)], as_of)[0]
    subject = SubjectRef(kind="enterprise", key=enterprise.uscc, name=enterprise.name)
    others = [
        entry_summary(link.entry, subject, rules, as_of)
        for link in view.entries_of_subject("enterprise", enterprise.uscc)
        if link.relation == "subject" and link.entry.kind != "black"
    ]
    watch_red = sorted(
        (s for s in others if s.state in PUBLISHED_STATES),
        key=lambda s: (s.kind != "watch", -s.listed_on.toordinal(), s.entry_id),
    )
    seen: set[str] = set()
    entries = []
    for reason in (*check.reasons, *check.suspended):
        if reason.entry.entry_id not in seen:  # an entry reaching it over two roles is shown once
            seen.add(reason.entry.entry_id)
            entries.append(_published(reason))
    entries += [PublishedEntry(entry=s) for s in watch_red]
    in_force = {s.kind for s in watch_red if s.state == "in_force"}
    status: Status = "clear"
    if check.reasons:
        status = "black"
    elif check.suspended:
        status = "suspended"
    elif "watch" in in_force:
        status = "watch"
    elif "red" in in_force:
        status = "red"
    legal = view.roles_of_enterprise(enterprise.uscc, {RoleType.LEGAL_REPRESENTATIVE_OF}, as_of)
    person = view.get_person(legal[0].holder_key) if legal and legal[0].holder_kind == "person" else None
    return PublicRecord(
        enterprise=EnterpriseView.of(enterprise),
        legal_representative=person.name if person else None,
        as_of=as_of,
        status=status,
        entries=entries,
        measures=check.measures,
        unpublished=len({r.entry.entry_id for r in check.not_counting}) + len(others) - len(watch_red),
        data_as_of=data_as_of(store),
        generated_at=datetime.now(UTC),
    )
