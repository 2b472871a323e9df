"""roles_of_enterprises, the loaders' read of a batch's roles, answers what roles_of_enterprise answers for
each enterprise, on every backend, in one call."""

from __future__ import annotations

from graph_service.model import RoleType
from graph_service.store.base import GraphStore
from tests import factories as f
from tests.conformance.test_store import small_graph

R = RoleType


def test_roles_of_many_enterprises_are_those_of_each(store: GraphStore) -> None:
    g = small_graph(store)
    a, b, parent = g["a"].uscc, g["b"].uscc, g["parent"].uscc  # type: ignore[attr-defined]
    missing = f.uscc(999)
    found = store.roles_of_enterprises([a, b, parent, missing, a])
    assert list(found) == [a, b, parent, missing]
    for uscc in (a, b, parent):
        assert found[uscc] == store.roles_of_enterprise(uscc)
    assert found[missing] == []
    assert {r.type for r in found[a]} == {R.LEGAL_REPRESENTATIVE_OF, R.SENIOR_MANAGER_OF, R.SHAREHOLDER_OF}
    # The holders of both kinds keep their kind and key: a person's and an organisation's.
    assert {(r.holder_kind, r.holder_key) for r in found[a] if r.type == R.SHAREHOLDER_OF} == {
        ("enterprise", parent),
        ("person", g["owner"].person_key),  # type: ignore[attr-defined]
    }


def test_roles_of_many_enterprises_by_type(store: GraphStore) -> None:
    g = small_graph(store)
    a = g["a"].uscc  # type: ignore[attr-defined]
    types = {R.SHAREHOLDER_OF}
    assert store.roles_of_enterprises([a], types)[a] == store.roles_of_enterprise(a, types)
    assert store.roles_of_enterprises([], types) == {}
