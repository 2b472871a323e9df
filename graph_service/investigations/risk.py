"""Associated risk (关联风险): blacklisted subjects near a subject through people and ownership, each with
the path that leads there, kept apart from restrictions.

An entry that reaches the subject under the rules is a restriction and belongs to a check (`/v1/checks`);
it is listed here only by id, under `reaching`. Everything else is information for an official: a
company run by the same legal representative that a court listed, an owner's other holding on the tax
blacklist. Paths run over role edges (people and ownership) and end with the edge by which the entry
names its subject or a responsible person; they never pass through another entry.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

from graph_service.domain.associated import near_entries
from graph_service.domain.history import in_force_on
from graph_service.engine import covers_of
from graph_service.engine.decisions import entry_summary
from graph_service.engine.results import EntrySummary, PathEdge, PathNode, ReachPath, SubjectRef
from graph_service.engine.subjects import subject_refs
from graph_service.investigations.common import (
    InvestigationError,
    SubjectKey,
    require_subject,
)
from graph_service.rules import RuleSet
from graph_service.store.base import MAX_HOPS, MAX_LIMIT, GraphEdge, GraphStore

Node = tuple[str, str]


class RiskItem(BaseModel):
    entry: EntrySummary
    listed: SubjectRef
    distance: int  # edges from the subject to the entry, the last one the entry's own
    path: ReachPath  # from the subject to the entry


class AssociatedRiskReport(BaseModel):
    subject: SubjectRef
    as_of: date
    hops: int
    reaching: list[str]  # entries that reach the subject itself under the rules: a check's business
    risks: list[RiskItem]  # nearest first
    truncated: bool  # the neighbourhood had more nodes than it could return; far ones may be missing


def _path_edge(e: GraphEdge) -> PathEdge:
    return PathEdge(
        type=e.type,
        source=e.source,
        target=e.target,
        position=e.position,
        valid_from=e.valid_from,
        valid_to=e.valid_to,
    )


def associated_risk(
    store: GraphStore,
    rules: RuleSet,
    kind: Literal["person", "enterprise"],
    key: str,
    as_of: date,
    hops: int = MAX_HOPS,
    limit: int = MAX_LIMIT,
) -> AssociatedRiskReport:
    """Black entries in force within `hops` edges of the subject (roles holding on the day, then the
    entry's edge) that do not restrict it, nearest first, each with its shortest path."""
    if not 1 <= hops <= MAX_HOPS:
        raise InvestigationError(f"hops: must be between 1 and {MAX_HOPS}")
    require_subject(store, kind, key)
    hood = store.neighbourhood(kind, key, hops=hops, limit=limit, as_of=as_of)
    if hood is None:
        raise InvestigationError(f"{kind}: no {kind} {key}")
    reaching = sorted({row.entry_id for row in store.reaching(kind, key, covers_of(rules), as_of)})
    labels: dict[Node, str] = {(n.kind, n.key): n.label for n in hood.nodes}
    found = near_entries(hood, (kind, key), hops)
    entries = store.get_entries([i for i in found if i not in reaching])
    near = [e for e in entries.values() if e.kind == "black" and in_force_on(e, as_of)]
    subject: SubjectKey = (kind, key)
    names = subject_refs(store, [subject, *((e.subject_kind, e.subject_key) for e in near)])
    risks = []
    for entry in near:
        item = found[entry.entry_id]
        path = ReachPath(
            nodes=[
                *(PathNode(kind=n[0], key=n[1], name=labels.get(n, "")) for n in item.nodes),
                PathNode(kind="entry", key=entry.entry_id, name=entry.decision_number),
            ],
            edges=[*(_path_edge(e) for e in item.edges), _path_edge(item.last)],
        )
        listed = names[(entry.subject_kind, entry.subject_key)]
        risks.append(
            RiskItem(
                entry=entry_summary(entry, listed, rules, as_of),
                listed=listed,
                distance=item.distance,
                path=path,
            )
        )
    risks.sort(key=lambda r: (r.distance, r.entry.entry_id))
    return AssociatedRiskReport(
        subject=names[subject],
        as_of=as_of,
        hops=hops,
        reaching=reaching,
        risks=risks,
        truncated=hood.more > 0,
    )
