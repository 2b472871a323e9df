"""The joint punishment engine, written once over the store contract (DOMAIN.md §1's three questions).

The store answers "whom do these entries reach" and "which entries reach this subject" natively; this
module decides what that means on a day: which entries count, which measures follow, and why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Literal

from graph_service.engine.results import (
    Affected,
    AffectedResult,
    AssociatedRisk,
    CheckResult,
    EntryState,
    EntrySummary,
    MeasureRef,
    MultiListed,
    MultiListResult,
    PathEdge,
    PathNode,
    ReachPath,
    Reason,
    Rule,
    SubjectRef,
)
from graph_service.engine.subjects import subject_refs
from graph_service.model import ListEntry
from graph_service.rules import MeasureRule, RuleSet
from graph_service.store.base import Cover, GraphStore, ReachRow

GREEN_CHANNEL = "green_channel"
# Associated risk looks three hops out (person -> company -> entry, or company <- owner -> company -> entry)
# and at most this many nodes: enough for an official's attention, cheap enough for every check.
ASSOCIATED_HOPS = 3
ASSOCIATED_LIMIT = 300
CLEAN_YEARS = 3  # no bad record for three consecutive years earns the green channel (DOMAIN.md §8)


class EngineError(Exception):
    """A question the engine cannot answer as asked; the message names the field."""


def covers_of(rules: RuleSet) -> list[Cover]:
    return [
        Cover(list_type=t.code, role=c.role, position=c.position, reference=c.reference)
        for t in rules.list_types
        for c in t.covers
    ]


def entry_state(entry: ListEntry, day: date) -> EntryState:
    """Where an entry stands on a day; expiry is computed from expires_on, never stored."""
    if entry.status in ("repaired", "revoked", "removed_from_source", "archived"):
        return entry.status
    if day < entry.listed_on:
        return "not_yet_listed"
    if entry.expires_on is not None and day >= entry.expires_on:
        return "expired"
    return "suspended" if entry.status == "under_objection" else "in_force"


def entry_summary(entry: ListEntry, subject: SubjectRef, rules: RuleSet, day: date) -> EntrySummary:
    """An entry as answers show it: with its list's Chinese name and where it stands on the day."""
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
        state=entry_state(entry, day),
    )


def _measure_ref(m: MeasureRule) -> MeasureRef:
    return MeasureRef(
        code=m.code, name_zh=m.name_zh, category=m.category, mandatory=m.mandatory, legal_basis=m.legal_basis
    )


def _reaches(measure: MeasureRule, row: ReachRow) -> bool:
    if row.via == "role":
        return row.role in measure.reaches
    return row.via in measure.reaches


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

    def _reasons(
        self, rows: Sequence[ReachRow], day: date, wanted: set[str] | None
    ) -> list[tuple[ReachRow, Reason]]:
        """A Reason for each row, with the measures its list type triggers for whoever it reaches,
        narrowed to `wanted` measure codes when given."""
        entries = self.store.get_entries({r.entry_id for r in rows})
        refs = {(r.reached_kind, r.reached_key) for r in rows}
        refs |= {(e.subject_kind, e.subject_key) for e in entries.values()}
        names = self._subjects(refs)
        out = []
        for row in rows:
            entry = entries.get(row.entry_id)
            if entry is None:
                continue
            list_type = self.rules.list_type(entry.list_type)
            measures = [] if list_type is None else self.rules.measures_for(list_type)
            applicable = [
                _measure_ref(m) for m in measures if _reaches(m, row) and (wanted is None or m.code in wanted)
            ]
            reason = Reason(
                entry=self._summary(entry, names[(entry.subject_kind, entry.subject_key)], day),
                rule=Rule(
                    list_type=entry.list_type,
                    via=row.via,
                    role=row.role,
                    position=row.position,
                    reference=row.reference,
                    reference_date=row.reference_date,
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
    ) -> CheckResult:
        return self.check_many([(kind, key)], as_of, action, measure, associated=True)[0]

    def check_many(
        self,
        subjects: Sequence[tuple[Literal["person", "enterprise"], str]],
        as_of: date,
        action: str | None = None,
        measure: str | None = None,
        associated: bool = False,
    ) -> list[CheckResult]:
        """The same check for many subjects, answered from one `reaching_many` call and one lookup of
        entries and names for them all. Associated risk (a graph walk per subject) only on request."""
        wanted = self._wanted(action, measure)
        rows = self.store.reaching_many(subjects, self.covers, as_of)
        by_subject: dict[tuple[str, str], list[tuple[ReachRow, Reason]]] = defaultdict(list)
        for row, reason in self._reasons(rows, as_of, wanted):
            by_subject[(row.reached_kind, row.reached_key)].append((row, reason))
        names = self._subjects(subjects)
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
            )
            if associated:
                result.associated_risk = self._associated(
                    kind, key, as_of, {r.entry.entry_id for _, r in reasons}
                )
            if action == GREEN_CHANNEL:
                self._green_channel(result, reasons, as_of)
            results.append(result)
        return results

    def _associated(
        self, kind: Literal["person", "enterprise"], key: str, day: date, reaching: set[str]
    ) -> list[AssociatedRisk]:
        """Black entries in force within ASSOCIATED_HOPS of the subject that do not reach it."""
        hood = self.store.neighbourhood(kind, key, hops=ASSOCIATED_HOPS, limit=ASSOCIATED_LIMIT, as_of=day)
        if hood is None:
            return []
        distance = {n.key: n.distance for n in hood.nodes if n.kind == "entry" and n.key not in reaching}
        entries = self.store.get_entries(distance)
        near = [e for e in entries.values() if e.kind == "black" and e.in_force_on(day)]
        names = self._subjects((e.subject_kind, e.subject_key) for e in near)
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
    def _green_channel(result: CheckResult, reasons: Sequence[tuple[ReachRow, Reason]], day: date) -> None:
        """Eligible with an active red entry of its own or with no black entry reaching it in the three
        years before the day; any black entry in force suspends red status (DOMAIN.md §8)."""
        black_in_force = any(r.entry.kind == "black" and r.entry.state == "in_force" for _, r in reasons)
        red = [
            r
            for row, r in reasons
            if r.entry.kind == "red" and row.via == "subject" and r.entry.state == "in_force"
        ]
        since = day - timedelta(days=365 * CLEAN_YEARS + 1)
        recent_black = [
            r
            for _, r in reasons
            if r.entry.kind == "black"
            and r.entry.state not in ("revoked", "not_yet_listed")
            and r.entry.listed_on <= day
            and (r.entry.expires_on is None or r.entry.expires_on > since)
        ]
        if black_in_force:
            result.eligible, result.eligibility_basis = False, "a black entry in force suspends red status"
        elif red:
            result.eligible = True
            result.eligibility_basis = f"red entry {red[0].entry.decision_number} ({red[0].entry.list_name})"
        elif not recent_black:
            result.eligible, result.eligibility_basis = (
                True,
                f"no black entry in the {CLEAN_YEARS} years before",
            )
        else:
            result.eligible = False
            result.eligibility_basis = f"a black entry reached the subject in the {CLEAN_YEARS} years before"
        result.restricted = not result.eligible

    # -- "Who must also be restricted?" ---------------------------------------------------------------

    def affected(self, entry_ids: Sequence[str], as_of: date) -> AffectedResult:
        rows = self.store.reach(self.covers, as_of, entry_ids)
        pairs = self._reasons(rows, as_of, None)
        grouped: dict[tuple[str, str], list[Reason]] = defaultdict(list)
        summaries: dict[str, EntrySummary] = {}
        for row, reason in pairs:
            summaries[reason.entry.entry_id] = reason.entry
            grouped[(row.reached_kind, row.reached_key)].append(reason)
        names = self._subjects(grouped)
        affected = []
        for ref in sorted(grouped, key=lambda k: (k[0] != "enterprise", k[0], k[1])):
            reasons = grouped[ref]
            counting = [r for r in reasons if r.entry.state == "in_force" and r.entry.kind == "black"]
            affected.append(Affected(subject=names[ref], reasons=reasons, measures=self._union(counting)))
        return AffectedResult(
            as_of=as_of, entries=[summaries[k] for k in sorted(summaries)], affected=affected
        )

    def affected_by_enterprise(self, uscc: str, as_of: date) -> AffectedResult:
        links = self.store.entries_of_subject("enterprise", uscc)
        ids = [
            link.entry.entry_id
            for link in links
            if link.relation == "subject" and link.entry.kind == "black" and link.entry.in_force_on(as_of)
        ]
        return self.affected(ids, as_of)

    # -- "Who is on several lists?" -----------------------------------------------------------------

    def domains_of(self, kind: Literal["person", "enterprise"], key: str, as_of: date) -> MultiListed:
        """One subject's side of the multi-list: the domains of the black entries in force that reach it,
        directly or through a role, counted as `multi_list` counts them (it is multi-listed at 2)."""
        rows = self.store.reaching(kind, key, self.covers, as_of)
        entries = self.store.get_entries({r.entry_id for r in rows})
        live = [
            r
            for r in rows
            if r.entry_id in entries
            and entries[r.entry_id].kind == "black"
            and entries[r.entry_id].in_force_on(as_of)
        ]
        return MultiListed(
            subject=self._subjects([(kind, key)])[(kind, key)],
            domains=sorted({entries[r.entry_id].domain for r in live}),
            reasons=[reason for _, reason in self._reasons(live, as_of, None)],
        )

    def multi_list(self, as_of: date, min_domains: int = 2, limit: int | None = None) -> MultiListResult:
        if min_domains < 1:
            raise EngineError("min_domains: must be at least 1")
        rows = self.store.reach(self.covers, as_of)
        by_subject: dict[tuple[str, str], list[ReachRow]] = defaultdict(list)
        for row in rows:
            by_subject[(row.reached_kind, row.reached_key)].append(row)
        entries = self.store.get_entries({r.entry_id for r in rows})
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
        reasons_by_row = dict(self._reasons([r for ref in ranked for r in chosen[ref]], as_of, None))
        names = self._subjects(ranked)
        subjects = [
            MultiListed(
                subject=names[ref],
                domains=sorted({entries[r.entry_id].domain for r in chosen[ref]}),
                reasons=[reasons_by_row[r] for r in chosen[ref] if r in reasons_by_row],
            )
            for ref in ranked
        ]
        return MultiListResult(as_of=as_of, min_domains=min_domains, subjects=subjects)
