"""Association between bidders (相关主体的关联度, docs/domain.md, "Sources": Qinyang): which bidders of one
tender are linked, how strongly, and by what evidence.

Evidence, each kind with a fixed weight (the weight is the rough chance, on its own, that two bidders so
linked are not independent; the values are a starting point an operator may tune, not a statistic):

- `common_controller` 0.6: the same actual controller, declared or computed from shares within k hops;
- `ownership` 0.6: one bidder holds shares of the other, directly or within k hops;
- `branch` 0.6: one bidder is registered as a branch of the other;
- `shared_person` 0.5: one person holds a role (any role, shareholder included) in both;
- `common_shareholder` 0.4: one subject holds shares in both within k hops, or a role in one and shares
  in the other;
- `shared_phone` 0.4, `shared_email` 0.4: the same registered phone number or email;
- `shared_address` 0.3: the same registered address (compared full-width/half-width and blanks alike).

A linking subject counts once, under the strongest kind it meets (controller, then person, then
shareholder), with every role and path that ties it to each bidder. The pair's score combines its items
as independent signals: score = 1 − ∏(1 − weight), so two weak signals add up, no number of them passes
1, and one item alone scores its own weight. Levels: high from 0.7 (e.g. a shared person and a shared
phone), medium from 0.4, low below. Pairs with no evidence are not listed, only counted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel

from graph_service.engine.results import SubjectRef
from graph_service.engine.subjects import subject_refs
from graph_service.investigations.common import (
    InvestigationError,
    SubjectKey,
    require_subject,
)
from graph_service.investigations.controllers import ControllerRule, choose
from graph_service.investigations.equity import OwnershipPath, penetrate
from graph_service.model import ROLE_NAMES_ZH, Enterprise, Role, RoleType
from graph_service.store.base import MAX_OWNERSHIP_DEPTH, GraphStore, search_form

EvidenceKind = Literal[
    "common_controller",
    "ownership",
    "branch",
    "shared_person",
    "common_shareholder",
    "shared_phone",
    "shared_email",
    "shared_address",
]
WEIGHTS: dict[EvidenceKind, float] = {
    "common_controller": 0.6,
    "ownership": 0.6,
    "branch": 0.6,
    "shared_person": 0.5,
    "common_shareholder": 0.4,
    "shared_phone": 0.4,
    "shared_email": 0.4,
    "shared_address": 0.3,
}
HIGH, MEDIUM = 0.7, 0.4
MAX_BIDDERS = 200
DEFAULT_HOPS = 3


class RoleHeld(BaseModel):
    role: RoleType
    role_zh: str
    position: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    role_id: str


class Tie(BaseModel):
    """How a linking subject is tied to one bidder: its roles there, its share and the paths."""

    bidder: str
    roles: list[RoleHeld] = []
    share: float | None = None  # cumulative, within k hops
    controller: bool = False
    paths: list[OwnershipPath] = []


class Evidence(BaseModel):
    kind: EvidenceKind
    weight: float
    detail: str
    subject: SubjectRef | None = None  # the linking person or organisation
    value: str | None = None  # the shared phone, email or address as the first bidder registered it
    ties: list[Tie] = []


class BidderPair(BaseModel):
    a: SubjectRef
    b: SubjectRef
    score: float
    level: Literal["high", "medium", "low"]
    evidence: list[Evidence]


class BidderReport(BaseModel):
    as_of: date
    hops: int
    weights: dict[str, float]  # the weighting used, so every score can be recomputed by hand
    bidders: list[SubjectRef]
    pairs: list[BidderPair]  # linked pairs, highest score first
    unlinked_pairs: int
    groups: list[list[str]]  # bidders joined by pairs of medium or high level, largest group first


@dataclass
class _Bidder:
    uscc: str
    record: Enterprise
    roles: dict[SubjectKey, list[Role]] = field(default_factory=lambda: defaultdict(list))
    shares: dict[SubjectKey, tuple[float, list[OwnershipPath]]] = field(default_factory=dict)
    controllers: set[SubjectKey] = field(default_factory=set)
    branches: set[str] = field(default_factory=set)  # organisations registered as its branches

    def interest(self, key: SubjectKey) -> bool:
        return key in self.roles or key in self.shares or key in self.controllers

    def tie(self, key: SubjectKey) -> Tie:
        held = self.shares.get(key)
        return Tie(
            bidder=self.uscc,
            roles=[
                RoleHeld(
                    role=r.type,
                    role_zh=ROLE_NAMES_ZH[r.type],
                    position=r.position,
                    valid_from=r.valid_from,
                    valid_to=r.valid_to,
                    role_id=r.role_id,
                )
                for r in self.roles.get(key, [])
            ],
            share=held[0] if held else None,
            controller=key in self.controllers,
            paths=held[1] if held else [],
        )


def score_of(weights: Sequence[float]) -> float:
    """Independent signals combined: 1 − ∏(1 − w)."""
    remaining = 1.0
    for w in weights:
        remaining *= 1.0 - w
    return round(1.0 - remaining, 4)


def level_of(score: float) -> Literal["high", "medium", "low"]:
    return "high" if score >= HIGH else "medium" if score >= MEDIUM else "low"


def _phone(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("86") and len(digits) == 13:  # +86 before a mobile number
        digits = digits[2:]
    return digits if len(digits) >= 7 else None


def _email(value: str | None) -> str | None:
    text = (value or "").strip().lower()
    return text if "@" in text else None


def _address(value: str | None) -> str | None:
    text = search_form(value or "")
    return text if len(text) >= 6 else None  # a bare county name is no address


ATTRIBUTES: tuple[tuple[EvidenceKind, Callable[[str | None], str | None], str], ...] = (
    ("shared_phone", _phone, "phone"),
    ("shared_email", _email, "email"),
    ("shared_address", _address, "address"),
)


def _load(
    store: GraphStore, uscc: str, record: Enterprise, as_of: date, hops: int, rule: ControllerRule
) -> _Bidder:
    bidder = _Bidder(uscc=uscc, record=record)
    for r in store.roles_of_enterprise(uscc, as_of=as_of):
        holder: SubjectKey = (r.holder_kind, r.holder_key)
        if r.type == RoleType.BRANCH_OF:
            bidder.branches.add(r.holder_key)
            continue
        bidder.roles[holder].append(r)
        if r.type == RoleType.ACTUAL_CONTROLLER_OF:
            bidder.controllers.add(holder)
    result, graph = penetrate(store, "enterprise", uscc, "up", as_of, max_depth=hops)
    for stake in result.stakes:
        key: SubjectKey = (stake.subject.kind, stake.subject.key)
        bidder.shares[key] = (stake.share, stake.paths)
    ultimate = [
        s
        for s in result.stakes
        if s.subject.kind == "person" or not graph.has_owners((s.subject.kind, s.subject.key))
    ]
    if not bidder.controllers:  # a declared controller decides; shares only where none is declared
        bidder.controllers = {(s.subject.kind, s.subject.key) for s, _ in choose(ultimate, rule)}
    return bidder


def _describe(tie: Tie, bidder_name: str) -> str:
    parts = [
        f"{r.role_zh}({r.position})" if r.position and r.position != r.role_zh else r.role_zh
        for r in tie.roles
    ]
    if tie.share is not None and not any(r.role == RoleType.SHAREHOLDER_OF for r in tie.roles):
        parts.append(f"indirect holder of {tie.share * 100:.4g}%")
    if tie.controller and not any(r.role == RoleType.ACTUAL_CONTROLLER_OF for r in tie.roles):
        parts.append("actual controller (computed)")
    return f"{'、'.join(parts) or 'linked'} of {bidder_name}"


def _pair_evidence(a: _Bidder, b: _Bidder, names: dict[SubjectKey, SubjectRef]) -> list[Evidence]:
    evidence: list[Evidence] = []
    ka: SubjectKey = ("enterprise", a.uscc)
    kb: SubjectKey = ("enterprise", b.uscc)
    linking = sorted(k for k in {*a.roles, *a.shares, *a.controllers} if k not in (ka, kb) and b.interest(k))
    for k in linking:
        ta, tb = a.tie(k), b.tie(k)
        kind: EvidenceKind
        if ta.controller and tb.controller:
            kind = "common_controller"
        elif k[0] == "person" and ta.roles and tb.roles:
            kind = "shared_person"
        else:
            kind = "common_shareholder"
        who = names[k].name or k[1]
        detail = f"{who}: {_describe(ta, a.record.name)}; {_describe(tb, b.record.name)}"
        evidence.append(
            Evidence(kind=kind, weight=WEIGHTS[kind], detail=detail, subject=names[k], ties=[ta, tb])
        )
    for owner, held in ((a, b), (b, a)):
        got = held.shares.get(("enterprise", owner.uscc))
        if got is not None:
            evidence.append(
                Evidence(
                    kind="ownership",
                    weight=WEIGHTS["ownership"],
                    detail=f"{owner.record.name} holds {got[0] * 100:.4g}% of {held.record.name}",
                    subject=names[("enterprise", owner.uscc)],
                    ties=[held.tie(("enterprise", owner.uscc))],
                )
            )
    if b.uscc in a.branches or a.uscc in b.branches:
        branch, parent = (a, b) if a.uscc in b.branches else (b, a)
        evidence.append(
            Evidence(
                kind="branch",
                weight=WEIGHTS["branch"],
                detail=f"{branch.record.name} is a branch of {parent.record.name}",
                subject=names[("enterprise", parent.uscc)],
            )
        )
    for kind, norm, attr in ATTRIBUTES:
        va, vb = getattr(a.record, attr), getattr(b.record, attr)
        if norm(va) is not None and norm(va) == norm(vb):
            evidence.append(
                Evidence(
                    kind=kind,
                    weight=WEIGHTS[kind],
                    detail=f"both registered the {attr} {va}",
                    value=va,
                )
            )
    return evidence


def _groups(usccs: Sequence[str], pairs: Sequence[BidderPair]) -> list[list[str]]:
    parent = {u: u for u in usccs}

    def find(u: str) -> str:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for p in pairs:
        if p.score >= MEDIUM:
            ra, rb = find(p.a.key), find(p.b.key)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for u in usccs:
        groups[find(u)].append(u)
    found = [sorted(g) for g in groups.values() if len(g) > 1]
    return sorted(found, key=lambda g: (-len(g), g))


def screen_bidders(
    store: GraphStore,
    usccs: Sequence[str],
    as_of: date,
    hops: int = DEFAULT_HOPS,
    rule: ControllerRule | None = None,
) -> BidderReport:
    """Every pair of the bidders that is linked, scored, with its evidence."""
    ordered = list(dict.fromkeys(usccs))  # the same bidder twice is one bidder
    if not 2 <= len(ordered) <= MAX_BIDDERS:
        raise InvestigationError(f"usccs: give between 2 and {MAX_BIDDERS} different bidders")
    if not 1 <= hops <= MAX_OWNERSHIP_DEPTH:
        raise InvestigationError(f"hops: must be between 1 and {MAX_OWNERSHIP_DEPTH}")
    records = store.get_enterprises(ordered)
    for uscc in ordered:
        if uscc not in records:
            require_subject(store, "enterprise", uscc)
    rule = rule or ControllerRule()
    bidders = [_load(store, u, records[u], as_of, hops, rule) for u in ordered]
    refs: set[SubjectKey] = {("enterprise", u) for u in ordered}
    for bidder in bidders:
        refs |= {*bidder.roles, *bidder.shares, *bidder.controllers}
    names = subject_refs(store, refs)
    pairs: list[BidderPair] = []
    unlinked = 0
    for i, a in enumerate(bidders):
        for b in bidders[i + 1 :]:
            first, second = (a, b) if a.uscc < b.uscc else (b, a)
            evidence = _pair_evidence(first, second, names)
            if not evidence:
                unlinked += 1
                continue
            score = score_of([e.weight for e in evidence])
            pairs.append(
                BidderPair(
                    a=names[("enterprise", first.uscc)],
                    b=names[("enterprise", second.uscc)],
                    score=score,
                    level=level_of(score),
                    evidence=sorted(evidence, key=lambda e: (-e.weight, e.kind, e.detail)),
                )
            )
    pairs.sort(key=lambda p: (-p.score, p.a.key, p.b.key))
    return BidderReport(
        as_of=as_of,
        hops=hops,
        weights=dict(WEIGHTS),
        bidders=[names[("enterprise", u)] for u in ordered],
        pairs=pairs,
        unlinked_pairs=unlinked,
        groups=_groups(ordered, pairs),
    )
