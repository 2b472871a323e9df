"""Subgraphs for analysis in notebooks: to networkx (MultiDiGraph) and to pandas node and edge tables,
and communities of multi-listed subjects.

Node ids are "kind:key" strings (e.g. "enterprise:91410922…", "person:P…", "entry:L…"), so tables join
on one column and drawings label cleanly. Nodes and edges are added in sorted order: networkx's
algorithms (Louvain among them) depend on insertion order, and sorting makes them depend only on the
graph, the same from either backend.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

import networkx as nx
import pandas as pd
from pydantic import BaseModel

from graph_service.engine import Engine
from graph_service.investigations.common import InvestigationError
from graph_service.store.base import KIND_ORDER, MAX_HOPS, GraphEdge, GraphNode, GraphStore, Neighbourhood

NODE_COLUMNS = ["id", "kind", "key", "label", "distance", "multi_listed", "domains"]
EDGE_COLUMNS = ["source", "target", "id", "type", "valid_from", "valid_to", "position", "ratio"]


def node_id(kind: str, key: str) -> str:
    return f"{kind}:{key}"


def _add(graph: nx.MultiDiGraph, nodes: Iterable[GraphNode], edges: Iterable[GraphEdge]) -> None:
    for n in sorted(nodes, key=lambda n: (KIND_ORDER[n.kind], n.key)):
        nid = node_id(n.kind, n.key)
        if nid in graph:
            graph.nodes[nid]["distance"] = min(graph.nodes[nid]["distance"], n.distance)
        else:
            graph.add_node(
                nid,
                kind=n.kind,
                key=n.key,
                label=n.label,
                distance=n.distance,
                multi_listed=False,
                domains="",
            )
    for e in sorted(edges, key=lambda e: (e.type, e.source, e.target, e.id)):
        source, target = node_id(e.source_kind, e.source), node_id(e.target_kind, e.target)
        if not graph.has_edge(source, target, key=e.id):
            graph.add_edge(
                source,
                target,
                key=e.id,
                id=e.id,
                type=e.type,
                valid_from=e.valid_from,
                valid_to=e.valid_to,
                position=e.position,
                ratio=e.ratio,
            )


def neighbourhood_graph(hood: Neighbourhood) -> nx.MultiDiGraph:
    """A store neighbourhood as a networkx MultiDiGraph (edges keyed by their ids)."""
    graph = nx.MultiDiGraph()
    _add(graph, hood.nodes, hood.edges)
    return graph


def subgraph_around(
    store: GraphStore,
    kind: Literal["enterprise", "person", "entry"],
    key: str,
    hops: int = 2,
    limit: int = 500,
    as_of: date | None = None,
) -> nx.MultiDiGraph:
    """The association graph around one subject as a networkx MultiDiGraph."""
    hood = store.neighbourhood(kind, key, hops=hops, limit=limit, as_of=as_of)
    if hood is None:
        raise InvestigationError(f"{kind}: no {kind} {key}")
    graph = neighbourhood_graph(hood)
    graph.graph.update(center=node_id(kind, key), hops=hops, more=hood.more)
    return graph


def multi_listed_graph(
    engine: Engine,
    as_of: date,
    min_domains: int = 2,
    hops: int = 1,
    limit: int = 200,
    per_subject: int = 200,
) -> nx.MultiDiGraph:
    """The multi-listed subjects (at most `limit`, most domains first) with everything within `hops` of
    each, as one MultiDiGraph; multi-listed nodes carry multi_listed=True and their domains."""
    if not 0 <= hops <= MAX_HOPS:
        raise InvestigationError(f"hops: must be between 0 and {MAX_HOPS}")
    listed = engine.multi_list(as_of, min_domains=min_domains, limit=limit)
    graph = nx.MultiDiGraph()
    for m in listed.subjects:
        hood = engine.store.neighbourhood(
            m.subject.kind, m.subject.key, hops=hops, limit=per_subject, as_of=as_of
        )
        if hood is not None:
            _add(graph, hood.nodes, hood.edges)
    for m in listed.subjects:
        nid = node_id(m.subject.kind, m.subject.key)
        if nid in graph:
            graph.nodes[nid].update(multi_listed=True, domains=",".join(m.domains), distance=0)
    graph.graph.update(as_of=as_of, min_domains=min_domains, hops=hops)
    return graph


def to_frames(graph: nx.MultiDiGraph) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and edge tables: one row per node (id, kind, key, label, …) and per edge (source, target,
    id, type, dates, position, ratio), in sorted order."""
    nodes = [{"id": n, **{c: data.get(c) for c in NODE_COLUMNS[1:]}} for n, data in graph.nodes(data=True)]
    edges = [
        {"source": s, "target": t, **{c: data.get(c) for c in EDGE_COLUMNS[2:]}}
        for s, t, data in graph.edges(data=True)
    ]
    node_frame = pd.DataFrame(nodes, columns=NODE_COLUMNS).sort_values("id", ignore_index=True)
    edge_frame = pd.DataFrame(edges, columns=EDGE_COLUMNS).sort_values(
        ["source", "target", "id"], ignore_index=True
    )
    return node_frame, edge_frame


class Community(BaseModel):
    members: list[str]  # node ids, sorted
    multi_listed: list[str]  # the multi-listed members
    size: int


def communities(graph: nx.MultiDiGraph, seed: int = 2017, resolution: float = 1.0) -> list[Community]:
    """Louvain communities (networkx, seeded, so the same graph always gives the same answer) over the
    undirected graph, parallel edges adding weight. Those holding multi-listed subjects come first (most
    of them first), then by size."""
    simple = nx.Graph()
    simple.add_nodes_from(sorted(graph.nodes))
    for s, t in sorted((min(s, t), max(s, t)) for s, t in graph.edges()):
        if s == t:
            continue
        weight = simple.get_edge_data(s, t, {"weight": 0})["weight"]
        simple.add_edge(s, t, weight=weight + 1)
    found = nx.community.louvain_communities(simple, weight="weight", resolution=resolution, seed=seed)
    result = []
    for group in found:
        members = sorted(group)
        listed = [m for m in members if graph.nodes[m].get("multi_listed")]
        result.append(Community(members=members, multi_listed=listed, size=len(members)))
    result.sort(key=lambda c: (-len(c.multi_listed), -c.size, c.members[0]))
    return result
