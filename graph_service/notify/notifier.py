"""The notifier: from the store's change log (and the days as they pass) to notices for subscriptions.

For each logged change it asks the engine, through each subscriber's view, how the subjects the change
touches stood just before it and just after it (`known_at` the change's moment, on the change's day): a
subject whose set of measures in force changed is a `standing.changed` notice for its watchers and for the
measure subscriptions it concerns. An entry's own life (new entry, objection, repair, revocation ...) is an
`entry.changed` notice for the subscriptions of its list type or domain. When a day begins, the entries
that start or stop counting on it (a future listing day, an expiry) are compared between the day before
and the day, so that the notice comes on the day, not at the next write.

Notices and the notifier's place in the log are recorded in one transaction (NotifyStore.record), and
event ids are made from the change, the subject and the subscription, so a notifier that dies half way
repeats nothing when it is started again: the same notice gets the same id, and one already recorded is
left as it is.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from graph_service.access.visible import VisibleStore
from graph_service.domain.history import as_known, state_on
from graph_service.engine import Engine
from graph_service.engine.decisions import covers_of, entry_summary
from graph_service.engine.results import CheckResult
from graph_service.engine.subjects import subject_refs
from graph_service.model import ListEntry
from graph_service.notify.models import NewNotice, Subscription
from graph_service.notify.standing import StandingChange, dumped, expected_measures, standing_change, touches
from graph_service.notify.storage import NotifyStore, now_utc
from graph_service.rules import RuleSet
from graph_service.store.base import Change, GraphStore

log = logging.getLogger("credit_graph.notify")

Subject = tuple[Literal["person", "enterprise"], str]
CURSOR = "cursor"  # the last change of the log made into notices
DAY = "day"  # the last day whose beginning was made into notices
JUST_BEFORE = timedelta(microseconds=1)  # stamps are exact to the microsecond on both backends
# Events that record the service's own doings rather than a change of the entry.
QUIET_EVENTS = frozenset({"pushed"})


def event_id(*parts: str) -> str:
    """A stable id: the same change, subject and subscription give the same id, however often it is
    made. Each subscription's notice has its own: two subscriptions posting to one endpoint are two
    notices (their bodies differ, in the measures expected for one), and a receiver that drops a repeated
    id must not drop the other's."""
    return "ev_" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:26]


def service_day(moment: datetime) -> date:
    """The day a moment falls on where the service runs (date.today()'s day, which the API defaults to)."""
    return moment.astimezone().date()


def day_began(day: date) -> datetime:
    """The moment a day began where the service runs."""
    return datetime.combine(day, time()).astimezone()


@dataclass
class Cause:
    key: str  # what event ids are made from: "c<seq>" for a change, "d<day>" for a day
    body: dict[str, Any]
    day: date  # the day standings are compared on
    before: datetime | None  # known_at for the standing before (a day's: when it began)
    after: datetime | None
    day_before: date  # a day's passing compares the day before with the day
    seq: int = 0
    disclosure: dict[str, str] = field(default_factory=dict)  # entry id -> class, of the entries named

    def body_for(self, classes: Collection[str], about: Collection[str]) -> dict[str, Any]:
        """The cause as one notice tells it: a loader's batch or a day names many entries, of every class;
        a notice names those it is `about` (the entries of its reasons, or its entry) that its
        subscriber's classes may read (an entry no longer held, none). A batch of 10,000 entries would
        otherwise make every one of its notices carry all 10,000 ids."""
        if "entry_ids" not in self.body:
            return self.body
        wanted = set(about)
        shown = [e for e in self.body["entry_ids"] if e in wanted and self.disclosure.get(e) in classes]
        return {**self.body, "entry_ids": shown}


@dataclass
class Batch:
    notices: list[NewNotice] = field(default_factory=list)


class Notifier:
    def __init__(
        self,
        store: GraphStore,
        notices: NotifyStore,
        rules: RuleSet,
        clock: Callable[[], datetime] = now_utc,
        lapsed: Callable[[Collection[str]], set[str]] | None = None,
    ) -> None:
        self.store, self.notices, self.rules, self.clock = store, notices, rules, clock
        self.covers = covers_of(rules)
        # Which of the subscriptions' keys were revoked or expired (KeyStore.lapsed): a subscription
        # hears nothing more once the key that made it no longer reads anything.
        self.lapsed = lapsed

    # -- the loop's one step ----------------------------------------------------------------------

    def run_once(self, limit: int = 200) -> int:
        """Make the notices of up to `limit` logged changes, and of every day begun since the last one
        done, in the order they happened: a day that began before a change is told before it (a
        notifier that was down catches up in order); how many notices were new."""
        subscriptions = self.notices.subscriptions()
        cursor, last_day = self._place(subscriptions)
        if self.lapsed is not None:
            gone = self.lapsed({s.key_id for s in subscriptions})
            subscriptions = [s for s in subscriptions if s.key_id not in gone]
        made = 0
        today = service_day(self.clock())
        changes = self.store.changes_after(cursor, limit)
        for change in changes:
            until = min(service_day(change.at), today)
            while last_day < until:
                last_day += timedelta(days=1)
                made += self._record_day(last_day, subscriptions)
            found = self._for_change(change, subscriptions)
            made += self.notices.record(found, {CURSOR: str(change.seq)}, self.clock())
        if len(changes) == limit:
            return made  # more to do: the later days wait until the log is caught up to them
        while last_day < today:
            last_day += timedelta(days=1)
            made += self._record_day(last_day, subscriptions)
        return made

    def _record_day(self, day: date, subscriptions: list[Subscription]) -> int:
        return self.notices.record(self._for_day(day, subscriptions), {DAY: day.isoformat()}, self.clock())

    def behind(self) -> bool:
        """Whether the change log holds changes not yet made into notices."""
        cursor = self.notices.get_state(CURSOR)
        return cursor is not None and int(cursor) < self.store.last_change()

    def _place(self, subscriptions: list[Subscription]) -> tuple[int, date]:
        """Where the notifier stands; the first time, at the end of the log and today (the history before
        any subscription is nobody's to hear about), or where the oldest subscription began."""
        cursor, day = self.notices.get_state(CURSOR), self.notices.get_state(DAY)
        if cursor is not None and day is not None:
            return int(cursor), date.fromisoformat(day)
        start = min([self.store.last_change(), *(s.from_seq for s in subscriptions)])
        today = min([service_day(self.clock()), *(date.fromisoformat(s.from_day) for s in subscriptions)])
        self.notices.set_state({CURSOR: cursor or str(start), DAY: day or today.isoformat()})
        return int(cursor or start), date.fromisoformat(day) if day else today

    # -- a logged change --------------------------------------------------------------------------

    def _for_change(self, change: Change, subscriptions: list[Subscription]) -> list[NewNotice]:
        hearing = [s for s in subscriptions if s.from_seq < change.seq]
        if not hearing:
            return []
        day = service_day(change.at)
        entries = self.store.get_entries(change.entry_ids) if change.entry_ids else {}
        cause = Cause(
            key=f"c{change.seq}",
            body=self._change_body(change, day),
            day=day,
            before=change.at - JUST_BEFORE,
            after=change.at,
            day_before=day,
            seq=change.seq,
            disclosure={i: e.disclosure for i, e in entries.items()},
        )
        found = self._entry_notices(cause, change, entries, hearing)
        if change.kind == "roles":
            touched: set[Subject] = {(r.holder_kind, r.holder_key) for r in change.roles}
        else:
            touched = self._reached(change.entry_ids, day, day, change.at - JUST_BEFORE, change.at)
        found += self._standing_notices(cause, touched, hearing)
        return found

    def _change_body(self, change: Change, day: date) -> dict[str, Any]:
        body: dict[str, Any] = {"change": change.seq, "at": change.at.isoformat(), "day": day.isoformat()}
        if change.kind == "event":
            body.update(kind="entry_event", event=change.event, entry_ids=list(change.entry_ids))
        elif change.kind == "entries":
            body.update(kind="entries_recorded", entry_ids=list(change.entry_ids))
        else:
            body.update(kind="roles_changed", roles=self._roles_of(change))
        return body

    def _roles_of(self, change: Change) -> list[dict[str, Any]]:
        """The changed roles as they stand now, with their dates and where they came from (a loader's
        source, a change record): the cause a notice names."""
        wanted = {r.role_id for r in change.roles}
        out = []
        for holder in sorted({(r.holder_kind, r.holder_key) for r in change.roles}):
            for role in self.store.roles_of_holder(holder[0], holder[1]):
                if role.role_id in wanted:
                    out.append(
                        {
                            "role_id": role.role_id,
                            "type": role.type.value,
                            "holder": {"kind": role.holder_kind, "key": role.holder_key},
                            "enterprise": role.enterprise,
                            "position": role.position,
                            "valid_from": role.valid_from.isoformat() if role.valid_from else None,
                            "valid_to": role.valid_to.isoformat() if role.valid_to else None,
                            "source": role.source,
                        }
                    )
        return sorted(out, key=lambda r: r["role_id"])

    def _reached(
        self,
        entry_ids: Collection[str],
        day_before: date,
        day: date,
        known_before: datetime | None,
        known_after: datetime | None,
    ) -> set[Subject]:
        """Everyone the entries reach, before or after: whoever may have gained or lost by them."""
        if not entry_ids:
            return set()
        rows = self.store.reach(self.covers, day, entry_ids, known_after)
        if (day_before, known_before) != (day, known_after):
            rows += self.store.reach(self.covers, day_before, entry_ids, known_before)
        return {(r.reached_kind, r.reached_key) for r in rows}

    # -- a day's beginning ------------------------------------------------------------------------

    def _for_day(self, day: date, subscriptions: list[Subscription]) -> list[NewNotice]:
        hearing = [s for s in subscriptions if date.fromisoformat(s.from_day) < day]
        if not hearing:
            return []
        # The day as it was known when it began: an entry loaded later (even one dated before the day)
        # is told as the change that loaded it, not a second time as this day's.
        began = day_began(day)
        known = {
            i: as_known(e, began)
            for i, e in self.store.get_entries(self.store.entries_turning_on(day)).items()
        }
        entries = {i: e for i, e in known.items() if e is not None}
        if not entries:
            return []
        turning = sorted(entries)
        yesterday = day - timedelta(days=1)
        cause = Cause(
            key=f"d{day.isoformat()}",
            body={
                "kind": "day_reached",
                "day": day.isoformat(),
                "at": began.isoformat(),
                "entry_ids": turning,
            },
            day=day,
            before=began,
            after=began,
            day_before=yesterday,
            disclosure={i: e.disclosure for i, e in entries.items()},
        )
        found = self._day_entry_notices(cause, day, entries, hearing)
        found += self._standing_notices(cause, self._reached(turning, yesterday, day, began, began), hearing)
        return found

    # -- entry notices ----------------------------------------------------------------------------

    def _list_subscriptions(self, entry: ListEntry, hearing: Iterable[Subscription]) -> list[Subscription]:
        return [
            s
            for s in hearing
            if s.kind == "lists"
            and (entry.list_type in s.list_types or entry.domain in s.domains)
            and entry.disclosure in s.classes
        ]

    def _triggered(self, entry: ListEntry) -> list[str]:
        list_type = self.rules.list_type(entry.list_type)
        return sorted(m.code for m in self.rules.measures_for(list_type)) if list_type else []

    def _entry_body(
        self, entry: ListEntry, day: date, what: dict[str, Any], cause: Cause, subscription: Subscription
    ) -> tuple[dict[str, Any], list[str]]:
        names = subject_refs(
            VisibleStore(self.store, frozenset(subscription.classes), False),
            [(entry.subject_kind, entry.subject_key)],
        )
        summary = entry_summary(entry, names[(entry.subject_kind, entry.subject_key)], self.rules, day)
        triggered = self._triggered(entry)
        expected = [m for m in triggered if not subscription.measures or m in subscription.measures]
        if not what.get("new"):
            expected = []  # measures are expected once, when the listing is made
        body = {
            "type": "entry.changed",
            "as_of": day.isoformat(),
            "cause": cause.body_for(subscription.classes, (entry.entry_id,)),
            "entry": dumped(summary),
            **what,
            "measures": triggered,
            "expected_measures": expected,
        }
        return body, expected

    def _entry_notices(
        self,
        cause: Cause,
        change: Change,
        entries: dict[str, ListEntry],
        hearing: list[Subscription],
    ) -> list[NewNotice]:
        if change.event in QUIET_EVENTS:
            return []
        found = []
        for entry_id in sorted(entries):
            now = entries[entry_id]
            after = as_known(now, cause.after)
            before = as_known(now, cause.before)
            if after is None:
                continue
            what = {
                "event": change.event or ("recorded" if before is None else "updated"),
                "new": before is None,
                "status_before": before.status if before else None,
                "status_after": after.status,
                "state_before": state_on(before, cause.day) if before else None,
                "state_after": state_on(after, cause.day),
            }
            found += self._entry_notice_for(after, cause, what, hearing)
        return found

    def _day_entry_notices(
        self, cause: Cause, day: date, entries: dict[str, ListEntry], hearing: list[Subscription]
    ) -> list[NewNotice]:
        found = []
        for entry_id in sorted(entries):
            entry = entries[entry_id]
            then, now = state_on(entry, day - timedelta(days=1)), state_on(entry, day)
            if then == now:
                continue
            event = "expired" if now == "expired" else ("listing_day" if now == "in_force" else now)
            what = {"event": event, "new": event == "listing_day", "state_before": then, "state_after": now,
                    "status_before": entry.status, "status_after": entry.status}  # fmt: skip
            found += self._entry_notice_for(entry, cause, what, hearing)
        return found

    def _entry_notice_for(
        self, entry: ListEntry, cause: Cause, what: dict[str, Any], hearing: list[Subscription]
    ) -> list[NewNotice]:
        found = []
        for sub in self._list_subscriptions(entry, hearing):
            eid = event_id(cause.key, "entry", entry.entry_id, sub.id)
            body, expected = self._entry_body(entry, cause.day, what, cause, sub)
            found.append(self._notice(sub, eid, "entry.changed", f"entry:{entry.entry_id}", body,
                                      (entry.entry_id,), expected))  # fmt: skip
        return found

    # -- standing notices -------------------------------------------------------------------------

    def _standing_notices(
        self, cause: Cause, touched: set[Subject], hearing: list[Subscription]
    ) -> list[NewNotice]:
        if not touched:
            return []
        by_measures = [s for s in hearing if s.kind == "measures"]
        watchers = self.notices.watchers(touched) if any(s.kind == "subjects" for s in hearing) else {}
        by_id = {s.id: s for s in hearing if s.kind == "subjects"}
        interested: dict[Subject, list[Subscription]] = {}
        for subject in sorted(touched):
            subs = [by_id[i] for i in watchers.get(subject, []) if i in by_id] + by_measures
            if subs:
                interested[subject] = subs
        if not interested:
            return []
        found: list[NewNotice] = []
        views = sorted({s.classes for subs in interested.values() for s in subs})
        for classes in views:
            subjects = [subj for subj, subs in interested.items() if any(s.classes == classes for s in subs)]
            changes = self._standings(cause, subjects, frozenset(classes))
            for subject, (after, moved) in changes.items():
                for sub in interested[subject]:
                    if sub.classes != classes or (
                        sub.kind == "measures" and not touches(moved, sub.measures)
                    ):
                        continue
                    eid = event_id(cause.key, f"{subject[0]}:{subject[1]}", sub.id)
                    found.append(self._standing_notice(sub, eid, cause, after, moved))
        return found

    def _standings(
        self, cause: Cause, subjects: list[Subject], classes: frozenset[str]
    ) -> dict[Subject, tuple[CheckResult, StandingChange]]:
        """The subjects whose standing the cause changed, seen through one view, with the answer after."""
        engine = Engine(VisibleStore(self.store, classes, id_numbers=False), self.rules)
        before = engine.check_many(subjects, cause.day_before, known_at=cause.before)
        after = engine.check_many(subjects, cause.day, known_at=cause.after)
        out = {}
        for subject, was, now in zip(subjects, before, after, strict=True):
            moved = standing_change(was, now, self.rules)
            if moved is not None:
                out[subject] = (now, moved)
        return out

    def _standing_notice(
        self, sub: Subscription, eid: str, cause: Cause, after: CheckResult, moved: StandingChange
    ) -> NewNotice:
        expected = expected_measures(moved, sub.measures)
        body = {
            "type": "standing.changed",
            "as_of": cause.day.isoformat(),
            "cause": cause.body_for(sub.classes, {r.entry.entry_id for r in (*moved.reasons, *moved.ended)}),
            "subject": dumped(after.subject),
            "before": {"restricted": moved.restricted_before, "measures": moved.measures_before},
            "after": {"restricted": moved.restricted_after, "measures": moved.measures_after},
            "actions": [dumped(a) for a in moved.actions],
            "measures_gained": [dumped(m) for m in moved.gained],
            "measures_lifted": [dumped(m) for m in moved.lost],
            "reasons": [dumped(r) for r in moved.reasons],
            "ended_reasons": [dumped(r) for r in moved.ended],
            "expected_measures": expected,
        }
        entries = tuple(sorted({r.entry.entry_id for r in moved.reasons}))
        key = f"{after.subject.kind}:{after.subject.key}"
        return self._notice(sub, eid, "standing.changed", key, body, entries, expected)

    def _notice(
        self,
        sub: Subscription,
        eid: str,
        type_: Literal["standing.changed", "entry.changed"],
        ordering_key: str,
        body: dict[str, Any],
        entry_ids: tuple[str, ...],
        expected: list[str],
    ) -> NewNotice:
        full = {
            "id": eid,
            "type": type_,
            "subscription": sub.id,
            "department": sub.department,
            "created_at": self.clock().isoformat(),
            **body,
        }
        return NewNotice(
            event_id=eid,
            subscription_id=sub.id,
            type=type_,
            ordering_key=ordering_key,
            body=full,
            entry_ids=entry_ids,
            expected_measures=tuple(expected),
        )
