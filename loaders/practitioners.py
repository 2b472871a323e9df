"""Registered practitioners (注册执业人员): accountants, constructors, pharmacists, lawyers … with their
profession, licence number, employer and the dates the registration is valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from pydantic import ValidationError

from graph_service.model import Person, Role, RoleType
from loaders.common import History, Organisations, People
from loaders.engine import BatchOut, Context, Loader
from loaders.fields import Row


@dataclass
class PractitionerRow:
    person: Person
    profession: str
    licence_number: str
    employer: str
    employer_name: str | None
    employer_valid: bool
    valid_from: date | None
    valid_to: date | None


class PractitionersLoader(Loader[PractitionerRow]):
    kind = "practitioners"
    summary = "registered practitioners (注册执业人员) and where they practise"
    fields: ClassVar[dict[str, bool]] = {
        "name": True,
        "id_type": False,
        "id_number": True,
        "profession": True,
        "licence_number": True,
        "employer_name": False,
        "employer_uscc": True,
        "valid_from": False,
        "valid_to": False,
    }
    sensitive = frozenset({"id_number"})
    key_field = "licence_number"
    code_fields = ("employer_uscc",)
    document_fields = ("id_number",)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.people = People(ctx)
        self.orgs = Organisations(ctx)
        self.history = History(ctx)

    def parse(self, row: Row) -> PractitionerRow | None:
        name = row.text("name", required=True)
        doc = row.document("id_number", "id_type")
        profession = row.enum("profession", required=True)
        licence = row.text("licence_number", required=True)
        employer = row.enterprise_code("employer_uscc")
        employer_name = row.text("employer_name")
        valid_from = row.date("valid_from", strict=True)
        valid_to = row.date("valid_to", end_inclusive=True, strict=True)
        if valid_from and valid_to and valid_to < valid_from:
            row.problem("valid_to", "the registration ends before it starts")
        if name is None or doc is None or profession is None or licence is None or employer is None:
            return None
        if row.bad:
            return None
        return PractitionerRow(
            self.people.person(doc, name),
            profession,
            licence.replace(" ", ""),
            employer.code,
            employer_name,
            employer.valid,
            valid_from,
            valid_to,
        )

    def key(self, parsed: PractitionerRow) -> str:
        return f"{parsed.profession}|{parsed.licence_number}"

    def apply(self, items: list[tuple[Row, PractitionerRow]], out: BatchOut) -> None:
        held = self.orgs.fetch([p.employer for _, p in items])
        good: list[tuple[Row, PractitionerRow]] = []
        for row, parsed in items:
            if parsed.employer not in held:
                if parsed.employer_name is None:
                    out.reject(
                        row, "employer_uscc", "the employer is not in the store and the row does not name it"
                    )
                    continue
                self.orgs.stub(parsed.employer, parsed.employer_name, parsed.employer_valid, out)
            good.append((row, parsed))
        self.people.to_write(((row, "id_number", p.person) for row, p in good), out)
        for row, parsed in good:
            try:
                role = Role(
                    type=RoleType.PRACTITIONER_AT,
                    holder_kind="person",
                    holder_key=parsed.person.person_key,
                    enterprise=parsed.employer,
                    valid_from=parsed.valid_from,
                    valid_to=parsed.valid_to,
                    profession=parsed.profession,
                    licence_number=parsed.licence_number,
                    source=self.ctx.source,
                    loaded_at=self.ctx.loaded_at,
                )
            except ValidationError as err:
                out.reject(row, "licence_number", str(err.errors()[0]["msg"]).removeprefix("Value error, "))
                continue
            self.history.put(role)
        out.roles.extend(self.history.take())
