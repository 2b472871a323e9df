"""Synthetic Henan data for demos, tests and benchmarks."""

from graph_service.synthetic.generator import REFERENCE_DATE, Answers, Batch, Generator
from graph_service.synthetic.load import load_synthetic

__all__ = ["REFERENCE_DATE", "Answers", "Batch", "Generator", "load_synthetic"]
