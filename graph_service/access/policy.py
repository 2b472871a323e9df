"""What each role may do and see (docs/domain.md, "Disclosure and personal data"). One table, read
by the API's dependencies."""

from __future__ import annotations

from graph_service.access.keys import Principal

# Operation -> roles allowed. Reading registration data and public records is open to every key.
ALLOWED: dict[str, frozenset[str]] = {
    "read": frozenset({"public", "agency", "investigator", "admin"}),
    "search_persons": frozenset({"agency", "investigator", "admin"}),
    # A person's whole credit record is personal data beyond what a check needs (README, roles table).
    "person_credit_record": frozenset({"investigator", "admin"}),
    "check": frozenset({"agency", "investigator", "admin"}),
    "feedback": frozenset({"agency", "admin"}),
    "affected": frozenset({"agency", "investigator", "admin"}),
    "multi_list": frozenset({"agency", "investigator", "admin"}),
    "explore": frozenset({"investigator", "admin"}),
    "write_controllers": frozenset({"admin"}),
    "stats": frozenset({"agency", "investigator", "admin"}),
    "manage_entries": frozenset({"admin"}),
    "audit": frozenset({"admin"}),
    # Deciding who a loaded list meant changes the graph; the queue itself shows candidates' names.
    "unresolved": frozenset({"admin"}),
    # Push and watch: a department's subscriptions and their pull feed (an administrator's for any).
    "subscribe": frozenset({"agency", "admin"}),
}


def may(principal: Principal, operation: str) -> bool:
    return principal.role in ALLOWED[operation]


def visible_classes(principal: Principal, purpose: str | None) -> frozenset[str]:
    """Disclosure classes the caller may see: the public only public records, agencies also records
    shared among government departments, investigators also authorised ones when they state a purpose."""
    if principal.role == "admin":
        return frozenset({"public", "government", "authorized"})
    if principal.role == "investigator":
        return frozenset({"public", "government", "authorized"} if purpose else {"public", "government"})
    if principal.role == "agency":
        return frozenset({"public", "government"})
    return frozenset({"public"})


def sees_id_numbers(principal: Principal, purpose: str | None) -> bool:
    """Full ID numbers only for administrators and for investigators who state a purpose."""
    return principal.role == "admin" or (principal.role == "investigator" and bool(purpose))
