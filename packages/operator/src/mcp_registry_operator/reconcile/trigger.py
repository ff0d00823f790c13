"""The `toolhive.stacklok.dev/sync-trigger` annotation: a new non-empty value asks the server
for a manual sync of every synced source, once (era-A semantics: the value acted on is kept in
`status.lastManualSyncTrigger`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mcp_registry_common.config import ServerConfig
from mcp_registry_common.mcpregistry import SYNC_TRIGGER_ANNOTATION

from mcp_registry_operator.reconcile.serverstatus import (
    ServerStatusClient,
    SourceNotSyncableError,
)


def pending_trigger(annotations: Mapping[str, str], last: str | None) -> str | None:
    """The annotation value still to act on, if any."""
    value = annotations.get(SYNC_TRIGGER_ANNOTATION, "")
    return value if value and value != (last or "") else None


def synced_sources(config: ServerConfig) -> list[str]:
    """Sources the server syncs (managed and kubernetes sources have no sync to trigger)."""
    return [s.name for s in config.sources if s.sync_policy is not None]


async def request_syncs(
    client: ServerStatusClient, *, pod_ip: str, token: str, sources: Sequence[str]
) -> list[str]:
    """POST a manual sync per source to the pod at `pod_ip` (presenting the internal `token`);
    returns the sources that accepted.
    A source the server does not sync is skipped; any other failure raises ServerStatusError
    (the trigger stays pending and is retried, so a source may be asked twice, never zero
    times)."""
    accepted = []
    for source in sources:
        try:
            await client.sync(pod_ip=pod_ip, token=token, source=source)
        except SourceNotSyncableError:
            continue
        accepted.append(source)
    return accepted
