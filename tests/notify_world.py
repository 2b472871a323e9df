"""A small world for the notification tests: a company, its legal representative, a director, another
company, and subscriptions watching them, on any backend."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from graph_service.model import Enterprise, Person, RoleType
from graph_service.notify.dispatch import DeliverySettings, Dispatcher
from graph_service.notify.models import Notice, Subscription, SubscriptionKind
from graph_service.notify.notifier import Notifier
from graph_service.notify.signing import verify
from graph_service.notify.storage import NotifyStore, new_secret, new_subscription_id
from graph_service.rules import RuleSet, load_rules
from graph_service.store.base import GraphStore
from tests import factories as f
from tests.webhook_receiver import Receiver

RECEIVER = "the test's receiver"
# Quick retries: an endpoint that was down is tried again within a fraction of a second.
QUICK = DeliverySettings(timeout_seconds=5, workers=4, retry_base_seconds=0.05, retry_max_seconds=0.2,
                         lease_seconds=10, poll_seconds=0.05)  # fmt: skip

TODAY = date.today()
AGENCY = ("public", "government")


@dataclass
class Clock:
    """The service's clock, moved on by the test: real time plus the days it was moved."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def days_on(self, days: int) -> None:
        self.offset += timedelta(days=days)


@dataclass
class World:
    store: GraphStore
    notices: NotifyStore
    rules: RuleSet
    clock: Clock
    notifier: Notifier
    company: Enterprise
    other: Enterprise
    rep: Person  # legal representative of company
    newcomer: Person  # nobody yet; later the company's new legal representative
    bystander: Person  # director of the other company only
    receiver: Receiver
    dispatcher: Dispatcher
    secrets: dict[str, str] = field(default_factory=dict)
    seen: int = 0  # notices already handed to the test by run()

    def subscribe(
        self,
        kind: SubscriptionKind = "subjects",
        watch: tuple[Person | Enterprise, ...] = (),
        classes: tuple[str, ...] = AGENCY,
        department: str = "县市场监管局",
        url: str | None = RECEIVER,
        **kw: object,
    ) -> Subscription:
        sub = Subscription(
            id=new_subscription_id(),
            kind=kind,
            department=department,
            key_id="k1",
            role="agency",
            classes=classes,
            url=self.receiver.url if url == RECEIVER else url,
            created_at=datetime.now(UTC),
            from_seq=self.store.last_change(),
            from_day=service_today(self.clock).isoformat(),
            **kw,  # type: ignore[arg-type]
        )
        secret = new_secret()
        self.notices.create(sub, secret)
        self.secrets[sub.id] = secret
        self.notices.watch(sub.id, [_ref(s) for s in watch])
        return sub

    def make(self) -> None:
        """Run the notifier until the change log and the days are done."""
        self.notifier.run_once(limit=50)
        while self.notifier.behind():
            self.notifier.run_once(limit=50)

    def deliver(self, rounds: int = 200) -> None:
        """Post what is due until nothing is pending (or the rounds run out: an endpoint down)."""
        for _ in range(rounds):
            self.dispatcher.run_once()
            if self.notices.delivery_counts()["pending"] == 0:
                return
            time.sleep(0.02)

    def run(self) -> list[dict[str, Any]]:
        """Make the notices and post them to the receiver: the bodies it got since the last run, each
        with a signature the documented verification accepts, in the order of the feed."""
        self.make()
        self.deliver()
        got = self.receiver.accepted()[self.seen :]
        self.seen += len(got)
        for r in got:
            verify(self.secrets[r.json["subscription"]], r.headers, r.body, now=int(self.clock().timestamp()))
        order = {(n.subscription_id, n.event_id): n.seq for n in self.feed()}
        return [r.json for r in sorted(got, key=lambda r: order[(r.json["subscription"], r.json["id"])])]

    def close(self) -> None:
        self.dispatcher.close()
        self.receiver.down()
        self.notices.close()

    def feed(self) -> list[Notice]:
        return self.notices.feed([s.id for s in self.notices.subscriptions()], 0, 100_000)


def service_today(clock: Callable[[], datetime]) -> date:
    return clock().astimezone().date()


def _ref(subject: Person | Enterprise) -> tuple[str, str]:
    return ("person", subject.person_key) if isinstance(subject, Person) else ("enterprise", subject.uscc)


def make_world(store: GraphStore, tmp: Path) -> World:
    company, other = f.enterprise(1), f.enterprise(2)
    rep, newcomer, bystander = f.person(1, "张三"), f.person(2, "李四"), f.person(3, "王五")
    store.upsert_enterprises([company, other])
    store.upsert_persons([rep, newcomer, bystander])
    store.upsert_roles(
        [
            f.role(RoleType.LEGAL_REPRESENTATIVE_OF, rep, company, valid_from=date(2015, 1, 1)),
            f.role(RoleType.DIRECTOR_OF, bystander, other, valid_from=date(2016, 1, 1)),
        ]
    )
    rules = load_rules()
    notices = NotifyStore(tmp / "notify.sqlite")
    clock = Clock()
    notifier = Notifier(store, notices, rules, clock)
    receiver = Receiver()
    dispatcher = Dispatcher(notices, QUICK, clock)
    return World(store, notices, rules, clock, notifier, company, other, rep, newcomer, bystander, receiver,
                 dispatcher)  # fmt: skip
