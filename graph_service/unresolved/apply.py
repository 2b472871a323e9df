"""Decisions on unresolved references, applied at once through the store contract (so on either backend):

- resolve: the reference is this stored person (any person, a candidate or not). A held-back entry is
  created with the person as its subject; a named person is added to the entry's named_responsible,
  the entry keeping its status and history.
- reject: no stored person is this one. Nothing changes in the store; later loads keep it unresolved.
- undo: the decision is withdrawn. A named person it added is taken out again; an entry it created is
  ended through its life cycle (revoked, with the reason), never deleted. The reference may then be
  decided again.

Each decision reads the reference, changes the store and records itself while holding the queue's write
lock (queue.deciding). A store change that is made but whose record is lost in a crash is found already
made when the operator decides again, and is not made twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import ValidationError

from graph_service.domain.errors import DomainError
from graph_service.domain.lifecycle import change
from graph_service.model import PERSON_KEY, ListEntry, NamedResponsible, entry_id_for
from graph_service.store import mark_data_as_of
from graph_service.store.base import GraphStore
from graph_service.text_safety import mask_ids_in_text
from graph_service.unresolved.queue import Held, UnresolvedQueue
from graph_service.unresolved.references import (
    Action,
    Decision,
    EntryNamed,
    EntrySubject,
    QueuedReference,
    Status,
)

# Which statuses each decision may start from: a decided reference is undone before it is decided again.
STARTS: dict[Action, frozenset[Status]] = {
    "resolve": frozenset({"open", "undone"}),
    "reject": frozenset({"open", "undone"}),
    "undo": frozenset({"resolved", "rejected"}),
}
# An entry a decision created can be revoked from these statuses; from the others its life has ended it.
REVOCABLE = frozenset({"active", "under_objection"})


class DecisionError(Exception):
    """A decision that cannot be taken: the field it is about and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnknownReference(DecisionError):
    """No reference with this id."""


class AlreadyDecided(DecisionError):
    """The reference's status, or its entry's, does not allow the decision now."""


class InvalidDecision(DecisionError):
    """The decision names something that cannot be (a person not in the store, an empty reason)."""


@dataclass(frozen=True)
class Outcome:
    reference: QueuedReference
    decision: Decision


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Decisions:
    """resolve, reject and undo on the queue's references, applied to the store."""

    def __init__(self, queue: UnresolvedQueue, store: GraphStore) -> None:
        self.queue = queue
        self.store = store

    def resolve(self, ref_id: str, person_key: str, actor: str, reason: str) -> Outcome:
        """The reference is this stored person; its entry is created or completed with him."""
        if not re.fullmatch(PERSON_KEY, person_key):
            raise InvalidDecision(
                "person_key", "a person is chosen by its person key (P and 32 hex characters)"
            )
        reason = _check(actor, reason)
        with self.queue.deciding(ref_id) as held:
            ref = self._decidable(held, ref_id, "resolve")
            person = self.store.get_person(person_key)
            if person is None:
                raise InvalidDecision("person_key", f"no person {person_key} in the store")
            was_candidate = any(c.person_key == person_key for c in ref.candidates)
            if isinstance(ref.target, EntrySubject):
                entry_id, applied, changed = self._create_entry(ref, ref.target, person_key)
            else:
                entry_id, applied, changed = self._add_named(ref, ref.target, person_key)
            decision = Decision(
                action="resolve", person_key=person_key, was_candidate=was_candidate, actor=actor,
                reason=reason, at=_now(), applied=applied, entry_id=entry_id, changed=changed,
            )  # fmt: skip
            assert held is not None
            return Outcome(held.record("resolved", person_key, decision), decision)

    def reject(self, ref_id: str, actor: str, reason: str) -> Outcome:
        """No stored person is this one: the store is left as it is."""
        reason = _check(actor, reason)
        with self.queue.deciding(ref_id) as held:
            ref = self._decidable(held, ref_id, "reject")
            entry_id = ref.target.entry_id if isinstance(ref.target, EntryNamed) else None
            applied = "nothing changed in the store; later loads of the source keep the reference unresolved"
            decision = Decision(
                action="reject", actor=actor, reason=reason, at=_now(), applied=applied, entry_id=entry_id
            )
            assert held is not None
            return Outcome(held.record("rejected", None, decision), decision)

    def undo(self, ref_id: str, actor: str, reason: str) -> Outcome:
        """Withdraw the reference's decision and what it changed in the store."""
        reason = _check(actor, reason)
        with self.queue.deciding(ref_id) as held:
            ref = self._decidable(held, ref_id, "undo")
            last = ref.decisions[-1] if ref.decisions else None
            entry_id, applied, changed = None, "nothing to reverse in the store", False
            if ref.status == "resolved" and last is not None and last.entry_id is not None:
                entry_id = last.entry_id
                if last.changed and isinstance(ref.target, EntrySubject):
                    applied, changed = self._revoke(ref, last.entry_id, actor, reason)
                elif last.changed and isinstance(ref.target, EntryNamed) and last.person_key is not None:
                    applied, changed = self._remove_named(last.entry_id, last.person_key)
                else:
                    applied = f"the decision had left entry {entry_id} as it was; nothing to reverse"
            decision = Decision(
                action="undo", person_key=ref.person_key, actor=actor, reason=reason, at=_now(),
                applied=applied, entry_id=entry_id, changed=changed,
            )  # fmt: skip
            assert held is not None
            return Outcome(held.record("undone", None, decision), decision)

    # -- checks -------------------------------------------------------------------------------------

    @staticmethod
    def _decidable(held: Held | None, ref_id: str, action: Action) -> QueuedReference:
        if held is None:
            raise UnknownReference("id", f"no unresolved reference {ref_id}")
        ref = held.reference
        if ref.status not in STARTS[action]:
            if action == "undo":
                raise AlreadyDecided(
                    "status", f"reference {ref_id} is {ref.status}: there is no decision to undo"
                )
            raise AlreadyDecided(
                "status",
                f"reference {ref_id} is {ref.status} already: undo its decision before deciding again",
            )
        return ref

    # -- what a decision does to the store ----------------------------------------------------------

    def _create_entry(
        self, ref: QueuedReference, target: EntrySubject, person_key: str
    ) -> tuple[str, str, bool]:
        fields = target.entry
        entry_id = entry_id_for(str(fields.get("authority")), str(fields.get("decision_number")), person_key)
        held = self.store.get_entry(entry_id)
        if held is not None:
            return entry_id, f"entry {entry_id} is held already ({held.status}); left as it is", False
        try:
            entry = ListEntry.model_validate(
                {**fields, "entry_id": entry_id, "subject_kind": "person", "subject_key": person_key}
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "entry"
            raise InvalidDecision(f"target.entry.{where}", str(first["msg"])) from None
        self.store.upsert_entries([entry])
        mark_data_as_of(self.store)
        return entry_id, f"entry {entry_id} created with person {person_key} as its subject", True

    def _add_named(self, ref: QueuedReference, target: EntryNamed, person_key: str) -> tuple[str, str, bool]:
        entry = self._entry(target.entry_id)
        if entry.subject_kind == "person" and entry.subject_key == person_key:
            raise InvalidDecision(
                "person_key", f"{person_key} is the subject of entry {entry.entry_id} itself"
            )
        if any(n.person_key == person_key for n in entry.named_responsible):
            # Named already: by a load, or by this decision before a crash lost its record.
            return entry.entry_id, f"person {person_key} is named in entry {entry.entry_id} already", False
        added = NamedResponsible(person_key=person_key, name=ref.name, role=target.role)
        named = self._in_row_order((*entry.named_responsible, added), target.order, ref.ref_key, person_key)
        self._write_named(entry, named)
        return entry.entry_id, f"person {person_key} added to entry {entry.entry_id} as {target.role}", True

    def _remove_named(self, entry_id: str, person_key: str) -> tuple[str, bool]:
        entry = self.store.get_entry(entry_id)
        if entry is None or not any(n.person_key == person_key for n in entry.named_responsible):
            return f"person {person_key} is not named in entry {entry_id}; nothing to take out", False
        self._write_named(entry, tuple(n for n in entry.named_responsible if n.person_key != person_key))
        return f"person {person_key} taken out of entry {entry_id}", True

    def _revoke(self, ref: QueuedReference, entry_id: str, actor: str, reason: str) -> tuple[str, bool]:
        entry = self.store.get_entry(entry_id)
        if entry is None:
            return f"entry {entry_id} is not in the store; nothing to end", False
        if entry.status == "revoked":
            return f"entry {entry_id} is revoked already", False
        if entry.status not in REVOCABLE:
            raise AlreadyDecided(
                "status",
                f"entry {entry_id} is {entry.status}: its life cycle does not revoke it from there "
                f"(only from {', '.join(sorted(REVOCABLE))}); the decision stands",
            )
        why = f"unresolved reference {ref.id} undone: {reason}"
        try:
            changed, event = change(entry, "revoked", actor, date.today(), _now(), reason=why[:2000])
        except DomainError as exc:
            raise AlreadyDecided("status", f"entry {entry_id}: {exc}") from None
        self.store.apply_event(changed, event, expected_status=entry.status)
        mark_data_as_of(self.store)
        return f"entry {entry_id} revoked", True

    def _entry(self, entry_id: str) -> ListEntry:
        entry = self.store.get_entry(entry_id)
        if entry is None:
            raise AlreadyDecided("target.entry_id", f"entry {entry_id} is not in the store")
        return entry

    def _write_named(self, entry: ListEntry, named: tuple[NamedResponsible, ...]) -> None:
        # The stored entry with only its named persons changed: status, history and dates as they are.
        updated = ListEntry.model_validate({**entry.model_dump(), "named_responsible": named})
        self.store.upsert_entries([updated])
        mark_data_as_of(self.store)

    def _in_row_order(
        self, named: tuple[NamedResponsible, ...], order: tuple[str, ...], ref_key: str, person_key: str
    ) -> tuple[NamedResponsible, ...]:
        """Named persons in the order the row names them, as a later load of it will write them; persons
        the row does not name keep their place after those it does."""
        refs = [slot.removeprefix("ref:") for slot in order if slot.startswith("ref:")]
        chosen = {**self.queue.resolved_persons(refs), ref_key: person_key}
        rank: dict[str, int] = {}
        for i, slot in enumerate(order):
            key = chosen.get(slot.removeprefix("ref:")) if slot.startswith("ref:") else slot
            if key is not None:
                rank.setdefault(key, i)
        placed = sorted(
            enumerate(named), key=lambda item: (rank.get(item[1].person_key, len(order)), item[0])
        )
        return tuple(n for _, n in placed)


def _check(actor: str, reason: str) -> str:
    """The reason as it is kept: an ID number an operator typed into it, masked."""
    if not actor.strip():
        raise InvalidDecision("actor", "say who decides")
    if not reason.strip():
        raise InvalidDecision("reason", "say why")
    if len(reason) > 2000:
        raise InvalidDecision("reason", "at most 2000 characters")
    return mask_ids_in_text(reason.strip())
