"""What an operator is shown of the queue, in the API and at the command line. Numbers are masked
always: the queue never holds a full one."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from graph_service.unresolved.references import Decision, EntryNamed, QueuedReference, Status


class ReferenceSummary(BaseModel):
    """One line of the queue."""

    id: str
    status: Status
    source: str
    file_name: str
    row: int
    field: str
    name: str
    masked: str
    enterprise: str
    reason: str
    candidates: int  # how many stored persons were considered
    fitting: int  # how many of them fit what the source gives
    target: str  # entry_subject or entry_named
    person_key: str | None
    first_seen: datetime
    last_seen: datetime

    @classmethod
    def of(cls, ref: QueuedReference) -> ReferenceSummary:
        return cls(
            id=ref.id, status=ref.status, source=ref.source, file_name=ref.file_name, row=ref.row,
            field=ref.field, name=ref.name, masked=ref.masked, enterprise=ref.enterprise, reason=ref.reason,
            candidates=len(ref.candidates), fitting=sum(c.fits for c in ref.candidates),
            target=ref.target.kind, person_key=ref.person_key, first_seen=ref.first_seen,
            last_seen=ref.last_seen,
        )  # fmt: skip


class ReferencePage(BaseModel):
    items: list[ReferenceSummary]
    next_cursor: str | None  # give it as `cursor` for the next page; None after the last


class DecisionAnswer(BaseModel):
    """The reference as the decision left it, and the decision (was_candidate: whether the chosen person
    was one of the candidates; applied: what changed in the store)."""

    reference: QueuedReference
    decision: Decision


def describe(ref: QueuedReference) -> list[str]:
    """The reference in lines of text, for `credit-graph unresolved show`."""
    lines = [
        f"{ref.id}  {ref.status}" + (f"  person {ref.person_key}" if ref.person_key else ""),
        f"  {ref.source}: {ref.file_name} row {ref.row}, {ref.field}",
        f"  names {ref.name}" + (f" ({ref.masked})" if ref.masked else "")
        + (f" in {ref.enterprise}" if ref.enterprise else ""),
        f"  unresolved: {ref.reason}",
    ]  # fmt: skip
    target = ref.target
    if isinstance(target, EntryNamed):
        lines.append(f"  a decision adds the person to entry {target.entry_id} as {target.role}")
    else:
        e = target.entry
        lines.append(
            f"  a decision creates the held-back entry {e.get('list_type')} {e.get('authority')} "
            f"{e.get('decision_number')} with the person as subject"
        )
    lines.append(f"  candidates ({len(ref.candidates)}):" if ref.candidates else "  no candidates")
    for c in ref.candidates:
        lines.append(
            f"    {'fits' if c.fits else 'does not fit'}  {c.person_key}  {c.name} {c.masked}: {c.why}"
        )
    for d in ref.decisions:
        who = f" person {d.person_key}" + (" (a candidate)" if d.was_candidate else " (not a candidate)")
        chosen = who if d.action == "resolve" else ""
        lines.append(f"  {d.at:%Y-%m-%d %H:%M} {d.action}{chosen} by {d.actor}: {d.reason}")
        lines.append(f"    applied: {d.applied}")
    return lines
