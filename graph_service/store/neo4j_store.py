"""The Neo4j backend: every statement comes from cypher/ by name, values only as $parameters.

Writes go as `UNWIND $rows` batches of the configured size, each batch one managed transaction (retried
by the driver on transient errors, and idempotent, so a retry cannot duplicate). Each read is one
statement that does its whole traversal on the server.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Literal, TypeVar

import neo4j
from neo4j import GraphDatabase, ManagedTransaction, NotificationDisabledCategory
from neo4j.exceptions import DriverError, Neo4jError
from pydantic import BaseModel

from graph_service.domain.history import as_known, counting_periods, in_force_on
from graph_service.model import (
    LATER_FIELDS,
    STAMPS,
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
from graph_service.settings import Settings
from graph_service.store.base import (
    MAX_CHANGES,
    Change,
    CheckFacts,
    ConflictError,
    Cover,
    EntryLink,
    GraphEdge,
    GraphNode,
    GraphStore,
    MissingReferenceError,
    Nearby,
    NearEntry,
    Neighbourhood,
    OwnershipDirection,
    ReachFacts,
    ReachRow,
    RecordFacts,
    RecordKind,
    SearchHit,
    StoreError,
    WriteResult,
    cap_neighbourhood,
    check_neighbourhood_args,
    check_ownership_args,
    empty_counts,
    entries_change,
    found_by_code,
    lookup_codes,
    named_responsible_edge_id,
    names_edge_id,
    roles_change,
    search_form,
    sort_entry_links,
    sort_reach,
    sort_roles,
)
from graph_service.store.cypher_queries import Queries

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

# Properties are written only when set (a record's None fields are left out), so reads name properties
# a young database has never held: the server then says so (UnknownPropertyKeyWarning, and its kin for
# labels and relationship types) on every read-back, millions of log lines in a province's load. Only
# that category is turned off; deprecations, performance and other warnings still reach the log.
QUIET_NOTIFICATIONS = [NotificationDisabledCategory.UNRECOGNIZED]


def fingerprint(record: BaseModel) -> str:
    """Hash of a record without its stamps (loaded_at, recorded_at): equal data, equal fingerprint."""
    # 128 bits tell versions of one record apart; shorter than a full digest, stored on every edge.
    fields = type(record).model_fields
    unset = {name for name in LATER_FIELDS if name in fields and getattr(record, name) is None}
    return hashlib.sha256(record.model_dump_json(exclude=set(STAMPS) | unset).encode()).hexdigest()[:32]


def _native(value: Any) -> Any:
    # Driver temporal types (neo4j.time.Date, DateTime) back to the standard library's.
    to_native = getattr(value, "to_native", None)
    return to_native() if callable(to_native) else value


# Properties the backend derives and keeps beside a record's own (fingerprints, search forms, counting
# periods, an enterprise's organisation code): not read back into the record.
DERIVED = ("fingerprint", "name_norm", "count_from", "count_to", "org_code")


def _from_props(props: dict[str, Any], drop: Collection[str] = DERIVED) -> dict[str, Any]:
    return {k: _native(v) for k, v in props.items() if k not in drop}


def _flat(record: BaseModel, exclude: set[str] | None = None) -> dict[str, Any]:
    props = record.model_dump(exclude=exclude)
    props["fingerprint"] = fingerprint(record)
    return {k: v for k, v in props.items() if v is not None}


def _searchable(record: Enterprise | Person) -> dict[str, Any]:
    """A node's properties plus its name in search form, which the text index serves CONTAINS from, and an
    enterprise's organisation code, which find_enterprises looks up."""
    props = _flat(record)
    props["name_norm"] = search_form(record.name)
    if isinstance(record, Enterprise) and record.org_code is not None:
        props["org_code"] = record.org_code
    return props


def _flat_plain(record: BaseModel) -> dict[str, Any]:
    """Properties of a record kept as it is (events, feedback): no fingerprint, no nulls, lists as lists."""
    return {
        k: list(v) if isinstance(v, tuple) else v for k, v in record.model_dump().items() if v is not None
    }


def entry_history_properties(entry: ListEntry) -> dict[str, Any]:
    """A property cannot hold a list of maps: an entry's history is kept as JSON, and the periods in which
    it counts (computed from it by the domain) as two lists of days the reads filter on."""
    props: dict[str, Any] = {}
    if entry.history:
        props["history"] = json.dumps([c.model_dump(mode="json") for c in entry.history], ensure_ascii=False)
    props["count_from"], props["count_to"] = counting_periods(entry)
    return props


def _now() -> datetime:
    return datetime.now(UTC)


def _chunks(rows: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _dedupe(rows: Sequence[M], key: Callable[[M], str]) -> list[M]:
    latest: dict[str, M] = {}
    for row in rows:  # the last of duplicates wins, as in the embedded backend
        latest[key(row)] = row
    return list(latest.values())


@lru_cache(maxsize=16)
def _grouped_covers(covers: tuple[Cover, ...], with_role: bool) -> dict[str, list[dict[str, Any]]]:
    """Covers as the reach statements take them, grouped by list type (and role type). Kept: the engine
    passes the same rules on every check, and dumping them each time cost a check half a millisecond.
    The driver only reads the parameter."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for c in covers:
        key = f"{c.list_type}|{c.role.value}" if with_role else c.list_type
        grouped.setdefault(key, []).append(c.model_dump(mode="json"))
    return grouped


class Neo4jStore(GraphStore):
    backend_name = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str = "neo4j",
        batch_size: int = 10_000,
        queries: Queries | None = None,
        retry_seconds: float = 30.0,
    ) -> None:
        self.uri = uri
        self.database = database
        self.batch_size = batch_size
        self.q = queries or Queries()
        auth = (user, password) if password else None
        try:
            self.driver = GraphDatabase.driver(
                uri,
                auth=auth,
                max_transaction_retry_time=retry_seconds,
                notifications_disabled_categories=QUIET_NOTIFICATIONS,
            )
            self.driver.verify_connectivity()
        except (DriverError, Neo4jError, ValueError, OSError) as exc:
            raise StoreError(f"cannot reach Neo4j at {uri}: {exc}") from None
        self.apply_schema()

    @classmethod
    def from_settings(cls, settings: Settings) -> Neo4jStore:
        return cls(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password.get_secret_value(),
            settings.neo4j_database,
            settings.batch_size,
            retry_seconds=settings.neo4j_retry_seconds,
        )

    # -- plumbing -----------------------------------------------------------------------------------

    def _read(self, query: str, **params: Any) -> list[neo4j.Record]:
        try:
            records, _, _ = self.driver.execute_query(
                query, parameters_=params, database_=self.database, routing_=neo4j.RoutingControl.READ
            )
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j read failed: {exc}") from exc
        return records

    def _session(self) -> neo4j.Session:
        # The bookmark manager execute_query uses, so a read after a write sees it on a cluster too.
        return self.driver.session(
            database=self.database, bookmark_manager=self.driver.execute_query_bookmark_manager
        )

    def _write_tx(self, work: Callable[[ManagedTransaction], WriteResult]) -> WriteResult:
        try:
            with self._session() as session:
                return session.execute_write(work)
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j write failed: {exc}") from exc

    def apply_schema(self) -> None:
        """Constraints and indexes from cypher/schema.cypher, each idempotent; then the organisation codes
        of enterprises and the counting periods of entries that lack them (written before they were
        stored, or by an offline import)."""
        with self._session() as session:
            for statement in self.q.by_file["schema"].values():
                session.run(statement).consume()
            session.run(self.q.set_missing_org_codes).consume()
        while records := self._read(self.q.entries_without_periods, limit=self.batch_size):
            rows: list[dict[str, Any]] = []
            for r in records:
                entry = self._entry(r["props"], r["named"])
                count_from, count_to = counting_periods(entry)
                rows.append({"entry_id": entry.entry_id, "count_from": count_from, "count_to": count_to})

            def work(tx: ManagedTransaction, rows: list[dict[str, Any]] = rows) -> WriteResult:
                tx.run(self.q.set_entry_periods, rows=rows).consume()
                return WriteResult(updated=len(rows))

            self._write_tx(work)

    def server_version(self) -> str:
        record = self._read(self.q.server_version)[0]
        return f"{record['name']} {record['version']} {record['edition']}"

    def iter_records(self, kind: RecordKind) -> Iterator[BaseModel]:
        # One auto-commit query whose records are pulled as they are consumed: constant memory here.
        query = getattr(self.q, f"all_{kind}")
        try:
            with self._session() as session:
                for record in session.run(query):
                    yield self._record_of(kind, record)
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j read failed: {exc}") from exc

    def _record_of(self, kind: RecordKind, record: neo4j.Record) -> BaseModel:
        if kind == "enterprises":
            return Enterprise.model_validate(_from_props(record["props"]))
        if kind == "persons":
            return Person.model_validate(_from_props(record["props"]))
        if kind == "roles":
            return self._role(record)
        if kind == "entries":
            return self._entry(record["props"], record["named"])
        if kind == "events":
            return EntryEvent.model_validate(_from_props(record["props"], drop=("seq",)))
        return Feedback.model_validate(_from_props(record["props"], drop=("seq",)))

    def changes_after(self, seq: int, limit: int = 1000) -> list[Change]:
        records = self._read(self.q.changes_after, seq=seq, limit=max(1, min(limit, MAX_CHANGES)))
        return [Change.model_validate_json(r["data"]).model_copy(update={"seq": r["seq"]}) for r in records]

    def last_change(self) -> int:
        return int(self._read(self.q.last_change)[0]["last"])

    def entries_turning_on(self, day: date) -> list[str]:
        return [r["entry_id"] for r in self._read(self.q.entries_turning_on, day=day)]

    def get_meta(self, name: str) -> str | None:
        records = self._read(self.q.get_meta, name=name)
        return str(records[0]["value"]) if records else None

    def set_meta(self, name: str, value: str) -> None:
        try:
            self.driver.execute_query(self.q.set_meta, name=name, value=value, database_=self.database)
        except (DriverError, Neo4jError) as exc:
            raise StoreError(f"Neo4j write failed: {exc}") from exc

    def clear(self) -> None:
        """Delete every node and relationship (tests, and imports into an empty store)."""
        with self._session() as session:
            session.run(self.q.delete_everything).consume()

    @staticmethod
    def _result(record: neo4j.Record | None) -> WriteResult:
        if record is None:
            return WriteResult()
        return WriteResult(
            created=record["created"], updated=record["updated"], unchanged=record["unchanged"]
        )

    def _upsert(
        self,
        statements: Sequence[tuple[str, list[dict[str, Any]]]],
        check: dict[str, list[str]] | None,
        logged: Callable[[list[str], datetime], Change | None] | None = None,
    ) -> WriteResult:
        """Run every (statement, rows) pair, in chunks of batch_size, as ONE transaction: a call is
        one batch, written whole or not at all, as in the embedded backend. With `logged`, the keys of
        the records that changed (the statements return them) make the change-log entry written in
        that same transaction."""
        if check is not None and (missing := self._missing(check)):
            raise MissingReferenceError(missing)

        now = _now()  # one moment for the whole batch: what it records, it records at once

        def work(tx: ManagedTransaction) -> WriteResult:
            total = WriteResult()
            changed: list[str] = []
            for query, rows in statements:
                for chunk in _chunks(rows, self.batch_size):
                    record = tx.run(query, rows=list(chunk), now=now).single()
                    total += self._result(record)
                    if logged is not None and record is not None:
                        changed += record["changed"]
            if logged is not None:
                self._log(tx, logged(changed, now))
            return total

        return self._write_tx(work)

    def _log(self, tx: ManagedTransaction, change: Change | None) -> None:
        if change is not None:
            tx.run(self.q.append_change, data=change.model_dump_json(exclude={"seq"})).consume()

    def _missing(self, refs: dict[str, list[str]]) -> list[tuple[str, str]]:
        record = self._read(
            self.q.missing_nodes,
            usccs=sorted(set(refs.get("enterprise", []))),
            person_keys=sorted(set(refs.get("person", []))),
        )[0]
        return [("enterprise", k) for k in record["enterprises"]] + [("person", k) for k in record["persons"]]

    # -- writes -----------------------------------------------------------------------------------

    def upsert_enterprises(self, rows: Sequence[Enterprise]) -> WriteResult:
        unique = _dedupe(rows, lambda e: e.uscc)
        return self._upsert([(self.q.upsert_enterprises, [_searchable(e) for e in unique])], None)

    def upsert_persons(self, rows: Sequence[Person]) -> WriteResult:
        unique = _dedupe(rows, lambda p: p.person_key)
        return self._upsert([(self.q.upsert_persons, [_searchable(p) for p in unique])], None)

    def upsert_roles(self, rows: Sequence[Role]) -> WriteResult:
        unique = _dedupe(rows, lambda r: r.role_id)
        refs: dict[str, list[str]] = {"enterprise": [], "person": []}
        by_type: dict[RoleType, list[dict[str, Any]]] = {}
        for r in unique:
            refs[r.holder_kind].append(r.holder_key)
            refs["enterprise"].append(r.enterprise)
            props = _flat(r, exclude={"type"})
            props["role_id"] = r.role_id
            by_type.setdefault(r.type, []).append(props)
        statements = [(self.q.for_role_type("upsert_roles", t), rows) for t, rows in by_type.items()]
        by_id = {r.role_id: r for r in unique}
        return self._upsert(statements, refs, lambda ids, now: roles_change((by_id[i] for i in ids), now))

    def upsert_entries(self, rows: Sequence[ListEntry]) -> WriteResult:
        unique = _dedupe(rows, lambda e: e.entry_id)
        refs: dict[str, list[str]] = {"enterprise": [], "person": []}
        payload = []
        for e in unique:
            refs[e.subject_kind].append(e.subject_key)
            refs["person"] += [n.person_key for n in e.named_responsible]
            payload.append(self._entry_payload(e))
        return self._upsert([(self.q.upsert_entries, payload)], refs, entries_change)

    def _entry_payload(self, e: ListEntry) -> dict[str, Any]:
        named = [
            {"person_key": n.person_key, "name": n.name, "role": n.role, "ordinal": i}
            for i, n in enumerate(e.named_responsible)
        ]
        props = _flat(e, exclude={"named_responsible", "history", "recorded_at"})
        props.update(entry_history_properties(e))
        return {"props": props, "named": named, "recorded_at": e.recorded_at}

    def apply_event(self, entry: ListEntry, event: EntryEvent, expected_status: EntryStatus | None) -> None:
        refs: dict[str, list[str]] = {
            "enterprise": [],
            "person": [n.person_key for n in entry.named_responsible],
        }
        refs[entry.subject_kind].append(entry.subject_key)
        if missing := self._missing(refs):
            raise MissingReferenceError(missing)

        def work(tx: ManagedTransaction) -> WriteResult:
            record = tx.run(self.q.lock_entry, entry_id=entry.entry_id).single()
            status = record["status"] if record is not None else None
            if expected_status is None and status is not None:
                raise ConflictError(f"entry {entry.entry_id} exists already")
            if expected_status is not None and status != expected_status:
                found = "no such entry" if status is None else f"its status is {status}"
                raise ConflictError(f"entry {entry.entry_id} was expected {expected_status}, but {found}")
            payload = self._entry_payload(entry)
            at = event.recorded_at or _now()
            result = self._result(tx.run(self.q.upsert_entries, rows=[payload], now=at).single())
            tx.run(self.q.append_event, entry_id=entry.entry_id, event=_flat_plain(event)).consume()
            self._log(tx, Change(at=at, kind="event", entry_ids=(entry.entry_id,), event=event.event))
            return result

        self._write_tx(work)

    def events_of_entry(self, entry_id: str) -> list[EntryEvent]:
        records = self._read(self.q.events_of_entry, entry_id=entry_id)
        return [EntryEvent.model_validate(_from_props(r["props"], drop=("seq",))) for r in records]

    def append_feedback(self, feedback: Feedback) -> None:
        def work(tx: ManagedTransaction) -> WriteResult:
            record = tx.run(
                self.q.append_feedback, entry_id=feedback.entry_id, feedback=_flat_plain(feedback)
            ).single()
            if record is None or record["written"] == 0:
                raise MissingReferenceError([("entry", feedback.entry_id)])
            return WriteResult(created=1)

        self._write_tx(work)

    def feedback(self, entry_id: str | None = None) -> list[Feedback]:
        records = self._read(self.q.feedback, entry_id=entry_id)
        return [Feedback.model_validate(_from_props(r["props"], drop=("seq",))) for r in records]

    # -- reads ------------------------------------------------------------------------------------

    def get_enterprise(self, uscc: str) -> Enterprise | None:
        records = self._read(self.q.get_enterprise, uscc=uscc)
        return Enterprise.model_validate(_from_props(records[0]["props"])) if records else None

    def get_person(self, person_key: str) -> Person | None:
        records = self._read(self.q.get_person, person_key=person_key)
        return Person.model_validate(_from_props(records[0]["props"])) if records else None

    def get_enterprises(self, usccs: Collection[str]) -> dict[str, Enterprise]:
        if not usccs:  # no round trip for nothing
            return {}
        records = self._read(self.q.get_enterprises, usccs=sorted(set(usccs)))
        found = (Enterprise.model_validate(_from_props(r["props"])) for r in records)
        return {e.uscc: e for e in found}

    def find_enterprises(
        self,
        *,
        org_codes: Collection[str] = (),
        registration_numbers: Collection[str] = (),
        registry_ids: Collection[str] = (),
    ) -> dict[str, list[Enterprise]]:
        codes = lookup_codes(org_codes, registration_numbers, registry_ids)
        if codes.empty():
            return {}
        records = self._read(self.q.find_enterprises, **codes.model_dump())
        return found_by_code((r["code"], Enterprise.model_validate(_from_props(r["props"]))) for r in records)

    def get_persons(self, person_keys: Collection[str]) -> dict[str, Person]:
        if not person_keys:
            return {}
        records = self._read(self.q.get_persons, person_keys=sorted(set(person_keys)))
        found = (Person.model_validate(_from_props(r["props"])) for r in records)
        return {p.person_key: p for p in found}

    def get_entries(self, entry_ids: Collection[str]) -> dict[str, ListEntry]:
        if not entry_ids:
            return {}
        records = self._read(self.q.get_entries, entry_ids=sorted(set(entry_ids)))
        found = (self._entry(r["props"], r["named"]) for r in records)
        return {e.entry_id: e for e in found}

    @staticmethod
    def _reach_rows(records: list[neo4j.Record]) -> list[ReachRow]:
        return sort_reach([ReachRow.model_validate(_from_props(dict(r), drop=())) for r in records])

    @staticmethod
    def _covers_by(covers: Sequence[Cover], with_role: bool) -> dict[str, list[dict[str, Any]]]:
        return _grouped_covers(tuple(covers), with_role)

    def reach(
        self,
        covers: Sequence[Cover],
        as_of: date,
        entry_ids: Collection[str] | None = None,
        known_at: datetime | None = None,
    ) -> list[ReachRow]:
        ids = None if entry_ids is None else sorted(set(entry_ids))
        records = self._read(
            self.q.reach,
            covers_by_type=self._covers_by(covers, with_role=False),
            as_of=as_of,
            entry_ids=ids,
            known_at=known_at,
        )
        rows = self._reach_rows(records)
        if known_at is None or entry_ids is not None:
            return rows
        # As known at a past moment the stored periods do not apply: the statement selected every black
        # entry recorded by then and listed by the day, and the domain judges each as then known.
        entries = self.get_entries({r.entry_id for r in rows})
        counting = {
            i
            for i, e in entries.items()
            if (k := as_known(e, known_at)) is not None and in_force_on(k, as_of)
        }
        return [r for r in rows if r.entry_id in counting]

    def reaching_many(
        self,
        subjects: Sequence[tuple[Literal["person", "enterprise"], str]],
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None = None,
    ) -> list[ReachRow]:
        if not subjects:
            return []
        asked = [{"kind": kind, "key": key} for kind, key in dict.fromkeys(subjects)]
        records = self._read(
            self.q.reaching_many,
            subjects=asked,
            covers_by_key=self._covers_by(covers, with_role=True),
            as_of=as_of,
            known_at=known_at,
        )
        return self._reach_rows(records)

    # -- one statement per question: the facts the engine decides from ------------------------------

    def _facts(self, record: neo4j.Record) -> ReachFacts:
        entries = {e.entry_id: e for e in (self._entry(x["props"], x["named"]) for x in record["entries"])}
        persons: dict[str, Person] = {}
        enterprises: dict[str, Enterprise] = {}
        for subject in record["subjects"]:
            if subject["kind"] == "person":
                person = Person.model_validate(_from_props(subject["props"]))
                persons[person.person_key] = person
            else:
                enterprise = Enterprise.model_validate(_from_props(subject["props"]))
                enterprises[enterprise.uscc] = enterprise
        rows = sort_reach([ReachRow.model_validate(_from_props(r, drop=())) for r in record["rows"]])
        return ReachFacts(rows=rows, entries=entries, persons=persons, enterprises=enterprises)

    def _subject_facts(
        self,
        subjects: Sequence[tuple[Literal["person", "enterprise"], str]],
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None,
        near_hops: int,
        near_limit: int,
        classes: Collection[str] | None,
        record: bool,
    ) -> tuple[CheckFacts, neo4j.Record]:
        if near_hops > 0:
            check_neighbourhood_args(near_hops, near_limit)
        found = self._read(
            # The bound is on role edges, one fewer than the hops (the entry's own edge is the last).
            self.q.for_hops("check_facts", max(near_hops - 1, 0)),
            subjects=[{"kind": kind, "key": key} for kind, key in dict.fromkeys(subjects)],
            covers_by_key=self._covers_by(covers, with_role=True),
            as_of=as_of,
            known_at=known_at,
            near=near_hops > 0,
            near_limit=near_limit,
            classes=None if classes is None else sorted(classes),
            record=record,
        )[0]
        facts = self._facts(found)
        nearby = []
        if near_hops > 0:
            walked = {(w["kind"], w["key"]): w["near"] for w in found["walks"]}
            for kind, key in dict.fromkeys(subjects):
                near = walked.get((kind, key))  # absent: the subject is unknown
                entries = None if near is None else [NearEntry(**n) for n in near]
                nearby.append(Nearby(kind=kind, key=key, entries=entries))
        return CheckFacts(**dict(facts), nearby=nearby), found

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
        if not subjects:
            return CheckFacts(rows=[], entries={}, persons={}, enterprises={})
        facts, _ = self._subject_facts(
            subjects, covers, as_of, known_at, near_hops, near_limit, classes, record=False
        )
        return facts

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
        facts, found = self._subject_facts(
            [(kind, key)], covers, as_of, known_at, near_hops, near_limit, classes, record=True
        )
        links = [
            EntryLink(
                entry=facts.entries[link["entry_id"]],
                relation="subject" if link["relation"] == "NAMES" else "named_responsible",
                role=link["role"],
            )
            for walk in found["walks"]
            for link in walk["links"]
        ]
        ids = {r.entry_id for r in facts.rows} | {link.entry.entry_id for link in links}
        events = {
            x["props"]["entry_id"]: [
                EntryEvent.model_validate(_from_props(e, drop=("seq",))) for e in x["events"]
            ]
            for x in found["entries"]
            if x["props"]["entry_id"] in ids
        }
        return RecordFacts(**dict(facts), links=sort_entry_links(links), events=events)

    def affected_facts(
        self,
        entry_ids: Collection[str],
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None = None,
    ) -> ReachFacts:
        found = self._read(
            self.q.affected_facts,
            entry_ids=sorted(set(entry_ids)),
            covers_by_type=self._covers_by(covers, with_role=False),
            as_of=as_of,
            known_at=known_at,
        )[0]
        return self._facts(found)

    def search_names(
        self, text: str, kinds: Collection[Literal["enterprise", "person"]], limit: int, offset: int
    ) -> tuple[int, list[SearchHit]]:
        records = self._read(
            self.q.search_names,
            needle=search_form(text),
            kinds=sorted(set(kinds)),
            limit=limit,
            offset=offset,
        )
        if not records:
            return 0, []
        record = records[0]
        return record["total"], [SearchHit(**hit) for hit in record["hits"]]

    def persons_named(self, name: str) -> list[Person]:
        records = self._read(self.q.persons_named, name=name)
        return sorted(
            (Person.model_validate(_from_props(r["props"])) for r in records), key=lambda p: p.person_key
        )

    def entries_of_list(self, list_type: str, source: str | None = None) -> list[ListEntry]:
        records = self._read(self.q.entries_of_list, list_type=list_type, source=source)
        return sorted((self._entry(r["props"], r["named"]) for r in records), key=lambda e: e.entry_id)

    @staticmethod
    def _entry(props: dict[str, Any], named: list[dict[str, Any] | None]) -> ListEntry:
        fields = _from_props(props)
        fields["named_responsible"] = tuple(n for n in named if n is not None)
        if "history" in fields:
            fields["history"] = json.loads(fields["history"])
        return ListEntry.model_validate(fields)

    def get_entry(self, entry_id: str) -> ListEntry | None:
        records = self._read(self.q.get_entry, entry_id=entry_id)
        return self._entry(records[0]["props"], records[0]["named"]) if records else None

    @staticmethod
    def _role(record: neo4j.Record) -> Role:
        fields = _from_props(record["props"], drop=("fingerprint", "role_id"))
        fields.update(
            type=record["type"],
            holder_kind=record["holder_kind"],
            holder_key=record["holder_key"],
            enterprise=record["enterprise"],
        )
        return Role.model_validate(fields)

    @staticmethod
    def _type_names(types: Collection[RoleType] | None) -> list[str] | None:
        return None if types is None else sorted(t.value for t in types)

    def roles_of_enterprise(
        self, uscc: str, types: Collection[RoleType] | None = None, as_of: date | None = None
    ) -> list[Role]:
        records = self._read(
            self.q.roles_of_enterprise, uscc=uscc, types=self._type_names(types), as_of=as_of
        )
        return sort_roles([self._role(r) for r in records])

    def roles_of_enterprises(
        self, usccs: Collection[str], types: Collection[RoleType] | None = None
    ) -> dict[str, list[Role]]:
        wanted = list(dict.fromkeys(usccs))
        found: dict[str, list[Role]] = {u: [] for u in wanted}
        for chunk in _chunks(wanted, self.batch_size):
            records = self._read(
                self.q.roles_of_enterprises, usccs=list(chunk), types=self._type_names(types)
            )
            for r in records:
                found[r["enterprise"]].append(self._role(r))
        return {u: sort_roles(roles) for u, roles in found.items()}

    def roles_of_holder(
        self,
        holder_kind: Literal["person", "enterprise"],
        holder_key: str,
        types: Collection[RoleType] | None = None,
        as_of: date | None = None,
    ) -> list[Role]:
        records = self._read(
            self.q.roles_of_holder,
            kind=holder_kind,
            key=holder_key,
            types=self._type_names(types),
            as_of=as_of,
        )
        return sort_roles([self._role(r) for r in records])

    def entries_of_subject(self, kind: Literal["person", "enterprise"], key: str) -> list[EntryLink]:
        records = self._read(self.q.entries_of_subject, kind=kind, key=key)
        links = [
            EntryLink(
                entry=self._entry(r["props"], r["named"]),
                relation="subject" if r["relation"] == "NAMES" else "named_responsible",
                role=r["role"],
            )
            for r in records
        ]
        return sort_entry_links(links)

    def neighbourhood(
        self,
        kind: NodeKind,
        key: str,
        hops: int = 1,
        limit: int = 50,
        as_of: date | None = None,
        classes: Collection[str] | None = None,
    ) -> Neighbourhood | None:
        check_neighbourhood_args(hops, limit)
        records = self._read(
            self.q.for_hops("neighbourhood", hops),
            kind=kind,
            key=key,
            limit=limit,
            as_of=as_of,
            classes=None if classes is None else sorted(classes),
        )
        record = records[0] if records else None
        if record is None or record["total"] == 0:  # the start node is always reached when it exists
            return None
        nodes = [GraphNode(**n) for n in record["nodes"]]
        edges = [self._graph_edge(e) for e in record["edges"]]
        hood = cap_neighbourhood(nodes, edges, limit)
        return hood.model_copy(update={"more": record["total"] - len(hood.nodes)})

    @staticmethod
    def _graph_edge(e: dict[str, Any]) -> GraphEdge:
        props = _from_props(e["props"])
        if e["type"] in ("NAMES", "NAMED_RESPONSIBLE"):
            is_names = e["type"] == "NAMES"
            return GraphEdge(
                id=names_edge_id(e["source"])
                if is_names
                else named_responsible_edge_id(e["source"], e["target"]),
                type=e["type"],
                source_kind="entry",
                source=e["source"],
                target_kind=e["target_kind"],
                target=e["target"],
                position=None if is_names else props.get("role"),
            )
        return GraphEdge(
            id=props["role_id"],
            type=e["type"],
            source_kind=e["source_kind"],
            source=e["source"],
            target_kind="enterprise",
            target=e["target"],
            valid_from=props.get("valid_from"),
            valid_to=props.get("valid_to"),
            position=props.get("position"),
            ratio=props.get("ratio"),
        )

    def counts(self) -> dict[str, int]:
        record = self._read(self.q.counts)[0]
        counts = empty_counts()
        counts.update(enterprises=record["enterprises"], persons=record["persons"], entries=record["entries"])
        for role in RoleType:
            counts[role.value] = record[role.value.lower()]
        counts["roles"] = sum(counts[role.value] for role in RoleType)
        return counts

    def close(self) -> None:
        self.driver.close()

    def ownership(
        self,
        kind: Literal["person", "enterprise"],
        key: str,
        direction: OwnershipDirection,
        max_depth: int,
        as_of: date | None = None,
    ) -> list[Role]:
        check_ownership_args(direction, max_depth)
        query = self.q.ownership_up if direction == "up" else self.q.ownership_down
        records = self._read(query, kind=kind, key=key, max_depth=max_depth, as_of=as_of)
        return sort_roles([self._role(r) for r in records])
