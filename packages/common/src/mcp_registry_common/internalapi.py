"""The contract between the operator and a registry server's internal port, defined once.

The server renders `GET /status` and the reply of `POST /sources/{name}/sync` from these models;
the operator parses both with the same models. Ports and paths both programs use live here too
(the internal token's rules are in `internaltoken`).

Parsing is lenient about keys a newer server may add (`extra="ignore"`), strict about the types
of the keys it knows. Times are RFC 3339 in UTC with microseconds and a `Z`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from pydantic import ConfigDict, Field, ValidationError, field_serializer, field_validator

from mcp_registry_common.base import WireModel
from mcp_registry_common.redaction import redact_text
from mcp_registry_common.timestamps import rfc3339

API_PORT = 8080
"""The registry API: on the pod and on Service `<n>-api`."""
INTERNAL_PORT = 8081
"""Probes, metrics, status and manual sync: on the pod only (asked on the pod's IP)."""
HEALTH_PATH = "/health"
READINESS_PATH = "/readiness"
STATUS_PATH = "/status"
SYNC_ROUTE = "/sources/{name}/sync"
"""`POST` asks for a manual sync of source `name` (the reply: its status once it has ended)."""

SourcePhase = Literal["Syncing", "Complete", "Failed"]


def sync_path(source: str) -> str:
    """`POST` here asks for a manual sync of `source` (the name is percent-encoded)."""
    return SYNC_ROUTE.format(name=quote(source, safe=""))


class InvalidReportError(ValueError):
    """A reply that does not match the contract; the message names the first bad field."""


class _Report(WireModel):
    model_config = ConfigDict(extra="ignore")

    def render(self) -> dict[str, Any]:
        """The JSON document (camelCase, absent values as null)."""
        return self.model_dump(mode="json", by_alias=True)


class SourceReport(_Report):
    """One source's sync state: an entry of `GET /status`, and the reply of a manual sync."""

    name: str
    phase: SourcePhase
    message: str | None = None
    attempt_count: int = Field(default=0, ge=0)
    """Consecutive failed attempts; 0 after a success."""
    last_attempt: datetime | None = None
    last_sync_time: datetime | None = None
    """End of the last successful sync."""
    content_hash: str | None = None
    """Hash of the data served now (kept across failures)."""
    server_count: int = Field(default=0, ge=0)
    """Servers served for this source, after filters."""
    skill_count: int = Field(default=0, ge=0)
    plugin_count: int = Field(default=0, ge=0)

    @field_validator("message")
    @classmethod
    def _redacted(cls, message: str | None) -> str | None:
        """The operator copies it into the MCPRegistry's status (readable by anyone who can
        read the object): credentials in URLs are redacted on both ends, whoever sent it."""
        return None if message is None else redact_text(message)

    @field_serializer("last_attempt", "last_sync_time")
    def _time(self, moment: datetime | None) -> str | None:
        return None if moment is None else rfc3339(moment)


class RegistryReport(_Report):
    """One served registry: ready once each of its synced sources has data."""

    name: str
    sources: list[str] = Field(default_factory=list)
    ready: bool = False
    waiting_for: list[str] = Field(default_factory=list)
    """Synced sources that have never had data (the registry is not ready while any)."""
    server_count: int = Field(default=0, ge=0)


class ServerReport(_Report):
    """`GET /status`: every source's sync state and every registry's readiness."""

    sources: list[SourceReport] = Field(default_factory=list)
    registries: list[RegistryReport] = Field(default_factory=list)


def parse_status(doc: Any) -> ServerReport:
    """Validate the JSON of `GET /status`; raises InvalidReportError naming the bad field."""
    return _parse(ServerReport, doc)


def parse_sync_reply(doc: Any) -> SourceReport:
    """Validate the JSON reply of `POST /sources/{name}/sync`; raises InvalidReportError."""
    return _parse(SourceReport, doc)


_M = TypeVar("_M", bound=_Report)


def _parse(model: type[_M], doc: Any) -> _M:
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
        raise InvalidReportError(f"{where}: {first['msg']}") from None
