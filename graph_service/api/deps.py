"""Request dependencies: the store, the engine and the rules the app was started with."""

from __future__ import annotations

from typing import cast

from fastapi import Request

from graph_service.engine import Engine
from graph_service.rules import RuleSet
from graph_service.store.base import GraphStore


def get_store(request: Request) -> GraphStore:
    return cast(GraphStore, request.app.state.store)


def get_engine(request: Request) -> Engine:
    return cast(Engine, request.app.state.engine)


def get_rules(request: Request) -> RuleSet:
    return cast(RuleSet, request.app.state.rules)


def get_hash_key(request: Request) -> str:
    return cast(str, request.app.state.hash_key)
