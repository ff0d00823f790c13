"""The application state of the API double and its one aiohttp AppKey."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .resources import ResourceTypes
from .store import Store


@dataclass
class State:
    """Everything the handlers share: the store, the served types and the watch settings."""

    store: Store
    types: ResourceTypes
    register_crd: Callable[[dict[str, Any]], None]
    bookmark_interval: float = 5.0
    """Seconds of watch silence after which a BOOKMARK is sent (the real server uses ~60 s)."""
    crds: dict[str, dict[str, Any]] = field(default_factory=dict)


STATE = web.AppKey("state", State)
