"""Unresolved references: people a loaded list names only by name or masked number that the loader could
not tie to one stored person. Kept in a queue (queue.py) an operator decides from; a decision is applied
through the store contract (apply.py), kept for later loads of the same source, and audited."""
