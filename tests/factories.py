"""Small hand-made records for store tests, with valid codes built by the identifier builders."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from pydantic import BaseModel

from graph_service.identifiers import build_id_number, build_uscc
from graph_service.model import Enterprise, ListEntry, NamedResponsible, Person, Role, RoleType, entry_id_for
from graph_service.persons import person_from_document

M = TypeVar("M", bound=BaseModel)

SECRET = "test-hash-key"


def uscc(n: int, division: str = "410922") -> str:
    return build_uscc("9", "1", division, f"MA{n:06d}")


def enterprise(n: int, **kw: object) -> Enterprise:
    fields: dict[str, object] = {"uscc": uscc(n), "name": f"清丰县测试{n}有限公司", "source": "test"}
    fields.update(kw)
    return Enterprise(**fields)  # type: ignore[arg-type]


def person(n: int, name: str | None = None) -> Person:
    number = build_id_number("410922", date(1970, 1, 1), n)
    return person_from_document(number, name or f"测试{n}", SECRET, source="test")


def role(
    type_: RoleType,
    holder: Person | Enterprise,
    org: Enterprise,
    valid_from: date | None = date(2015, 1, 1),
    valid_to: date | None = None,
    **kw: object,
) -> Role:
    if isinstance(holder, Person):
        kind, key = "person", holder.person_key
    else:
        kind, key = "enterprise", holder.uscc
    return Role(
        type=type_,
        holder_kind=kind,  # type: ignore[arg-type]
        holder_key=key,
        enterprise=org.uscc,
        valid_from=valid_from,
        valid_to=valid_to,
        source="test",
        **kw,  # type: ignore[arg-type]
    )


def entry(
    subject: Person | Enterprise,
    decision: str = "(2023)豫0922执1号",
    named: tuple[tuple[Person, str], ...] = (),
    **kw: object,
) -> ListEntry:
    key = subject.person_key if isinstance(subject, Person) else subject.uscc
    fields: dict[str, object] = {
        "entry_id": entry_id_for("清丰县人民法院", decision, key),
        "list_type": "court_dishonest_debtor",
        "domain": "court",
        "kind": "black",
        "authority": "清丰县人民法院",
        "decision_number": decision,
        "subject_kind": "person" if isinstance(subject, Person) else "enterprise",
        "subject_key": key,
        "subject_name": subject.name,
        "listed_on": date(2023, 3, 1),
        "expires_on": date(2025, 3, 1),
        "named_responsible": tuple(
            NamedResponsible(person_key=p.person_key, name=p.name, role=r) for p, r in named
        ),
        "source": "test",
    }
    fields.update(kw)
    return ListEntry(**fields)  # type: ignore[arg-type]


def unstamped(record: M) -> M:
    """A record without the moments the store stamped on it (recorded_at, end_recorded_at): what a test
    compares with the record it wrote."""
    blank = {name: None for name in ("recorded_at", "end_recorded_at") if name in type(record).model_fields}
    return record.model_copy(update=blank)
