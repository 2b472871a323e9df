"""The domain's rules written once (docs/domain.md): an entry's state on a day and as known at a moment,
the life-cycle transitions, the green channel, and the bookkeeping of when the service learnt a record.

Everything here is a small pure function over the model; the engine, loaders, investigations, pages and
both store backends call these and re-derive nothing.
"""

from graph_service.domain.errors import DomainError, NotFoundError, TransitionError
from graph_service.domain.history import (
    EntryState,
    as_known,
    counting_periods,
    in_force_on,
    periods,
    state_on,
    status_on,
)

__all__ = [
    "DomainError",
    "EntryState",
    "NotFoundError",
    "TransitionError",
    "as_known",
    "counting_periods",
    "in_force_on",
    "periods",
    "state_on",
    "status_on",
]
