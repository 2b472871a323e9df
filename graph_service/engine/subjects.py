"""Subjects named as answers show them: one lookup for the engine and the investigations, or names made
from persons and enterprises the store returned with other facts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from graph_service.engine.results import SubjectRef
from graph_service.model import Enterprise, Person
from graph_service.persons import displayed_id
from graph_service.store.base import GraphStore

Key = TypeVar("Key", bound=tuple[str, str])


def subject_refs(store: GraphStore, refs: Iterable[Key]) -> dict[Key, SubjectRef]:
    """Names for subjects, two store calls in all; persons carry their ID number only where the store
    view shows it, masked otherwise."""
    wanted = set(refs)
    persons = store.get_persons([k for kind, k in wanted if kind == "person"])
    orgs = store.get_enterprises([k for kind, k in wanted if kind == "enterprise"])
    return named_refs(persons, orgs, wanted)


def named_refs(
    persons: Mapping[str, Person], orgs: Mapping[str, Enterprise], refs: Iterable[Key]
) -> dict[Key, SubjectRef]:
    """Names for subjects from persons and enterprises already read (a subject not among them unnamed)."""
    found: dict[Key, SubjectRef] = {}
    for ref in set(refs):
        kind, key = ref
        if kind == "person" and (p := persons.get(key)) is not None:
            found[ref] = SubjectRef(
                kind="person", key=key, name=p.name, id_masked=displayed_id(p), id_number=p.id_number
            )
        elif kind == "enterprise" and (e := orgs.get(key)) is not None:
            found[ref] = SubjectRef(kind="enterprise", key=key, name=e.name)
        else:
            found[ref] = SubjectRef(kind=kind, key=key)
    return found
