"""Making and changing a subscription, for the API and the command line alike: its endpoint and its remit
(list types, domains, measures) checked against the rules, the rest taken from who asks.

Errors name the field and the reason, never echo the endpoint (it may carry what was meant to stay
private) and never a subject.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from urllib.parse import urlsplit

from graph_service.access.keys import Principal
from graph_service.access.policy import visible_classes
from graph_service.notify.models import Subscription, SubscriptionKind
from graph_service.notify.storage import new_subscription_id, now_utc
from graph_service.rules import RuleSet
from graph_service.text_safety import mask_ids_in_text

MAX_URL = 2000
MAX_DESCRIPTION = 2000
MAX_DEPARTMENT = 200
# A subscription is its department's: its notices are posted to the department's endpoint and read from
# the feed by the department's (agency) keys, so they carry no more than such a key may read, whoever
# made the subscription; an administrator's wider view stays with the administrator.
DEPARTMENT_CLASSES = visible_classes(Principal(key_id="-", role="agency", name="a department"), None)


class SubscribeError(ValueError):
    """A subscription cannot be made or changed as asked: `field` and `reason` say why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def check_url(url: str | None) -> str | None:
    """The endpoint notices are posted to, or None for a pull-only subscription."""
    if url is None:
        return None
    text = url.strip()
    if not text:
        raise SubscribeError(
            "url", "empty; leave it out (or null) for a subscription read through /v1/changes"
        )
    if len(text) > MAX_URL:
        raise SubscribeError("url", f"at most {MAX_URL} characters, not {len(text)}")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise SubscribeError("url", "contains blanks or control characters; percent-encode them")
    try:
        parts = urlsplit(text)
    except ValueError:  # an unclosed IPv6 bracket, say
        raise SubscribeError("url", "is not a URL (the host cannot be read)") from None
    if parts.scheme.lower() not in ("http", "https"):
        shown = parts.scheme[:20] or "none"
        raise SubscribeError("url", f"the scheme must be http or https, not {shown!r}")
    if "@" in parts.netloc:
        # A password in the address would be kept, listed and logged like the address; notices are
        # signed with the subscription's secret instead.
        raise SubscribeError(
            "url", "must not carry credentials (user:password@host); receivers check the signature"
        )
    if not parts.hostname:
        raise SubscribeError("url", "names no host")
    if mask_ids_in_text(text) != text:
        # An endpoint is kept, listed and shown as it is: it cannot be masked and still work.
        raise SubscribeError(
            "url", "holds what reads as an ID number; an endpoint must carry no personal data"
        )
    try:
        parts.port  # noqa: B018 - reading it is the check: a port outside 0-65535 raises
    except ValueError:
        raise SubscribeError("url", "the port is not a number from 0 to 65535") from None
    return text


def _codes(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values))


def check_remit(
    rules: RuleSet,
    kind: SubscriptionKind,
    list_types: tuple[str, ...],
    domains: tuple[str, ...],
    measures: tuple[str, ...],
) -> None:
    """Every list type, domain and measure named must be one the rules know; a lists subscription names
    some list type or domain, a measures subscription some measure."""
    known_types = [t.code for t in rules.list_types]
    known_domains = sorted({t.domain for t in rules.list_types})
    known_measures = [m.code for m in rules.measures]
    for field, given, known in (
        ("list_types", list_types, known_types),
        ("domains", domains, known_domains),
        ("measures", measures, known_measures),
    ):
        for i, code in enumerate(given):
            if code not in known:
                what = field.removesuffix("s").replace("_", " ")
                shown = mask_ids_in_text(code[:100])
                raise SubscribeError(
                    f"{field}[{i}]", f"{shown!r} is not a {what} of the rules; known: {', '.join(known)}"
                )
    if kind == "lists" and not (list_types or domains):
        raise SubscribeError("list_types", "a lists subscription names list types or domains (or both)")
    if kind == "measures" and not measures:
        raise SubscribeError("measures", "a measures subscription names the measures its department applies")


def _readable(field: str, text: str) -> str:
    """Free text as it is kept: a lone surrogate (JSON's "\\ud800", a command-line byte that is not
    UTF-8) cannot be written to the notification file nor answered, so it is refused here."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SubscribeError(
            field, f"is not UTF-8 text (character {exc.start + 1} cannot be encoded)"
        ) from None
    return text


def check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise SubscribeError("description", f"at most {MAX_DESCRIPTION} characters")
    # Free text kept in the notification file and shown to the department: an ID number in it is masked.
    return mask_ids_in_text(_readable("description", description).strip())


def department_of(principal: Principal, given: str | None) -> str:
    """The department a subscription is for: an agency key's own; an administrator names it."""
    if given is not None and mask_ids_in_text(_readable("department", given)) != given:
        raise SubscribeError("department", "holds what reads as an ID number; name the department")
    if given is not None and not given.strip():
        raise SubscribeError("department", "empty")
    if given is not None and len(given.strip()) > MAX_DEPARTMENT:
        raise SubscribeError("department", f"at most {MAX_DEPARTMENT} characters")
    if principal.role == "admin":
        if given is None:
            raise SubscribeError(
                "department", "an administrator names the department the subscription is for"
            )
        return given.strip()
    if not principal.department:
        raise SubscribeError(
            "department", "this agency key names no department; ask the administrator for one that does"
        )
    return principal.department


def new_subscription(
    rules: RuleSet,
    principal: Principal,
    department: str,
    kind: SubscriptionKind,
    url: str | None,
    description: str = "",
    list_types: Iterable[str] = (),
    domains: Iterable[str] = (),
    measures: Iterable[str] = (),
    from_seq: int = 0,
    today: date | None = None,
) -> Subscription:
    """A subscription checked against the rules. Its notices carry what the key that made it may read,
    and start after `from_seq` (the store's newest change now) and after `today`."""
    types, doms, codes = _codes(list_types), _codes(domains), _codes(measures)
    check_remit(rules, kind, types, doms, codes)
    return Subscription(
        id=new_subscription_id(),
        kind=kind,
        department=department,
        key_id=principal.key_id,
        role=principal.role,
        classes=tuple(sorted(visible_classes(principal, None) & DEPARTMENT_CLASSES)),
        url=check_url(url),
        description=check_description(description),
        list_types=types,
        domains=doms,
        measures=codes,
        created_at=now_utc(),
        from_seq=from_seq,
        from_day=(today or date.today()).isoformat(),
    )


def changed_subscription(
    rules: RuleSet,
    subscription: Subscription,
    url: str | None = None,
    description: str | None = None,
    list_types: Iterable[str] | None = None,
    domains: Iterable[str] | None = None,
    measures: Iterable[str] | None = None,
    url_given: bool = False,
) -> Subscription:
    """The subscription with these changed (None: kept; the url also when `url_given`, None then making
    it pull only), checked again as a whole."""
    update: dict[str, object] = {}
    if url_given:
        update["url"] = check_url(url)
    if description is not None:
        update["description"] = check_description(description)
    for field, value in (("list_types", list_types), ("domains", domains), ("measures", measures)):
        if value is not None:
            update[field] = _codes(value)
    changed = subscription.model_copy(update=update)
    check_remit(rules, changed.kind, changed.list_types, changed.domains, changed.measures)
    return changed


def endpoint_shown(url: str | None) -> str:
    """The endpoint as the audit trail records it: scheme and host, without path or query, which may hold
    a token."""
    if url is None:
        return "pull only"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
