"""What every investigation shares: subjects named as the caller may see them, and ownership edges."""

from __future__ import annotations

from typing import Literal

from graph_service.model import Enterprise, Role
from graph_service.store.base import GraphStore

SubjectKey = tuple[Literal["person", "enterprise"], str]
RatioBasis = Literal["ratio", "subscribed_capital", "unknown"]
# Shares are products and sums of ratios; rounding hides the last bits of binary floating point, so a
# planted 0.9 × 0.8 × 0.6 reads 0.432 and both backends print the same digits.
SHARE_DIGITS = 12


class InvestigationError(ValueError):
    """The question cannot be answered as asked; the message starts with the field it is about."""


class UnknownSubjectError(InvestigationError):
    """The subject is not in the graph (or not visible to the caller)."""


def require_subject(store: GraphStore, kind: Literal["person", "enterprise"], key: str) -> None:
    known = store.get_person(key) if kind == "person" else store.get_enterprise(key)
    if known is None:
        raise UnknownSubjectError(f"{kind}: no {kind} {key}")


def effective_ratio(role: Role, held: Enterprise | None) -> tuple[float | None, RatioBasis]:
    """The share an edge carries: its ratio as registered, else the subscribed capital over the held
    company's registered capital (认缴出资额 / 注册资本, which is how the ratio is defined), else unknown."""
    if role.ratio is not None:
        return role.ratio, "ratio"
    if role.subscribed_capital is not None and held is not None and held.registered_capital:
        return min(1.0, role.subscribed_capital / held.registered_capital), "subscribed_capital"
    return None, "unknown"


def share(value: float) -> float:
    return round(value, SHARE_DIGITS)
