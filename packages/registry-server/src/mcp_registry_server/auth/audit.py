"""Audit trail: one JSON event per mutating request and per denied (401/403) request."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from mcp_registry_server.auth.audit_data import AuditData, audit_data
from mcp_registry_server.auth.identity import Identity
from mcp_registry_server.auth.middleware import IDENTITY_KEY

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
COMPONENT = "mcp-registry-server"

AUDIT_ACTION_KEY = web.RequestKey("mcp_registry_audit_action", str)
"""Set by a handler to name its event (ToolHive's ``source.create`` etc.); default: method+route."""

AUDIT_BODY_KEY = web.RequestKey("mcp_registry_audit_body", bytes)
"""Set by whatever reads a request body, so `includeRequestData` can log it (redacted)."""
DATA_METHODS = frozenset({"POST", "PUT", "DELETE"})
"""Methods whose bodies `includeRequestData` captures (ToolHive's list)."""

RequestIdGetter = Callable[[web.Request], str | None]


def outcome_of(status: int) -> str:
    """ToolHive's outcome words: 2xx/3xx success, 401/403 denied, other 4xx failure, 5xx error."""
    if status < 400:
        return "success"
    if status in (401, 403):
        return "denied"
    return "failure" if status < 500 else "error"


def status_of(error: Exception) -> int:
    """The status an escaping exception will be answered with: its integer ``status``
    (aiohttp's HTTPException, the API's problem errors), else 500."""
    status = getattr(error, "status", None)
    return status if isinstance(status, int) and 100 <= status <= 599 else 500


def should_audit(method: str, status: int) -> bool:
    """Mutating requests always; reads only when they were denied."""
    return method.upper() in MUTATING_METHODS or status in (401, 403)


def event_type(request: web.Request, status: int) -> str:
    """The event's name: the handler's action, ``auth.unauthenticated`` for a 401, else
    ``<METHOD> <route template>``."""
    action: str | None = request.get(AUDIT_ACTION_KEY)
    if action:
        return action
    if status == 401:
        return "auth.unauthenticated"
    return f"{request.method} {route_of(request)}"


def route_of(request: web.Request) -> str:
    """The matched route template (never the raw path with its ids), or ``unknown_route``."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unknown_route"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """Who did what, with which outcome. Holds no header, token or secret; `data` is the
    request body only when `includeRequestData` is on, with secret-looking values redacted."""

    type: str
    outcome: str
    status: int
    identity: Identity | None
    method: str
    route: str
    resource: dict[str, str]
    request_id: str | None
    duration_ms: float
    remote: str | None
    data: AuditData | None = None
    audit_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    logged_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> str:
        """One JSON line."""
        who = self.identity
        document = {
            "audit_id": self.audit_id,
            "type": self.type,
            "logged_at": self.logged_at.isoformat().replace("+00:00", "Z"),
            "outcome": self.outcome,
            "component": COMPONENT,
            "source": {"type": "network", "value": self.remote},
            "subjects": {
                "sub": who.subject if who is not None else "anonymous",
                "user": who.user if who is not None else None,
                "provider": (who.provider or None) if who is not None else None,
            },
            "target": {
                "method": self.method,
                "route": self.route,
                "resource": self.resource,
            },
            "metadata": {
                "status": self.status,
                "duration_ms": round(self.duration_ms, 3),
                "request_id": self.request_id,
            },
        }
        if self.data is not None:
            document["data"] = {"value": self.data.value, "truncated": self.data.truncated}
        return json.dumps(document, separators=(",", ":"))


class AuditLog:
    """Writes audit events as JSON lines to stdout or to a file opened 0600 in append mode."""

    def __init__(
        self,
        stream: TextIO,
        *,
        event_types: Collection[str] = (),
        exclude_event_types: Collection[str] = (),
        owns_stream: bool = False,
    ) -> None:
        self._stream = stream
        self._include = frozenset(event_types)
        self._exclude = frozenset(exclude_event_types)
        self._owns_stream = owns_stream

    @classmethod
    def open(
        cls,
        log_file: str | Path | None,
        *,
        event_types: Collection[str] = (),
        exclude_event_types: Collection[str] = (),
    ) -> AuditLog:
        """Stdout when ``log_file`` is empty; else the file, created 0600 and appended to."""
        if not log_file:
            return cls(sys.stdout, event_types=event_types, exclude_event_types=exclude_event_types)
        fd = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        stream = os.fdopen(fd, "a", encoding="utf-8")
        return cls(
            stream,
            event_types=event_types,
            exclude_event_types=exclude_event_types,
            owns_stream=True,
        )

    def wants(self, event_type: str) -> bool:
        """The allow-list (empty = all) and the deny-list (wins)."""
        if event_type in self._exclude:
            return False
        return not self._include or event_type in self._include

    def record(self, event: AuditEvent) -> None:
        """Write ``event`` if the filters let it through."""
        if self.wants(event.type):
            self._stream.write(event.to_json() + "\n")
            self._stream.flush()

    def close(self) -> None:
        """Close the file (stdout is left open)."""
        if self._owns_stream:
            self._stream.close()


def current_request_id(request: web.Request) -> str | None:
    """The default request id: the one the request middleware bound into structlog's context
    (house convention ``request_id``), else a short printable ``X-Request-ID`` header."""
    bound = structlog.contextvars.get_contextvars().get("request_id")
    if isinstance(bound, str):
        return bound
    value = request.headers.get("X-Request-ID")
    return value if value and len(value) <= 128 and value.isprintable() else None


def request_data(request: web.Request, *, max_size: int) -> AuditData | None:
    """The body a handler read (``AUDIT_BODY_KEY``) of a POST/PUT/DELETE, ready to log."""
    raw = request.get(AUDIT_BODY_KEY)
    if raw is None or request.method.upper() not in DATA_METHODS:
        return None
    return audit_data(raw, max_size=max_size)


def audit_middleware(
    audit: AuditLog,
    *,
    request_id: RequestIdGetter = current_request_id,
    include_request_data: bool = False,
    max_data_size: int = 0,
) -> Middleware:
    """Records audited requests. Install it outside ``auth_middleware`` (which sets the Identity
    and returns the 401s); outside the problem middleware too, ideally, so it sees final
    statuses — inside it, escaping errors are classified by their ``status`` attribute.
    With ``include_request_data`` the body a handler read is logged, redacted and cut to
    ``max_data_size`` bytes (0: the default)."""

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except Exception as error:
            status = status_of(error)
            raise
        finally:
            if should_audit(request.method, status):
                audit.record(
                    AuditEvent(
                        type=event_type(request, status),
                        outcome=outcome_of(status),
                        status=status,
                        identity=request.get(IDENTITY_KEY),
                        method=request.method,
                        route=route_of(request),
                        resource=dict(request.match_info),
                        request_id=request_id(request),
                        duration_ms=(time.perf_counter() - started) * 1000,
                        remote=request.remote,
                        data=(
                            request_data(request, max_size=max_data_size)
                            if include_request_data
                            else None
                        ),
                    )
                )

    return record
