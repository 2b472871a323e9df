"""The one place where responses are filtered: a view of a store as one caller may see it.

Entries whose disclosure class the caller may not see are absent from every answer (and so from every
check, path and count built on them), and persons come without their full ID number unless the caller
may see it. The API hands this view, not the store, to its handlers and to the engine.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime
from typing import Literal, TypeVar, get_args

from pydantic import BaseModel

from graph_service.identifiers import mask_id_number
from graph_service.model import (
    Disclosure,
    Enterprise,
    EntryEvent,
    EntryStatus,
    Feedback,
    ListEntry,
    NodeKind,
    Person,
    Role,
    RoleType,
)
from graph_service.store.base import (
    Change,
    CheckFacts,
    Cover,
    EntryLink,
    GraphStore,
    Neighbourhood,
    ReachFacts,
    ReachRow,
    RecordFacts,
    RecordKind,
    SearchHit,
    WriteResult,
)

ALL_CLASSES = frozenset(get_args(Disclosure))
F = TypeVar("F", bound=ReachFacts)


class VisibleStore(GraphStore):
    def __init__(self, inner: GraphStore, classes: frozenset[str], id_numbers: bool) -> None:
        self.inner = inner
        self.classes = classes
        self.id_numbers = id_numbers
        self.backend_name = inner.backend_name

    # -- the two filters ----------------------------------------------------------------------------

    def _person(self, p: Person) -> Person:
        if self.id_numbers or p.id_number is None:
            return p
        return p.model_copy(
            update={"id_number": None, "id_masked": p.id_masked or mask_id_number(p.id_number)}
        )

    def _sees(self, e: ListEntry) -> bool:
        return e.disclosure in self.classes

    def _visible_ids(self, ids: Collection[str]) -> set[str]:
        return {k for k, e in self.inner.get_entries(ids).items() if self._sees(e)}

    # -- writes pass through (the API lets only administrators write) -------------------------------

    def upsert_enterprises(self, rows: Sequence[Enterprise]) -> WriteResult:
        return self.inner.upsert_enterprises(rows)

    def upsert_persons(self, rows: Sequence[Person]) -> WriteResult:
        return self.inner.upsert_persons(rows)

    def upsert_roles(self, rows: Sequence[Role]) -> WriteResult:
        return self.inner.upsert_roles(rows)

    def upsert_entries(self, rows: Sequence[ListEntry]) -> WriteResult:
        return self.inner.upsert_entries(rows)

    def apply_event(self, entry: ListEntry, event: EntryEvent, expected_status: EntryStatus | None) -> None:
        self.inner.apply_event(entry, event, expected_status)

    def append_feedback(self, feedback: Feedback) -> None:
        self.inner.append_feedback(feedback)

    def set_meta(self, name: str, value: str) -> None:
        self.inner.set_meta(name, value)

    def clear(self) -> None:
        self.inner.clear()

    # -- reads, filtered ----------------------------------------------------------------------------

    def get_enterprise(self, uscc: str) -> Enterprise | None:
        return self.inner.get_enterprise(uscc)

    def find_enterprises(
        self,
        *,
        org_codes: Collection[str] = (),
        registration_numbers: Collection[str] = (),
        registry_ids: Collection[str] = (),
    ) -> dict[str, list[Enterprise]]:
        return self.inner.find_enterprises(
            org_codes=org_codes, registration_numbers=registration_numbers, registry_ids=registry_ids
        )

    def get_enterprises(self, usccs: Collection[str]) -> dict[str, Enterprise]:
        return self.inner.get_enterprises(usccs)

    def get_person(self, person_key: str) -> Person | None:
        found = self.inner.get_person(person_key)
        return None if found is None else self._person(found)

    def get_persons(self, person_keys: Collection[str]) -> dict[str, Person]:
        return {k: self._person(p) for k, p in self.inner.get_persons(person_keys).items()}

    def search_names(
        self, text: str, kinds: Collection[Literal["enterprise", "person"]], limit: int, offset: int
    ) -> tuple[int, list[SearchHit]]:
        return self.inner.search_names(text, kinds, limit, offset)

    def persons_named(self, name: str) -> list[Person]:
        return [self._person(p) for p in self.inner.persons_named(name)]

    def get_entry(self, entry_id: str) -> ListEntry | None:
        found = self.inner.get_entry(entry_id)
        return found if found is not None and self._sees(found) else None

    def get_entries(self, entry_ids: Collection[str]) -> dict[str, ListEntry]:
        return {k: e for k, e in self.inner.get_entries(entry_ids).items() if self._sees(e)}

    def entries_of_list(self, list_type: str, source: str | None = None) -> list[ListEntry]:
        return [e for e in self.inner.entries_of_list(list_type, source) if self._sees(e)]

    def entries_of_subject(self, kind: Literal["person", "enterprise"], key: str) -> list[EntryLink]:
        return [link for link in self.inner.entries_of_subject(kind, key) if self._sees(link.entry)]

    def roles_of_enterprise(
        self, uscc: str, types: Collection[RoleType] | None = None, as_of: date | None = None
    ) -> list[Role]:
        return self.inner.roles_of_enterprise(uscc, types, as_of)

    def roles_of_holder(
        self,
        holder_kind: Literal["person", "enterprise"],
        holder_key: str,
        types: Collection[RoleType] | None = None,
        as_of: date | None = None,
    ) -> list[Role]:
        return self.inner.roles_of_holder(holder_kind, holder_key, types, as_of)

    def reach(
        self,
        covers: Sequence[Cover],
        as_of: date,
        entry_ids: Collection[str] | None = None,
        known_at: datetime | None = None,
    ) -> list[ReachRow]:
        rows = self.inner.reach(covers, as_of, entry_ids, known_at)
        seen = self._visible_ids({r.entry_id for r in rows})
        return [r for r in rows if r.entry_id in seen]

    def reaching_many(
        self,
        subjects: Sequence[tuple[Literal["person", "enterprise"], str]],
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None = None,
    ) -> list[ReachRow]:
        rows = self.inner.reaching_many(subjects, covers, as_of, known_at)
        seen = self._visible_ids({r.entry_id for r in rows})
        return [r for r in rows if r.entry_id in seen]

    # One call to the store per question, as the store answers it, filtered here as the methods above
    # filter: rows and entries the caller may not see left out, persons without their ID number, and the
    # neighbourhood walked without the hidden entries.

    def _walk_classes(self, classes: Collection[str] | None) -> frozenset[str] | None:
        seen = self.classes if classes is None else self.classes & frozenset(classes)
        return None if seen >= ALL_CLASSES else seen

    def _seen_facts(self, facts: F) -> F:
        entries = {i: e for i, e in facts.entries.items() if self._sees(e)}
        return facts.model_copy(
            update={
                "rows": [r for r in facts.rows if r.entry_id in entries],
                "entries": entries,
                "persons": {k: self._person(p) for k, p in facts.persons.items()},
            }
        )

    def check_facts(
        self,
        subjects: Sequence[tuple[Literal["person", "enterprise"], str]],
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None = None,
        near_hops: int = 0,
        near_limit: int = 50,
        classes: Collection[str] | None = None,
    ) -> CheckFacts:
        walk = self._walk_classes(classes)
        return self._seen_facts(
            self.inner.check_facts(subjects, covers, as_of, known_at, near_hops, near_limit, walk)
        )

    def affected_facts(
        self,
        entry_ids: Collection[str],
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None = None,
    ) -> ReachFacts:
        return self._seen_facts(self.inner.affected_facts(entry_ids, covers, as_of, known_at))

    def record_facts(
        self,
        kind: Literal["person", "enterprise"],
        key: str,
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None = None,
        near_hops: int = 0,
        near_limit: int = 50,
        classes: Collection[str] | None = None,
    ) -> RecordFacts:
        walk = self._walk_classes(classes)
        facts = self._seen_facts(
            self.inner.record_facts(kind, key, covers, as_of, known_at, near_hops, near_limit, walk)
        )
        return facts.model_copy(
            update={
                "links": [link for link in facts.links if self._sees(link.entry)],
                "events": {i: e for i, e in facts.events.items() if i in facts.entries},
            }
        )

    def ownership(
        self,
        kind: Literal["person", "enterprise"],
        key: str,
        direction: Literal["up", "down"],
        max_depth: int,
        as_of: date | None = None,
    ) -> list[Role]:
        # Shareholdings carry no disclosure class: the caller sees them as registered.
        return self.inner.ownership(kind, key, direction, max_depth, as_of)

    def neighbourhood(
        self,
        kind: NodeKind,
        key: str,
        hops: int = 1,
        limit: int = 50,
        as_of: date | None = None,
        classes: Collection[str] | None = None,
    ) -> Neighbourhood | None:
        if kind == "entry" and self.get_entry(key) is None:
            return None
        # The store leaves out what the caller may not see while it walks: a hidden entry neither links
        # the persons it names to the enterprise nor counts in "and N more".
        seen = self.classes if classes is None else self.classes & frozenset(classes)
        return self.inner.neighbourhood(kind, key, hops, limit, as_of, None if seen >= ALL_CLASSES else seen)

    def events_of_entry(self, entry_id: str) -> list[EntryEvent]:
        return self.inner.events_of_entry(entry_id) if self.get_entry(entry_id) is not None else []

    def feedback(self, entry_id: str | None = None) -> list[Feedback]:
        records = self.inner.feedback(entry_id)
        seen = self._visible_ids({f.entry_id for f in records})
        return [f for f in records if f.entry_id in seen]

    def iter_records(self, kind: RecordKind) -> Iterator[BaseModel]:
        for record in self.inner.iter_records(kind):
            if isinstance(record, Person):
                yield self._person(record)
            elif isinstance(record, ListEntry):
                if self._sees(record):
                    yield record
            else:
                yield record

    def counts(self) -> dict[str, int]:
        return self.inner.counts()

    def get_meta(self, name: str) -> str | None:
        return self.inner.get_meta(name)

    # The change log names records, not their content: what a caller may see of them is decided when
    # they are read (notify/ reads them through this view).
    def changes_after(self, seq: int, limit: int = 1000) -> list[Change]:
        return self.inner.changes_after(seq, limit)

    def last_change(self) -> int:
        return self.inner.last_change()

    def entries_turning_on(self, day: date) -> list[str]:
        return sorted(self._visible_ids(self.inner.entries_turning_on(day)))

    def close(self) -> None:
        """The view owns nothing; the inner store is closed by whoever opened it."""
