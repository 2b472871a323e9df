"""Properties of answers in time, on both backends (docs/domain.md, "Time"):

- the answer on day d equals the answer of the same store rebuilt with only the history up to d (save
  for revocations and corrections, which by their nature speak of the past: a revoked listing never
  counted, a corrected expiry was always the right one; the second property covers them);
- an answer `as_known_at` a past moment equals the answer the store gave at that moment (answers are
  recorded while the history is built, then asked again afterwards).

Histories are drawn at random: objections and their outcomes, repairs, revocations, removals from the
source and relistings, corrections of the expiry, changes of legal representative and a new actual
controller; the days asked about fall before, between and after them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service.domain.lifecycle import TRANSITIONS
from graph_service.engine import Engine
from graph_service.engine.lifecycle import initiate, transition
from graph_service.model import RoleType
from graph_service.rules import load_rules
from graph_service.store.base import GraphStore
from tests import factories as f

RULES = load_rules()
START = date(2024, 1, 1)
COMPANY = f.enterprise(1)
FORMER, CURRENT, OWNER = f.person(1, "张建国"), f.person(2, "李志强"), f.person(3, "王控制")
SUBJECTS = [("enterprise", COMPANY.uscc), *(("person", p.person_key) for p in (FORMER, CURRENT, OWNER))]
ENTRY_EVENTS = ["objection_filed", "objection_upheld", "objection_revoked", "repaired", "revoked",
                "removed_from_source", "relisted"]  # fmt: skip
RETROACTIVE = ("revoked", "objection_revoked")
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def day(n: int) -> date:
    return START + timedelta(days=n)


@st.composite
def histories(draw: st.DrawFn, corrections: bool) -> dict[str, Any]:
    """A drawn history; with `corrections`, also the events that change the past (revocations and
    corrected objections)."""
    kinds = [e for e in ENTRY_EVENTS if corrections or e not in RETROACTIVE] + ["role_change", "controller"]
    if corrections:
        kinds.append("objection_corrected")
    steps = draw(st.lists(st.tuples(st.sampled_from(kinds), st.integers(0, 90)), min_size=1, max_size=7))
    expires = draw(st.one_of(st.none(), st.integers(120, 900)))
    return {
        "listed": draw(st.integers(0, 60)),
        "conduct": draw(st.integers(0, 200)),
        "expires": expires,
        "steps": steps,
        "days": sorted(draw(st.lists(st.integers(0, 1000), min_size=3, max_size=3, unique=True))),
    }


def world(store: GraphStore, h: dict[str, Any]) -> str:
    """The company, its people and the listing, before any event: the entry's id."""
    store.clear()
    store.upsert_enterprises([COMPANY])
    store.upsert_persons([FORMER, CURRENT, OWNER])
    store.upsert_roles([f.role(RoleType.LEGAL_REPRESENTATIVE_OF, FORMER, COMPANY, date(2015, 1, 1))])
    listed = day(h["listed"])
    entry = f.entry(
        COMPANY,
        listed_on=listed,
        conduct_date=listed - timedelta(days=h["conduct"]),
        expires_on=None if h["expires"] is None else listed + timedelta(days=h["expires"]),
    )
    initiate(store, entry, "清丰县人民法院", listed, (), RULES)
    return entry.entry_id


def step(store: GraphStore, entry_id: str, kind: str, on: date) -> bool:
    """Apply one drawn step if it can happen now; whether it did."""
    if kind == "role_change":
        held = store.roles_of_enterprise(COMPANY.uscc, {RoleType.LEGAL_REPRESENTATIVE_OF})
        open_roles = [r for r in held if r.valid_to is None]
        if len(open_roles) != 1 or open_roles[0].holder_key != FORMER.person_key:
            return False
        closed = open_roles[0].model_copy(update={"valid_to": on})
        store.upsert_roles([closed, f.role(RoleType.LEGAL_REPRESENTATIVE_OF, CURRENT, COMPANY, on)])
        return True
    if kind == "controller":
        if store.roles_of_holder("person", OWNER.person_key):
            return False
        store.upsert_roles([f.role(RoleType.ACTUAL_CONTROLLER_OF, OWNER, COMPANY, on, basis="declared")])
        return True
    entry = store.get_entry(entry_id)
    assert entry is not None
    if entry.status not in TRANSITIONS[kind][0] or (entry.history and on < entry.history[-1].on):
        return False
    corrections = {"expires_on": on + timedelta(days=30)} if kind == "objection_corrected" else None
    event: Any = kind
    transition(
        store, entry_id, event, "法院", on, reason="理由", method="rectification", corrections=corrections
    )
    return True


def _plain(dumped: Any, drop: Sequence[str]) -> Any:
    if isinstance(dumped, dict):
        return {k: _plain(v, drop) for k, v in dumped.items() if k not in drop}
    if isinstance(dumped, list):
        return [_plain(v, drop) for v in dumped]
    return dumped


def answers(store: GraphStore, entry_id: str, days: Sequence[date], known_at: datetime | None = None,
            drop: Sequence[str] = ("known_at", "associated_risk")) -> dict[str, Any]:  # fmt: skip
    engine = Engine(store, RULES)
    out: dict[str, Any] = {}
    for d in days:
        for kind, key in SUBJECTS:
            for action in (None, "public_bidding", "air_ticket", "green_channel"):
                result = engine.check(kind, key, d, action=action, known_at=known_at)  # type: ignore[arg-type]
                out[f"{d} {kind} {key} {action}"] = _plain(result.model_dump(mode="json"), drop)
        out[f"{d} multi"] = _plain(engine.multi_list(d, 1, known_at=known_at).model_dump(mode="json"), drop)
        out[f"{d} affected"] = _plain(engine.affected([entry_id], d, known_at).model_dump(mode="json"), drop)
    return out


def build(
    store: GraphStore, h: dict[str, Any], until: date | None = None
) -> tuple[str, list[tuple[str, date]]]:
    """The world and its steps (only the entry's events dated up to `until`, when given; the roles are
    the world's, whatever the day): the entry and the steps done."""
    entry_id = world(store, h)
    done, on = [], day(h["listed"])
    for kind, gap in h["steps"]:
        on = on + timedelta(days=gap)
        if until is not None and on > until and kind in ENTRY_EVENTS:
            continue
        if step(store, entry_id, kind, on):
            done.append((kind, on))
    return entry_id, done


@SETTINGS
@given(histories(corrections=False))
def test_the_answer_on_a_day_is_that_of_the_history_up_to_that_day(
    store: GraphStore, h: dict[str, Any]
) -> None:
    days = [day(n) for n in h["days"]]
    entry_id, _ = build(store, h)
    # What may differ with a shorter history: the status held now and the changes after the day.
    drop = ("known_at", "associated_risk", "status", "history")
    full = {d: answers(store, entry_id, [d], drop=drop) for d in days}
    for d in days:
        build(store, h, until=d)
        assert answers(store, entry_id, [d], drop=drop) == full[d], d


@SETTINGS
@given(histories(corrections=True))
def test_an_answer_as_known_at_a_moment_is_the_answer_given_then(
    store: GraphStore, h: dict[str, Any]
) -> None:
    days = [day(n) for n in h["days"]]
    entry_id = world(store, h)
    given_then: list[tuple[datetime, dict[str, Any]]] = []
    on = day(h["listed"])

    def record() -> None:
        time.sleep(0.002)  # the next write is stamped strictly later than this moment
        moment = datetime.now(UTC)
        given_then.append((moment, answers(store, entry_id, days)))
        time.sleep(0.002)

    record()
    for kind, gap in h["steps"]:
        on = on + timedelta(days=gap)
        if step(store, entry_id, kind, on):
            record()
    for moment, then in given_then:
        assert answers(store, entry_id, days, known_at=moment) == then, moment
