"""Snapshot building and lookups: priority dedup, latest version, pre-rendered items, paging."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from mcp_registry_common.timestamps import rfc3339
from mcp_registry_server.snapshot import ListQuery, build_snapshot
from mcp_registry_server.snapshot.build import (
    OFFICIAL_META_KEY,
    SERVER_SCHEMA_URL,
    server_status,
)
from mcp_registry_server.snapshot.versions import is_newer, latest_of, semver_key
from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.packed import PackedServers

SYNCED = datetime(2026, 3, 1, 8, 30, 15, 250000, tzinfo=UTC)


def data(source: str, *servers: dict[str, Any], synced_at: datetime = SYNCED) -> SourceData:
    return SourceData(source=source, servers=servers, content_hash="h", synced_at=synced_at)


def srv(name: str, version: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "version": version, "description": "d", **fields}


@pytest.mark.parametrize(
    ("candidate", "current", "newer"),
    [
        ("1.10.0", "1.9.0", True),
        ("1.9.0", "1.10.0", False),
        ("v2", "1.99.99", True),
        ("1.2", "1.2.0", False),  # equal under semver
        ("1.0.0", "1.0.0-rc.1", True),
        ("1.0.0-rc.10", "1.0.0-rc.9", True),
        ("1.0.0-rc.1", "1.0.0-beta", True),
        ("1.0.0-alpha.beta", "1.0.0-alpha.1", True),  # alphanumeric beats numeric
        ("1.0.0-alpha.1", "1.0.0-alpha", True),  # longer pre-release wins
        ("1.0.0+build.2", "1.0.0+build.1", False),  # build metadata is ignored
        ("beta", "alpha", True),  # neither parses: string order
        ("latest", "2.0.0", True),  # one does not parse: string order ('l' > '2')
        ("10", "9", True),
    ],
)
def test_is_newer(candidate: str, current: str, newer: bool) -> None:
    assert is_newer(candidate, current) is newer


def test_semver_key_rejects_non_versions_and_latest_of_keeps_first_on_ties() -> None:
    assert semver_key("1.2.3.4") is None
    assert semver_key("one") is None
    assert latest_of([]) is None
    assert latest_of(["1.2", "1.2.0", "1.1"]) == "1.2"


def test_highest_priority_source_owns_the_name_with_all_its_versions() -> None:
    snapshot = build_snapshot(
        registry="r",
        sources=[
            data("high", srv("a/x", "2.0.0", title="high")),
            data("low", srv("a/x", "1.0.0"), srv("a/x", "3.0.0"), srv("a/y", "1")),
        ],
        built_at=5.0,
    )
    assert snapshot.keys == (("a/x", "2.0.0"), ("a/y", "1"))
    assert snapshot.server_count == 2
    assert snapshot.sources == ("high", "low")
    assert json.loads(snapshot.entries[0].body)["server"]["title"] == "high"
    assert snapshot.get("a/x", "latest") is snapshot.entries[0]
    assert snapshot.get("a/x", "3.0.0") is None


def test_items_are_rendered_once_with_the_official_meta() -> None:
    with_schema = srv("a/x", "1.0.0", **{"$schema": "https://example.com/s.json"})
    snapshot = build_snapshot(
        registry="r",
        sources=[data("s", srv("a/y", "2.0"), with_schema, srv("a/y", "10.0"))],
        built_at=0,
    )
    items = [json.loads(entry.body) for entry in snapshot.entries]
    assert [(i["server"]["name"], i["server"]["version"]) for i in items] == [
        ("a/x", "1.0.0"),
        ("a/y", "10.0"),
        ("a/y", "2.0"),
    ]
    assert next(iter(items[0]["server"])) == "$schema"
    assert items[0]["server"]["$schema"] == "https://example.com/s.json"
    assert items[1]["server"]["$schema"].endswith("2025-12-11/server.schema.json")
    meta = [i["_meta"]["io.modelcontextprotocol.registry/official"] for i in items]
    assert [m["isLatest"] for m in meta] == [True, True, False]
    assert meta[0]["updatedAt"] == meta[0]["publishedAt"] == "2026-03-01T08:30:15.250000Z"


def test_duplicates_and_malformed_entries() -> None:
    snapshot = build_snapshot(
        registry="r",
        sources=[
            data(
                "s",
                srv("a/x", "1", title="first"),
                srv("a/x", "1", title="second"),
                {"name": "a/z"},
                {"version": "1"},
            )
        ],
        built_at=0,
    )
    assert snapshot.keys == (("a/x", "1"),)
    assert json.loads(snapshot.entries[0].body)["server"]["title"] == "first"
    assert snapshot.skipped == 2


def test_status_comes_from_the_toolhive_extension() -> None:
    def with_status(status: object) -> dict[str, Any]:
        ext = {"io.github.stacklok": {"ghcr.io/x:1": {"status": status}}}
        return srv("a/x", "1", _meta={"io.modelcontextprotocol.registry/publisher-provided": ext})

    assert server_status(with_status("Deprecated")) == "deprecated"
    assert server_status(with_status("deprecated")) == "deprecated"
    assert server_status(with_status("Active")) == "active"
    assert server_status(with_status(3)) == "active"
    assert server_status(srv("a/x", "1", _meta="junk")) == "active"


def test_times_are_utc_with_z() -> None:
    assert (
        rfc3339(datetime(2026, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))))
        == "2026-01-01T00:00:00.000000Z"
    )
    assert rfc3339(datetime(2026, 1, 1)) == "2026-01-01T00:00:00.000000Z"


def test_etag_tracks_content() -> None:
    def etag(*servers: dict[str, Any], registry: str = "r") -> str:
        return build_snapshot(registry=registry, sources=[data("s", *servers)], built_at=1).etag

    assert etag(srv("a/x", "1")) == etag(srv("a/x", "1"))
    assert etag(srv("a/x", "1")) != etag(srv("a/x", "1", title="t"))
    assert etag(srv("a/x", "1")) != etag(srv("a/x", "1"), registry="other")


def test_page_and_versions_lookups() -> None:
    servers = [srv(f"n/{i:02d}", v) for i in range(10) for v in ("1", "2")]
    snapshot = build_snapshot(registry="r", sources=[data("s", *servers)], built_at=0)
    page = snapshot.page(ListQuery(limit=3))
    assert [(e.name, e.version) for e in page.entries] == [
        ("n/00", "1"),
        ("n/00", "2"),
        ("n/01", "1"),
    ]
    assert page.next_after == ("n/01", "1")
    rest = snapshot.page(ListQuery(limit=100, after=page.next_after))
    assert len(rest.entries) == 17
    assert rest.next_after is None
    exact = snapshot.page(ListQuery(limit=10, version="2"))
    assert len(exact.entries) == 10
    assert exact.next_after is None  # exactly full, nothing more: no cursor
    assert [e.version for e in snapshot.versions("n/05")] == ["1", "2"]
    assert snapshot.versions("n/5") == ()
    assert snapshot.page(ListQuery(limit=5, after=("zzz", ""))).entries == ()


def test_latest_bodies_are_the_bytes_a_latest_render_gives() -> None:
    servers = [srv("io.x/a", "1.0.0"), srv("io.x/a", "2.0.0", title="A \u00e9"), srv("io.x/b", "1")]
    snapshot = build_snapshot(registry="r", sources=[data("s", *servers)], built_at=0)
    for entry in snapshot.entries:
        server = next(
            s for s in servers if (s["name"], s["version"]) == (entry.name, entry.version)
        )
        rendered = json.dumps(
            {
                "server": {"$schema": SERVER_SCHEMA_URL, **server},
                "_meta": {
                    OFFICIAL_META_KEY: {
                        "status": "active",
                        "publishedAt": rfc3339(SYNCED),
                        "updatedAt": rfc3339(SYNCED),
                        "isLatest": entry.is_latest,
                    }
                },
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        assert entry.body == rendered
    assert [e.is_latest for e in snapshot.entries] == [False, True, True]


def test_packed_sources_build_the_same_snapshot() -> None:
    servers = [srv("io.x/a", "1.0.0"), srv("io.x/a", "2.0.0"), srv("io.x/b", "1")]
    plain = build_snapshot(registry="r", sources=[data("s", *servers)], built_at=0)
    stored = SourceData("s", PackedServers.pack(servers), "h", SYNCED)
    assert build_snapshot(registry="r", sources=[stored], built_at=0).etag == plain.etag


def rendered_item(server: dict[str, Any], schema: str, *, is_latest: bool) -> bytes:
    """The response item of `server` as the standard library renders it."""
    document = {"$schema": schema, **{k: v for k, v in server.items() if k != "$schema"}}
    official = {
        "status": "active",
        "publishedAt": rfc3339(SYNCED),
        "updatedAt": rfc3339(SYNCED),
        "isLatest": is_latest,
    }
    item = {"server": document, "_meta": {OFFICIAL_META_KEY: official}}
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("store", ["plain", "packed"])
def test_bodies_keep_the_server_as_stored_with_the_schema_first(store: str) -> None:
    ours = "https://example.com/s.json"
    servers = [
        {"$schema": ours, **srv("io.x/first", "1", title="Caf\u00e9 \u2603")},
        {**srv("io.x/later", "1"), "$schema": ours},  # served with `$schema` moved first
        {"$schema": "", **srv("io.x/empty", "1")},  # an empty one is replaced
        srv("io.x/none", "1", size=2**70 + 1, nested={"$schema": "kept", "tab": "a\tb"}),
    ]
    stored = PackedServers.pack(servers) if store == "packed" else servers
    snapshot = build_snapshot(
        registry="r", sources=[SourceData("s", stored, "h", SYNCED)], built_at=0
    )
    expected = {
        "io.x/first": rendered_item(servers[0], ours, is_latest=True),
        "io.x/later": rendered_item(servers[1], ours, is_latest=True),
        "io.x/empty": rendered_item(servers[2], SERVER_SCHEMA_URL, is_latest=True),
        "io.x/none": rendered_item(servers[3], SERVER_SCHEMA_URL, is_latest=True),
    }
    assert {entry.name: entry.body for entry in snapshot.entries} == expected


def test_a_packed_server_with_its_schema_first_is_served_from_its_packed_json() -> None:
    server = {"$schema": "https://example.com/s.json", **srv("io.x/a", "1")}
    packed = PackedServers.pack([server])
    snapshot = build_snapshot(
        registry="r", sources=[SourceData("s", packed, "h", SYNCED)], built_at=0
    )
    body = snapshot.entries[0].body
    assert body.startswith(b'{"server":' + packed.bodies[0] + b',"_meta":')
    assert json.loads(body)["server"] == server


@pytest.mark.parametrize(
    ("read", "latest"),
    [(["v1.0", "1.0"], "v1.0"), (["1.0", "v1.0"], "1.0"), (["2", "10", "2"], "10")],
)
def test_the_latest_of_equal_versions_is_the_first_read_and_copies_are_dropped(
    read: list[str], latest: str
) -> None:
    servers = [srv("io.x/a", version, title=f"copy {i}") for i, version in enumerate(read)]
    snapshot = build_snapshot(registry="r", sources=[data("s", *servers)], built_at=0)
    assert [entry.version for entry in snapshot.entries] == sorted(set(read))
    assert [entry.version for entry in snapshot.entries if entry.is_latest] == [latest]
    titles = {e.version: json.loads(e.body)["server"]["title"] for e in snapshot.entries}
    assert titles == {version: f"copy {read.index(version)}" for version in set(read)}
    assert snapshot.server_count == 1
