"""The production ServerStatusClient: aiohttp to one pod's internal port, `http://<pod IP>:8081`,
the registry's internal token as a bearer, with timeouts and a bounded body read. The internal
port is on no Service: it is reached on the pod's own IP only."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable

import aiohttp
from mcp_registry_common.internalapi import (
    INTERNAL_PORT,
    STATUS_PATH,
    InvalidReportError,
    ServerReport,
    SourceReport,
    parse_sync_reply,
    sync_path,
)
from mcp_registry_common.internaltoken import authorization

from mcp_registry_operator.kube.calls import read_limited
from mcp_registry_operator.reconcile.serverstatus import (
    ServerStatusError,
    SourceNotSyncableError,
    parse_report,
)

PodUrlFor = Callable[[str], str]
"""pod IP -> base URL of that pod's internal port, no trailing slash."""

MAX_BODY_BYTES = 1024 * 1024


def pod_url(ip: str) -> str:
    """`http://10.0.0.7:8081`, `http://[fd00::7]:8081` (an IPv6 address needs brackets)."""
    try:
        is_v6 = ipaddress.ip_address(ip).version == 6
    except ValueError:
        is_v6 = False
    host = f"[{ip}]" if is_v6 else ip
    return f"http://{host}:{INTERNAL_PORT}"


class HttpServerStatusClient:
    """Reads `/status` and posts manual syncs; the caller owns (and closes) the session (whether
    it honours HTTP(S)_PROXY is the caller's choice: a NO_PROXY list rarely covers pod IPs)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        pod_url_for: PodUrlFor = pod_url,
        timeout: float = 5.0,
        connect_timeout: float = 2.0,
    ) -> None:
        self._session = session
        self._pod_url_for = pod_url_for
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)

    async def status(self, *, pod_ip: str, token: str) -> ServerReport:
        url = f"{self._pod_url_for(pod_ip)}{STATUS_PATH}"
        status, body = await self._call("GET", url, token)
        if status != 200:
            raise ServerStatusError(f"GET {url}: HTTP {status}")
        return parse_report(_json(url, body))

    async def sync(self, *, pod_ip: str, token: str, source: str) -> SourceReport:
        url = f"{self._pod_url_for(pod_ip)}{sync_path(source)}"
        status, body = await self._call("POST", url, token)
        if status == 409:
            raise SourceNotSyncableError(f"POST {url}: source {source!r} is not syncable")
        if not 200 <= status < 300:
            raise ServerStatusError(f"POST {url}: HTTP {status}")
        try:
            return parse_sync_reply(_json(url, body))
        except InvalidReportError as exc:
            raise ServerStatusError(f"POST {url}: unexpected reply: {exc}") from None

    async def _call(self, method: str, url: str, token: str) -> tuple[int, bytes]:
        headers = {"Authorization": authorization(token)}
        try:
            async with self._session.request(
                method, url, headers=headers, timeout=self._timeout
            ) as response:
                body = await read_limited(response.content, MAX_BODY_BYTES)
                if len(body) > MAX_BODY_BYTES:
                    raise ServerStatusError(f"{method} {url}: reply larger than {MAX_BODY_BYTES}")
                return response.status, body
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServerStatusError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc


def _json(url: str, body: bytes) -> object:
    try:
        parsed: object = json.loads(body)
    except ValueError:
        raise ServerStatusError(f"{url}: the reply is not JSON") from None
    return parsed
