"""Request observation: an id, security headers, a latency sample and a log line per request."""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from collections.abc import Collection, MutableMapping
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from mcp_registry_server.api.loglimit import DEFAULT_PER_SECOND, RequestLogLimit
from mcp_registry_server.histogram import LoopHistogram
from mcp_registry_server.logs import log_fields

log = structlog.get_logger("mcp_registry_server.http")

REQUEST_ID_HEADER = "X-Request-ID"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
}
UNKNOWN_ROUTE = "unknown_route"
REFUSALS = frozenset({401, 403})
"""Statuses logged at their level even on a quiet route."""
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def route_template(request: web.Request) -> str:
    """The matched route's template (`/v0.1/servers/{name}/versions`), never the raw path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNKNOWN_ROUTE


class RequestObserver:
    """What every request gets, whichever path answers it: an id (the caller's when it is
    safe), the security headers, a latency sample labelled by route, one log line (for a
    successful request, within the `log_limit` of info lines per second)."""

    def __init__(
        self,
        duration: LoopHistogram,
        *,
        quiet_routes: Collection[str] = (),
        log_limit: RequestLogLimit | None = None,
    ) -> None:
        self._duration = duration
        self._quiet_routes = frozenset(quiet_routes)
        self._log_limit = log_limit or RequestLogLimit(DEFAULT_PER_SECOND)
        # ids: 32 hex digits, a random per-process prefix and a counter (unique without a
        # syscall per request, unlike uuid4)
        self._id_prefix = secrets.token_hex(8)
        self._id_counter = itertools.count()
        self._samples: dict[tuple[str, str, int], Any] = {}  # labelled histogram children

    async def close(self, app: web.Application) -> None:
        """An `on_cleanup` hook (after the last request): report the log lines left out."""
        self._log_limit.close()

    def request_id(self, request: web.BaseRequest) -> str:
        """The caller's `X-Request-ID` when it is safe to log and echo, else a new id."""
        given = request.headers.get(REQUEST_ID_HEADER)
        if given and _SAFE_REQUEST_ID.fullmatch(given):
            return given
        return f"{self._id_prefix}{next(self._id_counter):016x}"

    def answered(
        self,
        request: web.BaseRequest,
        headers: MutableMapping[str, str],
        *,
        route: str,
        status: int,
        started: float,
        request_id: str,
        secured: bool = False,
    ) -> None:
        """A response (or HTTP exception) with `headers` and `status` is going out: label it
        (`secured`: its headers carry `SECURITY_HEADERS` already, as kept responses' do),
        then sample and log the request."""
        if not secured:
            headers.update(SECURITY_HEADERS)
        headers[REQUEST_ID_HEADER] = request_id
        self.finish(request, route=route, status=status, started=started, request_id=request_id)

    def finish(
        self, request: web.BaseRequest, *, route: str, status: int, started: float, request_id: str
    ) -> None:
        """Record the latency sample and write the request's log line."""
        elapsed = time.perf_counter() - started
        key = (route, request.method, status)
        sample = self._samples.get(key)
        if sample is None:
            sample = self._samples[key] = self._duration.labels(route, request.method, str(status))
        sample.observe(elapsed)
        if status < 400 and route not in self._quiet_routes:  # most requests: a success
            if not self._log_limit.admit():
                return
            level = logging.INFO
        else:
            # A quiet route's refusals are not routine polling: a caller without the credential.
            quiet = route in self._quiet_routes and status not in REFUSALS
            level = logging.DEBUG if quiet else _level(status)
        log_fields(
            log,
            level,
            "http_request",
            {
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "remote": request.remote,
                "request_id": request_id,
                "route": route,
            },
        )


def observe_middleware(observer: RequestObserver) -> Middleware:
    """Time, log and label every request routed by the app, with `request_id` and `route`
    bound to every line logged while it runs. Runs outside the problem middleware, so it sees
    the final status of every response."""

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        request_id = observer.request_id(request)
        route = route_template(request)
        structlog.contextvars.bind_contextvars(request_id=request_id, route=route)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            observer.answered(
                request,
                exc.headers,
                route=route,
                status=exc.status,
                started=started,
                request_id=request_id,
            )
            raise
        except BaseException:
            observer.finish(
                request, route=route, status=500, started=started, request_id=request_id
            )
            raise
        else:
            observer.answered(
                request,
                response.headers,
                route=route,
                status=response.status,
                started=started,
                request_id=request_id,
            )
            return response
        finally:
            structlog.contextvars.unbind_contextvars("request_id", "route")

    return observe


def _level(status: int) -> int:
    """INFO below 400, WARNING for client errors, ERROR for server errors (ToolHive's rule)."""
    if status >= 500:
        return logging.ERROR
    return logging.WARNING if status >= 400 else logging.INFO
