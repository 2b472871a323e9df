"""The joint punishment engine, written once over the store contract: the three questions of
docs/domain.md, "What the service is for".

The store answers "whom do these entries reach" and "which entries reach this subject" natively; this
module decides what that means on a day: which entries count, which measures follow, and why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Literal

from graph_service.domain import DomainError
from graph_service.domain.green_channel import green_channel
from graph_service.domain.history import EntryState, as_known, in_force_on, moment_utc, state_on, status_on
from graph_service.engine.results import (
    Affected,
    AffectedResult,
    AssociatedRisk,
    CheckResult,
    EntrySummary,
    MeasureRef,
    MultiListed,
    MultiListResult,
    PathEdge,
    PathNode,
    ReachPath,
    Reason,
    Rule,
    StatusChangeRef,
    SubjectRef,
)
from graph_service.engine.subjects import named_refs, subject_refs
from graph_service.model import ListEntry
from graph_service.rules import MeasureRule, RuleSet
from graph_service.store.base import CheckFacts, Cover, GraphStore, ReachFacts, ReachRow

GREEN_CHANNEL = "green_channel"
# Associated risk looks three hops out (person -> company -> entry, or company <- owner -> company -> entry)
# and at most this many entries, the nearest: enough for an official's attention, cheap enough for every
# check.
ASSOCIATED_HOPS = 3
ASSOCIATED_LIMIT = 300

# A question the engine cannot answer as asked; the message names the field.
EngineError = DomainError
Names = Callable[[Iterable[tuple[str, str]]], dict[tuple[str, str], SubjectRef]]


def near_hops(associated: bool, known_at: datetime | None) -> int:
    """How far a check's facts look around the subject: associated risk only on request, and only as
    things stand now (it is information, not a restriction)."""
    return ASSOCIATED_HOPS if associated and known_at is None else 0


def names_in(facts: ReachFacts) -> Names:
    """Subjects named from the persons and enterprises the facts came with."""
    return lambda refs: named_refs(facts.persons, facts.enterprises, refs)


def covers_of(rules: RuleSet) -> list[Cover]:
    return [
        Cover(
            list_type=t.code, role=c.role, position=c.position, reference=c.reference, min_ratio=c.min_ratio
        )
        for t in rules.list_types
        for c in t.covers
    ]


def entry_state(entry: ListEntry, day: date) -> EntryState:
    """Where an entry stands on a day (domain.history.state_on)."""
    return state_on(entry, day)


def entry_summary(entry: ListEntry, subject: SubjectRef, rules: RuleSet, day: date) -> EntrySummary:
    """An entry as answers show it: with its list's Chinese name, where it stands on the day, and the
    dated history that was computed from."""
    list_type = rules.list_type(entry.list_type)
    return EntrySummary(
        entry_id=entry.entry_id,
        list_type=entry.list_type,
        list_name=list_type.name_zh if list_type else entry.list_type,
        domain=entry.domain,
        kind=entry.kind,
        authority=entry.authority,
        decision_number=entry.decision_number,
        subject=subject,
        conduct=entry.conduct,
        conduct_date=entry.conduct_date,
        listed_on=entry.listed_on,
        expires_on=entry.expires_on,
        status=entry.status,
        state=state_on(entry, day),
        status_on=status_on(entry, day),
        history=[
            StatusChangeRef(event=c.event, on=c.on, status=c.status, recorded_at=c.recorded_at)
            for c in entry.history
        ],
    )


def _measure_ref(m: MeasureRule) -> MeasureRef:
    return MeasureRef(
        code=m.code, name_zh=m.name_zh, category=m.category, mandatory=m.mandatory, legal_basis=m.legal_basis
    )


def _reaches(measure: MeasureRule, row: ReachRow) -> bool:
    return measure.reaches_row(row.via, row.role, row.reference)


class Engine:
    """Answers over one store with one rule set."""

    def __init__(self, store: GraphStore, rules: RuleSet) -> None:
        self.store = store
        self.rules = rules
        self.covers = covers_of(rules)

    # -- building explanations ----------------------------------------------------------------------

    def _subjects(self, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], SubjectRef]:
        return subject_refs(self.store, refs)

    def _summary(self, entry: ListEntry, subject: SubjectRef, day: date) -> EntrySummary:
        return entry_summary(entry, subject, self.rules, day)

    def _path(self, row: ReachRow, entry: ListEntry, names: dict[tuple[str, str], SubjectRef]) -> ReachPath:
        listed = names[(entry.subject_kind, entry.subject_key)]
        reached = names[(row.reached_kind, row.reached_key)]
        start = PathNode(kind="entry", key=entry.entry_id, name=entry.decision_number)
        if row.via == "subject":
            return ReachPath(
                nodes=[start, PathNode(kind=listed.kind, key=listed.key, name=listed.name)],
                edges=[PathEdge(type="NAMES", source=entry.entry_id, target=listed.key)],
            )
        if row.via == "named_responsible":
            return ReachPath(
                nodes=[start, PathNode(kind="person", key=reached.key, name=reached.name)],
                edges=[
                    PathEdge(
                        type="NAMED_RESPONSIBLE", source=entry.entry_id, target=reached.key, position=row.role
                    )
                ],
            )
        return ReachPath(
            nodes=[
                start,
                PathNode(kind=listed.kind, key=listed.key, name=listed.name),
                PathNode(kind=reached.kind, key=reached.key, name=reached.name),
            ],
            edges=[
                PathEdge(type="NAMES", source=entry.entry_id, target=listed.key),
                PathEdge(
                    type=row.role or "",
                    source=reached.key,
                    target=listed.key,
                    position=row.position,
                    valid_from=row.valid_from,
                    valid_to=row.valid_to,
                ),
            ],
        )

    def _entries(self, ids: Iterable[str], known_at: datetime | None) -> dict[str, ListEntry]:
        """The entries by id, as known at the moment (those not yet recorded then left out)."""
        return self._known(self.store.get_entries(set(ids)), known_at)

    @staticmethod
    def _known(found: dict[str, ListEntry], known_at: datetime | None) -> dict[str, ListEntry]:
        if known_at is None:
            return found
        return {i: k for i, e in found.items() if (k := as_known(e, known_at)) is not None}

    @classmethod
    def _known_of(cls, facts: ReachFacts, known_at: datetime | None) -> dict[str, ListEntry]:
        """The rows' entries among the facts, as known at the moment."""
        ids = {r.entry_id for r in facts.rows}
        return cls._known({i: e for i, e in facts.entries.items() if i in ids}, known_at)

    def _reasons(
        self,
        rows: Sequence[ReachRow],
        day: date,
        wanted: set[str] | None,
        known_at: datetime | None = None,
        entries: dict[str, ListEntry] | None = None,
        names_of: Names | None = None,
    ) -> list[tuple[ReachRow, Reason]]:
        """A Reason for each row, with the measures its list type triggers for whoever it reaches,
        narrowed to `wanted` measure codes when given. `entries`: the rows' entries (as known at the
        moment) when the caller has them already; else they are looked up. `names_of`: how subjects
        are named (from facts already read); else they are looked up."""
        if entries is None:
            entries = self._entries({r.entry_id for r in rows}, known_at)
        refs = {(r.reached_kind, r.reached_key) for r in rows}
        refs |= {(e.subject_kind, e.subject_key) for e in entries.values()}
        names = (names_of or self._subjects)(refs)
        out = []
        for row in rows:
            entry = entries.get(row.entry_id)
            if entry is None:
                continue
            list_type = self.rules.list_type(entry.list_type)
            if list_type is None:  # refused on every path in; one held from older rules decides nothing
                continue
            measures = self.rules.measures_for(list_type)
            applicable = [
                _measure_ref(m) for m in measures if _reaches(m, row) and (wanted is None or m.code in wanted)
            ]
            cover = next(
                (
                    c
                    for c in list_type.covers
                    if row.via == "role"
                    and c.role.value == row.role
                    and c.reference == row.reference
                    and (c.position is None or c.position == row.position)
                ),
                None,
            )
            reason = Reason(
                entry=self._summary(entry, names[(entry.subject_kind, entry.subject_key)], day),
                rule=Rule(
                    list_type=entry.list_type,
                    via=row.via,
                    role=row.role,
                    position=row.position,
                    min_ratio=cover.min_ratio if cover else None,
                    reference=row.reference,
                    reference_date=row.reference_date,
                    list_basis=list_type.basis,
                    basis=cover.basis if cover else "",
                ),
                path=self._path(row, entry, names),
                measures=applicable,
            )
            out.append((row, reason))
        return out

    @staticmethod
    def _union(reasons: Iterable[Reason]) -> list[MeasureRef]:
        by_code = {m.code: m for r in reasons for m in r.measures}
        return [by_code[c] for c in sorted(by_code)]

    # -- "May this subject do this?" ----------------------------------------------------------------

    def _wanted(self, action: str | None, measure: str | None) -> set[str] | None:
        if action is not None and action != GREEN_CHANNEL:
            found = self.rules.action(action)
            if found is None:
                known = ", ".join(sorted([a.code for a in self.rules.actions] + [GREEN_CHANNEL]))
                raise EngineError(f"action: unknown action {action!r}; known: {known}")
            return set(found.measures)
        if measure is not None:
            if self.rules.measure(measure) is None:
                raise EngineError(f"measure: unknown measure {measure!r}")
            return {measure}
        return None

    def check(
        self,
        kind: Literal["person", "enterprise"],
        key: str,
        as_of: date,
        action: str | None = None,
        measure: str | None = None,
        known_at: datetime | None = None,
    ) -> CheckResult:
        return self.check_many([(kind, key)], as_of, action, measure, associated=True, known_at=known_at)[0]

    def check_many(
        self,
        subjects: Sequence[tuple[Literal["person", "enterprise"], str]],
        as_of: date,
        action: str | None = None,
        measure: str | None = None,
        associated: bool = False,
        known_at: datetime | None = None,
    ) -> list[CheckResult]:
        """The same check for many subjects, answered from one `check_facts` call for them all.
        Associated risk (the subject's neighbourhood) only on request, and only as things stand now (it
        is information, not a restriction). With `known_at`, the answer the service would have given at
        that moment from what it had recorded by then."""
        self._wanted(action, measure)  # an unknown action or measure is refused before any read
        known_at = moment_utc(known_at)
        hops = near_hops(associated, known_at)
        facts = self.store.check_facts(subjects, self.covers, as_of, known_at, hops, ASSOCIATED_LIMIT)
        return self.decide(facts, subjects, as_of, action, measure, associated, known_at)

    def decide(
        self,
        facts: CheckFacts,
        subjects: Sequence[tuple[Literal["person", "enterprise"], str]],
        as_of: date,
        action: str | None = None,
        measure: str | None = None,
        associated: bool = False,
        known_at: datetime | None = None,
    ) -> list[CheckResult]:
        """check_many's answer from facts already read (`known_at` already in UTC): a credit record
        decides twice from one read."""
        wanted = self._wanted(action, measure)
        names_of = names_in(facts)
        by_subject: dict[tuple[str, str], list[tuple[ReachRow, Reason]]] = defaultdict(list)
        # One set of entries, for the reasons and the green channel alike.
        entries = self._known_of(facts, known_at)
        for row, reason in self._reasons(facts.rows, as_of, wanted, known_at, entries, names_of):
            by_subject[(row.reached_kind, row.reached_key)].append((row, reason))
        names = names_of(subjects)
        results = []
        for kind, key in subjects:
            reasons = by_subject.get((kind, key), [])
            black = [r for _, r in reasons if r.entry.kind == "black"]
            in_force = [r for r in black if r.entry.state == "in_force" and r.measures]
            result = CheckResult(
                subject=names[(kind, key)],
                as_of=as_of,
                action=action,
                measure=measure,
                restricted=bool(in_force),
                measures=self._union(in_force),
                reasons=in_force,
                suspended=[r for r in black if r.entry.state == "suspended" and r.measures],
                not_counting=[r for r in black if r.entry.state not in ("in_force", "suspended")],
                known_at=known_at,
            )
            if near_hops(associated, known_at):
                result.associated_risk = self._associated(
                    facts, kind, key, as_of, {r.entry.entry_id for _, r in reasons}, names_of
                )
            if action == GREEN_CHANNEL:
                self._green_channel(result, reasons, entries, as_of)
            results.append(result)
        return results

    def _associated(
        self,
        facts: CheckFacts,
        kind: Literal["person", "enterprise"],
        key: str,
        day: date,
        reaching: set[str],
        names_of: Names,
    ) -> list[AssociatedRisk]:
        """Black entries in force within ASSOCIATED_HOPS of the subject that do not reach it, nearest
        first (domain.associated: paths over roles, ending with the entry's own edge; the store found
        them and their distances with the other facts)."""
        found = next((n.entries for n in facts.nearby if (n.kind, n.key) == (kind, key)), None)
        distance = {n.entry_id: n.distance for n in found or []}
        near = [
            e
            for i in distance
            if i not in reaching
            and (e := facts.entries.get(i)) is not None
            and e.kind == "black"
            and in_force_on(e, day)
        ]
        names = names_of((e.subject_kind, e.subject_key) for e in near)
        return sorted(
            (
                AssociatedRisk(
                    entry=self._summary(e, names[(e.subject_kind, e.subject_key)], day),
                    distance=distance[e.entry_id],
                )
                for e in near
            ),
            key=lambda a: (a.distance, a.entry.entry_id),
        )

    @staticmethod
    def _green_channel(
        result: CheckResult,
        reasons: Sequence[tuple[ReachRow, Reason]],
        entries: dict[str, ListEntry],
        day: date,
    ) -> None:
        """Eligibility as domain.green_channel decides it, from the entries reaching the subject."""
        black = {r.entry.entry_id: entries[r.entry.entry_id] for _, r in reasons if r.entry.kind == "black"}
        red = {
            r.entry.entry_id: entries[r.entry.entry_id]
            for row, r in reasons
            if r.entry.kind == "red" and row.via == "subject"
        }
        decision = green_channel(list(black.values()), list(red.values()), day)
        result.eligible, result.eligibility_basis = decision.eligible, decision.basis
        result.decided_by = decision.decided_by.entry_id if decision.decided_by else None
        result.eligible_from = decision.eligible_from
        result.restricted = not result.eligible

    # -- "Who must also be restricted?" ---------------------------------------------------------------

    def affected(
        self, entry_ids: Sequence[str], as_of: date, known_at: datetime | None = None
    ) -> AffectedResult:
        known_at = moment_utc(known_at)
        facts = self.store.affected_facts(entry_ids, self.covers, as_of, known_at)
        names_of = names_in(facts)
        pairs = self._reasons(facts.rows, as_of, None, known_at, self._known_of(facts, known_at), names_of)
        grouped: dict[tuple[str, str], list[Reason]] = defaultdict(list)
        summaries: dict[str, EntrySummary] = {}
        for row, reason in pairs:
            summaries[reason.entry.entry_id] = reason.entry
            grouped[(row.reached_kind, row.reached_key)].append(reason)
        names = names_of(grouped)
        affected = []
        for ref in sorted(grouped, key=lambda k: (k[0] != "enterprise", k[0], k[1])):
            reasons = grouped[ref]
            counting = [r for r in reasons if r.entry.state == "in_force" and r.entry.kind == "black"]
            affected.append(Affected(subject=names[ref], reasons=reasons, measures=self._union(counting)))
        return AffectedResult(
            as_of=as_of,
            known_at=known_at,
            entries=[summaries[k] for k in sorted(summaries)],
            affected=affected,
        )

    def affected_by_enterprise(
        self, uscc: str, as_of: date, known_at: datetime | None = None
    ) -> AffectedResult:
        known_at = moment_utc(known_at)
        links = self.store.entries_of_subject("enterprise", uscc)
        known = self._entries({link.entry.entry_id for link in links if link.relation == "subject"}, known_at)
        ids = [i for i, e in sorted(known.items()) if e.kind == "black" and in_force_on(e, as_of)]
        return self.affected(ids, as_of, known_at)

    # -- "Who is on several lists?" -----------------------------------------------------------------

    def _defined(self, entries: dict[str, ListEntry]) -> dict[str, ListEntry]:
        """Only entries of list types the rules define count anywhere (they are refused on the way in)."""
        return {i: e for i, e in entries.items() if self.rules.list_type(e.list_type) is not None}

    def domains_of(
        self,
        kind: Literal["person", "enterprise"],
        key: str,
        as_of: date,
        known_at: datetime | None = None,
    ) -> MultiListed:
        """One subject's side of the multi-list: the domains of the black entries in force that reach it,
        directly or through a role, counted as `multi_list` counts them (it is multi-listed at 2)."""
        known_at = moment_utc(known_at)
        rows = self.store.reaching(kind, key, self.covers, as_of, known_at)
        entries = self._defined(self._entries({r.entry_id for r in rows}, known_at))
        live = [
            r
            for r in rows
            if r.entry_id in entries
            and entries[r.entry_id].kind == "black"
            and in_force_on(entries[r.entry_id], as_of)
        ]
        return MultiListed(
            subject=self._subjects([(kind, key)])[(kind, key)],
            domains=sorted({entries[r.entry_id].domain for r in live}),
            reasons=[reason for _, reason in self._reasons(live, as_of, None, known_at, entries)],
        )

    def multi_list(
        self,
        as_of: date,
        min_domains: int = 2,
        limit: int | None = None,
        known_at: datetime | None = None,
    ) -> MultiListResult:
        if min_domains < 1:
            raise EngineError("min_domains: must be at least 1")
        known_at = moment_utc(known_at)
        rows = self.store.reach(self.covers, as_of, None, known_at)
        entries = self._defined(self._entries({r.entry_id for r in rows}, known_at))
        rows = [r for r in rows if r.entry_id in entries]
        by_subject: dict[tuple[str, str], list[ReachRow]] = defaultdict(list)
        for row in rows:
            by_subject[(row.reached_kind, row.reached_key)].append(row)
        chosen = {
            ref: subject_rows
            for ref, subject_rows in by_subject.items()
            if len({entries[r.entry_id].domain for r in subject_rows if r.entry_id in entries}) >= min_domains
        }
        ranked = sorted(
            chosen,
            key=lambda ref: (
                -len({entries[r.entry_id].domain for r in chosen[ref]}),
                -len({r.entry_id for r in chosen[ref]}),
                ref,
            ),
        )
        if limit is not None:
            ranked = ranked[:limit]
        reasons_by_row = dict(
            self._reasons([r for ref in ranked for r in chosen[ref]], as_of, None, known_at, entries)
        )
        names = self._subjects(ranked)
        subjects = [
            MultiListed(
                subject=names[ref],
                domains=sorted({entries[r.entry_id].domain for r in chosen[ref]}),
                reasons=[reasons_by_row[r] for r in chosen[ref] if r in reasons_by_row],
            )
            for ref in ranked
        ]
        return MultiListResult(as_of=as_of, known_at=known_at, min_domains=min_domains, subjects=subjects)
