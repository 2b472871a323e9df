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
from graph_service.engine.results import EntrySummary, MeasureRef, SubjectRef
from graph_service.model import RoleType
from graph_service.rules import RuleSet
from graph_service.store import data_as_of
from graph_service.store.base import GraphStore

PUBLIC_CLASSES = frozenset({"public"})
# Entries in these states are published; repaired, expired, revoked or archived ones are not (a repaired
# record leaves the public lookup: DOMAIN.md §7).
PUBLISHED_STATES = ("in_force", "suspended")

STATE_ZH = {
    "in_force": "有效",
    "suspended": "异议核查中，措施暂停",
    "not_yet_listed": "尚未生效",
    "expired": "已到期",
    "repaired": "已信用修复",
    "revoked": "已撤销",
    "removed_from_source": "来源已移除",
    "archived": "已归档",
}
KIND_ZH = {"black": "失信（黑名单）", "red": "守信（红名单）", "watch": "重点关注"}


class PublicRecord(BaseModel):
    """信用记录 as published: registration, status, entries in force and the measures they bring."""

    enterprise: EnterpriseView
    legal_representative: str | None
    as_of: date
    status: Literal["black", "watch", "red", "clear"]
    entries: list[EntrySummary]  # published entries, black first, newest listing first
    measures: list[MeasureRef]  # joint-punishment measures in force against the enterprise
    unpublished: int  # entries no longer published (repaired, expired, revoked …)
    data_as_of: datetime | None  # when the data last changed
    generated_at: datetime


def public_view(store: GraphStore) -> GraphStore:
    return VisibleStore(store, PUBLIC_CLASSES, False)


def public_record(store: GraphStore, rules: RuleSet, uscc: str, as_of: date) -> PublicRecord | None:
    """The published record of an enterprise, or None if the store has no such enterprise."""
    view = public_view(store)
    enterprise = view.get_enterprise(uscc)
    if enterprise is None:
        return None
    subject = SubjectRef(kind="enterprise", key=enterprise.uscc, name=enterprise.name)
    summaries = [
        entry_summary(link.entry, subject, rules, as_of)
        for link in view.entries_of_subject("enterprise", enterprise.uscc)
        if link.relation == "subject"
    ]
    published = [s for s in summaries if s.state in PUBLISHED_STATES]
    order = {"black": 0, "watch": 1, "red": 2}
    published.sort(key=lambda s: (order.get(s.kind, 3), -s.listed_on.toordinal(), s.entry_id))
    in_force = {s.kind for s in published if s.state == "in_force"}
    status: Literal["black", "watch", "red", "clear"] = "clear"
    for kind in ("black", "watch", "red"):
        if kind in in_force:
            status = kind
            break
    legal = view.roles_of_enterprise(enterprise.uscc, {RoleType.LEGAL_REPRESENTATIVE_OF}, as_of)
    person = view.get_person(legal[0].holder_key) if legal and legal[0].holder_kind == "person" else None
    measures = Engine(view, rules).check("enterprise", enterprise.uscc, as_of).measures
    return PublicRecord(
        enterprise=EnterpriseView.of(enterprise),
        legal_representative=person.name if person else None,
        as_of=as_of,
        status=status,
        entries=published,
        measures=measures,
        unpublished=len(summaries) - len(published),
        data_as_of=data_as_of(store),
        generated_at=datetime.now(UTC),
    )
