"""Naming a subject in a request: by USCC, by ID number (turned into its person key), or by person key."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from graph_service.api.errors import InvalidInput, NotFound, invalid_identifier
from graph_service.identifiers import IdentifierError, parse_id_number, person_key, validate_uscc
from graph_service.model import PERSON_KEY, Enterprise
from graph_service.store.base import GraphStore


class SubjectIn(BaseModel):
    """Exactly one of uscc, id_number (never stored or echoed) or person_key."""

    uscc: str | None = Field(default=None, max_length=64, description="统一社会信用代码")
    id_number: str | None = Field(
        default=None, max_length=64, description="公民身份号码 (used only to find the person)"
    )
    person_key: str | None = Field(default=None, pattern=PERSON_KEY)

    @model_validator(mode="after")
    def _exactly_one(self) -> SubjectIn:
        given = [n for n in ("uscc", "id_number", "person_key") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of uscc, id_number, person_key")
        return self


def find_enterprise(store: GraphStore, raw: str) -> Enterprise | None:
    """The enterprise a code names: normalised first, or else under its exact spelling when it was kept
    although it fails its check (flagged at load). None if unknown; IdentifierError if the code is
    malformed and no such flagged code is held."""
    try:
        code = validate_uscc(raw)
    except IdentifierError:
        kept = store.get_enterprise(raw)
        if kept is not None and not kept.id_valid:
            return kept
        raise
    return store.get_enterprise(code)


def resolve(
    subject: SubjectIn, store: GraphStore, secret: str, field: str = "subject"
) -> tuple[Literal["person", "enterprise"], str]:
    """The (kind, key) of a subject the store holds; 422 naming the failed check, 404 if unknown."""
    if subject.uscc is not None:
        try:
            code = validate_uscc(subject.uscc)
        except IdentifierError as err:
            raise invalid_identifier(f"{field}.uscc" if field else "uscc", err) from None
        if store.get_enterprise(code) is None:
            raise NotFound(f"no enterprise with USCC {code}")
        return "enterprise", code
    if subject.id_number is not None:
        try:
            rid = parse_id_number(subject.id_number)
        except IdentifierError as err:
            raise invalid_identifier(f"{field}.id_number" if field else "id_number", err) from None
        key = person_key(rid.number, secret)
        if store.get_person(key) is None:
            raise NotFound("no person with this ID number")  # the number itself is not echoed
        return "person", key
    if subject.person_key is None:  # the validator makes this unreachable; kept for the type checker
        raise InvalidInput("give exactly one of uscc, id_number, person_key")
    if store.get_person(subject.person_key) is None:
        raise NotFound(f"no person with key {subject.person_key}")
    return "person", subject.person_key
