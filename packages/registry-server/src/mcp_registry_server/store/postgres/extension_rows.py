"""The rows of a source's skills and plugins (`registry.extension_item`), written and read
beside its servers inside the same transactions as the server rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from mcp_registry_common.formats import ExtensionKind

from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.postgres.pool import Connection
from mcp_registry_server.store.postgres.records import (
    EncodedJson,
    UnencodableServerError,
    encode_json,
)
from mcp_registry_server.store.postgres.settings import SCHEMA

COLUMNS = ("source", "revision", "kind", "position", "body")
Items = dict[ExtensionKind, list[Mapping[str, Any]]]
"""A source's skills and plugins, each in stored order."""


def extension_records(
    data: SourceData, revision: int
) -> list[tuple[str, int, str, int, EncodedJson]]:
    """One (source, revision, kind, position, body) row per skill and plugin, in input order."""
    records = []
    for kind in ExtensionKind:
        for position, item in enumerate(data.items(kind)):
            try:
                body = encode_json(item)
            except (TypeError, ValueError) as exc:
                raise UnencodableServerError(
                    f"{kind.value} {item.get('name')!r} (index {position}) of source"
                    f" {data.source!r} is not JSON: {exc}"
                ) from exc
            records.append((data.source, revision, kind.value, position, body))
    return records


async def write_extensions(conn: Connection, data: SourceData, revision: int) -> None:
    """Replace the source's skill and plugin rows by those of `revision` (inside the caller's
    transaction, which has just taken that revision)."""
    records = extension_records(data, revision)
    if records:
        await conn.copy_records_to_table(
            "extension_item", schema_name=SCHEMA, columns=COLUMNS, records=records
        )
    await conn.execute(
        f"DELETE FROM {SCHEMA}.extension_item WHERE source = $1 AND revision < $2",
        data.source,
        revision,
    )


async def read_extensions(conn: Connection, source: str | None = None) -> dict[str, Items]:
    """Source name -> its skills and plugins (every source when `source` is None); sources
    without any are absent."""
    query = f"SELECT source, kind, body FROM {SCHEMA}.extension_item"
    args: Sequence[str] = ()
    if source is not None:
        query, args = f"{query} WHERE source = $1", (source,)
    rows = await conn.fetch(f"{query} ORDER BY source, revision, kind, position", *args)
    found: dict[str, Items] = {}
    for row in rows:
        items = found.setdefault(row["source"], {})
        items.setdefault(ExtensionKind(row["kind"]), []).append(row["body"])
    return found


def with_items(data: SourceData, items: Items | None) -> SourceData:
    """`data` holding `items` (unchanged when there are none)."""
    if not items:
        return data
    return replace(
        data,
        skills=tuple(items.get(ExtensionKind.SKILL, ())),
        plugins=tuple(items.get(ExtensionKind.PLUGIN, ())),
    )
