"""The source kind the sync engine never fetches: `managed` (written by the admin API); its
fetcher only explains that."""

from __future__ import annotations

from typing import NoReturn

from mcp_registry_server.sources.errors import SourceConfigError

UNSYNCED_KINDS = frozenset({"managed"})


def unsynced_message(kind: str) -> str:
    """The status message of a source that is not synced, e.g. `not synced (managed source)`."""
    return f"not synced ({kind} source)"


class UnsyncedFetcher:
    """Stands in for a managed source; fetching it is a programming error."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    async def fetch(self) -> NoReturn:
        raise SourceConfigError(
            f"{self.kind} sources are not fetched: {unsynced_message(self.kind)}"
        )
