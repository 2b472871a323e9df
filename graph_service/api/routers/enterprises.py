"""Enterprises and the people responsible for them."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from graph_service.access.keys import Principal
from graph_service.api.deps import Auditor, get_auditor, get_engine, get_store, require
from graph_service.api.errors import NotFound, invalid_identifier, problem_responses
from graph_service.api.routers.checks import KnownAt, answered_from
from graph_service.api.subjects import find_enterprise
from graph_service.api.views import EnterpriseView, ResponsiblePersons, holder_view, role_view
from graph_service.engine import Engine
from graph_service.engine.results import AffectedResult
from graph_service.identifiers import IdentifierError, normalize_code
from graph_service.model import Enterprise, RoleType
from graph_service.store.base import GraphStore

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])
ERRORS = problem_responses(404, 409, 422)
UsccPath = Annotated[
    str,
    Path(
        description="统一社会信用代码, 18 characters (GB 32100)",
        min_length=18,
        max_length=18,
        examples=["91110000600037341L"],
    ),
]


def _enterprise(store: GraphStore, uscc: str) -> Enterprise:
    try:
        found = find_enterprise(store, uscc)
    except IdentifierError as err:
        raise invalid_identifier("uscc", err) from None
    if found is None:
        raise NotFound(f"no enterprise with USCC {normalize_code(uscc)}")
    return found


@router.get("/{uscc}", response_model=EnterpriseView, responses=ERRORS)
def get_enterprise(
    uscc: UsccPath, store: GraphStore = Depends(get_store), _: Principal = Depends(require("read"))
) -> EnterpriseView:
    """An enterprise's registration record."""
    return EnterpriseView.of(_enterprise(store, uscc))


@router.get("/{uscc}/responsible-persons", response_model=ResponsiblePersons, responses=ERRORS)
def responsible_persons(
    uscc: UsccPath,
    as_of: Annotated[
        date | None, Query(description="Day the roles must hold on (YYYY-MM-DD); today if absent")
    ] = None,
    role: Annotated[list[RoleType] | None, Query(description="Only these role types")] = None,
    store: GraphStore = Depends(get_store),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("read")),
) -> ResponsiblePersons:
    """The people and organisations holding a role in the enterprise on a day: legal representative,
    principal, actual controller, directors, supervisors, senior managers, shareholders, practitioners.
    An answer carrying full ID numbers (to those who may see them) is audited, naming the persons."""
    enterprise = _enterprise(store, uscc)
    day = as_of or date.today()
    types = set(role) if role else {t for t in RoleType if t is not RoleType.BRANCH_OF}
    roles = store.roles_of_enterprise(enterprise.uscc, types, day)
    persons = store.get_persons([r.holder_key for r in roles if r.holder_kind == "person"])
    orgs = store.get_enterprises([r.holder_key for r in roles if r.holder_kind == "enterprise"])
    views = [role_view(r, holder_view(r, persons.get(r.holder_key), orgs.get(r.holder_key))) for r in roles]
    shown = sorted({p.person_key for p in persons.values() if p.id_number})
    if shown:
        audit(
            "responsible_persons", enterprise.uscc, f"ID numbers of {len(shown)} persons: {' '.join(shown)}"
        )
    return ResponsiblePersons(uscc=enterprise.uscc, name=enterprise.name, as_of=day, roles=views)


@router.get("/{uscc}/affected", response_model=AffectedResult, responses=ERRORS)
def affected(
    uscc: UsccPath,
    as_of: Annotated[date | None, Query(description="Day; today if absent")] = None,
    as_known_at: KnownAt = None,
    store: GraphStore = Depends(get_store),
    engine: Engine = Depends(get_engine),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("affected")),
) -> AffectedResult:
    """Who must also be restricted because of the enterprise's black entries in force: its people and
    owners the rules reach, with measures and paths."""
    enterprise = _enterprise(store, uscc)
    day = as_of or date.today()
    result = engine.affected_by_enterprise(enterprise.uscc, day, as_known_at)
    audit(
        "affected",
        enterprise.uscc,
        f"{len(result.entries)} entries, {len(result.affected)} reached"
        + answered_from(store, day, as_known_at),
    )
    return result
