"""Registration data (企业登记信息): enterprises with their legal representative, key personnel,
shareholders, branches, and change records (变更记录) that close old role edges and open new ones.

Load order: enterprises first (every other table refers to them), then personnel, shareholders and
branches, then change records. A table states edges as registered; a change record dated d ends the
old holder's edge on d (valid_to = d) and starts the new holder's on d (valid_from = d). Reloading a
table never reopens an edge a change record closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from pydantic import ValidationError

from graph_service.identifiers import (
    IdentifierError,
    is_valid_id_number,
    mask_id_number,
    normalize_name,
    validate_enterprise_code,
)
from graph_service.model import Enterprise, HolderKind, Person, Role, RoleType
from loaders.common import (
    History,
    Matcher,
    NamedRef,
    Organisations,
    People,
    day,
    keep_closed,
    org_type_by_form,
    split_names,
)
from loaders.engine import BatchOut, Context, Loader, Unresolved
from loaders.fields import Document, Row, currency_of, document_problem, fast_code
from loaders.mapping import MappingError

_RESIDENT_SHAPE = re.compile(r"^\d{17}[\dX]$")


def _model_problem(row: Row, field: str, err: ValidationError) -> None:
    first = err.errors()[0]
    row.problem(field, str(first["msg"]).removeprefix("Value error, "))


def _role(ctx: Context, row: Row, out: BatchOut, field: str, **fields: Any) -> Role | None:
    try:
        return Role(source=ctx.source, loaded_at=ctx.loaded_at, **fields)
    except ValidationError as err:
        first = err.errors()[0]
        out.reject(row, field, str(first["msg"]).removeprefix("Value error, "))
        return None


def _unresolved(
    row: Row, field: str, name: str, code: str | None, uscc: str, reason: str, n: int = 0
) -> Unresolved:
    return Unresolved(
        row.number, row.header(field), name, mask_id_number(code) if code else "", uscc, reason, n
    )


# -- enterprises ----------------------------------------------------------------------------------


@dataclass
class EnterpriseRow:
    enterprise: Enterprise
    representative: Person | None
    rep_name: str | None
    rep_masked: str | None


class EnterprisesLoader(Loader[EnterpriseRow]):
    kind = "enterprises"
    summary = "enterprises with their legal representative (企业登记信息)"
    fields: ClassVar[dict[str, bool]] = {
        "uscc": True,
        "name": True,
        "legal_form": False,
        "status": False,
        "established_on": False,
        "registered_capital": False,
        "capital_currency": False,
        "address": False,
        "phone": False,
        "email": False,
        "legal_rep_name": False,
        "legal_rep_id_type": False,
        "legal_rep_id": False,
        "registration_number": False,
        "registry_id": False,
    }
    sensitive = frozenset({"legal_rep_id"})
    key_field = "uscc"
    code_fields = ("uscc",)
    document_fields = ("legal_rep_id",)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.people = People(ctx)
        self.orgs = Organisations(ctx)
        self.history = History(ctx, [RoleType.LEGAL_REPRESENTATIVE_OF, RoleType.PRINCIPAL_OF])
        self.matcher = Matcher(ctx, self.history)
        self.forms: dict[str, str] = ctx.option("org_type_by_legal_form", {})
        # A layout that falls back to 注册号 where a row has no USCC keeps such an enterprise under it.
        self.registration_as_key = bool(ctx.option("registration_number_as_key", False))
        if ctx.resolved.index.get("registry_id"):
            self.key_field = "registry_id"  # what two rows must not share (see key)
        self.rates = currency_rates(ctx.option("currency_rates", {}) or {})

    def parse(self, row: Row) -> EnterpriseRow | None:
        code = row.enterprise_code("uscc", registration_as_key=self.registration_as_key)
        name = row.text("name", required=True)
        legal_form = row.text("legal_form")
        status = row.enum("status")
        established = row.date("established_on")
        capital, currency = row.capital("registered_capital", "capital_currency", self.rates)
        registration = row.registration_number("registration_number")
        registry_id = row.text("registry_id")
        address, phone, email = row.text("address"), row.text("phone"), row.text("email")
        rep_name = row.text("legal_rep_name")
        doc = row.document("legal_rep_id", "legal_rep_id_type", required=False, allow_masked=True)
        if doc is not None and rep_name is None:
            row.problem("legal_rep_name", "the legal representative's number is given without a name")
        if code is None or name is None or row.bad:
            return None
        try:
            enterprise = Enterprise(
                uscc=code.code,
                name=name,
                org_type=org_type_by_form(legal_form, self.forms, code.code),
                status=status or "",
                established_on=established,
                registered_capital=capital,
                capital_currency=currency,
                address=address,
                phone=phone.replace(" ", "") if phone else None,
                email=email,
                legal_form=legal_form,
                id_valid=code.valid,
                registration_number=registration or (code.code if code.registration else None),
                registry_id=registry_id,
                source=self.ctx.source,
                loaded_at=self.ctx.loaded_at,
            )
        except ValidationError as err:
            _model_problem(row, "uscc", err)
            return None
        rep = None
        if doc is not None and not doc.masked and rep_name is not None:
            rep = self.people.person(doc, rep_name)
        return EnterpriseRow(
            enterprise, rep, rep_name, doc.number if doc is not None and doc.masked else None
        )

    def key(self, parsed: EnterpriseRow) -> str:
        # The registry's own subject id, where the layout has one, is what two rows must not share.
        e = parsed.enterprise
        return f"registry:{e.registry_id}" if e.registry_id else e.uscc

    def apply(self, items: list[tuple[Row, EnterpriseRow]], out: BatchOut) -> None:
        held = self.orgs.fetch([p.enterprise.uscc for _, p in items])
        self.history.prefetch([u for u in held])
        self.people.to_write(
            ((row, "legal_rep_id", p.representative) for row, p in items if p.representative), out
        )
        for row, parsed in items:
            out.enterprises.append(parsed.enterprise)
            if parsed.rep_name is not None:
                post(self.ctx, row, parsed, held.get(parsed.enterprise.uscc) is not None, self, out)
        out.roles.extend(self.history.take())
        self.matcher.reset()


def currency_rates(table: dict[str, Any]) -> dict[str, float]:
    """The mapping's currency_rates (美元: 7.1 or USD: 7.1), by ISO code; MappingError for a bad one."""
    rates: dict[str, float] = {}
    for word, rate in table.items():
        code = currency_of(str(word))
        if code is None or not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= 0:
            raise MappingError(
                f"options.currency_rates: {word}: {rate!r} is not a currency and a positive rate"
            )
        rates[code] = float(rate)
    return rates


def post_type(enterprise: Enterprise) -> tuple[RoleType, str | None]:
    """The post the registration's 法定代表人 column fills: an individual business's operator and a
    branch's head are principals, everyone else's is the legal representative."""
    if enterprise.org_type == "individual_business":
        return RoleType.PRINCIPAL_OF, "经营者"
    if enterprise.org_type == "branch":
        return RoleType.PRINCIPAL_OF, None
    return RoleType.LEGAL_REPRESENTATIVE_OF, None


def post(
    ctx: Context,
    row: Row,
    parsed: EnterpriseRow,
    existed: bool,
    loader: EnterprisesLoader | BranchesLoader | PersonnelLoader,
    out: BatchOut,
    position_word: str | None = None,
) -> None:
    """The registered legal representative (or principal) as an edge, unless the store already has
    the post's history: then a new holder needs a change record with its date."""
    e = parsed.enterprise
    type_, position = post_type(e)
    position = position_word if position_word and type_ == RoleType.LEGAL_REPRESENTATIVE_OF else position
    field = "legal_rep_id" if parsed.representative is not None else "legal_rep_name"
    if loader.kind == "branches":
        field = "principal_id" if parsed.representative is not None else "principal_name"
    if loader.kind == "personnel":
        field = "id_number"
    current = loader.history.roles(e.uscc, [type_]) if existed else []
    holder = parsed.representative
    if holder is None:
        name = parsed.rep_name or ""
        found = loader.matcher.match(name, parsed.rep_masked, e.uscc, [type_]) if existed else None
        if found is None or found.person is None:
            reason = (
                found.reason if found is not None else "a new enterprise's representative needs an ID number"
            )
            out.unresolved_ref(_unresolved(row, field, name, parsed.rep_masked, e.uscc, reason))
        return
    if any(r.holder_key == holder.person_key for r in current):
        return
    if current:
        since = max((r.valid_from for r in current if r.valid_to is None and r.valid_from), default=None)
        out.unresolved_ref(
            _unresolved(
                row,
                field,
                holder.name,
                holder.id_number,
                e.uscc,
                f"the store has another holder of this post since {day(since)}: "
                "load the change record that names the date of the change",
            )
        )
        return
    role = _role(
        ctx,
        row,
        out,
        field,
        type=type_,
        holder_kind="person",
        holder_key=holder.person_key,
        enterprise=e.uscc,
        valid_from=e.established_on,
        position=position,
    )
    if role is not None:
        loader.history.put(role)


# -- key personnel --------------------------------------------------------------------------------


@dataclass
class Post:
    type: RoleType
    position: str | None
    basis: str | None = None


def posts_table(ctx: Context) -> dict[str, Post]:
    """The mapping's positions: 董事长: DIRECTOR_OF, or {role: …, position: …, basis: …}."""
    table: dict[str, Post] = {}
    for word, spec in ctx.option("positions", {}).items():
        if isinstance(spec, str):
            table[normalize_name(word)] = Post(RoleType(spec), normalize_name(word))
        else:
            position = spec.get("position", word)
            table[normalize_name(word)] = Post(
                RoleType(spec["role"]), normalize_name(position) if position else None, spec.get("basis")
            )
    return table


@dataclass
class PersonnelRow:
    uscc: str | None  # None: the enterprise is named by registry_id or registration_number
    person: Person
    post: Post
    valid_from: date | None
    valid_to: date | None
    registry_id: str | None = None
    registration_number: str | None = None


# The registry's subject id, its 注册号 or the USCC: a personnel table names its enterprise by one of them.
ENTERPRISE_REFS = ("uscc", "registry_id", "registration_number")


class PersonnelLoader(Loader[PersonnelRow]):
    kind = "personnel"
    summary = "key personnel: directors, supervisors, managers, finance heads (主要人员)"
    fields: ClassVar[dict[str, bool]] = {
        "uscc": False,
        "registry_id": False,
        "registration_number": False,
        "enterprise_name": False,
        "name": True,
        "id_type": False,
        "id_number": True,
        "position": True,
        "valid_from": False,
        "valid_to": False,
    }
    one_of = (ENTERPRISE_REFS,)
    sensitive = frozenset({"id_number"})
    key_field = "id_number"
    code_fields = ("uscc",)
    document_fields = ("id_number",)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.people = People(ctx)
        self.orgs = Organisations(ctx)
        self.posts = posts_table(ctx)
        # Only the role types this mapping writes are read back (each read is a round trip on Neo4j).
        types = {p.type for p in self.posts.values()}
        self.history = History(ctx, types | set(post_types()) if types & set(post_types()) else types)
        self.matcher = Matcher(ctx, self.history)

    def parse(self, row: Row) -> PersonnelRow | None:
        code = row.enterprise_code("uscc", required=False)
        registry_id = row.text("registry_id") if code is None and row.raw("uscc") is None else None
        registration = (
            row.registration_number("registration_number")
            if code is None and registry_id is None and row.raw("uscc") is None
            else None
        )
        if code is None and registry_id is None and registration is None and not row.bad:
            row.problem(
                "uscc" if "uscc" in self.ctx.resolved.index else "registry_id",
                "required field is empty: the row names no enterprise (USCC, 主体身份代码 or 注册号)",
            )
        name = row.text("name", required=True)
        doc = row.document("id_number", "id_type")
        position = row.text("position", required=True)
        post_ = self.posts.get(position) if position else None
        if position is not None and post_ is None:
            row.problem(
                "position",
                f"not one of the positions the mapping knows ({', '.join(list(self.posts)[:10])} …)",
            )
        # A term's days say when the post counted: a bad one is not left empty (that would stretch it).
        valid_from = row.date("valid_from", strict=True)
        valid_to = row.date("valid_to", end_inclusive=True, strict=True)
        if valid_from and valid_to and valid_to < valid_from:
            row.problem("valid_to", "the term ends before it starts")
        if name is None or doc is None or post_ is None or row.bad:
            return None
        return PersonnelRow(
            code.code if code is not None else None,
            self.people.person(doc, name),
            post_,
            valid_from,
            valid_to,
            registry_id,
            registration,
        )

    def key(self, parsed: PersonnelRow) -> str:
        p = parsed.post
        where = parsed.uscc or (
            f"registry:{parsed.registry_id}" if parsed.registry_id else f"reg:{parsed.registration_number}"
        )
        return f"{where}|{parsed.person.person_key}|{p.type.value}|{p.position}|{parsed.valid_from}"

    def _enterprises(self, items: list[tuple[Row, PersonnelRow]], out: BatchOut) -> list[tuple[Row, str]]:
        """Each row's enterprise code, found by USCC, registry subject id or 注册号; rows whose enterprise
        the store does not hold (or holds twice under one id) are reported and left out."""
        found = self.ctx.store.find_enterprises(
            registry_ids={p.registry_id for _, p in items if p.registry_id},
            registration_numbers={p.registration_number for _, p in items if p.registration_number},
        )
        held = self.orgs.fetch(
            [p.uscc for _, p in items if p.uscc] + [e.uscc for matches in found.values() for e in matches]
        )
        codes: list[tuple[Row, str]] = []
        for row, parsed in items:
            if parsed.uscc is not None:
                if parsed.uscc in held:
                    codes.append((row, parsed.uscc))
                else:
                    out.reject(
                        row, "uscc", "no enterprise with this code in the store: load its registration first"
                    )
                continue
            ref = parsed.registry_id or parsed.registration_number or ""
            field = "registry_id" if parsed.registry_id else "registration_number"
            matches = found.get(ref, [])
            if len(matches) > 1:
                # The same subject kept under its 注册号 before its USCC arrived: the USCC's record is it.
                with_uscc = [e for e in matches if e.id_valid]
                matches = with_uscc if len(with_uscc) == 1 else matches
            if len(matches) == 1:
                codes.append((row, matches[0].uscc))
                continue
            reason = (
                f"no enterprise with {row.header(field)} {ref} in the store: load the enterprise table of "
                "the same extract first"
                if not matches
                else f"{len(matches)} enterprises have {row.header(field)} {ref}: ambiguous"
            )
            out.unresolved_ref(_unresolved(row, field, parsed.person.name, None, "", reason, len(matches)))
            out.held_rows.add(row.number)
        return codes

    def apply(self, items: list[tuple[Row, PersonnelRow]], out: BatchOut) -> None:
        codes = self._enterprises(items, out)
        held = self.orgs.batch
        self.history.prefetch([c for _, c in codes])
        by_row = {row.number: parsed for row, parsed in items}
        good = [(row, by_row[row.number], held[code]) for row, code in codes]
        self.people.to_write(((row, "id_number", p.person) for row, p, _ in good), out)
        for row, parsed, e in good:
            if parsed.post.type in post_types() and parsed.valid_from is None and parsed.valid_to is None:
                # The registered legal representative (an individual business's operator): one holder
                # at a time, a different one needs a change record, as in the enterprise table.
                rep = EnterpriseRow(e, parsed.person, parsed.person.name, None)
                post(self.ctx, row, rep, True, self, out, parsed.post.position)
                continue
            role = _role(
                self.ctx,
                row,
                out,
                "position",
                type=parsed.post.type,
                holder_kind="person",
                holder_key=parsed.person.person_key,
                enterprise=e.uscc,
                valid_from=parsed.valid_from or e.established_on,
                valid_to=parsed.valid_to,
                position=parsed.post.position,
                basis=parsed.post.basis,
            )
            if role is None:
                continue
            role_id = role.role_id
            if keep_closed(role, self.history.stored(role_id, e.uscc)) is not None:
                self.history.put(role, role_id)
        out.roles.extend(self.history.take())
        self.matcher.reset()


def post_types() -> tuple[RoleType, ...]:
    """The posts a registration fills one holder at a time: legal representative, principal."""
    return (RoleType.LEGAL_REPRESENTATIVE_OF, RoleType.PRINCIPAL_OF)


# -- shareholders ---------------------------------------------------------------------------------


@dataclass
class ShareholderRow:
    uscc: str
    holder_kind: HolderKind
    person: Person | None
    holder_code: str | None
    holder_valid: bool
    holder_name: str
    subscribed: float | None
    paid_in: float | None
    ratio: float | None
    valid_from: date | None

    @property
    def holder_key(self) -> str:
        return self.person.person_key if self.person is not None else self.holder_code or ""


class ShareholdersLoader(Loader[ShareholderRow]):
    kind = "shareholders"
    summary = "shareholders and their capital (股东及出资信息)"
    fields: ClassVar[dict[str, bool]] = {
        "uscc": True,
        "enterprise_name": False,
        "holder_name": True,
        "holder_type": False,
        "holder_id_type": False,
        "holder_id": True,
        "subscribed_capital": False,
        "paid_in_capital": False,
        "contributed_on": False,
        "ratio": False,
        "valid_from": False,
    }
    sensitive = frozenset({"holder_id"})
    key_field = "holder_id"
    code_fields = ("uscc", "holder_id")
    document_fields = ("holder_id",)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.people = People(ctx)
        self.orgs = Organisations(ctx)
        self.history = History(ctx, [RoleType.SHAREHOLDER_OF])

    def parse(self, row: Row) -> ShareholderRow | None:
        code = row.enterprise_code("uscc")
        holder_name = row.text("holder_name", required=True)
        kind = row.enum("holder_type")
        subscribed = row.money("subscribed_capital")
        paid_in = row.money("paid_in_capital")
        row.date("contributed_on")  # checked; the graph keeps no contribution date
        ratio = row.ratio("ratio", strict=True)
        valid_from = row.date("valid_from", strict=True)
        raw = row.raw("holder_id") or ""
        if kind is None:
            typed = row.raw("holder_id_type") is not None and row.enum("holder_id_type") not in (None, "uscc")
            # By shape: a resident ID is 17 digits and a check character, and is checked as one below.
            kind = "person" if typed or _RESIDENT_SHAPE.match(fast_code(raw)) else "enterprise"
        if kind not in ("person", "enterprise"):
            row.problem("holder_type", f"maps to {kind!r}; a shareholder is a person or an enterprise")
            return None
        person, holder_code, holder_valid = None, None, True
        if kind == "person":
            doc = row.document("holder_id", "holder_id_type")
            if doc is not None and holder_name is not None:
                person = self.people.person(doc, holder_name)
        else:
            holder = row.enterprise_code("holder_id")
            if holder is not None:
                holder_code, holder_valid = holder.code, holder.valid
        if code is None or holder_name is None or row.bad or (person is None and holder_code is None):
            return None
        if holder_code == code.code:
            row.problem("holder_id", "an organisation cannot hold shares in itself")
            return None
        return ShareholderRow(
            code.code,
            "person" if person is not None else "enterprise",
            person,
            holder_code,
            holder_valid,
            holder_name,
            subscribed,
            paid_in,
            ratio,
            valid_from,
        )

    def key(self, parsed: ShareholderRow) -> str:
        return f"{parsed.uscc}|{parsed.holder_kind}|{parsed.holder_key}|{parsed.valid_from}"

    def apply(self, items: list[tuple[Row, ShareholderRow]], out: BatchOut) -> None:
        codes = [p.uscc for _, p in items] + [p.holder_code for _, p in items if p.holder_code]
        held = self.orgs.fetch(codes)
        self.history.prefetch([p.uscc for _, p in items if p.uscc in held])
        good: list[tuple[Row, ShareholderRow]] = []
        for row, parsed in items:
            if parsed.uscc not in held:
                out.reject(
                    row, "uscc", "no enterprise with this code in the store: load its registration first"
                )
                continue
            if parsed.holder_code is not None:
                self.orgs.stub(parsed.holder_code, parsed.holder_name, parsed.holder_valid, out)
            good.append((row, parsed))
        self.people.to_write(((row, "holder_id", p.person) for row, p in good if p.person), out)
        for row, parsed in good:
            e = held[parsed.uscc]
            ratio = parsed.ratio
            if ratio is None and parsed.subscribed is not None and e.registered_capital:
                # Where the source gives no ratio, the share of the registered capital subscribed.
                ratio = min(1.0, round(parsed.subscribed / e.registered_capital, 6))
            role = _role(
                self.ctx,
                row,
                out,
                "holder_id",
                type=RoleType.SHAREHOLDER_OF,
                holder_kind=parsed.holder_kind,
                holder_key=parsed.holder_key,
                enterprise=e.uscc,
                valid_from=parsed.valid_from or e.established_on,
                ratio=ratio,
                subscribed_capital=parsed.subscribed,
                paid_in_capital=parsed.paid_in,
            )
            if role is None:
                continue
            role_id = role.role_id
            if keep_closed(role, self.history.stored(role_id, e.uscc)) is not None:
                self.history.put(role, role_id)
        out.roles.extend(self.history.take())


# -- branches -------------------------------------------------------------------------------------


@dataclass
class BranchRow(EnterpriseRow):
    parent: str = ""
    parent_name: str | None = None
    parent_valid: bool = True


class BranchesLoader(Loader[BranchRow]):
    kind = "branches"
    summary = "branches (分支机构) with their parent and principal"
    fields: ClassVar[dict[str, bool]] = {
        "uscc": True,
        "name": True,
        "parent_uscc": True,
        "parent_name": False,
        "legal_form": False,
        "status": False,
        "established_on": False,
        "registered_capital": False,
        "address": False,
        "phone": False,
        "email": False,
        "principal_name": False,
        "principal_id_type": False,
        "principal_id": False,
    }
    sensitive = frozenset({"principal_id"})
    key_field = "uscc"
    code_fields = ("uscc", "parent_uscc")
    document_fields = ("principal_id",)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.people = People(ctx)
        self.orgs = Organisations(ctx)
        self.history = History(ctx)
        self.matcher = Matcher(ctx, self.history)

    def parse(self, row: Row) -> BranchRow | None:
        code = row.enterprise_code("uscc")
        name = row.text("name", required=True)
        parent = row.enterprise_code("parent_uscc")
        parent_name = row.text("parent_name")
        legal_form = row.text("legal_form")
        status = row.enum("status")
        established = row.date("established_on")
        capital = row.money("registered_capital")
        address, phone, email = row.text("address"), row.text("phone"), row.text("email")
        principal = row.text("principal_name")
        doc = row.document("principal_id", "principal_id_type", required=False, allow_masked=True)
        if code is None or name is None or parent is None or row.bad:
            return None
        if parent.code == code.code:
            row.problem("parent_uscc", "a branch cannot be its own parent")
            return None
        try:
            branch = Enterprise(
                uscc=code.code,
                name=name,
                org_type="branch",
                status=status or "",
                established_on=established,
                registered_capital=capital,
                address=address,
                phone=phone,
                email=email,
                legal_form=legal_form,
                id_valid=code.valid,
                source=self.ctx.source,
                loaded_at=self.ctx.loaded_at,
            )
        except ValidationError as err:
            _model_problem(row, "uscc", err)
            return None
        person = (
            self.people.person(doc, principal) if doc is not None and not doc.masked and principal else None
        )
        masked = doc.number if doc is not None and doc.masked else None
        return BranchRow(branch, person, principal, masked, parent.code, parent_name, parent.valid)

    def key(self, parsed: BranchRow) -> str:
        return parsed.enterprise.uscc

    def apply(self, items: list[tuple[Row, BranchRow]], out: BatchOut) -> None:
        held = self.orgs.fetch([p.enterprise.uscc for _, p in items] + [p.parent for _, p in items])
        self.history.prefetch([p.enterprise.uscc for _, p in items if p.enterprise.uscc in held])
        good: list[tuple[Row, BranchRow]] = []
        for row, parsed in items:
            if parsed.parent not in held:
                if parsed.parent_name is None:
                    out.reject(
                        row, "parent_uscc", "the parent is not in the store and the row does not name it"
                    )
                    continue
                self.orgs.stub(parsed.parent, parsed.parent_name, parsed.parent_valid, out)
            good.append((row, parsed))
        self.people.to_write(
            ((row, "principal_id", p.representative) for row, p in good if p.representative), out
        )
        for row, parsed in good:
            b = parsed.enterprise
            existed = b.uscc in held
            out.enterprises.append(b)
            role = _role(
                self.ctx,
                row,
                out,
                "parent_uscc",
                type=RoleType.BRANCH_OF,
                holder_kind="enterprise",
                holder_key=b.uscc,
                enterprise=parsed.parent,
                valid_from=b.established_on,
            )
            if role is not None and (
                kept := keep_closed(role, self.history.stored(role.role_id, parsed.parent))
            ):
                self.history.put(kept)
            if parsed.rep_name is not None:
                post(self.ctx, row, parsed, existed, self, out)
        out.roles.extend(self.history.take())
        self.matcher.reset()


# -- change records -------------------------------------------------------------------------------


@dataclass
class Item:
    """What a change item (变更事项) changes: a post (role type and, for some, position) or an
    attribute of the enterprise; or nothing the graph keeps."""

    role: RoleType | None = None
    position: str | None = None
    attribute: str | None = None
    ignore: bool = False


def items_table(ctx: Context) -> dict[str, Item]:
    table: dict[str, Item] = {}
    for word, spec in ctx.option("items", {}).items():
        key = normalize_name(word)
        if spec == "ignore" or (isinstance(spec, dict) and spec.get("ignore")):
            table[key] = Item(ignore=True)
        elif isinstance(spec, str):
            table[key] = Item(role=RoleType(spec))
        elif "attribute" in spec:
            table[key] = Item(attribute=spec["attribute"])
        else:
            table[key] = Item(role=RoleType(spec["role"]), position=spec.get("position"))
    return table


ATTRIBUTES = ("name", "address", "registered_capital", "status", "legal_form", "phone")


@dataclass
class ChangeRow:
    uscc: str
    item: Item
    changed_on: date
    before: list[NamedRef]
    after: list[NamedRef]
    before_value: object = None  # attribute changes: the value before and after, converted
    after_value: object = None


class ChangesLoader(Loader[ChangeRow]):
    kind = "changes"
    summary = "change records (变更记录) that end old role edges and start new ones"
    fields: ClassVar[dict[str, bool]] = {
        "uscc": True,
        "enterprise_name": False,
        "item": True,
        "before": False,
        "after": False,
        "changed_on": True,
    }
    sensitive = frozenset({"before", "after"})
    key_field = "item"
    code_fields = ("uscc",)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.people = People(ctx)
        self.orgs = Organisations(ctx)
        self.history = History(ctx)
        self.matcher = Matcher(ctx, self.history)
        self.items = items_table(ctx)
        self.named: list[tuple[Row, str, Person]] = []
        for item in self.items.values():
            if item.attribute is not None and item.attribute not in ATTRIBUTES:
                raise MappingError(
                    f"change item attribute {item.attribute!r} is not one of {', '.join(ATTRIBUTES)}"
                )

    def _refs(self, row: Row, name: str, item: Item) -> list[NamedRef]:
        refs: list[NamedRef] = []
        organisations = item.role in (RoleType.SHAREHOLDER_OF, RoleType.ACTUAL_CONTROLLER_OF)
        for who, code in split_names(row.text(name)):
            if code is None:
                refs.append(NamedRef(who, None, "person"))
            elif "*" in code:
                refs.append(NamedRef(who, code, "person"))
            elif not organisations or is_valid_id_number(code):
                reason = document_problem(code)
                if reason is not None:
                    row.problem(name, f"{who}: {reason}")
                else:
                    refs.append(NamedRef(who, code, "person"))
            else:
                try:
                    kind, valid = validate_enterprise_code(code)
                except IdentifierError as err:
                    row.problem(name, f"{who}: {err.kind} {err.check}: {err}")
                    continue
                if kind != "uscc":
                    row.problem(name, f"{who}: a 15-digit registration number, not a USCC")
                    continue
                refs.append(NamedRef(who, valid, "enterprise"))
        return refs

    def parse(self, row: Row) -> ChangeRow | None:
        code = row.enterprise_code("uscc")
        raw_item = row.text("item", required=True)
        item = self.items.get(raw_item) if raw_item else None
        if raw_item is not None and item is None:
            known = ", ".join(list(self.items)[:8])
            row.problem("item", f"not a change item the mapping knows ({known} …)")
        changed_on = row.date("changed_on", required=True)
        if code is None or item is None or changed_on is None:
            return None
        parsed = ChangeRow(code.code, item, changed_on, [], [])
        if item.role is not None:
            parsed.before, parsed.after = self._refs(row, "before", item), self._refs(row, "after", item)
            if not parsed.before and not parsed.after and not row.bad:
                row.problem("after", "names nobody before or after the change")
        elif item.attribute is not None:
            convert = row.money if item.attribute == "registered_capital" else row.text
            parsed.before_value, parsed.after_value = convert("before"), convert("after")
            if parsed.after_value is None and not row.bad:
                row.problem("after", "required field is empty")
        return None if row.bad else parsed

    def key(self, parsed: ChangeRow) -> str:
        p = parsed
        return f"{p.uscc}|{p.item}|{p.changed_on}|{p.before}|{p.after}|{p.after_value}"

    def apply(self, items: list[tuple[Row, ChangeRow]], out: BatchOut) -> None:
        held = self.orgs.fetch([p.uscc for _, p in items])
        self.history.prefetch(held)
        self.named = []
        changed: dict[str, Enterprise] = {}
        for row, parsed in items:
            e = changed.get(parsed.uscc) or held.get(parsed.uscc)
            if e is None:
                out.reject(
                    row, "uscc", "no enterprise with this code in the store: load its registration first"
                )
            elif parsed.item.ignore:
                out.skipped_rows.add(row.number)
            elif parsed.item.attribute is not None:
                updated = self._attribute(row, parsed, e, out)
                if updated is not None:
                    changed[e.uscc] = updated
            else:
                self._post(row, parsed, e, out)
        self.people.to_write(self.named, out)
        out.enterprises.extend(changed.values())
        out.roles.extend(self.history.take())
        self.matcher.reset()

    def _attribute(self, row: Row, parsed: ChangeRow, e: Enterprise, out: BatchOut) -> Enterprise | None:
        name = parsed.item.attribute or ""
        held = getattr(e, name)
        if held == parsed.after_value:
            return None
        if held is not None and held != parsed.before_value:
            out.unresolved_ref(
                Unresolved(
                    row.number,
                    row.header("before"),
                    str(parsed.before_value or ""),
                    "",
                    e.uscc,
                    f"the store's {name} is {held!r}, neither the change's before nor its after: not applied",
                )
            )
            return None
        try:
            return Enterprise.model_validate(
                {**e.model_dump(), name: parsed.after_value, "loaded_at": self.ctx.loaded_at}
            )
        except ValidationError as err:
            out.reject(row, "after", str(err.errors()[0]["msg"]))
            return None

    def _resolve(
        self, row: Row, field: str, ref: NamedRef, e: Enterprise, types: list[RoleType], out: BatchOut
    ) -> tuple[str, str] | None:
        """(holder_kind, holder_key) for a named holder, or None with the reason reported."""
        if ref.kind == "enterprise":
            if ref.code is not None:
                self.orgs.stub(ref.code, ref.name, True, out)
                return "enterprise", ref.code
            return None
        if ref.code is not None and not ref.masked:
            person = self.people.person(Document(ref.code, "resident_id", False), ref.name)
            self.named.append((row, field, person))
            return "person", person.person_key
        found = self.matcher.match(ref.name, ref.code, e.uscc)
        if found.person is None:
            out.unresolved_ref(
                _unresolved(row, field, ref.name, ref.code, e.uscc, found.reason, found.candidates)
            )
            return None
        return "person", found.person.person_key

    def _post(self, row: Row, parsed: ChangeRow, e: Enterprise, out: BatchOut) -> None:
        item, d = parsed.item, parsed.changed_on
        type_ = item.role
        assert type_ is not None

        def edges() -> list[Role]:
            found = self.history.roles(e.uscc, [type_])
            return [r for r in found if item.position is None or r.position == item.position]

        before = [(ref, self._resolve(row, "before", ref, e, [type_], out)) for ref in parsed.before]
        after = [(ref, self._resolve(row, "after", ref, e, [type_], out)) for ref in parsed.after]
        before_keys = {h for _, h in before if h}
        after_keys = {h for _, h in after if h}
        if not before_keys and not after_keys:
            out.held_rows.add(row.number)
            return
        closed: list[Role] = []
        for ref, holder in before:
            if holder is None or holder in after_keys:
                continue
            mine = [r for r in edges() if (r.holder_kind, r.holder_key) == holder]
            if any(r.valid_to == d for r in mine):
                closed += [r for r in mine if r.valid_to == d]
                continue
            open_ = [
                r
                for r in mine
                if (r.valid_from is None or r.valid_from < d) and (r.valid_to is None or r.valid_to > d)
            ]
            if open_:
                for r in open_:
                    ended = r.model_copy(update={"valid_to": d, "loaded_at": self.ctx.loaded_at})
                    self.history.put(ended)
                    closed.append(ended)
                continue
            if ref.code is None or ref.masked:
                continue  # matched by name among holders, so it has edges; none held before d
            # History older than the store knows: the holder's edge ends on d and starts where the
            # previous holder's ended, else when the enterprise was established.
            ends = [r.valid_to for r in edges() if r.valid_to is not None and r.valid_to <= d]
            start = max(ends) if ends else e.established_on
            if start is not None and start >= d:
                start = None
            role = _role(
                self.ctx, row, out, "before",
                type=type_, holder_kind=holder[0], holder_key=holder[1], enterprise=e.uscc,
                valid_from=start, valid_to=d, position=item.position,
            )  # fmt: skip
            if role is not None:
                self.history.put(role)
                closed.append(role)
        inherited = item.position
        if inherited is None and len({r.position for r in closed}) == 1:
            inherited = closed[0].position
        for ref, holder in after:
            if holder is None or holder in before_keys:
                continue
            mine = [r for r in edges() if (r.holder_kind, r.holder_key) == holder]
            if any(r.valid_from == d for r in mine):
                continue
            holding = [r for r in mine if r.holds_on(d)]
            if holding:
                out.unresolved_ref(
                    _unresolved(
                        row, "after", ref.name, ref.code, e.uscc,
                        f"already holds this post since {day(holding[0].valid_from)}, before the change's "
                        f"date {d.isoformat()}: not opened again",
                    )
                )  # fmt: skip
                continue
            role = _role(
                self.ctx, row, out, "after",
                type=type_, holder_kind=holder[0], holder_key=holder[1], enterprise=e.uscc,
                valid_from=d, position=inherited,
            )  # fmt: skip
            if role is not None:
                self.history.put(role)
