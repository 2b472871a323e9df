"""The store contract: everything the API, CLI and domain code may ask of a graph backend.

Every backend answers every method identically (the conformance suite in tests/ checks this), so
orderings are part of the contract and are spelled out on each method.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from graph_service.identifiers import normalize_enterprise_code, normalize_name
from graph_service.model import (
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

RecordKind = Literal["enterprises", "persons", "roles", "entries", "events", "feedback"]
EdgeType = Literal[
    "LEGAL_REPRESENTATIVE_OF",
    "PRINCIPAL_OF",
    "ACTUAL_CONTROLLER_OF",
    "DIRECTOR_OF",
    "SUPERVISOR_OF",
    "SENIOR_MANAGER_OF",
    "SHAREHOLDER_OF",
    "PRACTITIONER_AT",
    "BRANCH_OF",
    "NAMES",
    "NAMED_RESPONSIBLE",
]
KIND_ORDER: dict[str, int] = {"enterprise": 0, "person": 1, "entry": 2}
MAX_HOPS = 3  # neighbourhoods beyond three hops are the whole county; ask an analysis instead
MAX_LIMIT = 5000


class StoreError(Exception):
    """The store could not do what was asked; the message says why."""


class MissingReferenceError(StoreError):
    """A batch refers to nodes the store does not hold; nothing of the batch was written."""

    def __init__(self, missing: Sequence[tuple[str, str]]) -> None:
        self.missing = sorted(set(missing))
        shown = ", ".join(f"{kind} {key}" for kind, key in self.missing[:5])
        more = f" and {len(self.missing) - 5} more" if len(self.missing) > 5 else ""
        super().__init__(f"unknown {shown}{more}: load them before what refers to them")


class ConflictError(StoreError):
    """The record changed since it was read (or exists already); nothing was written."""


class WriteResult(BaseModel):
    """What a batch upsert did. A record equal to the stored one (ignoring loaded_at) is unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: WriteResult) -> WriteResult:
        return WriteResult(
            created=self.created + other.created,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
        )

    @property
    def changed(self) -> int:
        return self.created + self.updated


class GraphNode(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: NodeKind
    key: str
    label: str  # name, or decision number for an entry
    distance: int


class GraphEdge(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str  # role_id for roles; derived from the entry for NAMES and NAMED_RESPONSIBLE
    type: EdgeType
    source_kind: NodeKind
    source: str
    target_kind: NodeKind
    target: str
    valid_from: date | None = None
    valid_to: date | None = None
    position: str | None = None  # a role's position, or the role a decision names a person in
    ratio: float | None = None


class Neighbourhood(BaseModel):
    """Nodes within `hops` of a start node, nearest first, capped; `more` counts those left out."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    more: int


class Cover(BaseModel):
    """One rule of reach, passed to the store as data: entries of `list_type` reach the holders of `role`
    (only in `position`, when given) on the reference day."""

    model_config = ConfigDict(frozen=True)

    list_type: str
    role: RoleType
    position: str | None = None
    reference: Literal["conduct_date", "listing_date", "current"]
    min_ratio: float | None = None  # shareholders: only holders of at least this share


def cover_admits(cover: Cover, role: Role) -> bool:
    """Whether a role of the cover's type is one the cover reaches (its position and share)."""
    return (cover.position is None or role.position == cover.position) and (
        cover.min_ratio is None or (role.ratio is not None and role.ratio >= cover.min_ratio)
    )


class ReachRow(BaseModel):
    """One subject an entry reaches, and how: as its listed subject, as a person the decision names, or
    as the holder of a covered role in the listed enterprise on the reference day (the path
    entry -NAMES-> listed enterprise <-role- holder, with that role's dates)."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    reached_kind: Literal["person", "enterprise"]
    reached_key: str
    via: Literal["subject", "named_responsible", "role"]
    role: str | None = None  # RoleType value for via=role; the decision's wording for named_responsible
    position: str | None = None
    role_id: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    reference: Literal["conduct_date", "listing_date", "current"] | None = None
    reference_date: date | None = None


def sort_reach(rows: Sequence[ReachRow]) -> list[ReachRow]:
    return sorted(
        set(rows),
        key=lambda r: (r.entry_id, r.reached_kind, r.reached_key, r.via, r.role or "", r.role_id or "",
                       r.reference or ""),
    )  # fmt: skip


def reference_day(entry: ListEntry, reference: str, as_of: date) -> date:
    """The day a covered role must have held on: the conduct date (the listing date when the decision
    gives none), the listing date, or the day asked about."""
    if reference == "conduct_date":
        return entry.conduct_date or entry.listed_on
    if reference == "listing_date":
        return entry.listed_on
    return as_of


class SearchHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["enterprise", "person"]
    key: str
    name: str


def search_form(text: str) -> str:
    """Names are compared in one form: full-width to half-width, brackets alike, no blanks, lower case."""
    return normalize_name(text).replace(" ", "").lower()


class EntryLink(BaseModel):
    """An entry and how it names a subject: as the listed subject or as a named responsible person."""

    entry: ListEntry
    relation: Literal["subject", "named_responsible"]
    role: str | None = None


class CodeLookup(BaseModel):
    """The codes of one find_enterprises call in the form they are compared in: deduplicated and sorted."""

    model_config = ConfigDict(frozen=True)

    org_codes: list[str]
    registration_numbers: list[str]
    registry_ids: list[str]

    def empty(self) -> bool:
        return not (self.org_codes or self.registration_numbers or self.registry_ids)


def lookup_codes(
    org_codes: Collection[str], registration_numbers: Collection[str], registry_ids: Collection[str]
) -> CodeLookup:
    """Codes as find_enterprises compares them: organisation codes and registration numbers as enterprise
    codes are normalised (half width, upper case, no blanks or hyphens: MAJXU7DA-9 is MAJXU7DA9), registry
    ids without surrounding blanks, as Enterprise keeps them. A code that is nothing after that is left
    out. They are not validated: a code no stored record has simply matches nothing."""

    def cleaned(codes: Collection[str], clean: Callable[[str], str]) -> list[str]:
        if isinstance(codes, str):
            raise TypeError("find_enterprises: give a collection of codes, not one string")
        return sorted({c for c in map(clean, codes) if c})

    return CodeLookup(
        org_codes=cleaned(org_codes, normalize_enterprise_code),
        registration_numbers=cleaned(registration_numbers, normalize_enterprise_code),
        registry_ids=cleaned(registry_ids, str.strip),
    )


def found_by_code(matches: Iterable[tuple[str, Enterprise]]) -> dict[str, list[Enterprise]]:
    """(code, enterprise) matches as find_enterprises returns them: each code's enterprises once, by uscc."""
    found: dict[str, dict[str, Enterprise]] = {}
    for code, enterprise in matches:
        found.setdefault(code, {})[enterprise.uscc] = enterprise
    return {code: [held[k] for k in sorted(held)] for code, held in sorted(found.items())}


def names_edge_id(entry_id: str) -> str:
    return f"N{entry_id}"


def named_responsible_edge_id(entry_id: str, person_key: str) -> str:
    return f"D{entry_id}:{person_key}"


def sort_roles(roles: Sequence[Role]) -> list[Role]:
    """The contract's order for role lists."""
    return sorted(
        roles,
        key=lambda r: (r.type.value, r.valid_from or date.min, r.holder_key, r.enterprise, r.role_id),
    )


def sort_entry_links(links: Sequence[EntryLink]) -> list[EntryLink]:
    return sorted(links, key=lambda link: (link.entry.listed_on, link.entry.entry_id, link.relation))


def check_neighbourhood_args(hops: int, limit: int) -> None:
    if not 0 <= hops <= MAX_HOPS:
        raise ValueError(f"hops: must be between 0 and {MAX_HOPS}")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: must be between 1 and {MAX_LIMIT}")


def cap_neighbourhood(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], limit: int) -> Neighbourhood:
    """Keep the `limit` nearest nodes (ties by kind, then key) and the edges among them."""
    ordered = sorted(nodes, key=lambda n: (n.distance, KIND_ORDER[n.kind], n.key))
    kept = ordered[:limit]
    keys = {(n.kind, n.key) for n in kept}
    kept_edges = sorted(
        (e for e in edges if (e.source_kind, e.source) in keys and (e.target_kind, e.target) in keys),
        key=lambda e: (e.type, e.source, e.target, e.id),
    )
    return Neighbourhood(nodes=kept, edges=kept_edges, more=len(ordered) - len(kept))


class RoleChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    role_id: str
    holder_kind: Literal["person", "enterprise"]
    holder_key: str


class Change(BaseModel):
    """One acknowledged write that may alter someone's standing, kept by the store in the same
    transaction as the write itself: the outbox notifications are made from (graph_service/notify).

    `at` is the moment the write stamped its records with (recorded_at, a role's end_recorded_at, the
    event's recorded_at), so the store as known just before and at that moment is the store before and
    after the change. Only records that changed are named; a batch that changed nothing leaves none."""

    model_config = ConfigDict(frozen=True)

    seq: int = 0  # the log's order, from 1; given by the store
    at: datetime
    kind: Literal["entries", "event", "roles"]
    entry_ids: tuple[str, ...] = ()
    event: str | None = None  # kind event: the life-cycle event's name
    roles: tuple[RoleChange, ...] = ()


def entries_change(entry_ids: Iterable[str], at: datetime) -> Change | None:
    ids = tuple(sorted(set(entry_ids)))
    return Change(at=at, kind="entries", entry_ids=ids) if ids else None


def roles_change(roles: Iterable[Role], at: datetime) -> Change | None:
    found = {r.role_id: RoleChange(role_id=r.role_id, holder_kind=r.holder_kind, holder_key=r.holder_key)
             for r in roles}  # fmt: skip
    return Change(at=at, kind="roles", roles=tuple(found[k] for k in sorted(found))) if found else None


MAX_CHANGES = 10_000  # changes_after's page


class NearEntry(BaseModel):
    """A black entry near a subject: `distance` edges away, the last the entry's own (NAMES or
    NAMED_RESPONSIBLE), the others role edges holding on the day (domain.associated's paths)."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    distance: int


class Nearby(BaseModel):
    """The black entries within `hops` of one subject by such paths, each at its least distance, the
    `limit` nearest (ties by entry_id), nearest first; None when the subject is unknown. The entries
    themselves are in the facts' `entries`."""

    kind: Literal["person", "enterprise"]
    key: str
    entries: list[NearEntry] | None


class ReachFacts(BaseModel):
    """Who is reached by which entry, by which role held on which dates (the rows, in sort_reach order),
    with the entries the rows name, as stored (the caller judges them as known at a moment), and the
    persons and enterprises that name the reached and the entries' listed subjects. Native facts only:
    nothing in them says who is restricted."""

    rows: list[ReachRow]
    entries: dict[str, ListEntry]
    persons: dict[str, Person]
    enterprises: dict[str, Enterprise]


class CheckFacts(ReachFacts):
    """ReachFacts for the subjects of a check, plus, when asked, each subject's neighbourhood (with the
    black entries in it added to `entries`)."""

    nearby: list[Nearby] = []


class RecordFacts(CheckFacts):
    """CheckFacts for one subject, plus the entries that list it or name it (entries_of_subject) and the
    events (events_of_entry) of every entry the rows or links name."""

    links: list[EntryLink]
    events: dict[str, list[EntryEvent]]


class GraphStore(abc.ABC):
    """One graph of enterprises, persons, roles and list entries."""

    backend_name: str = "abstract"

    # -- writes: each call is one batch, durable when it returns ------------------------------------

    @abc.abstractmethod
    def upsert_enterprises(self, rows: Sequence[Enterprise]) -> WriteResult:
        """Create or replace enterprises by uscc."""

    @abc.abstractmethod
    def upsert_persons(self, rows: Sequence[Person]) -> WriteResult:
        """Create or replace persons by person_key."""

    @abc.abstractmethod
    def upsert_roles(self, rows: Sequence[Role]) -> WriteResult:
        """Create or replace role edges by role_id; MissingReferenceError if an end is unknown."""

    @abc.abstractmethod
    def upsert_entries(self, rows: Sequence[ListEntry]) -> WriteResult:
        """Create or replace list entries by entry_id with their NAMES and NAMED_RESPONSIBLE edges;
        MissingReferenceError if the subject or a named person is unknown."""

    @abc.abstractmethod
    def apply_event(self, entry: ListEntry, event: EntryEvent, expected_status: EntryStatus | None) -> None:
        """Write the entry as the event leaves it and append the event, in one transaction. With
        expected_status None the entry must be new; otherwise the stored one must have that status.
        ConflictError if not, MissingReferenceError if its subject or a named person is unknown."""

    @abc.abstractmethod
    def events_of_entry(self, entry_id: str) -> list[EntryEvent]:
        """An entry's life, in the order the events were recorded."""

    @abc.abstractmethod
    def append_feedback(self, feedback: Feedback) -> None:
        """Record a department's feedback; MissingReferenceError if the entry is unknown."""

    @abc.abstractmethod
    def feedback(self, entry_id: str | None = None) -> list[Feedback]:
        """Feedback on one entry, or on all, ordered by entry then in the order recorded."""

    # -- reads ------------------------------------------------------------------------------------

    @abc.abstractmethod
    def get_enterprise(self, uscc: str) -> Enterprise | None:
        """The enterprise with this uscc, or None."""

    @abc.abstractmethod
    def get_person(self, person_key: str) -> Person | None:
        """The person with this key, or None."""

    @abc.abstractmethod
    def get_enterprises(self, usccs: Collection[str]) -> dict[str, Enterprise]:
        """The enterprises among these codes, by uscc (unknown codes absent), in one call."""

    @abc.abstractmethod
    def get_persons(self, person_keys: Collection[str]) -> dict[str, Person]:
        """The persons among these keys, by key (unknown keys absent), in one call."""

    @abc.abstractmethod
    def find_enterprises(
        self,
        *,
        org_codes: Collection[str] = (),
        registration_numbers: Collection[str] = (),
        registry_ids: Collection[str] = (),
    ) -> dict[str, list[Enterprise]]:
        """The stored enterprises each code identifies, for sources that name an organisation by an older
        or another code than its USCC: an organisation code (GB 11714) matches the enterprises whose
        USCC embeds it (positions 9-17, Enterprise.org_code), a registration number their
        registration_number, a registry id their registry_id. Codes are compared in lookup_codes' form,
        which is also the key they are returned under; a code matching nothing is absent, one matching
        several has them all, by uscc: the caller decides, the store does not guess. A code given as two
        kinds has the matches of both. Up to 10,000 codes per call in one or a few queries."""

    @abc.abstractmethod
    def get_entry(self, entry_id: str) -> ListEntry | None:
        """The list entry with this id, or None."""

    @abc.abstractmethod
    def search_names(
        self, text: str, kinds: Collection[Literal["enterprise", "person"]], limit: int, offset: int
    ) -> tuple[int, list[SearchHit]]:
        """Enterprises and persons whose name contains the text (both in search_form): the total and one
        page, ordered by name length, name, key (shortest, i.e. closest, first)."""

    @abc.abstractmethod
    def persons_named(self, name: str) -> list[Person]:
        """Persons with exactly this (normalised) name, by person_key: for matching people that a
        source names without a full ID number."""

    @abc.abstractmethod
    def entries_of_list(self, list_type: str, source: str | None = None) -> list[ListEntry]:
        """Entries of one list type (and, when given, from one source), by entry_id: for comparing a
        list's new snapshot with what is held."""

    @abc.abstractmethod
    def roles_of_enterprise(
        self, uscc: str, types: Collection[RoleType] | None = None, as_of: date | None = None
    ) -> list[Role]:
        """Roles held in this enterprise (its people, owners, branches), in sort_roles order."""

    def roles_of_enterprises(
        self, usccs: Collection[str], types: Collection[RoleType] | None = None
    ) -> dict[str, list[Role]]:
        """roles_of_enterprise of each of these enterprises, by USCC (every one present, [] for one
        holding none): what a loader compares a batch with. A backend where each read is a round trip
        answers it in one."""
        return {uscc: self.roles_of_enterprise(uscc, types) for uscc in dict.fromkeys(usccs)}

    @abc.abstractmethod
    def roles_of_holder(
        self,
        holder_kind: Literal["person", "enterprise"],
        holder_key: str,
        types: Collection[RoleType] | None = None,
        as_of: date | None = None,
    ) -> list[Role]:
        """Roles this person or organisation holds in others, in sort_roles order."""

    @abc.abstractmethod
    def entries_of_subject(self, kind: Literal["person", "enterprise"], key: str) -> list[EntryLink]:
        """Entries that list this subject or name it as responsible, in sort_entry_links order."""

    @abc.abstractmethod
    def get_entries(self, entry_ids: Collection[str]) -> dict[str, ListEntry]:
        """The entries among these ids, by id (unknown ids absent), in one call."""

    @abc.abstractmethod
    def reach(
        self,
        covers: Sequence[Cover],
        as_of: date,
        entry_ids: Collection[str] | None = None,
        known_at: datetime | None = None,
    ) -> list[ReachRow]:
        """Everyone these entries reach under these rules (nothing spreads further than a Cover says):
        of the given entries whatever their status, or else of every black entry in force on `as_of`
        (domain.in_force_on). With `known_at`, as the store held things at that moment: entries and
        roles recorded by then, role ends learnt by then (domain.as_known, domain.recorded), and "in
        force" judged on the entries as then known. In sort_reach order, no round trip per entry or hop."""

    def reaching(
        self,
        kind: Literal["person", "enterprise"],
        key: str,
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None = None,
    ) -> list[ReachRow]:
        """The entries of any kind and status that reach this subject under these rules, as ReachRows
        with the subject as reached, in sort_reach order, in one call; `known_at` as for reach."""
        return self.reaching_many([(kind, key)], covers, as_of, known_at)

    @abc.abstractmethod
    def reaching_many(
        self,
        subjects: Sequence[tuple[Literal["person", "enterprise"], str]],
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None = None,
    ) -> list[ReachRow]:
        """`reaching` for many subjects in one call (batch checks), in sort_reach order."""

    @abc.abstractmethod
    def neighbourhood(
        self,
        kind: NodeKind,
        key: str,
        hops: int = 1,
        limit: int = 50,
        as_of: date | None = None,
        classes: Collection[str] | None = None,
    ) -> Neighbourhood | None:
        """Nodes within `hops` of the start over role, NAMES and NAMED_RESPONSIBLE edges (either
        direction; roles only where they hold on `as_of` when given), capped as cap_neighbourhood
        says. With `classes`, list entries of other disclosure classes are not walked through, shown
        or counted: they are not there for this caller. None when the start node is unknown;
        ValueError for hops or limit out of range (check_neighbourhood_args)."""

    # -- one call per question: the facts the engine decides from ---------------------------------
    # Backends whose every call is a round trip answer each in one statement; these defaults compose
    # them from the methods above, so every backend gives the same facts.

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
        """What a check of these subjects is decided from: `reaching_many`'s rows and their entries, the
        subjects named; with `near_hops` > 0 also what is `Nearby` each subject within that many hops
        (at most `near_limit` entries; with `classes`, only entries of those disclosure classes), in one
        call. ValueError for hops or limit out of range (check_neighbourhood_args)."""
        rows = self.reaching_many(subjects, covers, as_of, known_at)
        entries = self.get_entries({r.entry_id for r in rows})
        nearby: list[Nearby] = []
        if near_hops > 0:
            check_neighbourhood_args(near_hops, near_limit)
            for kind, key in dict.fromkeys(subjects):
                near, found = self._near_entries(kind, key, near_hops, near_limit, as_of, classes)
                nearby.append(Nearby(kind=kind, key=key, entries=near))
                entries |= found
        persons, enterprises = self._subjects_named([*subjects, *_listed(entries.values())])
        return CheckFacts(rows=rows, entries=entries, persons=persons, enterprises=enterprises, nearby=nearby)

    def affected_facts(
        self,
        entry_ids: Collection[str],
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None = None,
    ) -> ReachFacts:
        """What "who must also be restricted" is decided from: `reach` of these entries, the entries,
        and the reached and listed subjects named, in one call."""
        rows = self.reach(covers, as_of, entry_ids, known_at)
        entries = self.get_entries({r.entry_id for r in rows})
        reached = [(r.reached_kind, r.reached_key) for r in rows]
        persons, enterprises = self._subjects_named([*reached, *_listed(entries.values())])
        return ReachFacts(rows=rows, entries=entries, persons=persons, enterprises=enterprises)

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
        """What a credit record is made of: `check_facts` for the subject, its `entries_of_subject`, and
        the events of every entry these name, in one call."""
        facts = self.check_facts([(kind, key)], covers, as_of, known_at, near_hops, near_limit, classes)
        links = self.entries_of_subject(kind, key)
        ids = sorted({r.entry_id for r in facts.rows} | {link.entry.entry_id for link in links})
        events = {i: self.events_of_entry(i) for i in ids}
        entries = facts.entries | {link.entry.entry_id: link.entry for link in links}
        persons, enterprises = self._subjects_named(_listed(link.entry for link in links))
        return RecordFacts(
            rows=facts.rows,
            nearby=facts.nearby,
            entries=entries,
            persons=facts.persons | persons,
            enterprises=facts.enterprises | enterprises,
            links=links,
            events=events,
        )

    def _near_entries(
        self,
        kind: Literal["person", "enterprise"],
        key: str,
        hops: int,
        limit: int,
        as_of: date,
        classes: Collection[str] | None,
    ) -> tuple[list[NearEntry] | None, dict[str, ListEntry]]:
        """Nearby's entries by walking the roles one node at a time: breadth first over role edges
        holding on the day, `hops - 1` of them, then the entries naming each node reached."""
        known = self.get_person(key) if kind == "person" else self.get_enterprise(key)
        if known is None:
            return None, {}
        Node = tuple[Literal["person", "enterprise"], str]
        distance: dict[Node, int] = {(kind, key): 0}
        frontier: list[Node] = [(kind, key)]
        for depth in range(hops - 1):
            following: list[Node] = []
            for node_kind, node_key in frontier:
                ends: list[Node] = [
                    ("enterprise", r.enterprise)
                    for r in self.roles_of_holder(node_kind, node_key, None, as_of)
                ]
                if node_kind == "enterprise":
                    ends += [
                        (r.holder_kind, r.holder_key) for r in self.roles_of_enterprise(node_key, None, as_of)
                    ]
                for end in ends:
                    if end not in distance:
                        distance[end] = depth + 1
                        following.append(end)
            frontier = following
        best: dict[str, int] = {}
        found: dict[str, ListEntry] = {}
        for (node_kind, node_key), d in distance.items():
            for link in self.entries_of_subject(node_kind, node_key):
                e = link.entry
                if e.kind == "black" and (classes is None or e.disclosure in classes):
                    best[e.entry_id] = min(best.get(e.entry_id, d + 1), d + 1)
                    found[e.entry_id] = e
        near = sorted((NearEntry(entry_id=i, distance=d) for i, d in best.items()),
                      key=lambda n: (n.distance, n.entry_id))[:limit]  # fmt: skip
        return near, {n.entry_id: found[n.entry_id] for n in near}

    def _subjects_named(
        self, refs: Iterable[tuple[str, str]]
    ) -> tuple[dict[str, Person], dict[str, Enterprise]]:
        wanted = set(refs)
        persons = self.get_persons({k for kind, k in wanted if kind == "person"})
        return persons, self.get_enterprises({k for kind, k in wanted if kind == "enterprise"})

    @abc.abstractmethod
    def counts(self) -> dict[str, int]:
        """Node counts by kind and role-edge counts by type (every key present, zero included)."""

    @abc.abstractmethod
    def iter_records(self, kind: RecordKind) -> Iterator[BaseModel]:
        """Every record of a kind, streamed in key order (enterprises by uscc, persons by person_key,
        roles by role_id, entries by entry_id, events and feedback by entry then order recorded), so a
        whole graph can be exported in constant memory."""

    # -- the change log (the notifications' outbox) -------------------------------------------------

    @abc.abstractmethod
    def changes_after(self, seq: int, limit: int = 1000) -> list[Change]:
        """The logged changes after `seq`, in log order, at most `limit` (up to MAX_CHANGES)."""

    @abc.abstractmethod
    def last_change(self) -> int:
        """The seq of the newest logged change; 0 when none."""

    @abc.abstractmethod
    def entries_turning_on(self, day: date) -> list[str]:
        """The entries that start or stop counting on `day` (a period of domain.counting_periods begins
        or ends then: a future listing day reached, an expiry), by entry_id: what a day's passing
        changes, found without a write."""

    @abc.abstractmethod
    def get_meta(self, name: str) -> str | None:
        """A value the store keeps about itself (e.g. which hash key made its person keys)."""

    @abc.abstractmethod
    def set_meta(self, name: str, value: str) -> None:
        """Keep a value about the store, durably."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Delete every record: for tests, and for imports that must start from an empty store."""

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release connections and files."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- investigations ---------------------------------------------------------------------------

    def ownership(
        self,
        kind: Literal["person", "enterprise"],
        key: str,
        direction: OwnershipDirection,
        max_depth: int,
        as_of: date | None = None,
    ) -> list[Role]:
        """The SHAREHOLDER_OF edges reachable from the subject within `max_depth` hops: "up" towards its
        owners (edges into the subject, into their holders, ...), "down" towards what it holds. An edge
        is reachable when its nearer end lies within `max_depth - 1` hops of the subject over such edges
        (only edges holding on `as_of`, when given), so every simple path of at most `max_depth` edges
        is made of returned edges; cycles end because nodes are visited once. In sort_roles order.
        ValueError for max_depth out of 0..MAX_OWNERSHIP_DEPTH.

        Backends answer it natively in one call; this default, for stores that wrap another, walks the
        roles one node at a time."""
        check_ownership_args(direction, max_depth)
        distance = {(kind, key): 0}
        frontier = [(kind, key)]
        found: dict[str, Role] = {}
        for depth in range(max_depth):
            following: list[tuple[Literal["person", "enterprise"], str]] = []
            for node_kind, node_key in frontier:
                if direction == "up":
                    if node_kind != "enterprise":
                        continue
                    roles = self.roles_of_enterprise(node_key, {RoleType.SHAREHOLDER_OF}, as_of)
                    ends = [(r, (r.holder_kind, r.holder_key)) for r in roles]
                else:
                    roles = self.roles_of_holder(node_kind, node_key, {RoleType.SHAREHOLDER_OF}, as_of)
                    ends = [(r, ("enterprise", r.enterprise)) for r in roles]
                for role, end in ends:
                    found[role.role_id] = role
                    if end not in distance:
                        distance[end] = depth + 1
                        following.append(end)
            frontier = following
        return sort_roles(list(found.values()))


def _listed(entries: Iterable[ListEntry]) -> list[tuple[str, str]]:
    return [(e.subject_kind, e.subject_key) for e in entries]


def empty_counts() -> dict[str, int]:
    counts = {"enterprises": 0, "persons": 0, "entries": 0, "roles": 0}
    counts.update({t.value: 0 for t in RoleType})
    return counts


# Deep enough for real holding structures (registries rarely show more than six layers), shallow enough
# that a path enumeration over them stays small.
MAX_OWNERSHIP_DEPTH = 10
OwnershipDirection = Literal["up", "down"]


def check_ownership_args(direction: str, max_depth: int) -> None:
    if direction not in ("up", "down"):
        raise ValueError("direction: must be up or down")
    if not 0 <= max_depth <= MAX_OWNERSHIP_DEPTH:
        raise ValueError(f"max_depth: must be between 0 and {MAX_OWNERSHIP_DEPTH}")
