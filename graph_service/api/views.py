"""What the API returns: records as a caller may see them, personal ID numbers masked."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from graph_service.model import ROLE_NAMES_ZH, Enterprise, Person, Role, RoleType
from graph_service.persons import displayed_id


class EnterpriseView(BaseModel):
    uscc: str
    name: str
    org_type: str
    status: str
    established_on: date | None
    registered_capital: float | None  # in 万 of capital_currency
    capital_currency: str  # ISO 4217
    registration_number: str | None
    address: str | None
    phone: str | None
    division: str
    legal_form: str | None
    id_valid: bool
    source: str

    @classmethod
    def of(cls, e: Enterprise) -> EnterpriseView:
        return cls(
            uscc=e.uscc,
            name=e.name,
            org_type=e.org_type,
            status=e.status,
            established_on=e.established_on,
            registered_capital=e.registered_capital,
            capital_currency=e.capital_currency or "CNY",
            registration_number=e.registration_number,
            address=e.address,
            phone=e.phone,
            division=e.division,
            legal_form=e.legal_form,
            id_valid=e.id_valid,
            source=e.source,
        )


class HolderView(BaseModel):
    kind: str
    key: str
    name: str
    id_masked: str | None = None  # persons only
    id_number: str | None = None  # only for callers who may see it (admin, investigator with a purpose)


class RoleView(BaseModel):
    role: RoleType
    role_zh: str
    position: str | None
    holder: HolderView
    valid_from: date | None
    valid_to: date | None
    ratio: float | None
    basis: str | None
    source: str


class ResponsiblePersons(BaseModel):
    uscc: str
    name: str
    as_of: date
    roles: list[RoleView]


def holder_view(role: Role, person: Person | None, enterprise: Enterprise | None) -> HolderView:
    if person is not None:
        return HolderView(
            kind="person",
            key=person.person_key,
            name=person.name,
            id_masked=displayed_id(person),
            id_number=person.id_number,
        )
    if enterprise is not None:
        return HolderView(kind="enterprise", key=enterprise.uscc, name=enterprise.name)
    return HolderView(kind=role.holder_kind, key=role.holder_key, name="")


def role_view(role: Role, holder: HolderView) -> RoleView:
    return RoleView(
        role=role.type,
        role_zh=ROLE_NAMES_ZH[role.type],
        position=role.position,
        holder=holder,
        valid_from=role.valid_from,
        valid_to=role.valid_to,
        ratio=role.ratio,
        basis=role.basis,
        source=role.source,
    )
