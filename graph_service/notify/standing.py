"""A subject's standing, and what changed in it: small pure functions over two check answers.

A subject's standing on a day is the set of measures in force against it (CheckResult.measures); for each
action of the rules it is restricted when one of the action's measures is in that set, eligible otherwise.
A change of standing is a change of that set: one notice per subject and change, never one per row.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from graph_service.engine.results import CheckResult, MeasureRef, Reason
from graph_service.rules import RuleSet


class ActionChange(BaseModel):
    action: str
    name_zh: str
    before: str  # restricted | eligible
    after: str


class StandingChange(BaseModel):
    """What one change did to one subject's standing, as a notice tells it."""

    restricted_before: bool
    restricted_after: bool
    measures_before: list[str]
    measures_after: list[str]
    gained: list[MeasureRef]
    lost: list[MeasureRef]
    actions: list[ActionChange]  # only the actions whose answer changed
    reasons: list[Reason]  # why it is restricted now (entry, rule, dated path), as a check answers
    ended: list[Reason]  # the reasons that no longer hold: what was lifted


def _codes(result: CheckResult) -> set[str]:
    return {m.code for m in result.measures}


def _reason_key(reason: Reason) -> tuple[str, str, str, str]:
    rule = reason.rule
    return (reason.entry.entry_id, rule.via, rule.role or "", rule.reference or "")


def standing_change(before: CheckResult, after: CheckResult, rules: RuleSet) -> StandingChange | None:
    """The change from `before` to `after` (one subject, one day), or None if its standing is the same."""
    was, now = _codes(before), _codes(after)
    if was == now:
        return None
    actions = []
    for action in rules.actions:
        measures = set(action.measures)
        then, later = bool(measures & was), bool(measures & now)
        if then != later:
            actions.append(
                ActionChange(
                    action=action.code,
                    name_zh=action.name_zh,
                    before="restricted" if then else "eligible",
                    after="restricted" if later else "eligible",
                )
            )
    kept = {_reason_key(r) for r in after.reasons}
    return StandingChange(
        restricted_before=before.restricted,
        restricted_after=after.restricted,
        measures_before=sorted(was),
        measures_after=sorted(now),
        gained=[m for m in after.measures if m.code not in was],
        lost=[m for m in before.measures if m.code not in now],
        actions=actions,
        reasons=after.reasons,
        ended=[r for r in before.reasons if _reason_key(r) not in kept],
    )


def expected_measures(change: StandingChange, implemented: tuple[str, ...]) -> list[str]:
    """The measures a department is expected to apply now: those gained, narrowed to the ones it
    implements when its subscription names them."""
    gained = [m.code for m in change.gained]
    return [c for c in gained if not implemented or c in implemented]


def touches(change: StandingChange, measures: tuple[str, ...]) -> bool:
    """Whether a change gains or lifts one of these measures (a measure subscription's question)."""
    moved = {m.code for m in change.gained} | {m.code for m in change.lost}
    return bool(moved & set(measures))


def dumped(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
