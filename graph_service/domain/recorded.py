"""When the service learnt a record: the stamps that let an answer be given "as known at" a past moment.

A store stamps every record it writes with these functions (the Neo4j statements in cypher/writes.cypher
do the same in the write itself, and the conformance suite holds both to one answer):

- a record's `recorded_at` is the moment it was first written and never changes; an import may bring
  the moment another store recorded it;
- a role's `end_recorded_at` is the moment its `valid_to` was learnt: until then the role was known as
  holding. A record written before these stamps existed has none, and counts as known since always.
"""

from __future__ import annotations

from datetime import UTC, datetime

from graph_service.model import ListEntry, Role


def stamp_entry(old: ListEntry | None, new: ListEntry, now: datetime) -> ListEntry:
    recorded = old.recorded_at if old is not None else (new.recorded_at or now)
    if recorded == new.recorded_at:
        return new
    return new.model_copy(update={"recorded_at": recorded})


def stamp_role(old: Role | None, new: Role, now: datetime) -> Role:
    recorded: datetime | None
    end: datetime | None
    if old is None:
        recorded = new.recorded_at or now
        end = (new.end_recorded_at or recorded) if new.valid_to is not None else None
    else:
        recorded = old.recorded_at
        if new.valid_to is None:
            end = None
        elif old.valid_to == new.valid_to:
            end = old.end_recorded_at
        else:
            end = now
    if (recorded, end) == (new.recorded_at, new.end_recorded_at):
        return new
    return new.model_copy(update={"recorded_at": recorded, "end_recorded_at": end})


def role_as_known(role: Role, moment: datetime | None) -> Role | None:
    """The role as the service held it at `moment`: None if not yet recorded, open if its end was learnt
    later. (Only the latest end is kept: a role whose end moved twice is known with its latest end.)"""
    if moment is None:
        return role
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if role.recorded_at is not None and role.recorded_at > moment:
        return None
    if role.valid_to is not None and role.end_recorded_at is not None and role.end_recorded_at > moment:
        return role.model_copy(update={"valid_to": None})
    return role
