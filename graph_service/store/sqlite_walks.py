"""The embedded store's neighbourhood walk, a hop at a time over the whole frontier, from the indexed
columns (and two fields read out of the JSON by SQLite) rather than whole records: a check walks three
hops around its subject, and parsing every role and entry on the way would cost more than the walk.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date
from typing import NamedTuple

from graph_service.store.base import (
    KIND_ORDER,
    GraphEdge,
    GraphNode,
    Neighbourhood,
    cap_neighbourhood,
    named_responsible_edge_id,
    names_edge_id,
)

Node = tuple[str, str]  # (kind, key)
Execute = Callable[[str, Sequence[object]], list[tuple[object, ...]]]

ROLE_EDGE = (
    "SELECT role_id, type, holder_kind, holder_key, enterprise, valid_from, valid_to, "
    "json_extract(data, '$.position'), json_extract(data, '$.ratio') FROM roles WHERE "
)


class EntryBrief(NamedTuple):
    """What the walk needs of an entry: its edges, whether the caller may see it, its label."""

    entry_id: str
    subject_kind: str
    subject_key: str
    disclosure: str
    decision_number: str
    named: tuple[tuple[str, str], ...]  # (person_key, the role the decision names them in)


def _day(value: object) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def holds(valid_from: object, valid_to: object, as_of: str | None) -> bool:
    # ISO days compare as text in the order of the days.
    return as_of is None or (
        (valid_from is None or str(valid_from) <= as_of) and (valid_to is None or as_of < str(valid_to))
    )


class Edge(NamedTuple):
    """An edge as the walk holds it: made a GraphEdge only if it is among the nodes kept."""

    id: str
    type: str
    source_kind: str
    source: str
    target_kind: str
    target: str
    valid_from: object = None  # an ISO day, as the roles table has it
    valid_to: object = None
    position: str | None = None
    ratio: object = None

    def graph_edge(self) -> GraphEdge:
        return GraphEdge(
            id=self.id, type=self.type, source_kind=self.source_kind, source=self.source,
            target_kind=self.target_kind, target=self.target, valid_from=_day(self.valid_from),
            valid_to=_day(self.valid_to), position=self.position,
            ratio=None if self.ratio is None else float(str(self.ratio)),
        )  # fmt: skip


def _role_edges(rows: Iterable[tuple[object, ...]], as_of: str | None) -> list[Edge]:
    return [
        Edge(
            str(role_id), str(kind), str(holder_kind), str(holder_key), "enterprise", str(enterprise),
            valid_from, valid_to, None if position is None else str(position), ratio,
        )
        for role_id, kind, holder_kind, holder_key, enterprise, valid_from, valid_to, position, ratio in rows
        if holds(valid_from, valid_to, as_of)
    ]  # fmt: skip


def _entry_edges(entry: EntryBrief) -> list[Edge]:
    edges = [Edge(names_edge_id(entry.entry_id), "NAMES", "entry", entry.entry_id, entry.subject_kind,
                  entry.subject_key)]  # fmt: skip
    edges += [
        Edge(named_responsible_edge_id(entry.entry_id, person), "NAMED_RESPONSIBLE", "entry", entry.entry_id,
             "person", person, position=role)
        for person, role in entry.named
    ]  # fmt: skip
    return edges


BRIEF = (
    "SELECT entry_id, subject_kind, subject_key, json_extract(data, '$.disclosure'), "
    "json_extract(data, '$.decision_number'), json_extract(data, '$.named_responsible') FROM entries WHERE "
)
NAMING = "SELECT entry_id FROM entry_persons WHERE person_key IN ({})"
LABELS = (
    ("SELECT 'enterprise', uscc, name FROM enterprises WHERE uscc IN ({})", "enterprise"),
    ("SELECT 'person', person_key, name FROM persons WHERE person_key IN ({})", "person"),
)
Part = tuple[str, list[str], tuple[object, ...]]  # a SELECT with one `{}`, its keys, the parameters before


class Walk:
    """One neighbourhood question, inside the store's read transaction."""

    def __init__(
        self, execute: Execute, chunk: int, as_of: date | None, classes: Collection[str] | None
    ) -> None:
        self.execute = execute
        self.chunk = chunk
        self.as_of = None if as_of is None else as_of.isoformat()
        self.classes = classes
        self.entries: dict[str, EntryBrief] = {}

    def union(self, parts: Sequence[Part]) -> list[tuple[object, ...]]:
        """The rows of these SELECTs: one statement (UNION ALL) when their keys fit in one, which is
        nearly always; else each a chunk of keys at a time."""
        parts = [p for p in parts if p[1]]
        if not parts:
            return []
        if sum(len(keys) + len(before) for _, keys, before in parts) <= self.chunk:
            sql = " UNION ALL ".join(select.format(", ".join("?" * len(keys))) for select, keys, _ in parts)
            return self.execute(sql, [v for _, keys, before in parts for v in (*before, *keys)])
        rows: list[tuple[object, ...]] = []
        for select, keys, before in parts:
            for i in range(0, len(keys), self.chunk):
                chunk = keys[i : i + self.chunk]
                rows += self.execute(select.format(", ".join("?" * len(chunk))), [*before, *chunk])
        return rows

    def incident(self, nodes: Iterable[Node]) -> list[Edge]:
        """Every edge touching these nodes (roles only where they hold on as_of), in two queries."""
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, key in nodes:
            by_kind[kind].append(key)
        usccs, persons = by_kind["enterprise"], by_kind["person"]
        rows = self.union([
            (ROLE_EDGE + "enterprise IN ({})", usccs, ()),
            (ROLE_EDGE + "holder_kind = ? AND holder_key IN ({})", usccs, ("enterprise",)),
            (ROLE_EDGE + "holder_kind = ? AND holder_key IN ({})", persons, ("person",)),
        ])  # fmt: skip
        edges = _role_edges({row[0]: row for row in rows}.values(), self.as_of)
        known = [k for k in by_kind["entry"] if k in self.entries]
        met = self.union([
            (BRIEF + "subject_kind = ? AND subject_key IN ({})", usccs, ("enterprise",)),
            (BRIEF + "subject_kind = ? AND subject_key IN ({})", persons, ("person",)),
            (BRIEF + f"entry_id IN ({NAMING})", persons, ()),
            (BRIEF + "entry_id IN ({})", [k for k in by_kind["entry"] if k not in self.entries], ()),
        ])  # fmt: skip
        for entry_id, subject_kind, subject_key, disclosure, number, named in met:
            i = str(entry_id)
            persons_named = tuple((n["person_key"], n["role"]) for n in json.loads(str(named or "[]")))
            self.entries[i] = EntryBrief(
                i, str(subject_kind), str(subject_key), str(disclosure), str(number), persons_named
            )
        for entry_id in dict.fromkeys([*(str(row[0]) for row in met), *known]):
            edges += _entry_edges(self.entries[entry_id])
        return edges

    def visible(self, node: Node) -> bool:
        return self.classes is None or node[0] != "entry" or self.entries[node[1]].disclosure in self.classes

    def around(self, start: Node, hops: int) -> tuple[dict[Node, int], list[Edge]]:
        """The nodes within `hops` of the start (with their distance) and the edges among them.
        Breadth first, a hop at a time; the last round only collects the edges among the nodes
        reached, whichever step reached them."""
        distance: dict[Node, int] = {start: 0}
        edges: dict[str, Edge] = {}
        frontier = [start]
        for depth in range(hops + 1):
            following: list[Node] = []
            at = set(frontier)
            for edge in self.incident(frontier):
                edges[edge.id] = edge
                if depth == hops:
                    continue
                ends = ((edge.source_kind, edge.source), (edge.target_kind, edge.target))
                for node, other in (ends, ends[::-1]):
                    if node in at and other not in distance and self.visible(other):
                        distance[other] = depth + 1
                        following.append(other)
            frontier = following
            if not frontier:
                break
        kept = [
            e for e in edges.values()
            if (e.source_kind, e.source) in distance and (e.target_kind, e.target) in distance
        ]  # fmt: skip
        return distance, kept

    def neighbourhood(self, start: Node, hops: int, limit: int) -> Neighbourhood:
        distance, edges = self.around(start, hops)
        # The nodes cap_neighbourhood keeps, found as it finds them, so that only the edges among them
        # are made GraphEdges; it is then given all the nodes (for its count) and those edges.
        ordered = sorted(distance, key=lambda n: (distance[n], KIND_ORDER[n[0]], n[1]))
        kept = set(ordered[:limit])
        shown = [
            e.graph_edge() for e in edges
            if (e.source_kind, e.source) in kept and (e.target_kind, e.target) in kept
        ]  # fmt: skip
        return cap_neighbourhood(self.nodes(distance), shown, limit)

    def nodes(self, distance: dict[Node, int]) -> list[GraphNode]:
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, key in distance:
            by_kind[kind].append(key)
        labels: dict[Node, str] = {("entry", k): self.entries[k].decision_number for k in by_kind["entry"]}
        for found_kind, found, name in self.union([(sql, by_kind[kind], ()) for sql, kind in LABELS]):
            labels[(str(found_kind), str(found))] = str(name)
        return [GraphNode(kind=n[0], key=n[1], label=labels[n], distance=d) for n, d in distance.items()]
