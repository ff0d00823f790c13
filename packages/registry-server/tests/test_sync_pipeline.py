"""convert_and_filter: a fetched document becomes packed, filtered servers, and nothing it built
on the way is left for the cyclic collector to walk."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import pytest
from mcp_registry_common.filtering import SourceFilter
from mcp_registry_common.formats import DEFAULT_DOCUMENT_LIMITS
from mcp_registry_server.sources.base import FetchedDocument, FetchedServers
from mcp_registry_server.store.packed import PackedServers
from mcp_registry_server.sync.pipeline import (
    RELEASE_AFTER_BYTES,
    StageError,
    convert_and_filter,
)
from mcp_registry_server.sync.status import FailureStage

SERVERS = 3_000
"""Enough containers (some 14 per converted server, more decoded) for many collections."""


def legacy_document(count: int) -> bytes:
    servers = {
        f"server-{i}": {
            "description": f"Server {i}",
            "image": f"ghcr.io/example/server-{i}:1.0.{i}",
            "transport": "stdio",
            "tags": ["a", "b"],
            "tools": ["read", "write"],
            "env_vars": [{"name": "TOKEN", "description": "a token", "required": True}],
        }
        for i in range(count)
    }
    return json.dumps({"version": "1.0.0", "last_updated": "2026-01-01T00:00:00Z",
                       "servers": servers}).encode()  # fmt: skip


@pytest.fixture
def collections() -> Iterator[list[tuple[int, int]]]:
    """The generation of every collection that runs during the test, and how many objects
    the collector tracked as it started."""
    seen: list[tuple[int, int]] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append((info["generation"], len(gc.get_objects())))

    gc.collect()
    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)


def convert(data: bytes, filter: SourceFilter | None = None) -> Any:
    fetched = FetchedDocument(data=data, content_hash="h", origin="test")
    return convert_and_filter(fetched, format=None, filter=filter, limits=DEFAULT_DOCUMENT_LIMITS)


def test_servers_come_out_packed_and_filtered() -> None:
    prepared = convert(
        legacy_document(3), SourceFilter.model_validate({"names": {"include": ["*server-1"]}})
    )
    assert isinstance(prepared.servers, PackedServers)
    assert [server["name"] for server in prepared.servers] == ["io.github.stacklok/server-1"]


def test_served_servers_are_packed_too() -> None:
    servers = [{"name": "a/b", "version": "1"}]
    prepared = convert_and_filter(
        FetchedServers(servers, "h", "api"),
        format=None,
        filter=None,
        limits=DEFAULT_DOCUMENT_LIMITS,
    )
    assert isinstance(prepared.servers, PackedServers)
    assert list(prepared.servers) == servers


def test_its_one_collection_runs_once_the_document_is_freed_and_none_is_owed_after(
    collections: list[tuple[int, int]],
) -> None:
    data = legacy_document(SERVERS)
    convert(legacy_document(2))  # whatever a first use sets up (caches, lazy imports)
    gc.collect()
    tracked = len(gc.get_objects())
    collections.clear()
    prepared = convert(data)
    # one full pass, the one that gives the document's memory back; the document was gone
    # by then (not a container per server left for it to walk)
    assert [generation for generation, _ in collections] == [2]
    assert collections[0][1] - tracked < SERVERS
    # what it built was freed while the collector was off: the young generation holds a
    # few objects, not the converted servers waiting to be walked
    assert gc.get_count()[0] < 700
    assert len(prepared.servers) == SERVERS
    collections.clear()
    small = legacy_document(2)
    assert len(small) < RELEASE_AFTER_BYTES <= len(data)
    convert(small)
    assert collections == []  # a small document is not worth a pass over the whole heap


def test_what_it_returns_holds_no_container_per_server() -> None:
    data = legacy_document(SERVERS)
    convert(legacy_document(2))  # whatever a first use sets up (caches, lazy imports)
    gc.collect()
    before = len(gc.get_objects())
    prepared = convert(data)
    gc.collect()
    assert len(gc.get_objects()) - before < 50
    assert len(prepared.servers) == SERVERS


def test_a_server_json_cannot_hold_fails_validation_naming_it() -> None:
    servers = [{"name": "a/ok", "version": "1"}, {"name": "a/odd", "version": "1", "x": {1j}}]
    with pytest.raises(StageError, match=r"server 'a/odd'") as caught:
        convert_and_filter(
            FetchedServers(servers, "h", "api"),
            format=None,
            filter=None,
            limits=DEFAULT_DOCUMENT_LIMITS,
        )
    assert caught.value.stage is FailureStage.VALIDATION


def test_a_later_invalid_server_fails_the_whole_document() -> None:
    document = json.loads(legacy_document(3))
    document["servers"]["server-2"]["transport"] = "carrier-pigeon"
    with pytest.raises(StageError, match=r"servers\.server-2\.transport") as caught:
        convert(json.dumps(document).encode())
    assert caught.value.stage is FailureStage.VALIDATION
