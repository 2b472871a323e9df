"""Investigations over the synthetic county, on both backends: the planted ownership chain, every
ownership ring, the planted bidders, associated risk, the multi-listed communities, and the API."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.engine import Engine
from graph_service.investigations import (
    actual_controllers,
    associated_risk,
    communities,
    holdings,
    multi_listed_graph,
    owners,
    screen_bidders,
    to_frames,
)
from graph_service.rules import load_rules
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from graph_service.synthetic import Answers
from tests.conftest import SECRET

County = tuple[GraphStore, Answers]


def test_the_planted_chain_gives_432_per_mille_with_its_path(county: County) -> None:
    store, answers = county
    case = answers.cases["ownership_chain"]
    h1, h2, h3 = (str(u) for u in case["chain"])  # type: ignore[attr-defined]
    q = str(case["owner"])
    day = answers.reference_date
    result = owners(store, h3, day)
    by_key = {s.subject.key: s for s in result.stakes}
    assert by_key[q].share == case["cumulative_share_in_last"] == 0.432
    assert by_key[h2].share == 0.6 and by_key[h1].share == 0.48
    (path,) = by_key[q].paths
    assert [n.key for n in path.nodes] == [q, h1, h2, h3]
    assert [e.ratio for e in path.edges] == [0.9, 0.8, 0.6]
    assert path.nodes[0].name == "钱德润"
    held = {s.subject.key: s.share for s in holdings(store, "person", q, day).stakes}
    assert held == {h1: 0.9, h2: 0.72, h3: 0.432}
    controller = actual_controllers(store, h3, day)
    assert controller.basis == "computed"
    assert [(c.subject.key, c.share) for c in controller.controllers] == [(q, 0.432)]


def test_every_ring_terminates_with_exact_shares(county: County) -> None:
    store, answers = county
    assert answers.cycles
    for r0, r1, r2 in answers.cycles:
        # The generator's ring: R0 holds 60% of R1, R1 40% of R2, R2 10% of R0, nobody else any of them.
        up = {s.subject.key: s.share for s in owners(store, r0, answers.reference_date).stakes}
        assert up == {r2: 0.1, r1: 0.04}
        assert {s.subject.key: s.share for s in owners(store, r2, answers.reference_date).stakes} == {
            r1: 0.4,
            r0: 0.24,
        }
        down = holdings(store, "enterprise", r0, answers.reference_date)
        assert all(math.isfinite(s.share) and 0 < s.share <= 1 for s in down.stakes)
        assert {r1, r2} <= {s.subject.key for s in down.stakes}
        assert down.complete


def test_the_planted_bidders(county: County) -> None:
    store, answers = county
    case = answers.cases["bidders"]
    linked, unrelated = list(case["linked"]), str(case["unrelated"])  # type: ignore[call-overload]
    report = screen_bidders(store, [*linked, unrelated], answers.reference_date)
    (pair,) = report.pairs
    assert {pair.a.key, pair.b.key} == set(linked)
    kinds = {e.kind: e for e in pair.evidence}
    assert set(kinds) == {"shared_person", "shared_phone"}
    person = kinds["shared_person"]
    assert person.subject is not None and person.subject.key == case["shared_person"]
    assert {r.role.value for t in person.ties for r in t.roles} == {"SUPERVISOR_OF", "SENIOR_MANAGER_OF"}
    assert kinds["shared_phone"].value == case["shared_phone"]
    assert pair.score == 0.7 and pair.level == "high"
    assert report.unlinked_pairs == 2 and report.groups == [sorted(linked)]


def test_associated_risk_is_kept_apart_from_restrictions(county: County) -> None:
    store, answers = county
    rules = load_rules(None)
    day = answers.reference_date
    # An investor holds shares; the court's list covers no shareholder, so for him it is associated
    # risk, two edges away. The former legal representative, in post at the conduct date, is reached.
    case = answers.cases["legal_rep_change"]
    investor = associated_risk(store, rules, "person", str(case["shareholder"]), day)
    risk = next(r for r in investor.risks if r.entry.entry_id == case["entry_id"])
    assert risk.distance == 2 and risk.listed.key == case["uscc"]
    assert [e.type for e in risk.path.edges] == ["SHAREHOLDER_OF", "NAMES"]
    assert case["entry_id"] not in investor.reaching
    former = associated_risk(store, rules, "person", str(case["former_legal_rep"]), day)
    assert case["entry_id"] in former.reaching
    # The leader of two listed companies is reached by both entries: restrictions, not risk.
    leader = answers.cases["multi_listed_via_organisations"]
    report = associated_risk(store, rules, "person", str(leader["person"]), day)
    assert set(leader["entry_ids"]) <= set(report.reaching)  # type: ignore[call-overload]
    assert not set(leader["entry_ids"]) & {r.entry.entry_id for r in report.risks}  # type: ignore[call-overload]


def test_multi_listed_export_and_communities(county: County) -> None:
    store, answers = county
    engine = Engine(store, load_rules(None))
    graph = multi_listed_graph(engine, answers.reference_date, hops=1)
    marked = {n for n, d in graph.nodes(data=True) if d["multi_listed"]}
    planted = answers.cases["multi_listed_enterprise"]
    assert f"enterprise:{planted['uscc']}" in marked
    assert graph.nodes[f"enterprise:{planted['uscc']}"]["domains"] == "environment,tax"
    assert f"person:{answers.cases['multi_listed_via_organisations']['person']}" in marked
    nodes, edges = to_frames(graph)
    assert len(nodes) == graph.number_of_nodes() and len(edges) == graph.number_of_edges()
    assert int(nodes["multi_listed"].sum()) == len(marked)
    found = communities(graph)
    assert found == communities(multi_listed_graph(engine, answers.reference_date, hops=1))
    assert sorted(m for c in found for m in c.multi_listed) == sorted(marked)


@pytest.fixture(scope="module")
def api(
    county: County, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    store, _ = county
    settings = Settings(hash_key=SECRET, data_dir=Path(tmp_path_factory.mktemp("inv-api")))
    with TestClient(create_app(store=store, settings=settings)) as client:
        keys = client.app.state.keys  # type: ignore[attr-defined]
        made = {
            "investigator": keys.create("investigator", "tests")[1],
            "public": keys.create("public", "t")[1],
        }
        yield client, made


def test_bidders_over_http(county: County, api: tuple[TestClient, dict[str, str]]) -> None:
    client, made = api
    _, answers = county
    case = answers.cases["bidders"]
    body = {"usccs": [*case["linked"], case["unrelated"]], "as_of": "2026-06-30"}  # type: ignore[misc]
    got = client.post("/v1/investigations/bidders", json=body, headers={"X-API-Key": made["investigator"]})
    assert got.status_code == 200, got.text
    (pair,) = got.json()["pairs"]
    assert {e["kind"] for e in pair["evidence"]} == {"shared_person", "shared_phone"}
    assert got.json()["weights"]["shared_person"] == 0.5
    denied = client.post("/v1/investigations/bidders", json=body, headers={"X-API-Key": made["public"]})
    assert denied.status_code == 403
    records = client.app.state.audit.records(limit=1000)  # type: ignore[attr-defined]
    # The investigator's answer, and the public key's refused call with why.
    bidders = [(r.role, r.summary.startswith("refused 403")) for r in records if r.action == "bidders"]
    assert sorted(bidders) == [("investigator", False), ("public", True)]


def test_risk_and_equity_over_http(county: County, api: tuple[TestClient, dict[str, str]]) -> None:
    client, made = api
    _, answers = county
    headers = {"X-API-Key": made["investigator"]}
    investor = answers.cases["legal_rep_change"]["shareholder"]
    risk = client.get(
        f"/v1/investigations/associated-risk/person/{investor}?as_of=2026-06-30", headers=headers
    )
    assert risk.status_code == 200
    assert answers.cases["legal_rep_change"]["entry_id"] in {
        r["entry"]["entry_id"] for r in risk.json()["risks"]
    }
    h3 = answers.cases["ownership_chain"]["chain"][2]  # type: ignore[index]
    equity = client.get(f"/v1/investigations/equity/{h3}?as_of=2026-06-30", headers=headers)
    assert equity.json()["stakes"][-1]["share"] == 0.432
    assert (
        client.get(f"/v1/investigations/equity/{h3}", headers={"X-API-Key": made["public"]}).status_code
        == 403
    )
    subjects = {r.subject for r in client.app.state.audit.records(limit=1000)}  # type: ignore[attr-defined]
    assert {investor, h3} <= subjects
