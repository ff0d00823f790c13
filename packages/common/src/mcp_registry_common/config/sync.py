"""`sync:` of the server config: defaults for every synced source (ours; ToolHive has none)."""

from __future__ import annotations

from pydantic import Field

from mcp_registry_common.config.base import ConfigModel
from mcp_registry_common.config.sources import DEFAULT_SYNC_TIMEOUT
from mcp_registry_common.durations import PositiveGoDuration


class SyncSettings(ConfigModel):
    """`sync:`: how long a sync attempt may take unless the source says otherwise."""

    timeout: PositiveGoDuration | None = Field(
        default=None,
        description="Longest one sync attempt may take (every API page, a whole git fetch); "
        f"a source's `syncPolicy.timeout` overrides it. Absent means {DEFAULT_SYNC_TIMEOUT}.",
    )
