"""The operator's side of the server's internal port: the protocol of a client that reads
`GET /status` and asks for manual syncs, and its errors. The report itself is the contract in
`mcp_registry_common.internalapi`, shared with the server."""

from __future__ import annotations

from typing import Any, Protocol

from mcp_registry_common.internalapi import (
    InvalidReportError,
    ServerReport,
    SourceReport,
    parse_status,
)


class ServerStatusError(Exception):
    """The server's status endpoint could not be read (not reachable, timed out, bad reply)."""


class SourceNotSyncableError(ServerStatusError):
    """409 from a manual sync: the source is not synced by the server (managed, kubernetes)."""


def parse_report(doc: Any) -> ServerReport:
    """Validate the JSON of `GET /status` (the common contract's models); raises
    ServerStatusError naming the bad field."""
    try:
        return parse_status(doc)
    except InvalidReportError as exc:
        raise ServerStatusError(f"unexpected /status reply: {exc}") from None


class ServerStatusClient(Protocol):
    """Talks to one pod of a registry server, on its internal port (production: INTERNAL_PORT
    of the pod's IP; no Service exposes that port), presenting the registry's internal `token`."""

    async def status(self, *, pod_ip: str, token: str) -> ServerReport:
        """`GET /status`; raises ServerStatusError."""
        ...

    async def sync(self, *, pod_ip: str, token: str, source: str) -> SourceReport:
        """`POST /sources/{source}/sync`: the source's status once that attempt has ended;
        raises SourceNotSyncableError or ServerStatusError."""
        ...
