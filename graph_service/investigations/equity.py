"""Equity penetration (股权穿透): every direct and indirect owner of an enterprise, or everything a subject
holds, with the cumulative share and the paths behind it.

The store hands over the ownership subgraph in one call (`GraphStore.ownership`); shares and paths are
computed here, so both backends answer alike. A path's share is the product of the ratios along it; a
cumulative share is the sum over every simple path (no subject twice) of at most `max_depth` edges.
Simple paths are what makes rings safe: a ring adds each of its paths once and then stops, so every
share stays finite, and a subject never owns a part of itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel

from graph_service.engine.results import PathNode, SubjectRef
from graph_service.engine.subjects import subject_refs
from graph_service.investigations.common import (
    InvestigationError,
    RatioBasis,
    SubjectKey,
    effective_ratio,
    require_subject,
    share,
)
from graph_service.model import Role
from graph_service.store.base import MAX_OWNERSHIP_DEPTH, GraphStore

Direction = Literal["up", "down"]
# Paths grow combinatorially in dense cross-holdings; beyond this many the enumeration stops and the
# answer says it is incomplete rather than taking unbounded time.
MAX_PATHS = 20_000
PATHS_SHOWN = 20  # per owner or holding; the share always sums every path


class OwnershipEdge(BaseModel):
    """One shareholding on a path, with the ratio used and where it came from."""

    role_id: str
    holder_kind: Literal["person", "enterprise"]
    holder_key: str
    enterprise: str
    ratio: float | None
    ratio_basis: RatioBasis
    valid_from: date | None = None
    valid_to: date | None = None


class OwnershipPath(BaseModel):
    """A chain of holdings from an owner down to the enterprise it holds a part of."""

    nodes: list[PathNode]
    edges: list[OwnershipEdge]
    share: float


class Stake(BaseModel):
    """A subject's cumulative share: an owner of the enterprise asked about ("up"), or an enterprise the
    subject asked about holds ("down")."""

    subject: SubjectRef
    share: float
    direct: float | None  # the ratio of the direct holding, when there is one
    depth: int  # edges on the shortest path
    path_count: int
    paths: list[OwnershipPath]  # the PATHS_SHOWN largest


class Penetration(BaseModel):
    subject: SubjectRef
    direction: Direction
    as_of: date | None
    max_depth: int
    min_share: float
    stakes: list[Stake]  # largest share first
    complete: bool  # False when the path enumeration stopped at MAX_PATHS
    unknown_ratios: int  # edges whose share is unknown (no ratio, no capital to derive it from)


@dataclass
class _Found:
    share: float = 0.0
    direct: float | None = None
    depth: int = MAX_OWNERSHIP_DEPTH + 1
    paths: list[tuple[float, tuple[Role, ...]]] = field(default_factory=list)


def check_args(max_depth: int, min_share: float) -> None:
    if not 1 <= max_depth <= MAX_OWNERSHIP_DEPTH:
        raise InvestigationError(f"max_depth: must be between 1 and {MAX_OWNERSHIP_DEPTH}")
    if not 0.0 <= min_share <= 1.0:
        raise InvestigationError("min_share: must be between 0 and 1")


class Ownership:
    """The ownership subgraph around one subject, with shares derived once per edge."""

    def __init__(
        self,
        store: GraphStore,
        kind: Literal["person", "enterprise"],
        key: str,
        direction: Direction,
        max_depth: int,
        as_of: date | None,
    ) -> None:
        self.start: SubjectKey = (kind, key)
        self.direction = direction
        self.max_depth = max_depth
        self.edges = store.ownership(kind, key, direction, max_depth, as_of)
        held = store.get_enterprises({r.enterprise for r in self.edges})
        self.ratios: dict[str, tuple[float | None, RatioBasis]] = {
            r.role_id: effective_ratio(r, held.get(r.enterprise)) for r in self.edges
        }
        # Adjacency in the walking direction, in the store's order, so sums add up in the same order
        # on every backend.
        self.step: dict[SubjectKey, list[tuple[Role, SubjectKey]]] = defaultdict(list)
        for r in self.edges:
            holder: SubjectKey = (r.holder_kind, r.holder_key)
            held_key: SubjectKey = ("enterprise", r.enterprise)
            if direction == "up":
                self.step[held_key].append((r, holder))
            else:
                self.step[holder].append((r, held_key))
        self.complete = True

    def has_owners(self, node: SubjectKey) -> bool:
        """Whether any holding of `node` is in the subgraph (for "up" walks: it is not an ultimate owner)."""
        return self.direction == "up" and bool(self.step.get(node))

    def walk(self) -> dict[SubjectKey, _Found]:
        """Every subject reached over simple paths, with its summed share and its paths."""
        found: dict[SubjectKey, _Found] = defaultdict(_Found)
        count = 0
        # Depth-first with an explicit stack: (node, path so far from the start, product so far, on path).
        stack: list[tuple[SubjectKey, tuple[Role, ...], float, frozenset[SubjectKey]]] = [
            (self.start, (), 1.0, frozenset({self.start}))
        ]
        while stack:
            node, path, product, seen = stack.pop()
            if len(path) >= self.max_depth:
                continue
            # Pushed in reverse so that the walk pops edges in the store's order.
            for role, other in reversed(self.step.get(node, [])):
                if other in seen:
                    continue
                count += 1
                if count > MAX_PATHS:
                    self.complete = False
                    return found
                ratio = self.ratios[role.role_id][0] or 0.0
                walked = (*path, role)
                value = product * ratio
                entry = found[other]
                entry.share += value
                entry.depth = min(entry.depth, len(walked))
                if len(walked) == 1 and self.ratios[role.role_id][0] is not None:
                    entry.direct = (entry.direct or 0.0) + ratio
                entry.paths.append((value, walked))
                stack.append((other, walked, value, seen | {other}))
        return found


def _path(
    direction: Direction,
    walked: tuple[Role, ...],
    value: float,
    ratios: dict[str, tuple[float | None, RatioBasis]],
    names: dict[SubjectKey, SubjectRef],
) -> OwnershipPath:
    """The path written from the owner down to the held enterprise, whichever way it was walked."""
    roles = list(reversed(walked)) if direction == "up" else list(walked)
    first: SubjectKey = (roles[0].holder_kind, roles[0].holder_key)
    keys: list[SubjectKey] = [first, *(("enterprise", r.enterprise) for r in roles)]
    nodes = [PathNode(kind=k[0], key=k[1], name=names[k].name) for k in keys]
    edges = [
        OwnershipEdge(
            role_id=r.role_id,
            holder_kind=r.holder_kind,
            holder_key=r.holder_key,
            enterprise=r.enterprise,
            ratio=ratios[r.role_id][0],
            ratio_basis=ratios[r.role_id][1],
            valid_from=r.valid_from,
            valid_to=r.valid_to,
        )
        for r in roles
    ]
    return OwnershipPath(nodes=nodes, edges=edges, share=share(value))


def penetrate(
    store: GraphStore,
    kind: Literal["person", "enterprise"],
    key: str,
    direction: Direction,
    as_of: date | None,
    max_depth: int = MAX_OWNERSHIP_DEPTH,
    min_share: float = 0.0,
    graph: Ownership | None = None,
) -> tuple[Penetration, Ownership]:
    """Owners ("up") or holdings ("down") of a subject with their cumulative shares at or above
    `min_share`, largest first, each with its largest paths."""
    check_args(max_depth, min_share)
    require_subject(store, kind, key)
    if direction == "up" and kind != "enterprise":
        raise InvestigationError("kind: only an enterprise has owners")
    graph = graph or Ownership(store, kind, key, direction, max_depth, as_of)
    found = graph.walk()
    kept = {k: v for k, v in found.items() if share(v.share) >= min_share}
    names = subject_refs(
        store,
        {graph.start, *kept, *((r.holder_kind, r.holder_key) for r in graph.edges)}
        | {("enterprise", r.enterprise) for r in graph.edges},
    )
    stakes = []
    for ref, got in kept.items():
        ranked = sorted(got.paths, key=lambda p: (-p[0], len(p[1]), [r.role_id for r in p[1]]))
        stakes.append(
            Stake(
                subject=names[ref],
                share=share(got.share),
                direct=None if got.direct is None else share(got.direct),
                depth=got.depth,
                path_count=len(got.paths),
                paths=[
                    _path(direction, walked, value, graph.ratios, names)
                    for value, walked in ranked[:PATHS_SHOWN]
                ],
            )
        )
    stakes.sort(key=lambda s: (-s.share, s.depth, s.subject.kind, s.subject.key))
    result = Penetration(
        subject=names[graph.start],
        direction=direction,
        as_of=as_of,
        max_depth=max_depth,
        min_share=min_share,
        stakes=stakes,
        complete=graph.complete,
        unknown_ratios=sum(1 for _, basis in graph.ratios.values() if basis == "unknown"),
    )
    return result, graph


def owners(
    store: GraphStore,
    uscc: str,
    as_of: date | None,
    max_depth: int = MAX_OWNERSHIP_DEPTH,
    min_share: float = 0.0,
) -> Penetration:
    """Every direct and indirect owner of the enterprise (股权穿透, upwards)."""
    return penetrate(store, "enterprise", uscc, "up", as_of, max_depth, min_share)[0]


def holdings(
    store: GraphStore,
    kind: Literal["person", "enterprise"],
    key: str,
    as_of: date | None,
    max_depth: int = MAX_OWNERSHIP_DEPTH,
    min_share: float = 0.0,
) -> Penetration:
    """Every enterprise the subject holds directly or indirectly at or above `min_share` (对外投资穿透)."""
    return penetrate(store, kind, key, "down", as_of, max_depth, min_share)[0]
