"""Joint punishment: who is reached, who may do what, who is on several lists, and why."""

from graph_service.engine.decisions import Engine, EngineError, covers_of, entry_state

__all__ = ["Engine", "EngineError", "covers_of", "entry_state"]
