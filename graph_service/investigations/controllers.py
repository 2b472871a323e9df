"""Actual controllers (实际控制人): declared ones first, else computed from cumulative shares; and the
write-back of computed ones as ACTUAL_CONTROLLER_OF edges with basis=computed, closed again when a later
computation no longer supports them.

Control can rest on voting agreements, appointment rights or trusts that no register of shares shows
(docs/domain.md, "The graph"), so a controller a source declares always wins over one computed here. The
computation
looks only at ultimate owners, the natural persons and the organisations with no owner of their own in
the penetrated graph: a holding company in the middle of a chain is a controlling shareholder (控股股东),
not the actual controller behind it. Among them, whoever holds more than the threshold (e.g. over 50%)
controls; else the largest holder over the minimum share (e.g. over 25%), jointly when several tie.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from graph_service.engine.results import SubjectRef
from graph_service.engine.subjects import subject_refs
from graph_service.investigations.common import InvestigationError, SubjectKey, require_subject
from graph_service.investigations.equity import OwnershipPath, Stake, penetrate
from graph_service.model import Role, RoleType
from graph_service.settings import Settings
from graph_service.store import mark_data_as_of
from graph_service.store.base import MAX_OWNERSHIP_DEPTH, GraphStore

COMPUTED_SOURCE = "computed:equity_penetration"
WRITE_BATCH = 1000


class ControllerRule(BaseModel):
    """When cumulative shares make a controller; from settings unless a caller asks otherwise."""

    threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    min_share: float = Field(default=0.25, ge=0.0, le=1.0)

    @classmethod
    def of(cls, settings: Settings) -> ControllerRule:
        return cls(threshold=settings.controller_threshold, min_share=settings.controller_min_share)


class Controller(BaseModel):
    subject: SubjectRef
    basis: Literal["declared", "computed"]
    share: float | None  # cumulative share held in the enterprise, when it holds any
    reason: str
    role_id: str | None = None  # the stored ACTUAL_CONTROLLER_OF edge, when there is one
    valid_from: date | None = None
    source: str | None = None
    paths: list[OwnershipPath] = []


class ControllerResult(BaseModel):
    enterprise: SubjectRef
    as_of: date
    rule: ControllerRule
    max_depth: int
    basis: Literal["declared", "computed", "none"]
    controllers: list[Controller]  # the answer: declared ones when any, else the computed ones
    computed: list[Controller]  # what the shares alone give, shown beside a declaration to compare
    complete: bool  # False when the ownership paths were too many to enumerate in full


def _fmt(value: float) -> str:
    return f"{value * 100:.4g}%"


def choose(candidates: Iterable[Stake], rule: ControllerRule) -> list[tuple[Stake, str]]:
    """The controlling ultimate owners under the rule, with the reason for each."""
    pool = list(candidates)
    over = [s for s in pool if s.share > rule.threshold]
    if over:
        return [(s, f"cumulative share {_fmt(s.share)} over {_fmt(rule.threshold)}") for s in over]
    eligible = [s for s in pool if s.share > rule.min_share]
    if not eligible:
        return []
    top = max(s.share for s in eligible)
    tied = [s for s in eligible if s.share == top]
    joint = " (jointly, equal shares)" if len(tied) > 1 else ""
    return [
        (
            s,
            f"largest cumulative share {_fmt(s.share)}, over {_fmt(rule.min_share)} "
            f"and not over {_fmt(rule.threshold)}{joint}",
        )
        for s in tied
    ]


def _controllers(
    store: GraphStore, uscc: str, as_of: date, rule: ControllerRule, max_depth: int
) -> tuple[ControllerResult, dict[SubjectKey, Role]]:
    require_subject(store, "enterprise", uscc)
    stored = store.roles_of_enterprise(uscc, {RoleType.ACTUAL_CONTROLLER_OF}, as_of)
    declared = [r for r in stored if r.basis != "computed"]
    written: dict[SubjectKey, Role] = {
        (r.holder_kind, r.holder_key): r for r in stored if r.basis == "computed"
    }
    result, graph = penetrate(store, "enterprise", uscc, "up", as_of, max_depth)
    stakes = {(s.subject.kind, s.subject.key): s for s in result.stakes}
    ultimate = [s for key, s in stakes.items() if s.subject.kind == "person" or not graph.has_owners(key)]
    computed = []
    for stake, reason in choose(ultimate, rule):
        key: SubjectKey = (stake.subject.kind, stake.subject.key)
        edge = written.get(key)
        computed.append(
            Controller(
                subject=stake.subject,
                basis="computed",
                share=stake.share,
                reason=reason,
                role_id=edge.role_id if edge else None,
                valid_from=edge.valid_from if edge else None,
                source=edge.source if edge else None,
                paths=stake.paths,
            )
        )
    names = subject_refs(store, [(r.holder_kind, r.holder_key) for r in declared])
    declared_out = []
    for r in declared:
        holder: SubjectKey = (r.holder_kind, r.holder_key)
        got = stakes.get(holder)
        declared_out.append(
            Controller(
                subject=names[holder],
                basis="declared",
                share=got.share if got else None,
                reason=f"declared by {r.source or 'the source'}",
                role_id=r.role_id,
                valid_from=r.valid_from,
                source=r.source,
                paths=got.paths if got else [],
            )
        )
    basis: Literal["declared", "computed", "none"] = (
        "declared" if declared_out else "computed" if computed else "none"
    )
    answer = ControllerResult(
        enterprise=result.subject,
        as_of=as_of,
        rule=rule,
        max_depth=max_depth,
        basis=basis,
        controllers=declared_out or computed,
        computed=computed,
        complete=result.complete,
    )
    return answer, written


def actual_controllers(
    store: GraphStore,
    uscc: str,
    as_of: date,
    rule: ControllerRule | None = None,
    max_depth: int = MAX_OWNERSHIP_DEPTH,
) -> ControllerResult:
    """The enterprise's actual controllers on the day, declared or computed, with their paths."""
    return _controllers(store, uscc, as_of, rule or ControllerRule(), max_depth)[0]


class ControllerChange(BaseModel):
    enterprise: str
    holder_kind: Literal["person", "enterprise"]
    holder_key: str
    change: Literal["opened", "closed"]
    role_id: str
    share: float | None = None
    reason: str


class WriteBackReport(BaseModel):
    as_of: date
    examined: int
    opened: list[ControllerChange]
    closed: list[ControllerChange]
    unchanged: int  # computed edges that are still supported


def _candidates(store: GraphStore, as_of: date) -> list[str]:
    """Enterprises that have owners on the day or carry a computed controller edge: the only ones whose
    computed controllers can exist or change."""
    found: set[str] = set()
    for record in store.iter_records("roles"):
        if not isinstance(record, Role) or not record.holds_on(as_of):
            continue
        if record.type == RoleType.SHAREHOLDER_OF or (
            record.type == RoleType.ACTUAL_CONTROLLER_OF and record.basis == "computed"
        ):
            found.add(record.enterprise)
    return sorted(found)


def write_back_controllers(
    store: GraphStore,
    as_of: date,
    rule: ControllerRule | None = None,
    usccs: Collection[str] | None = None,
    max_depth: int = MAX_OWNERSHIP_DEPTH,
) -> WriteBackReport:
    """Store computed controllers as ACTUAL_CONTROLLER_OF edges (basis=computed) from `as_of`, and close on
    `as_of` (valid_to) the computed edges the shares no longer support, or that a declaration replaced.
    Declared edges are never touched. For the given enterprises, or for every one with owners."""
    rule = rule or ControllerRule()
    targets = sorted(set(usccs)) if usccs is not None else _candidates(store, as_of)
    opened: list[ControllerChange] = []
    closed: list[ControllerChange] = []
    unchanged = 0
    writes: list[Role] = []
    for uscc in targets:
        result, written = _controllers(store, uscc, as_of, rule, max_depth)
        backed = result.computed if result.basis == "computed" else []
        supported = {(c.subject.kind, c.subject.key): c for c in backed}
        for key, controller in sorted(supported.items()):
            if key in written:
                unchanged += 1
                continue
            role = Role(
                type=RoleType.ACTUAL_CONTROLLER_OF,
                holder_kind=key[0],
                holder_key=key[1],
                enterprise=uscc,
                valid_from=as_of,
                basis="computed",
                source=COMPUTED_SOURCE,
            )
            writes.append(role)
            opened.append(
                ControllerChange(
                    enterprise=uscc,
                    holder_kind=key[0],
                    holder_key=key[1],
                    change="opened",
                    role_id=role.role_id,
                    share=controller.share,
                    reason=controller.reason,
                )
            )
        for key, role in sorted(written.items()):
            if key in supported:
                continue
            why = (
                "a declared controller replaces it"
                if result.basis == "declared"
                else ("the shares no longer support it")
            )
            writes.append(Role.model_validate({**role.model_dump(), "valid_to": as_of, "loaded_at": None}))
            closed.append(
                ControllerChange(
                    enterprise=uscc,
                    holder_kind=key[0],
                    holder_key=key[1],
                    change="closed",
                    role_id=role.role_id,
                    reason=why,
                )
            )
    for i in range(0, len(writes), WRITE_BATCH):
        store.upsert_roles(writes[i : i + WRITE_BATCH])
    if writes:
        mark_data_as_of(store)
    return WriteBackReport(
        as_of=as_of, examined=len(targets), opened=opened, closed=closed, unchanged=unchanged
    )


def check_rule(threshold: float | None, min_share: float | None, base: ControllerRule) -> ControllerRule:
    """The settings' rule with a caller's overrides, refused when the minimum is above the threshold."""
    rule = ControllerRule(
        threshold=base.threshold if threshold is None else threshold,
        min_share=base.min_share if min_share is None else min_share,
    )
    if rule.min_share > rule.threshold:
        raise InvestigationError("min_share: must not be above the threshold")
    return rule
