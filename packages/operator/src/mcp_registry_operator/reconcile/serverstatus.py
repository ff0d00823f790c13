"""What the registry server reports on its internal port (`GET /status`), and the protocol of
a client that reads it and asks for manual syncs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from mcp_registry_common.base import WireModel
from mcp_registry_common.redaction import redact_text
from pydantic import ConfigDict, Field, ValidationError, field_validator


class ServerStatusError(Exception):
    """The server's status endpoint could not be read (not reachable, timed out, bad reply)."""


class SourceNotSyncableError(ServerStatusError):
    """409 from a manual sync: the source is not synced by the server (managed, kubernetes)."""


class _Report(WireModel):
    model_config = ConfigDict(extra="ignore")


class SourceReport(_Report):
    """One source, as `GET /status` reports it."""

    name: str
    phase: Literal["Syncing", "Complete", "Failed"]
    message: str | None = None
    attempt_count: int = Field(default=0, ge=0)
    last_attempt: datetime | None = None
    last_sync_time: datetime | None = None
    server_count: int = Field(default=0, ge=0)

    @field_validator("message")
    @classmethod
    def _redacted(cls, message: str | None) -> str | None:
        """Copied into the MCPRegistry's status (readable by anyone who can read the object):
        credentials in URLs are redacted even if a server (an older one) sent them."""
        return None if message is None else redact_text(message)


class RegistryReport(_Report):
    """One served registry: ready once each of its synced sources has data."""

    name: str
    sources: list[str] = Field(default_factory=list)
    ready: bool = False
    waiting_for: list[str] = Field(default_factory=list)
    server_count: int = Field(default=0, ge=0)


class ServerReport(_Report):
    sources: list[SourceReport] = Field(default_factory=list)
    registries: list[RegistryReport] = Field(default_factory=list)


def parse_report(doc: Any) -> ServerReport:
    """Validate the JSON of `GET /status`; raises ServerStatusError naming the bad field."""
    try:
        return ServerReport.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
        raise ServerStatusError(f"unexpected /status reply: {where}: {first['msg']}") from None


class ServerStatusClient(Protocol):
    """Talks to one pod of a registry server, on its internal port (production: port 8081 of
    the pod's IP; no Service exposes that port), presenting the registry's internal `token`."""

    async def status(self, *, pod_ip: str, token: str) -> ServerReport:
        """`GET /status`; raises ServerStatusError."""
        ...

    async def sync(self, *, pod_ip: str, token: str, source: str) -> None:
        """`POST /sources/{source}/sync`; raises SourceNotSyncableError or ServerStatusError."""
        ...
