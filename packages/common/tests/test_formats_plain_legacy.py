"""plain_image_to_server, the one-pass conversion of common legacy container entries, against
the checked converter it stands in for: the same bytes (key order included) or None, and None
for every entry the checked converter rejects, on the fixtures and on some two thousand variations
of them (each field, nested ones included, set to values of every JSON type or removed)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_common.formats import RegistryFormatError
from mcp_registry_common.formats.legacy import checked_image_to_server, image_to_server
from mcp_registry_common.formats.plainlegacy import plain_image_to_server

SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "registry-samples"
LEGACY_DOCUMENTS = [
    SAMPLES / "toolhive-legacy-real-subset.json",
    SAMPLES / "fictional" / "registry-legacy.json",
    SAMPLES / "golden-parse" / "bench-legacy-6.input.json",
    SAMPLES / "golden-parse" / "edge-cases-legacy.input.json",
]
FULL_ENTRY: dict[str, Any] = {
    "name": "com.example/full",
    "description": "Every plain field",
    "title": "Full",
    "repository_url": "https://github.com/example/full",
    "transport": "sse",
    "target_port": 8080,
    "image": "ghcr.io/example/full:1",
    "env_vars": [
        {"name": "A", "description": "a", "required": True, "secret": True, "default": "d"},
        {"name": "B", "required": False, "choices": ["x"]},
    ],
    "status": "Active",
    "tier": "Official",
    "tools": ["t1", "t2"],
    "tags": ["a"],
    "overview": "Overview",
    "custom_metadata": None,
    "proxy_port": 9000,
    "stateless": True,
    "tool_definitions": [],
    "metadata": {"stars": 5, "pulls": 9, "last_updated": "2026-01-01T00:00:00Z"},
    "permissions": {
        "name": "p",
        "read": ["/r"],
        "write": ["/w"],
        "privileged": True,
        "network": {
            "mode": "bridge",
            "outbound": {"insecure_allow_all": True, "allow_host": ["h"], "allow_port": [443]},
            "inbound": {"allow_host": ["i"]},
        },
    },
    "provenance": {
        "sigstore_url": "s",
        "repository_uri": "u",
        "repository_ref": "r",
        "signer_identity": "i",
        "runner_environment": "e",
        "cert_issuer": "c",
    },
    "args": ["--a"],
    "docker_tags": ["1"],
    "unknown": {"kept": "out"},
}
PALETTE: list[Any] = [
    None,
    "",
    "x",
    "streamable-http",
    0,
    1,
    -1,
    2**53,
    2**53 + 1,
    -(2**63),
    1.0,
    2.5,
    True,
    False,
    [],
    ["a"],
    [1],
    ["a", 1],
    [True],
    [2**60],
    {},
    {"a": 1},
    [{}],
    [None],
    [{"name": 1}],
    {"kind": "MCPServer"},
    {"predicate": {"b": 1.0}},
]


def rendered(server: dict[str, Any]) -> str:
    return json.dumps(server, indent=1, ensure_ascii=False)


def field_paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every key and list index below `value`, parents first."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        yield (*prefix, key)
        if isinstance(item, dict | list):
            yield from field_paths(item, (*prefix, key))


def variations(entry: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """`entry` with each field set to each palette value, and with each field removed."""
    extra = [("custom_metadata",), ("tool_definitions",), ("metadata", "kubernetes")]
    for path in [*field_paths(entry), *extra]:
        for value in [*PALETTE, REMOVED]:
            varied = copy.deepcopy(entry)
            parent: Any = varied
            try:
                for step in path[:-1]:
                    parent = parent[step]
                if value is REMOVED:
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = copy.deepcopy(value)
            except (KeyError, IndexError, TypeError):
                continue
            yield varied


REMOVED = object()


def mismatch(key: str, entry: dict[str, Any]) -> str | None:
    """Why the plain conversion of `entry` differs from the checked one (None if it does not)."""
    plain = plain_image_to_server(key, entry)
    try:
        checked = checked_image_to_server(key, entry)
    except RegistryFormatError as exc:
        return None if plain is None else f"plain converted an entry the checker rejects: {exc}"
    if plain is not None and rendered(plain) != rendered(checked):
        return f"different output:\n{rendered(plain)}\n!=\n{rendered(checked)}"
    return None


def container_entries() -> Iterator[tuple[str, dict[str, Any]]]:
    for document in LEGACY_DOCUMENTS:
        servers = json.loads(document.read_text(encoding="utf-8")).get("servers", {})
        yield from servers.items()


@pytest.mark.parametrize(("key", "entry"), list(container_entries()))
def test_fixture_entries_convert_the_same(key: str, entry: dict[str, Any]) -> None:
    assert mismatch(key, entry) is None


@pytest.mark.parametrize("key", ["full", "com.example/full", ""])
def test_every_variation_converts_the_same_or_is_left_to_the_checker(key: str) -> None:
    failures: list[str] = []
    count = 0
    for entry in variations(FULL_ENTRY):
        count += 1
        if (problem := mismatch(key, entry)) is not None:
            failures.append(f"{json.dumps(entry, default=repr)[:300]}\n{problem}")
    assert count > 1900
    assert not failures, f"{len(failures)} of {count}:\n" + "\n\n".join(failures[:3])


def test_common_entries_take_the_plain_path() -> None:
    """The real catalog's containers and the full plain shape are converted in one pass (so the
    tests above compare something)."""
    real = json.loads((SAMPLES / "toolhive-legacy-real-subset.json").read_text(encoding="utf-8"))
    for key, entry in [*real["servers"].items(), ("full", FULL_ENTRY)]:
        assert plain_image_to_server(key, entry) is not None, key


def test_image_to_server_uses_the_checker_for_other_shapes() -> None:
    entry = {**FULL_ENTRY, "custom_metadata": {"b": 1.0, "a": 2**53 + 1}}
    assert plain_image_to_server("full", entry) is None
    block = image_to_server("full", entry)["_meta"][
        "io.modelcontextprotocol.registry/publisher-provided"
    ]["io.github.stacklok"]["ghcr.io/example/full:1"]
    assert json.dumps(block["custom_metadata"]) == '{"a": 9007199254740992, "b": 1}'
