"""A small world for the notification tests: a company, its legal representative, a director, another
company, and subscriptions watching them, on any backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from graph_service.model import Enterprise, Person, RoleType
from graph_service.notify.models import Subscription, SubscriptionKind
from graph_service.notify.notifier import Notifier
from graph_service.notify.storage import NotifyStore, new_secret, new_subscription_id
from graph_service.rules import RuleSet, load_rules
from graph_service.store.base import GraphStore
from tests import factories as f

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

    def subscribe(
        self,
        kind: SubscriptionKind = "subjects",
        watch: tuple[Person | Enterprise, ...] = (),
        classes: tuple[str, ...] = AGENCY,
        department: str = "县市场监管局",
        url: str | None = None,
        **kw: object,
    ) -> Subscription:
        sub = Subscription(
            id=new_subscription_id(),
            kind=kind,
            department=department,
            key_id="k1",
            role="agency",
            classes=classes,
            url=url,
            created_at=datetime.now(UTC),
            from_seq=self.store.last_change(),
            from_day=service_today(self.clock).isoformat(),
            **kw,  # type: ignore[arg-type]
        )
        self.notices.create(sub, new_secret())
        self.notices.watch(sub.id, [_ref(s) for s in watch])
        return sub

    def run(self) -> list[dict[str, object]]:
        """Run the notifier until it has nothing more to do; the bodies of the new notices, in order."""
        start = self._last_seq()
        self.notifier.run_once(limit=50)
        while self.notifier.behind():
            self.notifier.run_once(limit=50)
        subs = [s.id for s in self.notices.subscriptions()]
        return [n.body for n in self.notices.feed(subs, start, 10_000)]

    def _last_seq(self) -> int:
        subs = [s.id for s in self.notices.subscriptions()]
        found = self.notices.feed(subs, 0, 100_000)
        return found[-1].seq if found else 0


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
    return World(store, notices, rules, clock, notifier, company, other, rep, newcomer, bystander)
