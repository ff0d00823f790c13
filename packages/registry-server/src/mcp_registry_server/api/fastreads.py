"""Repeated anonymous reads answered from the kept responses, before aiohttp routes them.

A read of the registry API is a pure function of (snapshot, URL), and the read handlers keep
what they render in the app's `ResponseCache`. When nobody authenticates (anonymous mode: no
identity, no claims, and successful reads are not audited), a GET whose response is kept for
the current snapshot needs none of the router, the middleware chain or the handler: this
front answers it with the same status, headers and body, the same log line and latency
sample (`RequestObserver.answered`, as the app's observe middleware), and hands every other
request to the app unchanged. Which registry a URL reads is decided by `registry_of`, from
the same prefixes the read routes are made of. It is a server-level wrapper
(`ServerRunner`), since aiohttp has no hook before routing.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from mcp_registry_server.api.observe import RequestObserver
from mcp_registry_server.api.registry import registry_of
from mcp_registry_server.api.responses import ResponseCache, represent
from mcp_registry_server.service.catalog import Catalog

RequestHandler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class FastReads:
    """Answers GETs whose response is kept for the current snapshot of their registry."""

    def __init__(
        self, *, catalog: Catalog, responses: ResponseCache, observer: RequestObserver
    ) -> None:
        self._catalog = catalog
        self._responses = responses
        self._observer = observer

    def wrap(self, handler: RequestHandler) -> RequestHandler:
        """`handler` (the app's), preceded by this front."""

        async def handle(request: web.BaseRequest) -> web.StreamResponse:
            if request.method == "GET":
                response = self.answer(request)
                if response is not None:
                    return response
            return await handler(request)

        return handle

    def answer(self, request: web.BaseRequest) -> web.Response | None:
        """The kept response to `request`, observed as the app would; None when none is kept."""
        started = time.perf_counter()
        raw = request.raw_path
        catalog = self._catalog
        registry = registry_of(raw, catalog.default_registry)
        snapshot = None if registry is None else catalog.snapshot(registry)
        if snapshot is None:
            return None  # the app decides (and answers 404 for an unknown registry)
        kept = self._responses.peek((snapshot.etag, raw))
        if kept is None:
            return None  # the app renders it
        response = represent(request, kept)
        if response is None:
            return None  # the app gzips it, once
        self._observer.answered(
            request,
            response.headers,
            route=kept.route,
            status=response.status,
            started=started,
            request_id=self._observer.request_id(request),
            secured=True,
        )
        return response


FAST_READS = web.AppKey("fast_reads", FastReads)


class ServerRunner(web.AppRunner):
    """An `AppRunner` whose server puts the app's `FAST_READS` front, if any, before the app.

    It overrides aiohttp's private `_make_server` (there is no public hook before routing):
    kept because `bench/server_list.py` shows it pays. Server CPU per `get` request, as a
    ratio of the bare handler's, in one run each on this 2-core machine: 0.81 with the front,
    0.55 without it (the router, the middleware chain and the handler then run for every
    read, about 45% more CPU per request); list pages 0.87 and 0.65.
    """

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        fast = self.app.get(FAST_READS)
        if fast is not None:
            server.request_handler = fast.wrap(server.request_handler)
        return server
