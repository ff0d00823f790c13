"""HTTP-facing errors and the one middleware that turns every failure into RFC 9457 problem+json."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from mcp_registry_common.redaction import redact_text

from mcp_registry_server.service.errors import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    ObjectNotFoundError,
    RuntimeUnavailableError,
)
from mcp_registry_server.store.errors import StoreUnavailableError
from mcp_registry_server.sync.errors import NotSyncableError, UnknownSourceError

log = structlog.get_logger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
DOMAIN_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (UnknownSourceError, 404),
    (NotSyncableError, 409),
    (InvalidRequestError, 400),
    (ForbiddenError, 403),
    (ObjectNotFoundError, 404),
    (ConflictError, 409),
    (RuntimeUnavailableError, 503),
)
"""Errors of the layers below the API whose text is safe to show, and their HTTP status."""
_DOMAIN_ERRORS = tuple(kind for kind, _ in DOMAIN_STATUS)
STORE_UNAVAILABLE = "the database is unavailable right now: retry the request later"
"""The detail of a 503 for a store outage (the driver's text, with hosts and users, is logged
once per outage by the store, not sent)."""


class ProblemError(Exception):
    """A request failed for a reason the caller may read; `status` picks the HTTP status."""

    status = 500

    def __init__(
        self,
        detail: str,
        *,
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = dict(extensions or {})
        self.headers = dict(headers or {})
        """Sent with the problem (e.g. a 401's `WWW-Authenticate`)."""


class InvalidParameterError(ProblemError):
    """A query or path parameter is malformed; the detail names the parameter."""

    status = 400


class NotFoundError(ProblemError):
    """The registry, server, version or source does not exist."""

    status = 404


class UnavailableError(ProblemError):
    """The server cannot answer yet (still starting, or not ready)."""

    status = 503


def problem_response(
    status: int,
    detail: str,
    *,
    extensions: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A problem+json response; `error` repeats `detail` for ToolHive clients. Every detail
    passes here: URLs in it are redacted (an error may quote a source's URL)."""
    detail = redact_text(detail)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "error": detail,
    }
    body.update(extensions or {})
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def retry_after(seconds: float | None) -> str:
    """A `Retry-After` value: whole seconds, rounded up, at least 1 (1 when unknown)."""
    return str(max(1, math.ceil(seconds))) if seconds is not None else "1"


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map every error a handler or the router raises to problem+json, exactly once.

    Unexpected exceptions become a bare 500: their text is logged, never sent. A store outage
    is a 503 with `Retry-After` and logs nothing here: the store logs the outage once when it
    starts and once when it ends, however many requests it fails meanwhile.
    """
    try:
        return await handler(request)
    except ProblemError as exc:
        return problem_response(
            exc.status, exc.detail, extensions=exc.extensions, headers=exc.headers or None
        )
    except StoreUnavailableError as exc:
        headers = {"Retry-After": retry_after(exc.retry_after)}
        return problem_response(503, STORE_UNAVAILABLE, headers=headers)
    except _DOMAIN_ERRORS as exc:
        status = next(code for kind, code in DOMAIN_STATUS if isinstance(exc, kind))
        return problem_response(status, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == PROBLEM_CONTENT_TYPE:
            raise  # not an error, or already a problem (e.g. the auth layer's 401 challenge)
        response = problem_response(exc.status, _router_detail(request, exc))
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("request_failed", method=request.method, path=request.path)
        return problem_response(500, "internal server error")


def _router_detail(request: web.Request, exc: web.HTTPException) -> str:
    """A useful detail for errors aiohttp raises itself (no route, wrong method, body too big)."""
    if exc.status == 404:
        return f"no such endpoint: {request.path}"
    if exc.status == 405:
        return f"method {request.method} is not allowed on {request.path}"
    return exc.reason
