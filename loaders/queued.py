"""The unresolved-reference queue (graph_service/unresolved) as the list loaders meet it: a held-back
subject or a left-out named person becomes a reference the engine queues when it commits the batch, and a
reference an operator has resolved already gives its person instead. A rejected or undone one stays
unresolved, reported as before, and is not queued again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graph_service.unresolved.references import EntryNamed, EntrySubject, Reference, Target, reference_key
from loaders.common import Match
from loaders.engine import Context, Unresolved

if TYPE_CHECKING:
    from loaders.lists import ListRow


def _key(ctx: Context, parsed: ListRow, field: str, item: Unresolved) -> str:
    return reference_key(
        ctx.source,
        parsed.list_type.code,
        parsed.authority,
        parsed.decision_number,
        parsed.subject.name,
        field,
        item.name,
        item.document,
    )


def _reference(ctx: Context, ref_key: str, item: Unresolved, match: Match, target: Target) -> Reference:
    return Reference(
        ref_key=ref_key,
        source=ctx.source,
        file_name="",  # the engine knows the file
        row=item.row,
        field=item.field,
        name=item.name,
        masked=item.document,
        enterprise=item.enterprise,
        reason=item.reason,
        candidates=tuple(match.considered),
        target=target,
    )


def _chosen(ctx: Context, ref_key: str) -> str | None:
    assert ctx.queue is not None
    decided = ctx.queue.decision_for(ref_key)
    return decided[1] if decided is not None and decided[0] == "resolved" else None


def entry_fields(ctx: Context, parsed: ListRow) -> dict[str, Any]:
    """The entry a held-back row would have made, but for its id and subject key."""
    return {
        "list_type": parsed.list_type.code,
        "domain": parsed.list_type.domain,
        "kind": parsed.list_type.kind,
        "authority": parsed.authority,
        "decision_number": parsed.decision_number,
        "subject_kind": "person",
        "subject_name": parsed.subject.name,
        "conduct": parsed.conduct,
        "conduct_category": parsed.conduct_category,
        "conduct_date": parsed.conduct_date.isoformat() if parsed.conduct_date else None,
        "listed_on": parsed.listed_on.isoformat(),
        "expires_on": parsed.expires_on.isoformat() if parsed.expires_on else None,
        "status": parsed.status,
        "disclosure": parsed.disclosure,
        "source": ctx.source,
        "loaded_at": ctx.loaded_at.isoformat(),
    }


def held_subject(ctx: Context, item: Unresolved, parsed: ListRow, match: Match) -> str | None:
    """The person a decision chose for this row's subject; else None, and the item carries the reference
    for the queue."""
    if ctx.queue is None:
        return None
    ref_key = _key(ctx, parsed, "subject_id", item)
    chosen = _chosen(ctx, ref_key)
    if chosen is None:
        item.reference = _reference(ctx, ref_key, item, match, EntrySubject(entry=entry_fields(ctx, parsed)))
    return chosen


class NamedInRow:
    """One row's named persons in its order, and the references among them."""

    def __init__(self, ctx: Context, parsed: ListRow, entry_id: str) -> None:
        self.ctx, self.parsed, self.entry_id = ctx, parsed, entry_id
        self.slots: list[str] = []
        self.items: list[Unresolved] = []

    def matched(self, person_key: str) -> None:
        self.slots.append(person_key)

    def chosen(self, item: Unresolved, field: str, role: str, match: Match) -> str | None:
        """The person a decision chose for this named person; else None, and the item carries the
        reference for the queue."""
        if self.ctx.queue is None:
            return None
        ref_key = _key(self.ctx, self.parsed, field, item)
        chosen = _chosen(self.ctx, ref_key)
        if chosen is None:
            target = EntryNamed(entry_id=self.entry_id, role=role)
            item.reference = _reference(self.ctx, ref_key, item, match, target)
            self.slots.append(f"ref:{ref_key}")
            self.items.append(item)
        return chosen

    def done(self) -> None:
        """Every reference of the row learns the row's order."""
        for item in self.items:
            ref = item.reference
            if ref is not None and isinstance(ref.target, EntryNamed):
                target = ref.target.model_copy(update={"order": tuple(self.slots)})
                item.reference = ref.model_copy(update={"target": target})
