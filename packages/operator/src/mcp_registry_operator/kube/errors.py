"""API errors translated once: status codes become typed exceptions callers catch by meaning."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException


class KubeApiError(Exception):
    """A Kubernetes API call failed; `status` is the HTTP code (0 when none was received)."""

    def __init__(self, message: str, *, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class NotFoundError(KubeApiError):
    """404: the object (or the resource type) does not exist."""


class ConflictError(KubeApiError):
    """409: a stale resourceVersion, or an apply conflict with another field manager."""


class AlreadyExistsError(ConflictError):
    """409 AlreadyExists: a create found the name taken."""


class GoneError(KubeApiError):
    """410: the resourceVersion left the server's history; re-list."""


class ForbiddenError(KubeApiError):
    """401/403: the credentials or RBAC do not allow the call."""


class InvalidError(KubeApiError):
    """400/422: the server refused the object; `causes` lists (field, message)."""

    def __init__(
        self, message: str, *, status: int, reason: str, causes: list[tuple[str, str]]
    ) -> None:
        super().__init__(message, status=status, reason=reason)
        self.causes = causes


class TooManyRequestsError(KubeApiError):
    """429: throttled; `retry_after` is the server's hint in seconds, if it gave one."""

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message, status=429, reason="TooManyRequests")
        self.retry_after = retry_after


class ServerError(KubeApiError):
    """5xx: the API server failed; retry with backoff."""


class UnreachableError(KubeApiError):
    """No answer: the connection failed or the request timed out."""


def _status_body(body: Any) -> Mapping[str, Any]:
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    return body if isinstance(body, Mapping) else {}


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    raw = (headers or {}).get("Retry-After")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def error_for(
    status: int, body: Any, *, headers: Mapping[str, str] | None = None, what: str = ""
) -> KubeApiError:
    """The typed error for an HTTP failure, with the server's message and `what` was asked."""
    parsed = _status_body(body)
    reason = str(parsed.get("reason") or "")
    message = str(parsed.get("message") or reason or f"HTTP {status}")
    text = f"{what}: {message}" if what else message
    if status == 404:
        return NotFoundError(text, status=status, reason=reason)
    if status == 409:
        cls = AlreadyExistsError if reason == "AlreadyExists" else ConflictError
        return cls(text, status=status, reason=reason)
    if status == 410:
        return GoneError(text, status=status, reason=reason)
    if status in (401, 403):
        return ForbiddenError(text, status=status, reason=reason)
    if status in (400, 422):
        causes = [
            (str(c.get("field", "")), str(c.get("message", "")))
            for c in (parsed.get("details") or {}).get("causes") or []
        ]
        return InvalidError(text, status=status, reason=reason, causes=causes)
    if status == 429:
        return TooManyRequestsError(text, retry_after=_retry_after(headers))
    if status >= 500:
        return ServerError(text, status=status, reason=reason)
    return KubeApiError(text, status=status, reason=reason)


def translate(exc: ApiException, *, what: str = "") -> KubeApiError:
    """The typed error for a kubernetes-asyncio ApiException."""
    if not exc.status:
        return UnreachableError(f"{what}: {exc.reason}" if what else str(exc.reason))
    body = exc.body if exc.body else json.dumps({"message": str(exc.reason or "")})
    return error_for(int(exc.status), body, headers=exc.headers, what=what)
