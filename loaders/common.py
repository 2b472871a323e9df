"""What several loaders share: persons from documents, organisations referred to by code, matching
people a source names without a full ID number, and role edges held against the store's history."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from graph_service.identifiers import is_masked, mask_id_number, normalize_code, normalize_name, person_key
from graph_service.model import ROLE_NAMES_ZH, Enterprise, OrgType, Person, Role, RoleType
from graph_service.persons import person_from_document
from graph_service.unresolved.references import Candidate
from loaders.engine import BatchOut, Context, Unresolved
from loaders.fields import Document, Row

# Persons kept in memory per load, so a person named in many rows is built once; beyond it the cache
# starts again (memory stays bounded; a person is then only built twice).
_CACHE_LIMIT = 300_000
# A masked number with fewer visible characters than this matches too many people to identify one
# by name and number alone; it still matches within an enterprise the person holds a role in.
MIN_VISIBLE = 6

_ORG_TYPES_BY_CODE: dict[str, OrgType] = {
    "91": "company",
    "92": "individual_business",
    "93": "cooperative",
    "11": "government_agency",
    "12": "public_institution",
    "13": "social_organisation",
    "51": "social_organisation",
    "52": "social_organisation",
    "53": "social_organisation",
}
_SPLIT = re.compile(r"[、，,;；]+")
_TOKEN = re.compile(r"^(?P<name>[^()]+?)\s*(?:\((?P<code>[^()]*)\))?$")


def org_type_of(code: str) -> OrgType:
    """The organisation type positions 1-2 of a USCC encode (GB 32100), 'other' when not telling."""
    return _ORG_TYPES_BY_CODE.get(code[:2], "other")


def org_type_by_form(legal_form: str | None, table: dict[str, str], code: str) -> OrgType:
    """The organisation type from the registered legal form (first matching word of the mapping's
    table), else from the code."""
    if legal_form:
        for word, org_type in table.items():
            if word in legal_form:
                return org_type  # type: ignore[return-value]
    return org_type_of(code)


@dataclass
class NamedRef:
    """A person or organisation as a change record or a list names it: a name, perhaps a number."""

    name: str
    code: str | None  # normalised; may be masked
    kind: str  # "person" or "enterprise"

    @property
    def masked(self) -> bool:
        return self.code is not None and is_masked(self.code)


def split_names(text: str | None) -> list[tuple[str, str | None]]:
    """'张三（410922…）、李四' → [(张三, 410922…), (李四, None)]: names with an optional number in
    brackets, half- or full-width."""
    if not text:
        return []
    text = normalize_name(text)
    out: list[tuple[str, str | None]] = []
    depth, start, parts = 0, 0, []
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and _SPLIT.match(ch):
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    for part in parts:
        part = part.strip()
        if not part:
            continue
        m = _TOKEN.match(part)
        if m is None:
            out.append((part, None))
            continue
        code = m.group("code")
        out.append((m.group("name").strip(), normalize_code(code) if code else None))
    return out


class People:
    """Persons built from documents, once per load, and which of them the store still lacks."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._built: dict[tuple[str, str], Person] = {}
        self._known: set[str] = set()

    def person(self, doc: Document, name: str) -> Person:
        key = (doc.document_type, doc.number)
        found = self._built.get(key)
        if found is None:
            # The first name a load sees for a number is the one it keeps: a later row spelling it
            # otherwise must not flip the stored name back and forth on every load.
            found = self._build(doc, name)
            if len(self._built) >= _CACHE_LIMIT:
                self._built.clear()
            self._built[key] = found
        return found

    def _build(self, doc: Document, name: str) -> Person:
        rid = doc.resident
        if rid is None:
            return person_from_document(
                doc.number, name, self.ctx.secret, doc.document_type, self.ctx.source, self.ctx.loaded_at
            )
        # What person_from_document makes, from the number the row already parsed (a test holds the two
        # equal): parsing a resident ID is most of the cost of a new person.
        return Person(
            person_key=person_key(rid.number, self.ctx.secret, "resident_id"),
            name=normalize_name(name),
            document_type="resident_id",
            id_number=rid.number,
            id_masked=mask_id_number(rid.number),
            birth_date=rid.birth_date,
            sex=rid.sex,
            region=rid.region,
            source=self.ctx.source,
            loaded_at=self.ctx.loaded_at,
        )

    def to_write(self, named: Iterable[tuple[Row, str, Person]], out: BatchOut) -> None:
        """Persons the store does not hold yet go into the batch. One it holds is not rewritten by
        another source; a different name for the same number is reported, not overwritten."""
        first: dict[str, tuple[Row, str, Person]] = {}
        for row, field, person in named:
            if person.person_key not in self._known:
                first.setdefault(person.person_key, (row, field, person))
        if not first:
            return
        held = self.ctx.store.get_persons(list(first))
        for key, (row, field, person) in first.items():
            stored = held.get(key)
            if stored is None:
                out.persons.append(person)
            elif stored.name != person.name:
                out.unresolved_ref(
                    Unresolved(
                        row.number,
                        row.header(field),
                        person.name,
                        mask_id_number(person.id_number or ""),
                        "",
                        f"the store holds this number under the name {stored.name}; kept that name",
                    )
                )
        self._known.update(first)
        if len(self._known) > _CACHE_LIMIT:
            self._known.clear()


class Organisations:
    """Which organisations the store holds, and stubs for those a source refers to by code and name."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.batch: dict[str, Enterprise] = {}

    def fetch(self, usccs: Collection[str]) -> dict[str, Enterprise]:
        """The store's records of these codes, for this batch."""
        self.batch = self.ctx.store.get_enterprises(list(set(usccs))) if usccs else {}
        return self.batch

    def get(self, uscc: str) -> Enterprise | None:
        return self.batch.get(uscc)

    def stub(self, uscc: str, name: str, valid: bool, out: BatchOut) -> Enterprise:
        """An organisation known only by a reference (a corporate shareholder, a listed subject, a
        parent): written once with what the reference says; its own registration fills it in later."""
        found = self.batch.get(uscc)
        if found is not None:
            return found
        stub = Enterprise(
            uscc=uscc,
            name=name,
            org_type=org_type_of(uscc),
            status="",
            id_valid=valid,
            source=self.ctx.source,
            loaded_at=self.ctx.loaded_at,
        )
        out.enterprises.append(stub)
        self.batch[uscc] = stub
        return stub


class History:
    """Role edges of a batch's enterprises as the store has them, with this batch's own writes laid
    over them, so a later row in a batch sees what an earlier one changed."""

    def __init__(self, ctx: Context, types: Collection[RoleType] | None = None) -> None:
        self.ctx = ctx
        # Only the role types a loader writes or compares: reading every edge back costs more than
        # writing the batch on Neo4j.
        self.types = frozenset(types) if types is not None else None
        self._store: dict[str, dict[str, Role]] = {}
        self._pending: dict[str, dict[str, Role]] = {}

    def prefetch(self, usccs: Collection[str]) -> None:
        wanted = [u for u in set(usccs) if u not in self._store]
        if not wanted:
            return
        # One call for the batch: on Neo4j one statement, not a round trip per enterprise.
        found = self.ctx.store.roles_of_enterprises(wanted, self.types)
        for u in wanted:
            self._store[u] = {r.role_id: r for r in found.get(u, [])}

    def roles(self, uscc: str, types: Collection[RoleType] | None = None) -> list[Role]:
        if types is not None and self.types is not None and not set(types) <= self.types:
            raise ValueError("asked for role types this history does not read")
        if uscc not in self._store:
            self.prefetch([uscc])
        merged = {**self._store[uscc], **self._pending.get(uscc, {})}
        return [r for r in merged.values() if types is None or r.type in types]

    def stored(self, role_id: str, uscc: str) -> Role | None:
        return self._store.get(uscc, {}).get(role_id)

    def put(self, role: Role, role_id: str | None = None) -> None:
        self._pending.setdefault(role.enterprise, {})[role_id or role.role_id] = role

    def take(self) -> list[Role]:
        """This batch's role writes; the cache starts again for the next batch."""
        roles = [r for held in self._pending.values() for r in held.values()]
        self._pending = {}
        self._store = {}
        return roles


def keep_closed(role: Role, stored: Role | None) -> Role | None:
    """The role to write, given the store's version of the same edge: a file that states no end does
    not reopen an edge a change record closed. None when there is nothing to write."""
    if stored is not None and role.valid_to is None and stored.valid_to is not None:
        return None
    return role


@dataclass
class Match:
    person: Person | None
    reason: str
    candidates: int
    # Every stored person the match looked at, and why each fits or not: what an operator decides from.
    considered: list[Candidate] = dataclasses.field(default_factory=list)


def compatible(masked: str, person: Person) -> bool:
    """True when every visible character of a masked number agrees with the person's number."""
    return disagreement(masked, person) is None


def disagreement(masked: str, person: Person) -> str | None:
    """Why the person's number cannot be the masked one (None when every visible character agrees). A
    stored character is told only where the person's own masked number shows it."""
    full = normalize_code(person.id_number) if person.id_number else None
    stored = full or (normalize_code(person.id_masked) if person.id_masked else None)
    if stored is None:
        return "the store holds no number for this person"
    if len(stored) != len(masked):
        return f"the number has {len(masked)} characters, the stored one {len(stored)}"
    shown = mask_id_number(full) if full else stored
    for i, (m, c) in enumerate(zip(masked, stored, strict=True), start=1):
        if m != "*" and c != "*" and m != c:
            told = f"stored {c}" if shown[i - 1] != "*" else "the stored one differs"
            return f"visible character {i} is {m}, {told}"
    return None


def visible(masked: str) -> str:
    """The characters a masked number shows, hidden runs as …: 4109…1234."""
    return re.sub(r"\*+", "…", masked)


class Matcher:
    """Ties a name (and perhaps a masked number) to one stored person, only when no other fits."""

    def __init__(self, ctx: Context, history: History) -> None:
        self.ctx = ctx
        self.history = history
        self._named: dict[str, list[Person]] = {}

    def match(
        self,
        name: str,
        masked: str | None,
        enterprise: str | None,
        types: Collection[RoleType] | None = None,
    ) -> Match:
        held: dict[str, set[RoleType]] = {}
        if enterprise is not None:
            for r in self.history.roles(enterprise, types):
                if r.holder_kind == "person":
                    held.setdefault(r.holder_key, set()).add(r.type)
            people = [p for p in self.ctx.store.get_persons(list(held)).values() if p.name == name]
            where = f"holding a role in {enterprise}"
            if types is not None:
                where = f"holding {'/'.join(sorted(t.value for t in types))} in {enterprise}"
        else:
            people = self._persons_named(name)
            if masked is None:
                return Match(
                    None, "a name alone does not identify a person", 0, self._why(people, None, {}, "")
                )
            shows = sum(ch != "*" for ch in masked)
            if shows < MIN_VISIBLE:
                considered = self._why(people, masked, {}, "")
                return Match(None, f"the masked number shows only {shows} characters", 0, considered)
            where = "in the store"
        considered = self._why(people, masked, held, enterprise or "")
        if masked is not None:
            people = [p for p in people if compatible(masked, p)]
            what = f"named {name} with a number like {masked}"
        else:
            what = f"named {name}"
        if len(people) == 1:
            return Match(people[0], "", 1, considered)
        if not people:
            return Match(None, f"no person {what} {where}", 0, considered)
        return Match(None, f"{len(people)} persons {what} {where}: ambiguous", len(people), considered)

    def _persons_named(self, name: str) -> list[Person]:
        if name not in self._named:
            self._named[name] = self.ctx.store.persons_named(name)
        return self._named[name]

    @staticmethod
    def _why(
        people: list[Person], masked: str | None, held: dict[str, set[RoleType]], enterprise: str
    ) -> list[Candidate]:
        out: list[Candidate] = []
        for p in sorted(people, key=lambda p: p.person_key):
            reasons = ["same name"]
            fits = True
            if masked is None:
                reasons.append("the source gives no number to compare")
            else:
                against = disagreement(masked, p)
                fits = against is None
                reasons.append(f"visible characters {visible(masked)} agree" if fits else str(against))
            if p.person_key in held:
                posts = "/".join(sorted(ROLE_NAMES_ZH[t] for t in held[p.person_key]))
                reasons.append(f"holds {posts} in {enterprise}")
            shown = mask_id_number(p.id_number) if p.id_number else (p.id_masked or "")
            out.append(Candidate(person_key=p.person_key, name=p.name, masked=shown, fits=fits,
                                 why="; ".join(reasons)))  # fmt: skip
        return out

    def reset(self) -> None:
        self._named = {}


def day(value: date | None) -> str:
    return value.isoformat() if value else "an unknown day"
