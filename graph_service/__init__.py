"""credit-graph: enterprises, the people responsible for them, and joint punishment."""

__version__ = "0.1.0"
