"""Rows a test holds uncommitted in the registry schema, so that a store's COPY waits on them."""

from __future__ import annotations

from typing import Any, Protocol


class Executor(Protocol):
    async def execute(self, query: str, *args: Any) -> str: ...


async def hold_next_server_row(conn: Executor, *, source: str, position: int) -> None:
    """Insert, inside the caller's open transaction on `conn`, server rows at `position` of
    `source` under the revisions the next replace of an existing source can take: the
    sequence's next value or the one after (its upsert's INSERT draws one before the ON
    CONFLICT UPDATE draws another). That replace's COPY then waits at `position` until the
    caller's transaction ends. Assumes nothing else draws revisions meanwhile."""
    await conn.execute(
        "INSERT INTO registry.server (source, revision, position, name, version, body)"
        " SELECT $1, last_value + step, $2, 'blocker', '0', '{}'"
        " FROM registry.revision_seq, generate_series(1, 2) AS step",
        source,
        position,
    )
