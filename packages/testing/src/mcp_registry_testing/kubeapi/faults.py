"""Test hooks on the HTTP edge: request recording and injected failures (500s, 429s, ...)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from .status import status_body

_REASONS = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable"}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    content_type: str


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    retry_after: int | None


class Faults:
    """Failures to inject: the next `count` requests matching method and path regex fail."""

    def __init__(self) -> None:
        self._faults: list[_Fault] = []
        self.requests: list[RecordedRequest] = []

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        count: int = 1,
        *,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `count` matching requests with `status` (`*` matches any method)."""
        self._faults.append(
            _Fault(method.upper(), re.compile(path_regex), status, count, retry_after)
        )

    def _take(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method in ("*", method) and fault.pattern.search(path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Drop every injected failure that has not fired yet."""
        self._faults.clear()

    def pending(self) -> int:
        """How many injected failures are still waiting for a request."""
        return sum(f.remaining for f in self._faults)

    def writes(self, path_regex: str = "") -> list[RecordedRequest]:
        """Recorded non-GET requests whose path matches `path_regex`."""
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method != "GET" and pattern.search(r.path)]

    @web.middleware
    async def middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest(
                request.method, request.path, request.query_string, request.content_type
            )
        )
        fault = self._take(request.method, request.path)
        if fault is None:
            return await handler(request)
        reason = _REASONS.get(fault.status, "InjectedFailure")
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else None
        body = status_body(code=fault.status, reason=reason, message=f"injected {fault.status}")
        return web.json_response(body, status=fault.status, headers=headers)
