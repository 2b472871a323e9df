"""Request dependencies: the store the app was built with."""

from __future__ import annotations

from typing import cast

from fastapi import Request

from graph_service.store.base import GraphStore


def get_store(request: Request) -> GraphStore:
    return cast(GraphStore, request.app.state.store)
