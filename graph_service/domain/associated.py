"""Associated risk (关联风险), defined once: which list entries lie near a subject without reaching it, how
far, and along which path (docs/domain.md, "The graph"). The investigations' report uses it; the engine's
checks ask the store for the same entries at the same distances with their other facts, in one call
(GraphStore.check_facts; tests/conformance/test_facts.py holds the two to each other).

Paths run over role edges (people and ownership), in either direction, and end with the edge by which an
entry names its subject or a responsible person; they never pass through another entry. An entry is at
distance d when d - 1 role edges lead from the subject to a node it names. The caller passes the
neighbourhood it walked (roles holding on the day) and keeps only entries that count and do not reach
the subject: this module decides nearness, not restriction.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

from graph_service.store.base import KIND_ORDER, GraphEdge, Neighbourhood

Node = tuple[str, str]


@dataclass(frozen=True)
class Near:
    """An entry near the subject: its distance, the nodes from the subject to the node it names, the role
    edges between them, and the entry's own edge."""

    entry_id: str
    distance: int
    nodes: tuple[Node, ...]
    edges: tuple[GraphEdge, ...]
    last: GraphEdge


def near_entries(hood: Neighbourhood, start: Node, hops: int) -> dict[str, Near]:
    """Every entry of the neighbourhood within `hops` edges of `start` by such paths, the shortest path
    each (ties broken by kind, key and edge id, so both backends give the same path)."""
    roles: dict[Node, list[tuple[Node, GraphEdge]]] = defaultdict(list)
    naming: dict[Node, list[GraphEdge]] = defaultdict(list)  # subject -> edges of entries naming it
    for e in hood.edges:
        source, target = (e.source_kind, e.source), (e.target_kind, e.target)
        if e.source_kind == "entry":
            naming[target].append(e)
        else:
            roles[source].append((target, e))
            roles[target].append((source, e))
    for adjacent in roles.values():
        adjacent.sort(key=lambda t: (KIND_ORDER[t[0][0]], t[0][1], t[1].id))
    came: dict[Node, tuple[Node, GraphEdge] | None] = {start: None}
    distance = {start: 0}
    queue = deque([start])
    found: dict[str, tuple[int, Node, GraphEdge]] = {}
    while queue:
        node = queue.popleft()
        d = distance[node]
        for e in sorted(naming.get(node, []), key=lambda x: (x.source, x.type)):
            if e.source not in found:
                found[e.source] = (d + 1, node, e)
        if d + 1 >= hops:  # one more role edge would leave no room for the entry's own edge
            continue
        for other, e in roles.get(node, []):
            if other not in distance:
                distance[other] = d + 1
                came[other] = (node, e)
                queue.append(other)
    out: dict[str, Near] = {}
    for entry_id, (d, node, last) in found.items():
        nodes: list[Node] = [node]
        edges: list[GraphEdge] = []
        step = came[node]
        while step is not None:
            previous, e = step
            nodes.append(previous)
            edges.append(e)
            step = came[previous]
        out[entry_id] = Near(entry_id, d, tuple(reversed(nodes)), tuple(reversed(edges)), last)
    return out
