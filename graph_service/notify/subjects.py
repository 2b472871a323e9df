"""Turning the subjects a department names into the keys a subscription watches.

A subject is named by its USCC, by an ID number, or by its person key; either as a plain string, whose
form says which it is, or as an object naming the field (needed for documents other than a resident ID,
and for the rare string that reads as both a USCC and a resident ID). An ID number is turned into its
person key at once, with the keyed hash the store's persons are keyed by, and is then forgotten: it is
never kept, logged or echoed; what is shown of it anywhere is its mask.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from graph_service.identifiers import (
    IdentifierError,
    is_valid_id_number,
    is_valid_uscc,
    mask_id_number,
    normalize_code,
    validate_uscc,
)
from graph_service.model import PERSON_KEY, DocumentType
from graph_service.persons import document_key
from graph_service.store.base import GraphStore
from graph_service.text_safety import mask_ids_in_text

SubjectKind = Literal["enterprise", "person"]
Key = tuple[SubjectKind, str]
MAX_BATCH = 10_000  # subjects per call; the subscription's own limit is models.MAX_WATCHED
MAX_REPORTED = 100  # bad subjects named in one answer: enough to fix a file, not a megabyte of errors
DOCUMENT_TYPES = ", ".join(get_args(DocumentType))


class GivenSubject(BaseModel):
    """Exactly one of uscc, id_number (with its document type when not a resident ID) or person_key."""

    model_config = ConfigDict(extra="forbid")

    uscc: str | None = Field(default=None, max_length=64, description="统一社会信用代码")
    id_number: str | None = Field(
        default=None, max_length=64, description="证件号码: turned into the person key, never kept"
    )
    document_type: DocumentType = "resident_id"
    person_key: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _exactly_one(self) -> GivenSubject:
        given = [n for n in ("uscc", "id_number", "person_key") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of uscc, id_number, person_key")
        return self


# As a request carries it: a string, or an object for GivenSubject.
Given = str | dict[str, str] | GivenSubject


@dataclass(frozen=True)
class BadSubject:
    index: int
    reason: str

    def field(self, name: str) -> str:
        return f"{name}[{self.index}]"


class SubjectsError(ValueError):
    """Some subjects of a batch are not subjects; none of the batch is taken."""

    def __init__(self, field: str, bad: Sequence[BadSubject], total: int) -> None:
        self.field, self.bad, self.total = field, list(bad), total
        first = self.bad[0]
        more = f" (and {total - 1:,} more)" if total > 1 else ""
        super().__init__(f"{first.field(field)}: {first.reason}{more}")


def _person_key(text: str) -> Key:
    if not re.fullmatch(PERSON_KEY, text):
        raise ValueError("a person key is P and 32 lower-case hexadecimal characters")
    return "person", text


def _uscc(text: str) -> Key:
    try:
        return "enterprise", validate_uscc(text)
    except IdentifierError as err:
        raise ValueError(str(err)) from None


def _id_number(text: str, secret: str, document_type: DocumentType) -> Key:
    try:
        return "person", document_key(text, secret, document_type)
    except IdentifierError as err:
        raise ValueError(str(err)) from None


def _looks_like_id_number(code: str) -> bool:
    digits = code[:-1] if code.endswith("X") else code
    return len(code) in (15, 18) and digits.isdigit()


def _from_text(raw: str, secret: str) -> Key:
    text = raw.strip()
    if not text:
        raise ValueError("empty: give a USCC, an ID number or a person key")
    if text.startswith("P") and len(text) == 33:
        return _person_key(text)
    code = normalize_code(text)
    uscc, resident = is_valid_uscc(code), is_valid_id_number(code)
    if uscc and resident:
        raise ValueError(
            'reads as both a USCC and a resident ID number: give it as {"uscc": …} or {"id_number": …}'
        )
    if uscc:
        return _uscc(code)
    if resident or _looks_like_id_number(code):
        return _id_number(code, secret, "resident_id")
    if len(code) == 18:
        return _uscc(code)
    raise ValueError(
        f"{len(code)} characters: neither a USCC (18 characters), a resident ID number (18, or 15 digits) "
        f"nor a person key (P and 32 hexadecimal characters); for another document give "
        f'{{"id_number": …, "document_type": …}} (one of {DOCUMENT_TYPES})'
    )


def subject_key(given: Given, secret: str) -> Key:
    """The (kind, key) a subscription watches for one given subject; ValueError saying why not."""
    if isinstance(given, str):
        return _from_text(given, secret)
    if isinstance(given, dict):
        try:
            given = GivenSubject.model_validate(given)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{where}: {first['msg']}" if where else str(first["msg"])) from None
    if given.uscc is not None:
        return _uscc(given.uscc.strip())
    if given.id_number is not None:
        return _id_number(given.id_number.strip(), secret, given.document_type)
    return _person_key((given.person_key or "").strip())


def subject_keys(given: Sequence[Given], secret: str, field: str) -> list[Key]:
    """The keys of a batch in its order; SubjectsError naming each bad one by its index (the first
    MAX_REPORTED of them) if any is not a subject."""
    keys: list[Key] = []
    bad: list[BadSubject] = []
    total = 0
    for index, one in enumerate(given):
        try:
            keys.append(subject_key(one, secret))
        except ValueError as exc:
            total += 1
            if len(bad) < MAX_REPORTED:
                bad.append(BadSubject(index, mask_ids_in_text(str(exc))))
    if bad:
        raise SubjectsError(field, bad, total)
    return keys


def shown(given: Given) -> str:
    """A given subject as the audit trail and messages may show it: an ID number masked."""
    if isinstance(given, str):
        text = given.strip()
        return (
            mask_id_number(text)
            if _looks_like_id_number(normalize_code(text))
            else mask_ids_in_text(text[:64])
        )
    if isinstance(given, dict):
        if given.get("id_number"):
            return mask_id_number(str(given["id_number"])[:64])
        return mask_ids_in_text(str(given.get("uscc") or given.get("person_key") or "")[:64])
    if given.id_number is not None:
        return mask_id_number(given.id_number)
    return mask_ids_in_text((given.uscc or given.person_key or "")[:64])


def not_in_store(store: GraphStore, keys: Collection[Key]) -> dict[str, int]:
    """How many of the keys name no enterprise or person the store holds yet (they may be watched before
    they are registered or listed)."""
    usccs = {k for kind, k in keys if kind == "enterprise"}
    persons = {k for kind, k in keys if kind == "person"}
    held_e = store.get_enterprises(usccs) if usccs else {}
    held_p = store.get_persons(persons) if persons else {}
    return {"enterprises": len(usccs - set(held_e)), "persons": len(persons - set(held_p))}
