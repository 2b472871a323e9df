"""Investigations over the association graph: equity penetration, actual controllers, bidder
association, associated risk, and subgraphs for notebooks. Written once over the store contract, so
every answer is the same on either backend (docs/investigations.md)."""

from graph_service.investigations.bidders import WEIGHTS, BidderReport, screen_bidders
from graph_service.investigations.common import InvestigationError, UnknownSubjectError
from graph_service.investigations.controllers import (
    ControllerResult,
    ControllerRule,
    WriteBackReport,
    actual_controllers,
    write_back_controllers,
)
from graph_service.investigations.equity import Penetration, holdings, owners
from graph_service.investigations.export import (
    communities,
    multi_listed_graph,
    neighbourhood_graph,
    subgraph_around,
    to_frames,
)
from graph_service.investigations.risk import AssociatedRiskReport, associated_risk

__all__ = [
    "WEIGHTS",
    "AssociatedRiskReport",
    "BidderReport",
    "ControllerResult",
    "ControllerRule",
    "InvestigationError",
    "Penetration",
    "UnknownSubjectError",
    "WriteBackReport",
    "actual_controllers",
    "associated_risk",
    "communities",
    "holdings",
    "multi_listed_graph",
    "neighbourhood_graph",
    "owners",
    "screen_bidders",
    "subgraph_around",
    "to_frames",
    "write_back_controllers",
]
