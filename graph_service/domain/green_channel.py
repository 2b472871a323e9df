"""The green channel (绿色通道, docs/domain.md "Green channel"): exemplary subjects and those with no bad
credit record for three consecutive years are eligible; a blacklisted subject cannot at the same time
enjoy it (国发〔2016〕33号; 濮信用〔2020〕3号 item 8: after repair, measures end).

- A black entry blocks from its listing until it expired, was repaired or removed from its source, or was
  archived; a revoked entry never blocked (the listing was wrong). An objection does not lift the block
  while it is verified.
- Eligible on day d when no black entry blocked on any day of the three calendar years before d (from
  the same calendar day three years earlier up to d), or when the subject's own red entry is in force and
  no black entry is in force.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from graph_service.domain.history import in_force_on, periods, until
from graph_service.model import ListEntry

CLEAN_YEARS = 3
BLOCKING = ("in_force", "suspended")


def years_after(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes 28 February in a common year); the first
    or last representable day beyond the calendar's range."""
    year = day.year + years
    if year < date.min.year:
        return date.min
    if year > date.max.year:
        return date.max
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    basis: str
    decided_by: ListEntry | None = None  # the entry that decided it
    eligible_from: date | None = None  # ineligible: the first day it may become eligible, if known


def _blocked_until(entry: ListEntry, day: date) -> tuple[bool, date | None]:
    """Whether the entry blocked on any day of the window before `day`, and the first day it stopped
    blocking (None: it still blocks, with no end in sight)."""
    window_start = years_after(day, -CLEAN_YEARS)
    known = periods(until(entry, day), BLOCKING)
    blocking = [(s, e) for s, e in known if s <= day and (e is None or e > window_start)]
    if not blocking:
        return False, None
    return True, blocking[-1][1]


def green_channel(black: Sequence[ListEntry], own_red: Sequence[ListEntry], day: date) -> Eligibility:
    """Eligibility on the day, from the black entries reaching the subject and its own red entries."""
    in_force = sorted((e for e in black if in_force_on(e, day)), key=lambda e: (e.listed_on, e.entry_id))
    if in_force:
        entry = in_force[0]
        _, end = _blocked_until(entry, day)
        return Eligibility(
            False,
            f"black entry {entry.decision_number} ({entry.list_type}) is in force on {day}: "
            "a blacklisted subject cannot enjoy red status",
            entry,
            years_after(end, CLEAN_YEARS) if end else None,
        )
    red = sorted((e for e in own_red if in_force_on(e, day)), key=lambda e: (e.listed_on, e.entry_id))
    if red:
        return Eligibility(True, f"red entry {red[0].decision_number} ({red[0].list_type}) in force", red[0])
    worst: tuple[ListEntry, date | None] | None = None
    for entry in black:
        blocked, end = _blocked_until(entry, day)
        if not blocked:
            continue
        if worst is None or (worst[1] is not None and (end is None or end > worst[1])):
            worst = (entry, end)
    if worst is None:
        return Eligibility(True, f"no black entry counted in the {CLEAN_YEARS} calendar years before {day}")
    entry, end = worst
    until = f"until {end}" if end else "with no end yet"
    return Eligibility(
        False,
        f"black entry {entry.decision_number} ({entry.list_type}) counted {until}, within the "
        f"{CLEAN_YEARS} calendar years before {day}",
        entry,
        years_after(end, CLEAN_YEARS) if end else None,
    )
