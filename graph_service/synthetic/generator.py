"""Deterministic synthetic Henan registration data and list entries, with planted cases whose right
answers the generator writes out itself (it knows them by construction, not by asking a store).

Data is produced in blocks of enterprises so that any scale streams in constant memory apart from a
bounded pool of people and organisations kept for reuse (people who lead several companies, parent
companies). Every block holds one ownership cycle; block 0 also holds the planted cases.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from pydantic import BaseModel

from graph_service.domain.history import in_force_on
from graph_service.identifiers import USCC_CHARSET, build_id_number, build_uscc
from graph_service.model import (
    Enterprise,
    ListEntry,
    ListKind,
    NamedResponsible,
    OrgType,
    Person,
    Role,
    RoleType,
    entry_id_for,
)
from graph_service.persons import person_from_document
from graph_service.synthetic import vocabulary as v

# Everything is dated relative to this day, never to the clock, so a seed always gives the same data.
REFERENCE_DATE = date(2026, 6, 30)
SOURCE = "synthetic"
_BIRTH_SPAN_DAYS = 18_250  # births over 50 years, from 1950
_SEQUENCES = 999
_PERSON_SPACE = _BIRTH_SPAN_DAYS * _SEQUENCES * len(v.BIRTH_REGIONS)
_PERSON_STRIDE = 1_000_003  # a prime coprime to the space: scatters person numbers over it, uniquely
_POOL = 50_000


@dataclass
class Batch:
    enterprises: list[Enterprise] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    entries: list[ListEntry] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.enterprises) + len(self.persons) + len(self.roles) + len(self.entries)


class ResponsibleAt(BaseModel):
    """Who held a role in an enterprise on a day, as the generator made it."""

    uscc: str
    as_of: date
    role: RoleType
    position: str | None = None
    holders: list[str]


class MultiListed(BaseModel):
    """A subject directly on active blacklists of two or more domains at the reference date."""

    kind: str
    key: str
    domains: list[str]


class Answers(BaseModel):
    seed: int
    enterprises: int
    reference_date: date
    responsible_at: list[ResponsibleAt] = []
    multi_listed_direct: list[MultiListed] = []
    cycles: list[list[str]] = []
    cases: dict[str, dict[str, object]] = {}


class Generator:
    def __init__(self, enterprises: int, seed: int, secret: str, block_size: int = 1000) -> None:
        if not 1 <= enterprises <= 10_000_000:
            raise ValueError("enterprises: must be between 1 and 10,000,000")
        self.total = enterprises
        self.seed = seed
        self.secret = secret
        self.block_size = block_size
        self.rng = random.Random(seed)
        self.answers = Answers(seed=seed, enterprises=enterprises, reference_date=REFERENCE_DATE)
        self._person_count = 0
        self._org_serial = 0
        self._entry_serial = 0
        self._used_usccs: set[str] = set()
        self._people: list[Person] = []  # reuse pool: people who lead several organisations
        self._companies: list[Enterprise] = []  # reuse pool: parent companies and corporate owners
        self._shared_addresses: list[str] = []
        self._shared_phones: list[str] = []
        self._black_domains: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._divisions = list(v.DIVISIONS)
        self._division_weights = [v.DIVISION_WEIGHTS.get(d, 1) for d in self._divisions]

    # -- building blocks ----------------------------------------------------------------------------

    def forget_pools(self) -> None:
        self._people.clear()
        self._companies.clear()

    def _date_between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange(max(1, (end - start).days)))

    def _name(self) -> str:
        given = "".join(self.rng.choice(v.GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(v.SURNAMES) + given

    def new_person(self, batch: Batch, name: str | None = None) -> Person:
        n = (self._person_count * _PERSON_STRIDE + self.seed) % _PERSON_SPACE
        self._person_count += 1
        day, rest = n % _BIRTH_SPAN_DAYS, n // _BIRTH_SPAN_DAYS
        sequence, region_index = rest % _SEQUENCES + 1, rest // _SEQUENCES
        number = build_id_number(
            v.BIRTH_REGIONS[region_index], date(1950, 1, 1) + timedelta(days=day), sequence
        )
        person = person_from_document(number, name or self._name(), self.secret, source=SOURCE)
        batch.persons.append(person)
        if len(self._people) < _POOL:
            self._people.append(person)
        else:
            self._people[self.rng.randrange(_POOL)] = person
        return person

    def _someone(self, batch: Batch, reuse: float) -> Person:
        if self._people and self.rng.random() < reuse:
            return self.rng.choice(self._people)
        return self.new_person(batch)

    def _uscc(self, division: str, org_type: OrgType) -> str:
        type_char = {"individual_business": "2", "cooperative": "3"}.get(org_type, "1")
        while True:
            self._org_serial += 1
            body = "MA" + "".join(self.rng.choice(USCC_CHARSET) for _ in range(6))
            code = build_uscc("9", type_char, division, body)
            if code not in self._used_usccs:
                self._used_usccs.add(code)
                return code

    def new_enterprise(
        self,
        batch: Batch,
        org_type: OrgType = "company",
        division: str | None = None,
        established_on: date | None = None,
        phone: str | None = None,
        address: str | None = None,
        name: str | None = None,
    ) -> Enterprise:
        division = division or self.rng.choices(self._divisions, self._division_weights)[0]
        county = v.DIVISIONS[division]
        established_on = established_on or self._date_between(date(1998, 1, 1), date(2024, 12, 31))
        trade, industry = self.rng.choice(v.TRADE_NAMES), self.rng.choice(v.INDUSTRIES)
        serial = self._org_serial + 1
        if name is None:
            if org_type == "individual_business":
                name = f"{county}{trade}{industry}经营部{serial}"
            elif org_type == "cooperative":
                name = f"{county}{trade}{industry}农民专业合作社{serial}"
            else:
                name = f"河南{trade}{industry}有限公司{serial}"
        if address is None:
            if self._shared_addresses and self.rng.random() < 0.04:
                address = self.rng.choice(self._shared_addresses)
            else:
                address = f"河南省{county}{self.rng.choice(v.STREETS)}{self.rng.randrange(1, 999)}号"
                if len(self._shared_addresses) < 2_000:
                    self._shared_addresses.append(address)
        if phone is None:
            if self._shared_phones and self.rng.random() < 0.04:
                phone = self.rng.choice(self._shared_phones)
            else:
                phone = f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}"
                if len(self._shared_phones) < 2_000:
                    self._shared_phones.append(phone)
        capital = float(self.rng.choice((10, 50, 100, 200, 500, 1000, 3000, 5000)))
        enterprise = Enterprise(
            uscc=self._uscc(division, org_type),
            name=name,
            org_type=org_type,
            status=self.rng.choices(("存续", "在业", "吊销", "注销"), (80, 12, 5, 3))[0],
            established_on=established_on,
            registered_capital=None if org_type == "individual_business" else capital,
            address=address,
            phone=phone,
            email=f"contact{serial}@example.cn" if self.rng.random() < 0.3 else None,
            legal_form=self.rng.choice(v.LEGAL_FORMS.get(org_type, ("其他",))),
            source=SOURCE,
        )
        batch.enterprises.append(enterprise)
        if org_type == "company":
            if len(self._companies) < _POOL:
                self._companies.append(enterprise)
            else:
                self._companies[self.rng.randrange(_POOL)] = enterprise
        return enterprise

    @staticmethod
    def role(
        batch: Batch,
        type_: RoleType,
        holder: Person | Enterprise,
        enterprise: Enterprise,
        valid_from: date | None,
        valid_to: date | None = None,
        **extra: object,
    ) -> Role:
        if isinstance(holder, Person):
            kind, key = "person", holder.person_key
        else:
            kind, key = "enterprise", holder.uscc
        role = Role(
            type=type_,
            holder_kind=kind,
            holder_key=key,
            enterprise=enterprise.uscc,
            valid_from=valid_from,
            valid_to=valid_to,
            source=SOURCE,
            **extra,
        )
        batch.roles.append(role)
        return role

    def entry(
        self,
        batch: Batch,
        list_spec: tuple[str, str, str, int, str],
        subject: Person | Enterprise,
        listed_on: date,
        conduct_date: date | None = None,
        expires_on: date | None = None,
        status: str = "active",
        named: tuple[tuple[Person, str], ...] = (),
        kind: ListKind = "black",
        county: str = "清丰县",
    ) -> ListEntry:
        list_type, domain, authority, category, conduct = list_spec
        self._entry_serial += 1
        year = listed_on.year
        if domain == "court":
            decision = f"({year})豫{self.rng.randrange(100, 999):03d}2执{self._entry_serial}号"
        else:
            decision = f"{domain[:2].upper()}罚〔{year}〕{self._entry_serial}号"
        subject_kind = "person" if isinstance(subject, Person) else "enterprise"
        subject_key = subject.person_key if isinstance(subject, Person) else subject.uscc
        authority = authority.format(county=county)
        entry = ListEntry(
            entry_id=entry_id_for(authority, decision, subject_key),
            list_type=list_type,
            domain=domain,
            kind=kind,
            authority=authority,
            decision_number=decision,
            subject_kind=subject_kind,
            subject_key=subject_key,
            subject_name=subject.name,
            conduct=conduct,
            conduct_category=category if kind == "black" else None,
            conduct_date=conduct_date,
            listed_on=listed_on,
            expires_on=expires_on,
            status=status,
            disclosure="public",
            named_responsible=tuple(
                NamedResponsible(person_key=p.person_key, name=p.name, role=r) for p, r in named
            ),
            source=SOURCE,
        )
        batch.entries.append(entry)
        if kind == "black" and in_force_on(entry, REFERENCE_DATE):
            self._black_domains[(subject_kind, subject_key)].add(domain)
        return entry

    # -- one organisation with its people ---------------------------------------------------------

    def populate(self, batch: Batch, e: Enterprise) -> Person:
        """Give an enterprise its people and owners; returns its current legal representative."""
        start = e.established_on or date(2000, 1, 1)
        if e.org_type == "individual_business":
            operator = self._someone(batch, 0.05)
            self.role(batch, RoleType.PRINCIPAL_OF, operator, e, start, position="经营者")
            return operator
        legal = self._someone(batch, 0.12)
        if self.rng.random() < 0.2 and (REFERENCE_DATE - start).days > 400:
            change = self._date_between(start + timedelta(days=200), REFERENCE_DATE - timedelta(days=100))
            former = self._someone(batch, 0.1)
            self.role(batch, RoleType.LEGAL_REPRESENTATIVE_OF, former, e, start, change)
            self.role(batch, RoleType.LEGAL_REPRESENTATIVE_OF, legal, e, change)
        else:
            self.role(batch, RoleType.LEGAL_REPRESENTATIVE_OF, legal, e, start)
        if e.org_type == "cooperative":
            return legal
        if (e.registered_capital or 0) >= 500:
            self.role(batch, RoleType.DIRECTOR_OF, legal, e, start, position="董事长")
            for _ in range(2):
                self.role(batch, RoleType.DIRECTOR_OF, self._someone(batch, 0.1), e, start, position="董事")
        else:
            self.role(batch, RoleType.DIRECTOR_OF, legal, e, start, position="执行董事")
        self.role(batch, RoleType.SUPERVISOR_OF, self._someone(batch, 0.1), e, start, position="监事")
        manager = legal if self.rng.random() < 0.6 else self._someone(batch, 0.1)
        self.role(batch, RoleType.SENIOR_MANAGER_OF, manager, e, start, position="经理")
        self._post_with_history(batch, RoleType.SENIOR_MANAGER_OF, e, start, v.FINANCE_HEAD, changes=0.15)
        self._post_with_history(batch, RoleType.SUPERVISOR_OF, e, start, "职工监事", changes=0.1, present=0.3)
        self._shareholders(batch, e, legal, start)
        if self.rng.random() < 0.08:
            for _ in range(self.rng.randint(1, 3)):
                profession = self.rng.choice(v.PROFESSIONS)
                self.role(
                    batch,
                    RoleType.PRACTITIONER_AT,
                    self.new_person(batch),
                    e,
                    self._date_between(start, REFERENCE_DATE),
                    profession=profession,
                    licence_number=f"豫{self.rng.randrange(10**9):09d}",
                )
        return legal

    def _post_with_history(
        self,
        batch: Batch,
        type_: RoleType,
        e: Enterprise,
        start: date,
        position: str,
        changes: float,
        present: float = 1.0,
    ) -> None:
        """A post someone holds from the start, handed over to someone else on a later day sometimes."""
        if self.rng.random() >= present:
            return
        first = self.new_person(batch)
        if self.rng.random() < changes and (REFERENCE_DATE - start).days > 400:
            change = self._date_between(start + timedelta(days=100), REFERENCE_DATE - timedelta(days=50))
            self.role(batch, type_, first, e, start, change, position=position)
            self.role(batch, type_, self.new_person(batch), e, change, position=position)
        else:
            self.role(batch, type_, first, e, start, position=position)

    def _shareholders(self, batch: Batch, e: Enterprise, legal: Person, start: date) -> None:
        capital = e.registered_capital or 100.0
        holders: list[Person | Enterprise] = [legal]
        holders += [self._someone(batch, 0.1) for _ in range(self.rng.randint(0, 2))]
        if self._companies and self.rng.random() < 0.15:
            parent = self.rng.choice(self._companies)
            if parent.uscc != e.uscc:
                holders.append(parent)
        weights = [self.rng.randint(1, 10) for _ in holders]
        ratios = [round(w / sum(weights), 4) for w in weights]
        ratios[0] = round(1 - sum(ratios[1:]), 4)
        seen: set[str] = set()
        for holder, ratio in zip(holders, ratios, strict=True):
            key = holder.person_key if isinstance(holder, Person) else holder.uscc
            if key in seen:
                continue
            seen.add(key)
            self.role(
                batch,
                RoleType.SHAREHOLDER_OF,
                holder,
                e,
                start,
                ratio=ratio,
                subscribed_capital=round(capital * ratio, 4),
                paid_in_capital=round(capital * ratio * self.rng.choice((0.0, 0.5, 1.0)), 4),
            )
        top = max(zip(ratios, range(len(holders)), strict=True))[1]
        if isinstance(holders[top], Person) and ratios[top] > 0.5 and self.rng.random() < 0.3:
            self.role(batch, RoleType.ACTUAL_CONTROLLER_OF, holders[top], e, start, basis="declared")

    # -- blocks -----------------------------------------------------------------------------------

    def _random_entries(self, batch: Batch, e: Enterprise, legal: Person) -> None:
        start = max(e.established_on or date(2015, 1, 1), date(2015, 1, 1))
        if start >= REFERENCE_DATE - timedelta(days=60):
            return
        draw = self.rng.random()
        if draw < 0.03:
            spec = self.rng.choice(v.BLACK_LISTS)
            listed = self._date_between(start + timedelta(days=30), REFERENCE_DATE)
            status = self.rng.choices(("active", "repaired", "revoked", "under_objection"), (85, 8, 3, 4))[0]
            self.entry(
                batch,
                spec,
                e,
                listed,
                conduct_date=listed - timedelta(days=self.rng.randint(10, 300)),
                expires_on=listed + timedelta(days=365 * self.rng.choice((1, 2, 3))),
                status=status,
                named=((legal, "法定代表人"),) if spec[1] == "court" else (),
            )
        elif draw < 0.04:
            code, domain, authority, conduct = v.RED_LIST
            listed = self._date_between(start, REFERENCE_DATE)
            self.entry(
                batch, (code, domain, authority, 0, conduct), e, listed,
                expires_on=listed + timedelta(days=365), kind="red",
            )  # fmt: skip
        elif draw < 0.06:
            code, domain, authority, conduct = v.WATCH_LIST
            self.entry(
                batch, (code, domain, authority, 0, conduct), e,
                self._date_between(start, REFERENCE_DATE), kind="watch",
            )  # fmt: skip

    def _cycle(self, batch: Batch) -> None:
        """Three companies owning each other in a ring, with people holding the rest."""
        ring = [self.new_enterprise(batch) for _ in range(3)]
        for e in ring:
            self.populate_minimal(batch, e)
        for (owner, owned), ratio in zip(
            ((ring[0], ring[1]), (ring[1], ring[2]), (ring[2], ring[0])), (0.6, 0.4, 0.1), strict=True
        ):
            self.role(batch, RoleType.SHAREHOLDER_OF, owner, owned, owned.established_on, ratio=ratio)
        self.answers.cycles.append([e.uscc for e in ring])

    def populate_minimal(self, batch: Batch, e: Enterprise, legal: Person | None = None) -> Person:
        legal = legal or self.new_person(batch)
        self.role(batch, RoleType.LEGAL_REPRESENTATIVE_OF, legal, e, e.established_on)
        return legal

    def batches(self) -> Iterator[Batch]:
        made = 0
        block = 0
        while made < self.total:
            batch = Batch()
            if block == 0:
                from graph_service.synthetic.planted import plant_cases

                plant_cases(self, batch)
            if self.total - made >= 3:
                self._cycle(batch)
            while len(batch.enterprises) < self.block_size and made + len(batch.enterprises) < self.total:
                e = self.new_enterprise(
                    batch,
                    org_type=self.rng.choices(("company", "individual_business", "cooperative"), (85, 10, 5))[
                        0
                    ],
                )
                legal = self.populate(batch, e)
                self._random_entries(batch, e, legal)
                self._responsible_answer(batch, e, block)
                if e.org_type == "company" and self.rng.random() < 0.03:
                    branch = self.new_enterprise(
                        batch,
                        org_type="branch",
                        division=e.uscc[2:8],
                        name=f"{e.name}{v.DIVISIONS[e.uscc[2:8]]}分公司",
                    )
                    self.role(batch, RoleType.BRANCH_OF, branch, e, branch.established_on)
                    self.role(
                        batch, RoleType.PRINCIPAL_OF, self._someone(batch, 0.2), branch, branch.established_on
                    )
                if self.rng.random() < 0.01:
                    person = self.rng.choice(batch.persons) if batch.persons else self.new_person(batch)
                    listed = self._date_between(date(2019, 1, 1), REFERENCE_DATE)
                    self.entry(
                        batch, v.BLACK_LISTS[0], person, listed,
                        conduct_date=listed - timedelta(days=90), expires_on=listed + timedelta(days=730),
                    )  # fmt: skip
            made += len(batch.enterprises)
            block += 1
            yield batch
        self.answers.multi_listed_direct = sorted(
            (
                MultiListed(kind=kind, key=key, domains=sorted(domains))
                for (kind, key), domains in self._black_domains.items()
                if len(domains) >= 2
            ),
            key=lambda m: (m.kind, m.key),
        )

    def _responsible_answer(self, batch: Batch, e: Enterprise, block: int) -> None:
        """Record who the generator put in the legal representative's and the senior managers' posts,
        around each change, in block 0."""
        if block != 0 or len(self.answers.responsible_at) >= 600:
            return
        for type_ in (RoleType.LEGAL_REPRESENTATIVE_OF, RoleType.SENIOR_MANAGER_OF):
            mine = [r for r in batch.roles if r.enterprise == e.uscc and r.type == type_]
            days = {REFERENCE_DATE} | {d for r in mine for d in (r.valid_from, r.valid_to) if d is not None}
            days |= {d - timedelta(days=1) for r in mine if (d := r.valid_to) is not None}
            for day in sorted(days):
                holders = sorted(r.holder_key for r in mine if r.holds_on(day))
                self.answers.responsible_at.append(
                    ResponsibleAt(uscc=e.uscc, as_of=day, role=type_, holders=holders)
                )
