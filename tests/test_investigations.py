"""Investigations over hand-made structures, on both backends: equity penetration (chains, diamonds,
rings, depth), actual controllers declared and computed, their write-back and removal, bidder association,
associated risk, the export to networkx and pandas, and the API with its roles and audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.investigations import (
    ControllerRule,
    InvestigationError,
    UnknownSubjectError,
    actual_controllers,
    associated_risk,
    communities,
    holdings,
    owners,
    screen_bidders,
    subgraph_around,
    to_frames,
    write_back_controllers,
)
from graph_service.investigations.bidders import WEIGHTS, score_of
from graph_service.investigations.controllers import COMPUTED_SOURCE
from graph_service.model import Enterprise, Person, Role, RoleType
from graph_service.rules import load_rules
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from tests import factories as f
from tests.conftest import SECRET

R = RoleType
DAY = date(2024, 6, 30)
LATER = date(2025, 1, 1)
Nodes = dict[str, Enterprise | Person]


def key(node: Enterprise | Person) -> str:
    return node.uscc if isinstance(node, Enterprise) else node.person_key


def org(node: Enterprise | Person) -> Enterprise:
    assert isinstance(node, Enterprise)
    return node


def chain(store: GraphStore) -> Nodes:
    """Q → 90% H1 → 80% H2 → 60% H3, as planted by the generator, and a clerk without shares."""
    q, clerk = f.person(1, "钱德润"), f.person(2, "职员")
    h1, h2, h3 = f.enterprise(1), f.enterprise(2), f.enterprise(3)
    store.upsert_enterprises([h1, h2, h3])
    store.upsert_persons([q, clerk])
    store.upsert_roles(
        [
            f.role(R.SHAREHOLDER_OF, q, h1, ratio=0.9),
            f.role(R.SHAREHOLDER_OF, h1, h2, ratio=0.8),
            f.role(R.SHAREHOLDER_OF, h2, h3, ratio=0.6),
            f.role(R.LEGAL_REPRESENTATIVE_OF, clerk, h3),
        ]
    )
    return {"q": q, "clerk": clerk, "h1": h1, "h2": h2, "h3": h3}


def ring(store: GraphStore, outside: bool = True) -> Nodes:
    """R0 → 60% R1 → 40% R2 → 10% R0, and X holding 90% of R0 from outside."""
    r0, r1, r2 = f.enterprise(10), f.enterprise(11), f.enterprise(12)
    x = f.person(10, "许外持")
    store.upsert_enterprises([r0, r1, r2])
    store.upsert_persons([x])
    roles = [
        f.role(R.SHAREHOLDER_OF, r0, r1, ratio=0.6),
        f.role(R.SHAREHOLDER_OF, r1, r2, ratio=0.4),
        f.role(R.SHAREHOLDER_OF, r2, r0, ratio=0.1),
    ]
    if outside:
        roles.append(f.role(R.SHAREHOLDER_OF, x, r0, ratio=0.9))
    store.upsert_roles(roles)
    return {"r0": r0, "r1": r1, "r2": r2, "x": x}


def shares(result: object) -> dict[str, float]:
    return {s.subject.key: s.share for s in result.stakes}  # type: ignore[attr-defined]


# -- equity penetration ---------------------------------------------------------------------------------


def test_a_chain_multiplies_along_the_path(store: GraphStore) -> None:
    g = chain(store)
    result = owners(store, key(g["h3"]), DAY)
    assert shares(result) == {key(g["h2"]): 0.6, key(g["h1"]): 0.48, key(g["q"]): 0.432}
    assert [s.subject.key for s in result.stakes] == [key(g["h2"]), key(g["h1"]), key(g["q"])]
    top = result.stakes[2]
    assert (top.depth, top.direct, top.path_count) == (3, None, 1)
    path = top.paths[0]
    assert [n.key for n in path.nodes] == [key(g[k]) for k in ("q", "h1", "h2", "h3")]
    assert path.nodes[0].name == "钱德润"
    assert [e.ratio for e in path.edges] == [0.9, 0.8, 0.6] and path.share == 0.432
    assert all(e.ratio_basis == "ratio" for e in path.edges)
    assert result.complete and result.unknown_ratios == 0
    assert result.stakes[0].direct == 0.6 and result.stakes[0].depth == 1
    # Upwards from the top and downwards from the owner give the same numbers.
    held = holdings(store, "person", key(g["q"]), DAY)
    assert shares(held) == {key(g["h1"]): 0.9, key(g["h2"]): 0.72, key(g["h3"]): 0.432}
    assert [n.key for n in held.stakes[-1].paths[0].nodes] == [key(g[k]) for k in ("q", "h1", "h2", "h3")]


def test_depth_and_threshold_cut(store: GraphStore) -> None:
    g = chain(store)
    assert set(shares(owners(store, key(g["h3"]), DAY, max_depth=2))) == {key(g["h2"]), key(g["h1"])}
    assert shares(owners(store, key(g["h3"]), DAY, min_share=0.45)) == {key(g["h2"]): 0.6, key(g["h1"]): 0.48}
    over = holdings(store, "person", key(g["q"]), DAY, min_share=0.5)
    assert shares(over) == {key(g["h1"]): 0.9, key(g["h2"]): 0.72}
    with pytest.raises(InvestigationError, match="max_depth"):
        owners(store, key(g["h3"]), DAY, max_depth=0)
    with pytest.raises(UnknownSubjectError):
        owners(store, f.uscc(999), DAY)
    with pytest.raises(InvestigationError, match="kind"):
        from graph_service.investigations.equity import penetrate

        penetrate(store, "person", key(g["q"]), "up", DAY)


def test_a_diamond_sums_its_paths(store: GraphStore) -> None:
    p = f.person(20, "钻石")
    a, b, d = f.enterprise(20), f.enterprise(21), f.enterprise(22)
    store.upsert_enterprises([a, b, d])
    store.upsert_persons([p])
    store.upsert_roles(
        [
            f.role(R.SHAREHOLDER_OF, p, a, ratio=1.0),
            f.role(R.SHAREHOLDER_OF, p, b, ratio=0.6),
            f.role(R.SHAREHOLDER_OF, p, d, ratio=0.2),
            f.role(R.SHAREHOLDER_OF, a, d, ratio=0.3),
            f.role(R.SHAREHOLDER_OF, b, d, ratio=0.5),
        ]
    )
    result = owners(store, d.uscc, DAY)
    stake = next(s for s in result.stakes if s.subject.key == p.person_key)
    assert stake.share == 0.8 and stake.path_count == 3 and stake.direct == 0.2 and stake.depth == 1
    assert [path.share for path in stake.paths] == [0.3, 0.3, 0.2]
    computed = actual_controllers(store, d.uscc, DAY)
    assert computed.basis == "computed" and [c.subject.key for c in computed.controllers] == [p.person_key]
    assert computed.controllers[0].share == 0.8 and len(computed.controllers[0].paths) == 3


def test_a_ring_terminates_with_finite_exact_shares(store: GraphStore) -> None:
    g = ring(store)
    r0, r1, r2, x = (key(g[k]) for k in ("r0", "r1", "r2", "x"))
    # Simple paths only: a company never owns a part of itself, and each ring path counts once.
    assert shares(owners(store, r0, DAY)) == {x: 0.9, r2: 0.1, r1: 0.04}
    assert shares(owners(store, r1, DAY)) == {r0: 0.6, x: 0.54, r2: 0.06}
    assert shares(owners(store, r2, DAY)) == {r1: 0.4, r0: 0.24, x: 0.216}
    assert shares(holdings(store, "person", x, DAY)) == {r0: 0.9, r1: 0.54, r2: 0.216}
    assert shares(holdings(store, "enterprise", r0, DAY)) == {r1: 0.6, r2: 0.24}
    # Only X is an ultimate owner (every ring member has owners), and X holds over half of R1.
    result = actual_controllers(store, r1, DAY)
    assert [c.subject.key for c in result.controllers] == [x] and result.controllers[0].share == 0.54


def test_a_closed_ring_has_no_computed_controller(store: GraphStore) -> None:
    g = ring(store, outside=False)
    result = actual_controllers(store, key(g["r0"]), DAY)
    assert result.basis == "none" and result.controllers == []
    assert all(0 < s.share < 1 for s in owners(store, key(g["r0"]), DAY).stakes)


def test_subscribed_capital_stands_in_for_a_missing_ratio(store: GraphStore) -> None:
    a = f.enterprise(30, registered_capital=1000.0)
    b = f.enterprise(31)
    p, q = f.person(30), f.person(31)
    store.upsert_enterprises([a, b])
    store.upsert_persons([p, q])
    store.upsert_roles(
        [
            f.role(R.SHAREHOLDER_OF, p, a, subscribed_capital=300.0),
            f.role(R.SHAREHOLDER_OF, q, b, subscribed_capital=10.0),  # b's capital is not known
        ]
    )
    got = owners(store, a.uscc, DAY)
    assert shares(got) == {p.person_key: 0.3}
    assert got.stakes[0].paths[0].edges[0].ratio_basis == "subscribed_capital"
    unknown = owners(store, b.uscc, DAY)
    assert unknown.unknown_ratios == 1 and shares(unknown) == {q.person_key: 0.0}


# -- actual controllers ---------------------------------------------------------------------------------


def test_declared_controller_first_computed_beside_it(store: GraphStore) -> None:
    g = chain(store)
    h3 = key(g["h3"])
    computed = actual_controllers(store, h3, DAY)
    assert computed.basis == "computed"
    (q,) = computed.controllers
    assert q.subject.key == key(g["q"]) and q.share == 0.432 and q.basis == "computed"
    assert "largest" in q.reason and len(q.paths) == 1 and q.role_id is None
    # A middle holding company is a controlling shareholder, never the actual controller.
    assert key(g["h2"]) not in {c.subject.key for c in computed.controllers}
    over = actual_controllers(store, h3, DAY, ControllerRule(threshold=0.4, min_share=0.25))
    assert "over 40%" in over.controllers[0].reason
    assert actual_controllers(store, h3, DAY, ControllerRule(threshold=0.5, min_share=0.45)).basis == "none"
    store.upsert_roles([f.role(R.ACTUAL_CONTROLLER_OF, g["clerk"], org(g["h3"]), basis="declared")])
    declared = actual_controllers(store, h3, DAY)
    assert declared.basis == "declared"
    assert [(c.subject.key, c.basis, c.share) for c in declared.controllers] == [
        (key(g["clerk"]), "declared", None)
    ]
    assert [c.subject.key for c in declared.computed] == [key(g["q"])]


def test_equal_largest_holders_control_jointly(store: GraphStore) -> None:
    e = f.enterprise(40)
    a, b, c = f.person(40), f.person(41), f.person(42)
    store.upsert_enterprises([e])
    store.upsert_persons([a, b, c])
    store.upsert_roles(
        [
            f.role(R.SHAREHOLDER_OF, a, e, ratio=0.4),
            f.role(R.SHAREHOLDER_OF, b, e, ratio=0.4),
            f.role(R.SHAREHOLDER_OF, c, e, ratio=0.2),
        ]
    )
    result = actual_controllers(store, e.uscc, DAY)
    assert sorted(c.subject.key for c in result.controllers) == sorted([a.person_key, b.person_key])
    assert all("jointly" in c.reason for c in result.controllers)


def test_write_back_opens_keeps_and_closes_computed_edges(store: GraphStore) -> None:
    g = chain(store)
    h3 = key(g["h3"])
    first = write_back_controllers(store, DAY)
    opened = {(c.enterprise, c.holder_key) for c in first.opened}
    assert (h3, key(g["q"])) in opened and first.closed == []
    # Q controls H1 (90%) and H2 (72%) as well; H2 and H1 are no ultimate owners anywhere.
    assert opened == {(key(g["h1"]), key(g["q"])), (key(g["h2"]), key(g["q"])), (h3, key(g["q"]))}
    (edge,) = store.roles_of_enterprise(h3, {R.ACTUAL_CONTROLLER_OF}, DAY)
    assert (edge.basis, edge.valid_from, edge.valid_to, edge.source) == (
        "computed",
        DAY,
        None,
        COMPUTED_SOURCE,
    )
    assert actual_controllers(store, h3, DAY).controllers[0].role_id == edge.role_id
    again = write_back_controllers(store, DAY)
    assert again.opened == [] and again.closed == [] and again.unchanged == 3

    # A later load: H2 sells its 60% to N on LATER, so Q no longer controls H3 and N does.
    n = f.person(50, "新控股")
    store.upsert_persons([n])
    sold = store.roles_of_enterprise(h3, {R.SHAREHOLDER_OF}, DAY)[0]
    store.upsert_roles(
        [
            Role.model_validate({**sold.model_dump(), "valid_to": LATER}),
            f.role(R.SHAREHOLDER_OF, n, org(g["h3"]), LATER, ratio=0.6),
        ]
    )
    later = write_back_controllers(store, LATER, usccs=[h3])
    assert [(c.holder_key, c.change) for c in later.opened] == [(n.person_key, "opened")]
    assert [(c.holder_key, c.change, c.reason) for c in later.closed] == [
        (key(g["q"]), "closed", "the shares no longer support it")
    ]
    history = store.roles_of_enterprise(h3, {R.ACTUAL_CONTROLLER_OF})
    assert {(r.holder_key, r.valid_from, r.valid_to) for r in history} == {
        (key(g["q"]), DAY, LATER),
        (n.person_key, LATER, None),
    }
    assert [r.holder_key for r in store.roles_of_enterprise(h3, {R.ACTUAL_CONTROLLER_OF}, LATER)] == [
        n.person_key
    ]
    # A declaration replaces the computed edge; the declared one is left alone.
    store.upsert_roles([f.role(R.ACTUAL_CONTROLLER_OF, g["clerk"], org(g["h3"]), LATER, basis="declared")])
    declared = write_back_controllers(store, date(2025, 6, 1), usccs=[h3])
    assert [(c.holder_key, c.reason) for c in declared.closed] == [
        (n.person_key, "a declared controller replaces it")
    ]
    now = store.roles_of_enterprise(h3, {R.ACTUAL_CONTROLLER_OF}, date(2025, 6, 1))
    assert [(r.holder_key, r.basis) for r in now] == [(key(g["clerk"]), "declared")]


# -- bidders --------------------------------------------------------------------------------------------


def bidders(store: GraphStore) -> Nodes:
    """A and B share an email (in another case) and an address (in full-width characters); A holds 60% of
    C; S holds 30% of A and, through M, 25% of D; E has nothing in common with anyone."""
    a = f.enterprise(60, email="Bid@Example.cn", address="河南省清丰县 建设路 1号")
    b = f.enterprise(61, email="bid@example.cn ", address="河南省清丰县建设路１号")
    c, d, e, m, s = f.enterprise(62), f.enterprise(63), f.enterprise(64), f.enterprise(65), f.enterprise(66)
    d = d.model_copy(update={"phone": "13900000001"})
    e = e.model_copy(update={"phone": "13900000002", "address": "河南省清丰县建设路2号"})
    legal_a, legal_b = f.person(60), f.person(61)
    store.upsert_enterprises([a, b, c, d, e, m, s])
    store.upsert_persons([legal_a, legal_b])
    store.upsert_roles(
        [
            f.role(R.LEGAL_REPRESENTATIVE_OF, legal_a, a),
            f.role(R.LEGAL_REPRESENTATIVE_OF, legal_b, b),
            f.role(R.SHAREHOLDER_OF, a, c, ratio=0.6),
            f.role(R.SHAREHOLDER_OF, s, a, ratio=0.3),
            f.role(R.SHAREHOLDER_OF, s, m, ratio=0.5),
            f.role(R.SHAREHOLDER_OF, m, d, ratio=0.5),
        ]
    )
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "m": m, "s": s}


def test_bidder_pairs_with_their_evidence(store: GraphStore) -> None:
    g = bidders(store)
    a, b, c, d, e = (key(g[k]) for k in "abcde")
    report = screen_bidders(store, [a, b, c, d, e, a], DAY)
    assert [x.key for x in report.bidders] == [a, b, c, d, e]
    pairs = {frozenset((p.a.key, p.b.key)): p for p in report.pairs}
    assert set(pairs) == {frozenset((a, b)), frozenset((a, c)), frozenset((a, d)), frozenset((c, d))}
    assert report.unlinked_pairs == 10 - 4
    ab = pairs[frozenset((a, b))]
    assert {x.kind for x in ab.evidence} == {"shared_email", "shared_address"}
    assert ab.score == score_of([WEIGHTS["shared_email"], WEIGHTS["shared_address"]]) == 0.58
    assert ab.level == "medium"
    ac = pairs[frozenset((a, c))]
    # A holds C, and S holds both (A directly, C through A).
    assert [x.kind for x in ac.evidence] == ["ownership", "common_shareholder"]
    assert "60%" in ac.evidence[0].detail and ac.score == 0.76 and ac.level == "high"
    assert ac.evidence[0].subject is not None and ac.evidence[0].subject.key == a
    ad = pairs[frozenset((a, d))]
    (common,) = ad.evidence
    assert (
        common.kind == "common_shareholder"
        and common.subject is not None
        and common.subject.key == key(g["s"])
    )
    assert sorted(t.share for t in common.ties if t.share is not None) == [0.25, 0.3]
    # S holds C through A (0.3 × 0.6) as well: C and D share an indirect owner.
    (cd,) = pairs[frozenset((c, d))].evidence
    assert cd.kind == "common_shareholder"
    assert sorted(t.share for t in cd.ties if t.share is not None) == [0.18, 0.25]
    assert report.groups == [sorted([a, b, c, d])]
    assert e not in {x.key for p in report.pairs for x in (p.a, p.b)}
    # One hop is too short for S to reach D through M.
    near = screen_bidders(store, [a, d], DAY, hops=1)
    assert near.pairs == [] and near.unlinked_pairs == 1


def test_bidders_need_known_distinct_bidders(store: GraphStore) -> None:
    g = bidders(store)
    with pytest.raises(InvestigationError, match="usccs"):
        screen_bidders(store, [key(g["a"]), key(g["a"])], DAY)
    with pytest.raises(UnknownSubjectError):
        screen_bidders(store, [key(g["a"]), f.uscc(999)], DAY)


def test_shared_person_and_common_controller(store: GraphStore) -> None:
    a, b = f.enterprise(70), f.enterprise(71)
    p, boss = f.person(70, "周晓东"), f.person(71, "老板")
    store.upsert_enterprises([a, b])
    store.upsert_persons([p, boss])
    store.upsert_roles(
        [
            f.role(R.SUPERVISOR_OF, p, a, position="监事"),
            f.role(R.SENIOR_MANAGER_OF, p, b, position="财务负责人"),
            f.role(R.SHAREHOLDER_OF, boss, a, ratio=0.7),
            f.role(R.SHAREHOLDER_OF, boss, b, ratio=0.51),
        ]
    )
    (pair,) = screen_bidders(store, [a.uscc, b.uscc], DAY).pairs
    kinds = {x.kind: x for x in pair.evidence}
    assert set(kinds) == {"shared_person", "common_controller"}
    assert "监事" in kinds["shared_person"].detail and "财务负责人" in kinds["shared_person"].detail
    assert all(t.controller for t in kinds["common_controller"].ties)
    assert pair.score == 0.8 and pair.level == "high"


# -- associated risk ------------------------------------------------------------------------------------


def test_associated_risk_with_paths_apart_from_restrictions(store: GraphStore) -> None:
    listed, other, own = f.enterprise(80), f.enterprise(81), f.enterprise(82)
    leader = f.person(80, "赵永利")
    store.upsert_enterprises([listed, other, own])
    store.upsert_persons([leader])
    store.upsert_roles(
        [
            f.role(R.LEGAL_REPRESENTATIVE_OF, leader, listed),
            f.role(R.SHAREHOLDER_OF, leader, other, ratio=0.5),
        ]
    )
    court = f.entry(listed, "(2024)豫0922执9号", listed_on=date(2024, 1, 1), expires_on=date(2027, 1, 1))
    mine = f.entry(own, "(2024)豫0922执10号", listed_on=date(2024, 1, 1), expires_on=date(2027, 1, 1))
    expired = f.entry(listed, "(2020)豫0922执1号", listed_on=date(2020, 1, 1), expires_on=date(2021, 1, 1))
    store.upsert_entries([court, mine, expired])
    rules = load_rules(None)
    report = associated_risk(store, rules, "enterprise", other.uscc, DAY)
    assert [r.entry.entry_id for r in report.risks] == [court.entry_id]
    (risk,) = report.risks
    assert risk.distance == 3 and risk.listed.key == listed.uscc and risk.entry.state == "in_force"
    assert [n.key for n in risk.path.nodes] == [other.uscc, leader.person_key, listed.uscc, court.entry_id]
    assert [e.type for e in risk.path.edges] == ["SHAREHOLDER_OF", "LEGAL_REPRESENTATIVE_OF", "NAMES"]
    assert associated_risk(store, rules, "enterprise", other.uscc, DAY, hops=2).risks == []
    # The court's list reaches the legal representative: a restriction, listed apart, never a risk.
    for_leader = associated_risk(store, rules, "person", leader.person_key, DAY)
    assert court.entry_id in for_leader.reaching and for_leader.risks == []
    assert associated_risk(store, rules, "enterprise", own.uscc, DAY).reaching == [mine.entry_id]


# -- export ---------------------------------------------------------------------------------------------


def test_export_to_networkx_and_pandas(store: GraphStore) -> None:
    g = chain(store)
    graph = subgraph_around(store, "enterprise", key(g["h3"]), hops=3, as_of=DAY)
    assert isinstance(graph, nx.MultiDiGraph)
    assert graph.graph["center"] == f"enterprise:{key(g['h3'])}"
    q = f"person:{key(g['q'])}"
    assert graph.nodes[q]["label"] == "钱德润" and graph.nodes[q]["distance"] == 3
    nodes, edges = to_frames(graph)
    assert list(nodes.columns)[:4] == ["id", "kind", "key", "label"] and len(nodes) == 5
    assert set(edges["type"]) == {"SHAREHOLDER_OF", "LEGAL_REPRESENTATIVE_OF"} and len(edges) == 4
    assert edges.loc[edges["source"] == q, "ratio"].tolist() == [0.9]
    found = communities(graph)
    assert sorted(m for c in found for m in c.members) == sorted(graph.nodes)
    assert [c.members for c in communities(graph)] == [c.members for c in found]


# -- the API --------------------------------------------------------------------------------------------


@pytest.fixture
def client(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = Settings(hash_key=SECRET, data_dir=tmp_path / "api")
    with TestClient(create_app(store=store, settings=settings)) as c:
        keys = c.app.state.keys  # type: ignore[attr-defined]
        made = {role: keys.create(role, "tests")[1] for role in ("investigator", "public", "admin")}
        made["agency"] = keys.create("agency", "tests", department="清丰县财政局")[1]
        yield c, made


def test_api_roles_errors_and_audit(store: GraphStore, client: tuple[TestClient, dict[str, str]]) -> None:
    c, made = client
    g = chain(store)
    b = bidders(store)
    inv = {"X-API-Key": made["investigator"]}
    h3 = key(g["h3"])
    got = c.get(f"/v1/investigations/equity/{h3}", params={"as_of": DAY.isoformat()}, headers=inv)
    assert got.status_code == 200, got.text
    assert {s["subject"]["key"]: s["share"] for s in got.json()["stakes"]}[key(g["q"])] == 0.432
    ctl = c.get(f"/v1/investigations/controllers/{h3}", params={"as_of": DAY.isoformat()}, headers=inv)
    assert ctl.json()["basis"] == "computed" and ctl.json()["controllers"][0]["subject"]["key"] == key(g["q"])
    assert "id_number" not in ctl.text or ctl.json()["controllers"][0]["subject"]["id_number"] is None
    held = c.get(f"/v1/investigations/holdings/person/{key(g['q'])}", params={"min_share": 0.5}, headers=inv)
    assert len(held.json()["stakes"]) == 2
    body = {"usccs": [key(b["a"]), key(b["b"])], "as_of": DAY.isoformat()}
    screened = c.post("/v1/investigations/bidders", json=body, headers=inv)
    assert screened.status_code == 200 and screened.json()["pairs"][0]["score"] == 0.58
    risk = c.get(f"/v1/investigations/associated-risk/enterprise/{h3}", params={"hops": 2}, headers=inv)
    assert risk.status_code == 200 and risk.json()["risks"] == []
    # Public and agency keys may not investigate; only an administrator writes controllers back.
    for role in ("public", "agency"):
        denied = c.post("/v1/investigations/bidders", json=body, headers={"X-API-Key": made[role]})
        assert denied.status_code == 403 and denied.headers["content-type"] == "application/problem+json"
    assert c.get(f"/v1/investigations/equity/{h3}", headers={"X-API-Key": made["public"]}).status_code == 403
    assert c.post("/v1/investigations/bidders", json=body).status_code == 401
    write = {"usccs": [h3], "as_of": DAY.isoformat()}
    assert c.post("/v1/investigations/controllers/write-back", json=write, headers=inv).status_code == 403
    wrote = c.post(
        "/v1/investigations/controllers/write-back", json=write, headers={"X-API-Key": made["admin"]}
    )
    assert wrote.status_code == 200 and [o["holder_key"] for o in wrote.json()["opened"]] == [key(g["q"])]
    # Bad input is 4xx naming the field.
    bad = c.post(
        "/v1/investigations/bidders", json={"usccs": [key(b["a"]), "91110000600037341M"]}, headers=inv
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "usccs[1]"
    unknown = c.post("/v1/investigations/bidders", json={"usccs": [key(b["a"]), f.uscc(999)]}, headers=inv)
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    assert c.post("/v1/investigations/bidders", json={"usccs": [key(b["a"])]}, headers=inv).status_code == 422
    mixed = c.get(
        f"/v1/investigations/controllers/{h3}", params={"threshold": 0.2, "min_share": 0.3}, headers=inv
    )
    assert mixed.status_code == 422 and mixed.json()["errors"][0]["field"] == "min_share"
    assert c.get("/v1/investigations/holdings/person/not-a-key", headers=inv).status_code == 422
    assert c.get(f"/v1/investigations/equity/{f.uscc(999)}", headers=inv).status_code == 404
    # Every investigation was audited, with who asked and what came out.
    log = c.app.state.audit  # type: ignore[attr-defined]
    actions = [(r.action, r.role) for r in log.records(limit=1000)]
    for action in ("equity", "controllers", "holdings", "bidders", "associated_risk"):
        assert (action, "investigator") in actions, action
    assert ("controllers_write_back", "admin") in actions
    bidders_record = next(r for r in log.records(limit=1000) if r.action == "bidders")
    assert f"{min(key(b['a']), key(b['b']))}~" in bidders_record.summary


def test_the_controllers_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from graph_service.investigations.__main__ import main

    monkeypatch.setenv("CREDIT_GRAPH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CREDIT_GRAPH_HASH_KEY", SECRET)
    monkeypatch.setenv("CREDIT_GRAPH_BACKEND", "embedded")
    with EmbeddedStore(tmp_path / "graph.sqlite3") as made:
        h3 = key(chain(made)["h3"])

    def run(*args: str) -> tuple[int, str]:
        with pytest.raises(SystemExit) as done:
            main(list(args))
        captured = capsys.readouterr()
        return int(done.value.code or 0), captured.out + captured.err

    code, shown = run("controllers", "--uscc", h3, "--as-of", "2024-06-30")
    assert code == 0 and "computed" in shown and "43.20%" in shown
    code, wrote = run("controllers", "--write", "--as-of", "2024-06-30")
    assert code == 0 and "3 opened" in wrote
    with EmbeddedStore(tmp_path / "graph.sqlite3") as reopened:
        assert [r.basis for r in reopened.roles_of_enterprise(h3, {R.ACTUAL_CONTROLLER_OF})] == ["computed"]
    code, refused = run("controllers")
    assert code == 2 and "--uscc" in refused
