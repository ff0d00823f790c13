"""The outermost middleware: request id, a log line and a latency sample per request, headers."""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from collections.abc import Callable, Collection
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import Histogram

log = structlog.get_logger("mcp_registry_server.http")

REQUEST_ID_HEADER = "X-Request-ID"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
}
UNKNOWN_ROUTE = "unknown_route"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def route_template(request: web.Request) -> str:
    """The matched route's template (`/v0.1/servers/{name}/versions`), never the raw path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNKNOWN_ROUTE


def request_ids() -> Callable[[], str]:
    """A source of request ids: 32 hex digits, a random per-process prefix and a counter
    (unique without a syscall per request, unlike uuid4)."""
    prefix = secrets.token_hex(8)
    counter = itertools.count()
    return lambda: f"{prefix}{next(counter):016x}"


def observe_middleware(duration: Histogram, *, quiet_routes: Collection[str] = ()) -> Middleware:
    """Time, log and label every request; requests on `quiet_routes` log at debug level.

    Runs outside the problem middleware, so it sees the final status of every response.
    """
    new_id = request_ids()
    samples: dict[tuple[str, str, int], Any] = {}  # labelled histogram children, by labels

    def observe_duration(route: str, method: str, status: int, elapsed: float) -> None:
        key = (route, method, status)
        sample = samples.get(key)
        if sample is None:
            sample = samples[key] = duration.labels(route, method, str(status))
        sample.observe(elapsed)

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        given = request.headers.get(REQUEST_ID_HEADER)
        request_id = given if given and _SAFE_REQUEST_ID.fullmatch(given) else new_id()
        route = route_template(request)
        structlog.contextvars.bind_contextvars(request_id=request_id, route=route)
        status = 500
        try:
            response = await handler(request)
            status = response.status
            response.headers.update(SECURITY_HEADERS)
            response.headers[REQUEST_ID_HEADER] = request_id
            return response
        except web.HTTPException as exc:
            status = exc.status
            exc.headers.update(SECURITY_HEADERS)
            exc.headers[REQUEST_ID_HEADER] = request_id
            raise
        finally:
            elapsed = time.perf_counter() - started
            observe_duration(route, request.method, status, elapsed)
            log.log(
                logging.DEBUG if route in quiet_routes else _level(status),
                "http_request",
                method=request.method,
                path=request.path,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                remote=request.remote,
            )
            structlog.contextvars.unbind_contextvars("request_id", "route")

    return observe


def _level(status: int) -> int:
    """INFO below 400, WARNING for client errors, ERROR for server errors (ToolHive's rule)."""
    if status >= 500:
        return logging.ERROR
    return logging.WARNING if status >= 400 else logging.INFO
