"""Errors of the domain rules: a question or change the rules do not allow, with the field it is about."""


class DomainError(Exception):
    """A question the rules cannot answer as asked, or a change they refuse; the message names the field."""


class TransitionError(DomainError):
    """The event cannot happen to the entry as it stands (HTTP 409)."""


class NotFoundError(DomainError):
    """No such entry (HTTP 404)."""
