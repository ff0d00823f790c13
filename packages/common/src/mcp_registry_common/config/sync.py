"""`sync:` of the server config: defaults for every synced source, and what sources created
through the admin API may do (ours; ToolHive has none)."""

from __future__ import annotations

from pathlib import PurePosixPath

from pydantic import Field, field_validator

from mcp_registry_common.config.base import ConfigModel
from mcp_registry_common.config.sources import DEFAULT_SYNC_TIMEOUT
from mcp_registry_common.durations import PositiveGoDuration


class AdminSourcePolicy(ConfigModel):
    """`sync.adminSources:`: limits on the sources created through the admin API."""

    allow_private_ip: bool = Field(
        default=False,
        alias="allowPrivateIP",
        description="Whether such a source may set `allowPrivateIP: true` (refused with 403 "
        "otherwise). Without it their fetches never reach a non-public address.",
    )
    file_roots: list[str] = Field(
        default_factory=list,
        description="Directories (absolute paths) under which such a source's `file.path`, or "
        "a local git repository, may lie; none by default, so no such source reads a local file.",
    )

    @field_validator("file_roots")
    @classmethod
    def _absolute(cls, roots: list[str]) -> list[str]:
        for root in roots:
            if not PurePosixPath(root).is_absolute():
                raise ValueError(f"sync.adminSources.fileRoots: {root!r} must be an absolute path")
        return roots


class SyncSettings(ConfigModel):
    """`sync:`: how long a sync attempt may take unless the source says otherwise, and which
    addresses and files the sources may reach."""

    timeout: PositiveGoDuration | None = Field(
        default=None,
        description="Longest one sync attempt may take (every API page, a whole git fetch); "
        f"a source's `syncPolicy.timeout` overrides it. Absent means {DEFAULT_SYNC_TIMEOUT}.",
    )
    allow_private_ip: bool = Field(
        default=False,
        alias="allowPrivateIP",
        description="Let config-file sources that do not set their own `allowPrivateIP` reach "
        "private, loopback, link-local and other non-public addresses (in-cluster upstreams). "
        "Never applies to sources created through the admin API.",
    )
    admin_sources: AdminSourcePolicy | None = Field(
        default=None, description="What sources created through the admin API may do."
    )
