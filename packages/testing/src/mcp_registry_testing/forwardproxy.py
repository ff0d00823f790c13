"""A loopback HTTP forward proxy that sends each request where cluster DNS resolves its host.

Clients reach in-cluster URLs (`http://<svc>.<ns>.svc.cluster.local:8081/status`) by setting
`HTTP_PROXY` to `ForwardProxy.url` (processes) or passing `proxy=` (aiohttp in tests). Names
cluster DNS cannot resolve get 502 with the reason; plain http only (no CONNECT).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from mcp_registry_testing.clusterdns import ClusterDns
from mcp_registry_testing.loopback import Lifecycle, serve

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
MAX_BODY = 16 * 1024 * 1024
"""Replies larger than this are cut off with 502 (registry replies are far smaller)."""


@dataclass(frozen=True)
class Forwarded:
    """One request the proxy handled: the in-cluster target and the HTTP status returned."""

    method: str
    url: str
    status: int


def _end_to_end(headers: CIMultiDictProxy[str]) -> CIMultiDict[str]:
    out: CIMultiDict[str] = CIMultiDict()
    for key, value in headers.items():
        if key.lower() not in HOP_BY_HOP:
            out.add(key, value)
    return out


@dataclass(eq=False)
class ForwardProxy(Lifecycle):
    """Start with `async with ForwardProxy(dns) as proxy:`; `proxy.url` goes into HTTP_PROXY."""

    dns: ClusterDns
    timeout: float = 30.0
    handled: list[Forwarded] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = field(default=None, repr=False)
    _session: aiohttp.ClientSession | None = field(default=None, repr=False)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        return app

    async def start(self) -> str:
        # trust_env=False: the proxy must never route through itself.
        self._session = aiohttp.ClientSession(
            trust_env=False,
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )
        served = await serve(self.app())
        self._runner, self.url = served.runner, served.url
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def count(self, url_prefix: str) -> int:
        """How many handled requests went to URLs starting with `url_prefix`."""
        return sum(1 for item in self.handled if item.url.startswith(url_prefix))

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        response = await self._relay(request)
        self.handled.append(Forwarded(request.method, str(request.url), response.status))
        return response

    async def _relay(self, request: web.Request) -> web.Response:
        url = request.url
        host, port = url.host or "", url.port or 80
        if url.scheme != "http":
            return web.Response(status=502, text=f"proxy: only http is forwarded, not {url}")
        try:
            target = self.dns.resolve(host, port)
        except LookupError as exc:
            return web.Response(status=502, text=f"proxy: {exc}")
        assert self._session is not None
        headers = _end_to_end(request.headers)
        headers["Host"] = f"{host}:{port}"
        upstream = f"http://{target}{request.rel_url}"
        try:
            async with self._session.request(
                request.method,
                upstream,
                headers=headers,
                data=await request.read(),
                allow_redirects=False,
            ) as reply:
                body = await reply.content.read(MAX_BODY + 1)
                if len(body) > MAX_BODY:
                    return web.Response(status=502, text=f"proxy: reply from {url} too large")
                return web.Response(
                    status=reply.status, body=body, headers=_end_to_end(reply.headers)
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            return web.Response(
                status=502, text=f"proxy: {url} ({target}): {type(exc).__name__}: {exc}"
            )
