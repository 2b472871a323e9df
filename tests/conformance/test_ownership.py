"""The ownership primitive of the store contract, run on every backend: the same edges in the same order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from graph_service.access.visible import VisibleStore
from graph_service.model import Enterprise, Person, Role, RoleType
from graph_service.store.base import MAX_OWNERSHIP_DEPTH, GraphStore, sort_roles
from tests import factories as f

R = RoleType
DAY = date(2024, 6, 30)


def structures(store: GraphStore) -> dict[str, Enterprise | Person]:
    """A chain Q → H1 → H2 → H3, a ring R0 → R1 → R2 → R0 held from outside by X, a holding that ended in
    2020, and roles other than shareholding that must not count."""
    q, x, clerk = f.person(1, "钱德润"), f.person(2, "许外持"), f.person(3, "职员")
    h1, h2, h3 = f.enterprise(1), f.enterprise(2), f.enterprise(3)
    r0, r1, r2 = f.enterprise(10), f.enterprise(11), f.enterprise(12)
    old = f.enterprise(20)
    store.upsert_enterprises([h1, h2, h3, r0, r1, r2, old])
    store.upsert_persons([q, x, clerk])
    store.upsert_roles(
        [
            f.role(R.SHAREHOLDER_OF, q, h1, ratio=0.9),
            f.role(R.SHAREHOLDER_OF, h1, h2, ratio=0.8),
            f.role(R.SHAREHOLDER_OF, h2, h3, ratio=0.6),
            f.role(R.LEGAL_REPRESENTATIVE_OF, clerk, h3),
            f.role(R.ACTUAL_CONTROLLER_OF, q, h3, basis="declared"),
            f.role(R.SHAREHOLDER_OF, r0, r1, ratio=0.6),
            f.role(R.SHAREHOLDER_OF, r1, r2, ratio=0.4),
            f.role(R.SHAREHOLDER_OF, r2, r0, ratio=0.1),
            f.role(R.SHAREHOLDER_OF, x, r0, ratio=0.9),
            f.role(R.SHAREHOLDER_OF, old, h3, date(2010, 1, 1), date(2020, 1, 1), ratio=0.4),
        ]
    )
    return {"q": q, "x": x, "h1": h1, "h2": h2, "h3": h3, "r0": r0, "r1": r1, "r2": r2, "old": old}


def pairs(roles: Sequence[Role]) -> list[tuple[str, str]]:
    return [(r.holder_key, r.enterprise) for r in roles]


def key(node: Enterprise | Person) -> str:
    return node.uscc if isinstance(node, Enterprise) else node.person_key


def test_up_follows_owners_to_the_depth_asked(store: GraphStore) -> None:
    g = structures(store)
    h3 = key(g["h3"])
    chain = {(key(g["h2"]), h3), (key(g["h1"]), key(g["h2"])), (key(g["q"]), key(g["h1"]))}
    three = store.ownership("enterprise", h3, "up", 3, DAY)
    assert set(pairs(three)) == chain and len(three) == 3
    assert all(r.type == R.SHAREHOLDER_OF for r in three)
    assert set(pairs(store.ownership("enterprise", h3, "up", 2, DAY))) == chain - {
        (key(g["q"]), key(g["h1"]))
    }
    assert pairs(store.ownership("enterprise", h3, "up", 1, DAY)) == [(key(g["h2"]), h3)]
    assert store.ownership("enterprise", h3, "up", 0, DAY) == []
    assert three == sort_roles(three)


def test_down_follows_holdings(store: GraphStore) -> None:
    g = structures(store)
    q = key(g["q"])
    assert len(store.ownership("person", q, "down", 10, DAY)) == 3
    assert pairs(store.ownership("person", q, "down", 1, DAY)) == [(q, key(g["h1"]))]
    assert store.ownership("person", q, "up", 5, DAY) == []  # a person has no owners


def test_a_ring_terminates_with_each_edge_once(store: GraphStore) -> None:
    g = structures(store)
    ring = {(key(g["r0"]), key(g["r1"])), (key(g["r1"]), key(g["r2"])), (key(g["r2"]), key(g["r0"]))}
    up = store.ownership("enterprise", key(g["r0"]), "up", MAX_OWNERSHIP_DEPTH, DAY)
    assert set(pairs(up)) == ring | {(key(g["x"]), key(g["r0"]))} and len(up) == 4
    down = store.ownership("person", key(g["x"]), "down", MAX_OWNERSHIP_DEPTH, DAY)
    assert set(pairs(down)) == ring | {(key(g["x"]), key(g["r0"]))} and len(down) == 4
    # Two hops down from X reach R1; its holding in R2 is a third hop.
    assert set(pairs(store.ownership("person", key(g["x"]), "down", 2, DAY))) == {
        (key(g["x"]), key(g["r0"])),
        (key(g["r0"]), key(g["r1"])),
    }


def test_only_holdings_in_force_on_the_day(store: GraphStore) -> None:
    g = structures(store)
    h3 = key(g["h3"])
    now = store.ownership("enterprise", h3, "up", 1, DAY)
    assert key(g["old"]) not in {r.holder_key for r in now}
    back_then = store.ownership("enterprise", h3, "up", 1, date(2015, 1, 1))
    assert {r.holder_key for r in back_then} == {key(g["h2"]), key(g["old"])}
    ever = store.ownership("enterprise", h3, "up", 1)
    assert len(ever) == 2
    ended = next(r for r in ever if r.holder_key == key(g["old"]))
    assert (ended.valid_to, ended.ratio) == (date(2020, 1, 1), 0.4)


def test_unknown_subject_and_bad_arguments(store: GraphStore) -> None:
    structures(store)
    assert store.ownership("enterprise", f.uscc(999), "up", 3) == []
    with pytest.raises(ValueError, match="max_depth"):
        store.ownership("enterprise", f.uscc(1), "up", MAX_OWNERSHIP_DEPTH + 1)
    with pytest.raises(ValueError, match="direction"):
        store.ownership("enterprise", f.uscc(1), "sideways", 2)  # type: ignore[arg-type]


def test_the_contract_default_answers_as_the_native_one(store: GraphStore) -> None:
    """A store that wraps another walks it with the contract's default: same edges, same order."""
    g = structures(store)
    view = VisibleStore(store, frozenset({"public"}), id_numbers=False)
    for kind, node, direction in (
        ("enterprise", g["h3"], "up"),
        ("enterprise", g["r1"], "up"),
        ("person", g["x"], "down"),
        ("person", g["q"], "down"),
    ):
        for depth in (1, 2, MAX_OWNERSHIP_DEPTH):
            native = store.ownership(kind, key(node), direction, depth, DAY)  # type: ignore[arg-type]
            walked = GraphStore.ownership(view, kind, key(node), direction, depth, DAY)  # type: ignore[arg-type]
            assert walked == native
