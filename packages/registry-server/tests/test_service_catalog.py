"""The catalog: which registries a refresh rebuilds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mcp_registry_server.service.catalog import Catalog
from mcp_registry_server.service.topology import Topology
from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.memory import MemoryStore

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def data(source: str, *names: str, at: datetime = T0) -> SourceData:
    servers = [{"name": name, "description": name, "version": "1.0.0"} for name in names]
    return SourceData(
        source=source, servers=servers, content_hash=f"{source}-{names}", synced_at=at
    )


def served(catalog: Catalog, registry: str) -> list[str]:
    snapshot = catalog.snapshot(registry)
    assert snapshot is not None
    return sorted({entry.name for entry in snapshot.entries})


def catalog_of(**registries: tuple[str, ...]) -> Catalog:
    synced = frozenset(name for sources in registries.values() for name in sources)
    return Catalog(topology=Topology(registries=registries, synced=synced))


async def test_a_refresh_for_one_source_also_builds_what_it_read_of_the_others() -> None:
    store, catalog = MemoryStore(), catalog_of(first=("a",), second=("b",))
    await store.replace_source(data("a", "io.x/a1"))
    await store.replace_source(data("b", "io.x/b1"))
    await catalog.refresh(store)
    # another replica writes b; its notification is not (yet) delivered here, but a's is:
    await store.replace_source(data("b", "io.x/b2", at=T0 + timedelta(seconds=1)))
    await store.replace_source(data("a", "io.x/a2", at=T0 + timedelta(seconds=1)))
    await catalog.refresh(store, source="a")
    assert served(catalog, "first") == ["io.x/a2"]
    assert served(catalog, "second") == ["io.x/b2"]


async def test_registries_whose_inputs_did_not_change_keep_their_snapshot() -> None:
    store, catalog = MemoryStore(), catalog_of(first=("a",), second=("b",))
    await store.replace_source(data("a", "io.x/a1"))
    await store.replace_source(data("b", "io.x/b1"))
    await catalog.refresh(store)
    untouched = catalog.snapshot("second")
    await store.replace_source(data("a", "io.x/a2", at=T0 + timedelta(seconds=1)))
    await catalog.refresh(store, source="a")
    assert catalog.snapshot("second") is untouched
    assert served(catalog, "first") == ["io.x/a2"]


async def test_a_snapshot_that_stops_being_served_is_retired_by_its_etag() -> None:
    store, catalog = MemoryStore(), catalog_of(first=("a",), second=("b",))
    retired: list[str] = []
    catalog.on_retired(retired.append)
    await store.replace_source(data("a", "io.x/a1"))
    await store.replace_source(data("b", "io.x/b1"))
    empty = {name: catalog.snapshot(name) for name in ("first", "second")}
    await catalog.refresh(store)
    assert sorted(retired) == sorted(s.etag for s in empty.values() if s is not None)
    retired.clear()
    second = catalog.snapshot("second")
    assert second is not None
    await catalog.refresh(store)  # the same inputs: nothing replaced
    assert retired == []
    await catalog.reconfigure(store, Topology(registries={"first": ("a",)}, synced=frozenset("a")))
    assert retired == [second.etag]
