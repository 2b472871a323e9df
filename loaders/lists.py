"""Published lists: the court's dishonest judgment debtors (失信被执行人) and a generic format for other
authorities' black, red and watch lists.

Each file is a snapshot of its source. Rows become ListEntry nodes (one decision naming one subject);
after a complete, successful load, the source's entries of the same list type that the snapshot no
longer has are marked removed_from_source with the snapshot's date, never deleted. A subject or a named
person the file gives only by name or masked number is matched to a stored person only when exactly one
fits; otherwise it is reported as unresolved and never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

from pydantic import ValidationError

from graph_service.domain.errors import DomainError
from graph_service.domain.lifecycle import change, last_published, publish
from graph_service.identifiers import (
    IdentifierError,
    is_masked,
    is_valid_id_number,
    mask_id_number,
    normalize_code,
    normalize_name,
    validate_enterprise_code,
    validate_org_code,
    validate_registration_number,
)
from graph_service.model import (
    Enterprise,
    EntryEvent,
    EntryStatus,
    ListEntry,
    NamedResponsible,
    Person,
    RoleType,
    entry_id_for,
)
from graph_service.rules import ListType, RulesError, load_rules
from loaders.common import History, Matcher, Organisations, People
from loaders.engine import BatchOut, Context, Loader, Unresolved
from loaders.fields import Document, EnterpriseCode, Row
from loaders.mapping import MappingError, header_key
from loaders.person_cells import CellPerson, person_cells
from loaders.queued import NamedInRow, held_subject

_ID_LIKE = re.compile(r"^[\d*]{17}[\dX*]$")
_ORG_NAME_ENDINGS = (
    "公司",
    "厂",
    "合作社",
    "经营部",
    "中心",
    "商店",
    "店",
    "医院",
    "学校",
    "协会",
    "所",
    "站",
    "社",
)
STATUSES: tuple[EntryStatus, ...] = (
    "active",
    "under_objection",
    "repaired",
    "revoked",
    "removed_from_source",
    "archived",
)
# Columns naming persons of a decision, and the role each gives them unless the mapping's options
# (<field>_role) or the cell word it otherwise.
NAMED_FIELDS = {
    "named": "直接责任人员",
    "named_legal_rep": "法定代表人或者负责人",
    "named_finance_head": "财务负责人",
}


# A listing that has already stopped counting keeps its own status when the source drops it.
_STILL_COUNTING: tuple[EntryStatus, ...] = ("active", "under_objection")


@dataclass
class Subject:
    name: str
    kind: str  # "person" or "enterprise"
    code: EnterpriseCode | None = None  # an organisation's USCC
    document: Document | None = None  # a person's number, perhaps masked
    org_code: str | None = None  # an organisation known by its organisation code (GB 11714), no hyphen
    registration_number: str | None = None  # an organisation known by its 15-digit 注册号


@dataclass
class Named:
    name: str
    role: str
    document: Document | None


@dataclass
class ListRow:
    list_type: ListType
    authority: str
    decision_number: str
    subject: Subject
    conduct: str
    conduct_category: int | None
    conduct_date: date | None
    listed_on: date
    expires_on: date | None
    status: EntryStatus
    disclosure: str
    named: list[Named] = field(default_factory=list)
    legal_rep: str | None = None  # named without a number: matched among the subject's representatives
    removed_on: date | None = None  # the source published the listing as ended (移出日期) on this day
    removal_reason: str = ""


class ListLoader(Loader[ListRow]):
    """What the court list and the generic list share; they differ in columns and a few constants."""

    sensitive = frozenset({"subject_id", *NAMED_FIELDS})
    key_field = "decision_number"
    code_fields = ("subject_id",)
    document_fields = ("subject_id",)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        try:
            self.rules = load_rules(ctx.options.rules_path)
        except RulesError as err:
            raise MappingError(str(err)) from None
        self.people = People(ctx)
        self.orgs = Organisations(ctx)
        self.history = History(ctx)
        self.matcher = Matcher(ctx, self.history)
        self.list_types: set[str] = set()
        self.by_word = {header_key(t.code): t for t in self.rules.list_types}
        self.by_word.update({header_key(t.name_zh): t for t in self.rules.list_types})
        fixed = ctx.option("list_type")
        self.fixed: ListType | None = None
        if fixed is not None:
            self.fixed = self.rules.list_type(fixed)
            if self.fixed is None:
                raise MappingError(f"the mapping's list_type {fixed!r} is not a list type of the rules")
        elif "list_type" not in ctx.mapping.columns:
            raise MappingError(
                "the mapping gives no list type: map the list_type column or set "
                "options.list_type to a list type of the rules"
            )

    @property
    def _status_column(self) -> bool:
        """A file that has the status (履行情况) column publishes a status for every entry (read from the
        mapping as resolved now: JSON records may bring the key after the first)."""
        return bool(self.ctx.resolved.index.get("status"))

    # -- reading a row ----------------------------------------------------------------------------

    def _list_type(self, row: Row) -> ListType | None:
        if self.fixed is not None:
            return self.fixed
        raw = row.text("list_type", required=True)
        if raw is None:
            return None
        found = self.by_word.get(header_key(raw))
        if found is None:
            row.problem(
                "list_type",
                f"not a list type of the rules in {self.rules.origin} (neither a code nor a Chinese name)",
            )
        return found

    def _subject(self, row: Row) -> Subject | None:
        name = row.text("subject_name", required=True)
        raw = row.raw("subject_id")
        kind = row.enum("subject_type")
        if name is None:
            return None
        code = normalize_code(raw) if raw else ""
        if kind is None:
            kind = _kind_of(name, code)
        if kind == "person":
            if not code:
                return Subject(name, "person")
            doc = row.document("subject_id", "subject_id_type", allow_masked=True)
            return Subject(name, "person", document=doc) if doc is not None else None
        if kind != "enterprise":
            row.problem("subject_type", f"maps to {kind!r}; a subject is a person or an enterprise")
            return None
        if not code:
            return Subject(name, "enterprise")
        return self._organisation(row, name, code)

    @staticmethod
    def _organisation(row: Row, name: str, code: str) -> Subject | None:
        """An organisation by the code a list gives: a USCC (hyphens dropped), an organisation code
        (MAJXU7DA-9), a 15-digit 注册号, or an old 15-character taxpayer number (division + organisation
        code). The last three are resolved against the store, to the one enterprise they identify."""
        plain = _plain_code(code)
        if len(plain) == 9 and _org_code_ok(plain):
            return Subject(name, "enterprise", org_code=plain)
        if len(plain) == 15:
            registration = _registration_ok(plain)
            taxpayer = plain[:6].isdigit() and _org_code_ok(plain[6:])
            if registration or taxpayer:
                return Subject(
                    name,
                    "enterprise",
                    registration_number=plain if registration else None,
                    org_code=plain[6:] if taxpayer else None,
                )
        row.values["subject_id"] = plain if len(plain) == 18 else row.values.get("subject_id")
        found = row.enterprise_code("subject_id")
        return Subject(name, "enterprise", code=found) if found is not None else None

    def _common(self, row: Row) -> ListRow | None:
        list_type = self._list_type(row)
        authority = row.text("authority", required=True)
        decision = row.text("decision_number", required=True)
        subject = self._subject(row)
        conduct = row.text("conduct") or ""
        category = row.integer("conduct_category", 1, 4, strict=True)
        if category is None and list_type is not None and list_type.kind == "black":
            category = self.ctx.option("conduct_category")
        conduct_date = row.date("conduct_date")
        listed_on = row.date("listed_on", required=True)
        # An end the file states is never guessed at: a bad one rejects the row rather than leave an
        # entry in force.
        expires_on = row.date("expires_on", strict=True)
        removed_on = row.date("removed_on", strict=True)
        removal_reason = row.text("removal_reason") or ""
        # A status the mapping does not know, or none where the file has the column but the cell is empty,
        # is not taken for active: the row is rejected (a restriction must not rest on a guess).
        status = row.enum("status", strict=True)
        if status is None and row.raw("status") is None and self._status_column:
            row.problem("status", "empty: the file publishes a status for every entry; not taken as active")
        status = status or "active"
        if status not in STATUSES:
            row.problem("status", f"maps to {status!r}, not an entry status ({', '.join(STATUSES)})")
        disclosure = row.enum("disclosure", strict=True) or self.ctx.option("disclosure", "public")
        if disclosure not in ("public", "government", "authorized"):
            row.problem("disclosure", f"maps to {disclosure!r}; expected public, government or authorized")
        if listed_on and conduct_date and conduct_date > listed_on:
            row.bad_value("conduct_date", f"after the listing date {listed_on.isoformat()}", False)
            conduct_date = None
        if listed_on and expires_on and expires_on < listed_on:
            row.problem("expires_on", f"before the listing date {listed_on.isoformat()}")
        if listed_on and removed_on and removed_on < listed_on:
            row.problem(
                "removed_on",
                f"before the listing date {listed_on.isoformat()}: the row says the entry ended, not when",
            )
        if list_type is not None and list_type.kind != "black" and row.raw("conduct_category"):
            row.problem("conduct_category", f"a {list_type.kind} list has no conduct category")
        if list_type is None or authority is None or decision is None or subject is None or listed_on is None:
            return None
        if row.bad:
            return None
        if (
            expires_on is None
            and self.ctx.option("expiry_from_rules", True)
            and list_type.default_duration_days
        ):
            expires_on = listed_on + timedelta(days=list_type.default_duration_days)
        self.list_types.add(list_type.code)
        return ListRow(
            list_type=list_type,
            authority=authority,
            decision_number=decision,
            subject=subject,
            conduct=conduct,
            conduct_category=category if list_type.kind == "black" else None,
            conduct_date=conduct_date,
            listed_on=listed_on,
            expires_on=expires_on,
            status=status,  # type: ignore[arg-type]
            disclosure=disclosure,
            removed_on=removed_on,
            removal_reason=removal_reason,
        )

    def key(self, parsed: ListRow) -> str:
        s = parsed.subject
        # What the entry id is made of (authority, decision, subject): a subject with a code is the same
        # subject under any spelling of its name; one without is told by its name.
        who = (
            s.code.code
            if s.code
            else (s.document.number if s.document else s.org_code or s.registration_number)
        )
        if who is None or (s.document is not None and s.document.masked):
            who = f"{s.name}|{who or ''}"
        return f"{parsed.list_type.code}|{parsed.authority}|{parsed.decision_number}|{who}"

    def seen(self, values: dict[str, str | None]) -> str | None:
        # From the raw cells, so a listing whose row is rejected still counts as present in the snapshot.
        if self.fixed is not None:
            list_type = self.fixed.code
        else:
            found = self.by_word.get(header_key(values.get("list_type") or ""))
            list_type = found.code if found is not None else ""
        parts = [values.get("authority"), values.get("decision_number"), values.get("subject_name")]
        return "\x1f".join([list_type, *(normalize_name(p or "") for p in parts)])

    @staticmethod
    def entry_seen(entry: ListEntry) -> str:
        return "\x1f".join((entry.list_type, entry.authority, entry.decision_number, entry.subject_name))

    # -- resolving a batch ------------------------------------------------------------------------

    def apply(self, items: list[tuple[Row, ListRow]], out: BatchOut) -> None:
        codes = [p.subject.code.code for _, p in items if p.subject.code is not None]
        self.orgs.fetch(codes)
        self.history.prefetch([c for c in codes if self.orgs.get(c) is not None])
        others = self.ctx.store.find_enterprises(
            org_codes={p.subject.org_code for _, p in items if p.subject.org_code},
            registration_numbers={
                p.subject.registration_number for _, p in items if p.subject.registration_number
            },
        )
        subjects: dict[int, tuple[str, str]] = {}
        persons: list[tuple[Row, str, Person]] = []
        for row, parsed in items:
            s = parsed.subject
            if s.code is not None:
                self.orgs.stub(s.code.code, s.name, s.code.valid, out)
                subjects[row.number] = ("enterprise", s.code.code)
            elif s.kind == "enterprise":
                uscc, reason = self._by_other_code(s, others)
                if uscc is not None:
                    subjects[row.number] = ("enterprise", uscc)
                    continue
                code = s.org_code or s.registration_number
                out.unresolved_ref(self._unresolved(row, "subject_id", s.name, code, "", reason))
                out.held_rows.add(row.number)
            elif s.document is not None and not s.document.masked:
                person = self.people.person(s.document, s.name)
                persons.append((row, "subject_id", person))
                subjects[row.number] = ("person", person.person_key)
            else:
                masked = s.document.number if s.document is not None else None
                found = self.matcher.match(s.name, masked, None)
                if found.person is None:
                    item = self._unresolved(
                        row, "subject_id", s.name, masked, "", found.reason, found.candidates
                    )
                    chosen = held_subject(self.ctx, item, parsed, found)
                    if chosen is None:
                        out.unresolved_ref(item)
                        out.held_rows.add(row.number)
                    else:
                        subjects[row.number] = ("person", chosen)
                else:
                    subjects[row.number] = ("person", found.person.person_key)
        named: dict[int, list[NamedResponsible]] = {}
        for row, parsed in items:
            subject = subjects.get(row.number)
            if subject is None:
                continue
            named[row.number] = self._named(row, parsed, subject, persons, out)
        self.people.to_write(persons, out)
        removals: dict[str, tuple[date, str, Row]] = {}
        in_batch: dict[str, int] = {}
        for row, parsed in items:
            subject = subjects.get(row.number)
            if subject is None:
                continue
            kind, key = subject
            try:
                entry = ListEntry(
                    entry_id=entry_id_for(parsed.authority, parsed.decision_number, key),
                    list_type=parsed.list_type.code,
                    domain=parsed.list_type.domain,
                    kind=parsed.list_type.kind,
                    authority=parsed.authority,
                    decision_number=parsed.decision_number,
                    subject_kind=kind,
                    subject_key=key,
                    subject_name=parsed.subject.name,
                    conduct=parsed.conduct,
                    conduct_category=parsed.conduct_category,
                    conduct_date=parsed.conduct_date,
                    listed_on=parsed.listed_on,
                    expires_on=parsed.expires_on,
                    status=parsed.status,
                    disclosure=parsed.disclosure,
                    named_responsible=tuple(named[row.number]),
                    source=self.ctx.source,
                    loaded_at=self.ctx.loaded_at,
                )
            except ValidationError as err:
                out.reject(row, "decision_number", str(err.errors()[0]["msg"]).removeprefix("Value error, "))
                continue
            first = in_batch.setdefault(entry.entry_id, row.number)
            if first != row.number:
                # The same authority, decision and subject as an earlier row (the subject named otherwise):
                # one entry, so the later row is reported rather than written over the first.
                out.reject(row, "decision_number", f"duplicate: the same entry as row {first}")
                continue
            out.entries.append(entry)
            if parsed.removed_on is not None:
                removals[entry.entry_id] = (parsed.removed_on, parsed.removal_reason, row)
        self._keep_life_cycle(out, removals)
        self.history.take()
        self.matcher.reset()

    def _keep_life_cycle(self, out: BatchOut, removals: dict[str, tuple[date, str, Row]]) -> None:
        """An entry the service already holds keeps its status and dated history: its life since it
        was listed (objections, repairs, removals) is recorded here, not in the source's file. What the
        newer file says of it becomes dated changes on the snapshot's day: relisted, when a previous
        snapshot had dropped it; the status the source now publishes, when it differs from the one it
        published before (全部履行 after 全部未履行). A row that publishes the entry as ended (移出日期)
        ends it on that day, a new entry as much as one held already: a dated life-cycle event, never
        an expiry."""
        held = self.ctx.store.get_entries({e.entry_id for e in out.entries})
        kept: list[ListEntry] = []
        for entry in out.entries:
            old = held.get(entry.entry_id)
            removal = removals.get(entry.entry_id)
            if old is None:
                kept.append(entry)
                if removal is not None:
                    ended = self._removal(entry, removal[0], removal[1])
                    if ended is None:
                        self._removal_refused(out, entry, removal)
                    else:
                        out.events.append((*ended, entry.status))
                continue
            merged = entry.model_copy(
                update={"status": old.status, "history": old.history, "removed_on": old.removed_on}
            )
            changes = self._source_changes(merged, entry.status, removal)
            if removal is not None and old.status in _STILL_COUNTING and not changes:
                self._removal_refused(out, old, removal)
            if not changes:
                kept.append(merged)
                continue
            # Written after the batch's persons and entries (a change may name a person new in this
            # batch), each from the status the one before it leaves.
            expected = old.status
            for changed, event in changes:
                out.events.append((changed, event, expected))
                expected = changed.status
        out.entries[:] = kept

    def _removal_refused(self, out: BatchOut, entry: ListEntry, removal: tuple[date, str, Row]) -> None:
        day, _, row = removal
        last = entry.history[-1] if entry.history else None
        when = f"its last change ({last.event} on {last.on.isoformat()})" if last else "its listing"
        out.unresolved_ref(
            Unresolved(
                row.number,
                row.header("removed_on"),
                entry.subject_name,
                "",
                entry.subject_key if entry.subject_kind == "enterprise" else "",
                f"the source publishes the entry as removed on {day.isoformat()}, before {when}: not "
                "ended; its life decides",
            )
        )

    def _removal(self, entry: ListEntry, day: date, reason: str) -> tuple[ListEntry, EntryEvent] | None:
        """The entry as its source's removal (移出) on `day` leaves it, with the event; None when the
        entry's own life forbids it (already ended, or a change dated after that day)."""
        why = reason or f"removed from {self.ctx.source} on {day.isoformat()}"
        try:
            changed, event = change(
                entry, "removed_from_source", f"loader: {self.ctx.source}", day, datetime.now(UTC), reason=why
            )
        except DomainError:
            return None
        return changed.model_copy(update={"removed_on": day}), event

    def _source_changes(
        self, held: ListEntry, published: EntryStatus, removal: tuple[date, str, Row] | None = None
    ) -> list[tuple[ListEntry, EntryEvent]]:
        """The dated changes the snapshot makes to an entry held already (none if it says nothing new, or
        if the entry's own life has a change dated after the snapshot: that life decides)."""
        day, now, source = self.ctx.snapshot_date, datetime.now(UTC), self.ctx.source
        changes: list[tuple[ListEntry, EntryEvent]] = []
        entry = held
        try:
            if removal is not None:
                # The row says the entry ended: nothing to relist; end it if it still counts.
                if entry.status in _STILL_COUNTING:
                    ended = self._removal(entry, removal[0], removal[1])
                    if ended is not None:
                        changes.append(ended)
                return changes
            if entry.status == "removed_from_source":
                reason = f"in {source} again as published on {day.isoformat()}"
                entry, event = change(entry, "relisted", f"loader: {source}", day, now, reason=reason)
                entry = entry.model_copy(update={"removed_on": None})
                changes.append((entry, event))
            if published != last_published(entry):
                entry, event = publish(entry, published, source, day, now)
                changes.append((entry, event))
        except DomainError:
            return []
        return changes

    @staticmethod
    def _by_other_code(s: Subject, others: dict[str, list[Enterprise]]) -> tuple[str | None, str]:
        """The one stored enterprise an organisation code or 注册号 identifies, or why there is none."""
        if not s.org_code and not s.registration_number:
            return None, "an organisation without a code"
        found: dict[str, Enterprise] = {}
        for code in (s.org_code, s.registration_number):
            if code:
                found.update((e.uscc, e) for e in others.get(code, []))
        if len(found) == 1:
            return next(iter(found)), ""
        what = (
            f"the organisation code {s.org_code}"
            if s.org_code and not s.registration_number
            else f"the 注册号 {s.registration_number}"
            if not s.org_code
            else f"the code {s.registration_number} (a 注册号 or a division and organisation code)"
        )
        if not found:
            return None, f"no stored enterprise has {what}: load its registration first"
        return None, f"{len(found)} stored enterprises have {what} ({', '.join(sorted(found))}): ambiguous"

    def _named(
        self,
        row: Row,
        parsed: ListRow,
        subject: tuple[str, str],
        persons: list[tuple[Row, str, Person]],
        out: BatchOut,
    ) -> list[NamedResponsible]:
        kind, key = subject
        context = key if kind == "enterprise" else None
        result: dict[str, NamedResponsible] = {}
        queued = NamedInRow(self.ctx, parsed, entry_id_for(parsed.authority, parsed.decision_number, key))
        if parsed.legal_rep and context is not None:
            types = [RoleType.LEGAL_REPRESENTATIVE_OF, RoleType.PRINCIPAL_OF]
            found = self.matcher.match(parsed.legal_rep, None, context, types)
            role = self.ctx.option("legal_rep_role", "法定代表人")
            chosen = found.person.person_key if found.person is not None else None
            if chosen is None:
                item = self._unresolved(row, "legal_rep_name", parsed.legal_rep, None, context, found.reason)
                chosen = queued.chosen(item, "legal_rep_name", role, found)
                if chosen is None:
                    out.unresolved_ref(item)
            if chosen is not None:
                queued.matched(chosen)
                result[chosen] = NamedResponsible(person_key=chosen, name=parsed.legal_rep, role=role)
        for n in parsed.named:
            if n.document is not None and not n.document.masked:
                person = self.people.person(n.document, n.name)
                persons.append((row, "named", person))
                person_key = person.person_key
            else:
                masked = n.document.number if n.document is not None else None
                found = self.matcher.match(n.name, masked, context)
                if found.person is None:
                    item = self._unresolved(
                        row, "named", n.name, masked, context or "", found.reason, found.candidates
                    )
                    chosen = queued.chosen(item, "named", n.role, found)
                    if chosen is None:
                        out.unresolved_ref(item)
                        continue
                    person_key = chosen
                else:
                    person_key = found.person.person_key
            if (kind, key) == ("person", person_key):
                continue
            queued.matched(person_key)
            result.setdefault(person_key, NamedResponsible(person_key=person_key, name=n.name, role=n.role))
        queued.done()
        return list(result.values())

    @staticmethod
    def _unresolved(
        row: Row, field: str, name: str, code: str | None, enterprise: str, reason: str, n: int = 0
    ) -> Unresolved:
        shown = mask_id_number(code) if code and (_ID_LIKE.match(code) or "*" in code) else (code or "")
        return Unresolved(row.number, row.header(field), name, shown, enterprise, reason, n)

    # -- the snapshot ----------------------------------------------------------------------------

    def finish(self, seen: set[int], out: BatchOut) -> str | None:
        """Entries of this source that its new snapshot no longer has are removed from the source on the
        snapshot's day: a dated life-cycle event (domain.lifecycle), recorded with the entry in one
        transaction, never a bare status."""
        removed_on = self.ctx.snapshot_date
        for list_type in sorted(self.list_types):
            for entry in self.ctx.store.entries_of_list(list_type, self.ctx.source):
                if entry.status not in _STILL_COUNTING or hash(self.entry_seen(entry)) in seen:
                    continue
                try:
                    changed, event = change(
                        entry,
                        "removed_from_source",
                        actor=f"loader: {self.ctx.source}",
                        on=removed_on,
                        recorded_at=datetime.now(UTC),
                        reason=f"no longer in {self.ctx.source} as published on {removed_on.isoformat()}",
                    )
                except DomainError:
                    continue  # a change dated after the snapshot: the entry's own life decides
                changed = changed.model_copy(
                    update={"removed_on": removed_on, "loaded_at": self.ctx.loaded_at}
                )
                self.ctx.store.apply_event(changed, event, expected_status=entry.status)
                out.removed.append(changed)
        return None


class CourtListLoader(ListLoader):
    kind = "court"
    summary = "the court's list of dishonest judgment debtors (失信被执行人名单)"
    fields: ClassVar[dict[str, bool]] = {
        "decision_number": True,
        "subject_name": True,
        "subject_type": False,
        "subject_id_type": False,
        "subject_id": False,
        "legal_rep_name": False,
        "authority": True,
        "conduct_date": False,
        "listed_on": True,
        "expires_on": False,
        "conduct": False,
        "obligation": False,
        "status": False,
        "removed_on": False,
        "removal_reason": False,
        "disclosure": False,
        "conduct_category": False,
        "list_type": False,
    }

    def parse(self, row: Row) -> ListRow | None:
        parsed = self._common(row)
        legal_rep = row.text("legal_rep_name")
        if parsed is None:
            return None
        if legal_rep and parsed.subject.kind == "enterprise":
            parsed.legal_rep = legal_rep
        return parsed


class GenericListLoader(ListLoader):
    kind = "list"
    summary = "other authorities' black, red and watch lists in the generic format"
    fields: ClassVar[dict[str, bool]] = {
        "list_type": False,  # or options.list_type
        "authority": True,
        "decision_number": True,
        "subject_name": True,
        "subject_type": False,
        "subject_id_type": False,
        "subject_id": False,
        "named": False,
        "named_legal_rep": False,
        "named_finance_head": False,
        "removed_on": False,
        "removal_reason": False,
        "conduct": False,
        "conduct_category": False,
        "conduct_date": False,
        "listed_on": True,
        "expires_on": False,
        "disclosure": False,
        "status": False,
    }

    def parse(self, row: Row) -> ListRow | None:
        parsed = self._common(row)
        named = self._named_persons(row)
        if parsed is None or row.bad:
            return None
        parsed.named = named
        return parsed

    def _named_persons(self, row: Row) -> list[Named]:
        """The persons the decision names, from every named-person column the mapping maps: the generic
        format's '张三|法定代表人|34052419800101001X;李四|财务负责人', and the tax cases' combined cells
        ('张三，男，居民身份证，410922198001011234'), each column with the role its header gives. A person
        whose number fails its check is reported and left out; the entry loads."""
        people: list[Named] = []
        for field_name, default_role in NAMED_FIELDS.items():
            role_word = self.ctx.option(f"{field_name}_role", default_role)
            for person in person_cells(row.text(field_name)):
                if not person.name:
                    row.bad_value(
                        field_name, "a document number no name goes with; left out of the entry", False
                    )
                    continue
                doc: Document | None = None
                if person.number is not None:
                    doc = self._named_document(row, field_name, person)
                    if doc is None:
                        continue
                people.append(Named(person.name, person.role or role_word, doc))
        return people

    @staticmethod
    def _named_document(row: Row, field_name: str, person: CellPerson) -> Document | None:
        number = person.number or ""
        if is_masked(number):
            return Document(number, person.document_type, masked=True)
        if person.document_type != "resident_id":
            return Document(number, person.document_type, masked=False)
        try:
            resident = row.memo.resident(number)
        except IdentifierError as err:
            row.bad_value(
                field_name,
                f"{person.name}: {err.kind} {err.check}: {err}; this person is left out of the entry",
                False,
            )
            return None
        return Document(resident.number, "resident_id", masked=False, resident=resident)


_DASHES = re.compile(r"[-\u2010-\u2014\u2212]")


def _kind_of(name: str, code: str) -> str:
    """Person or enterprise, for a list without a subject-type column: from the code's shape, and the
    name's ending where a 15-digit code could be either an old resident ID or a 注册号."""
    org_name = name.endswith(_ORG_NAME_ENDINGS)
    if not code:
        return "enterprise" if org_name else "person"
    if is_masked(code):
        return "person"
    plain = _plain_code(code)
    if len(plain) == 18:
        if is_valid_id_number(plain):
            return "person"
        return "enterprise" if _code_ok(plain) or not _ID_LIKE.match(plain) else "person"
    if len(plain) == 15 and plain.isdigit() and is_valid_id_number(plain) and not org_name:
        return "person"
    return "enterprise"


def _plain_code(code: str) -> str:
    """A code without the hyphens and dashes publishers put in (MAJXU7DA-9, 91-110000-…)."""
    return _DASHES.sub("", code)


def _org_code_ok(code: str) -> bool:
    try:
        validate_org_code(code)
    except IdentifierError:
        return False
    return True


def _registration_ok(code: str) -> bool:
    try:
        validate_registration_number(code)
    except IdentifierError:
        return False
    return True


def _code_ok(code: str) -> bool:
    try:
        validate_enterprise_code(code)
    except IdentifierError:
        return False
    return True
