"""Making Person records from ID documents: the key is a keyed hash, the display form is masked."""

from __future__ import annotations

from datetime import datetime

from graph_service.identifiers import (
    mask_id_number,
    normalize_code,
    normalize_name,
    parse_id_number,
    person_key,
)
from graph_service.model import DocumentType, Person


def document_key(number: str, secret: str, document_type: DocumentType = "resident_id") -> str:
    """The person key of a document number, as person_from_document makes it: a resident ID must pass
    GB 11643 and is keyed in its 18-character form, other documents by their normalised number."""
    if document_type == "resident_id":
        return person_key(parse_id_number(number).number, secret, document_type)
    return person_key(normalize_code(number), secret, document_type)


def person_from_document(
    number: str,
    name: str,
    secret: str,
    document_type: DocumentType = "resident_id",
    source: str = "",
    loaded_at: datetime | None = None,
) -> Person:
    """A Person from a full document number; a resident ID must pass GB 11643 (IdentifierError otherwise)."""
    if document_type == "resident_id":
        rid = parse_id_number(number)
        return Person(
            person_key=person_key(rid.number, secret, document_type),
            name=normalize_name(name),
            document_type=document_type,
            id_number=rid.number,
            id_masked=mask_id_number(rid.number),
            birth_date=rid.birth_date,
            sex=rid.sex,
            region=rid.region,
            source=source,
            loaded_at=loaded_at,
        )
    normalised = normalize_code(number)
    return Person(
        person_key=person_key(normalised, secret, document_type),
        name=normalize_name(name),
        document_type=document_type,
        id_number=normalised,
        id_masked=mask_id_number(normalised),
        source=source,
        loaded_at=loaded_at,
    )


def displayed_id(person: Person) -> str | None:
    """The ID number as anyone without the right to see it may: always masked from the number itself."""
    if person.id_number:
        return mask_id_number(person.id_number)
    return mask_id_number(person.id_masked) if person.id_masked else None
