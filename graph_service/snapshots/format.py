"""The snapshot file format (docs/snapshots.md): one JSON object a line, its `record` field saying which.

Records refer to one another by natural keys only (USCC, person key or ID number, entry id), so a file can
be read by people, written by hand, and loaded into any store. This module turns store records into lines
and lines back into store records; it knows nothing of files or stores.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graph_service.identifiers import (
    IdentifierError,
    is_masked,
    mask_id_number,
    normalize_code,
    parse_id_number,
    person_key,
)
from graph_service.model import (
    PERSON_KEY,
    DocumentType,
    Enterprise,
    EntryEvent,
    Feedback,
    ListEntry,
    Person,
    Role,
)
from graph_service.persons import displayed_id

FORMAT = "credit-graph-snapshot"
VERSION = 1
DataRecord = Literal["enterprise", "person", "role", "entry", "event", "feedback"]
DATA_RECORDS: tuple[DataRecord, ...] = ("enterprise", "person", "role", "entry", "event", "feedback")
# Longest line read whole; a longer one is rejected without being held in memory.
MAX_LINE_BYTES = 1 << 20
# Fields a file without ID numbers leaves out: with the masked number (first 4 and last 4 characters)
# the birth date and the region code would give back the whole number.
IDENTIFYING = frozenset({"id_number", "birth_date", "region"})
_PERSON_KEY = re.compile(PERSON_KEY)
DOCUMENT_TYPES: tuple[str, ...] = get_args(DocumentType)
_CANONICAL = re.compile(r"[0-9A-Z]+")
# Runs of digits as long as an ID number: masked wherever they would be shown (a key or a message
# quoting what a file held).
_ID_LIKE = re.compile(r"[0-9]{14,17}[0-9Xx]")
_SHOWN = 300


OnProgress = Callable[[str, int, int | None], None]  # stage, done, total (None when unknown)


class SnapshotError(Exception):
    """The file as a whole cannot be imported, or the export cannot be made; the message says why."""


class Header(BaseModel):
    """The first line of an exported file: what it is, where from, and how its person keys were made."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record: Literal["snapshot"] = "snapshot"
    format: Literal["credit-graph-snapshot"] = "credit-graph-snapshot"
    version: int = Field(default=VERSION, ge=1)
    exported_at: datetime
    backend: str = ""
    # Which key made the person keys (its fingerprint, never the key): keys made with another key mean
    # nothing in this store.
    hash_key_fingerprint: str | None = None
    with_id_numbers: bool = False
    subject_kind: Literal["enterprise", "person", "entry"] | None = None
    subject_key: str | None = None
    hops: int | None = None


class End(BaseModel):
    """The last line of an exported file: how many records of each kind it holds, so that a cut-off file
    (a full disk, an interrupted copy) shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record: Literal["end"] = "end"
    counts: dict[str, int]


class RecordError(ValueError):
    """One record cannot be used: the field and the reason, never the value of an ID number."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = scrub(field)
        self.reason = scrub(reason)


def scrub(text: str) -> str:
    """Text safe for a report: anything shaped like an ID number masked, and cut to a readable length."""
    text = _ID_LIKE.sub(lambda m: mask_id_number(m.group(0)), text)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def from_validation(err: ValidationError) -> RecordError:
    """The first problem pydantic found, as the field it concerns and why."""
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    reason = str(first["msg"]).removeprefix("Value error, ")
    # Model validators name the field at the start of their message ("uscc: ...").
    named = re.match(r"^([a-z_]+(?:\.[a-z_0-9]+)*): (.*)$", reason, re.DOTALL)
    if not field and named:
        field, reason = named.group(1), named.group(2)
    return RecordError(field or "record", reason)


# -- store records to lines ---------------------------------------------------------------------------


def to_line(fields: Mapping[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")) + "\n"


def _dump(record: BaseModel, exclude: set[str] | None = None) -> dict[str, Any]:
    fields = record.model_dump(mode="json", exclude_none=True, exclude=exclude)
    # Keys and content first, provenance last: the order a person reads a record in.
    for name in ("source", "loaded_at"):
        if name in fields:
            fields[name] = fields.pop(name)
    return fields


def _with_after(fields: dict[str, Any], after: str, extra: dict[str, Any]) -> dict[str, Any]:
    """The fields with `extra` placed right after `after`, so related fields read together."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        out[name] = value
        if name == after:
            out.update(extra)
    out.update({k: v for k, v in extra.items() if k not in out})
    return out


def _person_ref(person: Person | None, prefix: str) -> dict[str, Any]:
    """The ID number beside a person key, for files that may carry them, so that a store keyed with
    another hash key can recompute the key."""
    if person is None or not person.id_number:
        return {}
    ref: dict[str, Any] = {f"{prefix}id_number": person.id_number}
    if person.document_type != "resident_id":
        ref[f"{prefix}document_type"] = person.document_type
    return ref


def enterprise_fields(e: Enterprise) -> dict[str, Any]:
    return {"record": "enterprise", **_dump(e)}


def person_fields(p: Person, with_id_numbers: bool) -> dict[str, Any]:
    fields = _dump(p, exclude=None if with_id_numbers else set(IDENTIFYING))
    masked = displayed_id(p)
    if masked and "id_masked" in fields:
        fields["id_masked"] = masked
    elif masked:
        fields = _with_after(fields, "document_type", {"id_masked": masked})
    return {"record": "person", **fields}


def role_fields(r: Role, persons: Mapping[str, Person] | None) -> dict[str, Any]:
    fields = _dump(r)
    if persons is not None and r.holder_kind == "person":
        fields = _with_after(fields, "holder_key", _person_ref(persons.get(r.holder_key), "holder_"))
    return {"record": "role", **fields}


def entry_fields(e: ListEntry, persons: Mapping[str, Person] | None) -> dict[str, Any]:
    fields = _dump(e)
    if persons is not None:
        if e.subject_kind == "person":
            fields = _with_after(fields, "subject_key", _person_ref(persons.get(e.subject_key), "subject_"))
        fields["named_responsible"] = [
            _with_after(_dump(n), "person_key", _person_ref(persons.get(n.person_key), ""))
            for n in e.named_responsible
        ]
    return {"record": "entry", **fields}


def event_fields(e: EntryEvent) -> dict[str, Any]:
    return {"record": "event", **_dump(e)}


def feedback_fields(f: Feedback) -> dict[str, Any]:
    return {"record": "feedback", **_dump(f)}


def persons_referred(record: Role | ListEntry) -> list[str]:
    if isinstance(record, Role):
        return [record.holder_key] if record.holder_kind == "person" else []
    keys = [record.subject_key] if record.subject_kind == "person" else []
    return keys + [n.person_key for n in record.named_responsible]


# -- lines to store records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Keying:
    """How person references in a file become this store's person keys.

    `secret` is the store's hash key (None: ID numbers cannot be keyed here). With `trust_keys` False the
    file's person keys were made with another hash key: only ID numbers identify persons then."""

    secret: str | None
    trust_keys: bool = True

    def person(
        self, given_key: Any, id_number: Any, document_type: Any, key_field: str, id_field: str
    ) -> tuple[str, str | None]:
        """The person key, and the normalised ID number when the reference gives one."""
        given_key = _optional_str(given_key, key_field)
        id_number = _optional_str(id_number, id_field)
        doc = _optional_str(document_type, id_field.removesuffix("id_number") + "document_type")
        doc = doc or "resident_id"
        if doc not in DOCUMENT_TYPES:
            raise RecordError(
                id_field.removesuffix("id_number") + "document_type",
                f"unknown document type {doc!r}; one of {', '.join(DOCUMENT_TYPES)}",
            )
        if id_number is None:
            if given_key is None:
                raise RecordError(key_field, f"give a person key or an ID number ({id_field})")
            if not self.trust_keys:
                raise RecordError(
                    key_field,
                    "the file's person keys were made with another hash key, and no ID number is given "
                    "to make this store's key from",
                )
            if not _PERSON_KEY.fullmatch(given_key):
                raise RecordError(key_field, "a person key is P and 32 hex characters")
            return given_key, None
        number = normalised_number(id_number, doc, id_field)
        if self.secret is None:
            raise RecordError(id_field, "no hash key to make a person key from the ID number")
        key = person_key(number, self.secret, doc)
        if given_key is not None and self.trust_keys and given_key != key:
            raise RecordError(
                key_field, f"does not match the ID number in {id_field} under this store's hash key"
            )
        return key, number


def normalised_number(raw: str, document_type: str, field: str) -> str:
    if is_masked(raw):
        raise RecordError(field, "a masked number cannot identify a person; give the person key instead")
    if document_type == "resident_id":
        try:
            return parse_id_number(raw).number
        except IdentifierError as err:
            raise RecordError(field, str(err)) from None
    number = normalize_code(raw)
    if not number:
        raise RecordError(field, "document number is empty")
    return number


def _optional_str(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise RecordError(field, "must be a string")


def _code(fields: dict[str, Any], name: str) -> None:
    """Organisation codes as typed by hand (lower case, full width, blanks) in their canonical form."""
    value = fields.get(name)
    # Codes as export writes them are canonical already: checking that is far cheaper than normalising.
    if isinstance(value, str) and not _CANONICAL.fullmatch(value):
        fields[name] = normalize_code(value)


def _validate(model: type[Any], fields: dict[str, Any]) -> Any:
    try:
        return model.model_validate(fields)
    except ValidationError as err:
        raise from_validation(err) from None


def parse_enterprise(fields: dict[str, Any]) -> Enterprise:
    _code(fields, "uscc")
    result: Enterprise = _validate(Enterprise, fields)
    return result


def parse_person(fields: dict[str, Any], keying: Keying) -> Person:
    key, number = keying.person(
        fields.pop("person_key", None),
        fields.pop("id_number", None),
        fields.get("document_type"),
        "person_key",
        "id_number",
    )
    fields["person_key"] = key
    masked = _optional_str(fields.get("id_masked"), "id_masked")
    if masked and not is_masked(masked) and len(masked) >= 8:
        raise RecordError("id_masked", "holds an unmasked number; give it masked, or as id_number")
    person: Person = _validate(Person, fields)
    if number is None:
        return person
    derived: dict[str, Any] = {"id_number": number, "id_masked": person.id_masked or mask_id_number(number)}
    if person.document_type == "resident_id":
        rid = parse_id_number(number)
        for name, value in (("birth_date", rid.birth_date), ("sex", rid.sex), ("region", rid.region)):
            held = getattr(person, name)
            if held is not None and held != value:
                raise RecordError(name, "does not match the ID number")
            derived[name] = value
    return person.model_copy(update=derived)


def parse_role(fields: dict[str, Any], keying: Keying) -> Role:
    id_number = fields.pop("holder_id_number", None)
    document_type = fields.pop("holder_document_type", None)
    kind = fields.get("holder_kind")
    given = fields.get("holder_key")
    if kind is None:
        is_key = isinstance(given, str) and _PERSON_KEY.fullmatch(given)
        kind = "person" if id_number is not None or is_key else "enterprise"
        fields["holder_kind"] = kind
    if kind == "person":
        fields["holder_key"], _ = keying.person(
            given, id_number, document_type, "holder_key", "holder_id_number"
        )
    elif id_number is not None:
        raise RecordError("holder_id_number", "an organisation holds a role by its USCC in holder_key")
    else:
        _code(fields, "holder_key")
    _code(fields, "enterprise")
    result: Role = _validate(Role, fields)
    return result


def parse_entry(fields: dict[str, Any], keying: Keying) -> ListEntry:
    id_number = fields.pop("subject_id_number", None)
    document_type = fields.pop("subject_document_type", None)
    if fields.get("subject_kind") == "person":
        fields["subject_key"], _ = keying.person(
            fields.get("subject_key"), id_number, document_type, "subject_key", "subject_id_number"
        )
    elif id_number is not None:
        raise RecordError("subject_id_number", "an ID number names a person; set subject_kind to person")
    else:
        _code(fields, "subject_key")
    named = fields.get("named_responsible")
    if named is not None:
        if not isinstance(named, list):
            raise RecordError("named_responsible", "must be a list of persons")
        resolved = []
        for i, item in enumerate(named):
            at = f"named_responsible.{i}."
            if not isinstance(item, dict):
                raise RecordError(at.rstrip("."), "must be an object")
            item = dict(item)
            item["person_key"], _ = keying.person(
                item.get("person_key"),
                item.pop("id_number", None),
                item.pop("document_type", None),
                at + "person_key",
                at + "id_number",
            )
            resolved.append(item)
        fields["named_responsible"] = resolved
    result: ListEntry = _validate(ListEntry, fields)
    return result


def parse_event(fields: dict[str, Any]) -> EntryEvent:
    result: EntryEvent = _validate(EntryEvent, fields)
    return result


def parse_feedback(fields: dict[str, Any]) -> Feedback:
    result: Feedback = _validate(Feedback, fields)
    return result


def same_event(a: EntryEvent, b: EntryEvent) -> bool:
    """One event recorded twice: equal in every field but when it was recorded."""
    return a.model_copy(update={"recorded_at": None}) == b.model_copy(update={"recorded_at": None})
