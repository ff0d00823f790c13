"""Format detection, parse_registry and validate_server: every error path names its JSON path."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_common.formats import (
    ParsedRegistry,
    RegistryFormat,
    RegistryFormatError,
    detect_format,
    legacy_to_upstream,
    parse_registry,
    validate_server,
)

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "testdata" / "registry-samples"
LEGACY = SAMPLES / "fictional" / "registry-legacy.json"
UPSTREAM = SAMPLES / "fictional" / "registry-upstream.json"


def server(**fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": "io.example/thing",
        "description": "Does things",
        "version": "1.2.3",
    }
    out.update(fields)
    return {k: v for k, v in out.items() if v is not _DROP}


_DROP = object()


def upstream_doc(*servers: object, **top: Any) -> bytes:
    doc: dict[str, Any] = {"version": "1.0.0", "meta": {"last_updated": "2026-01-01T00:00:00Z"}}
    doc["data"] = {"servers": list(servers)}
    doc.update(top)
    return json.dumps(doc).encode()


def error_of(data: bytes, *, format: RegistryFormat | None = None) -> str:
    with pytest.raises(RegistryFormatError) as info:
        parse_registry(data, format=format)
    return str(info.value)


# --- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"data": {}}, "upstream"),
        ({"data": {"servers": []}, "servers": {}}, "upstream"),
        ({"servers": {}}, "toolhive"),
        ({"remote_servers": {}}, "toolhive"),
        ({"groups": []}, "toolhive"),
        ({"data": [], "servers": {}}, "toolhive"),
        ({"$schema": "upstream-registry.schema.json", "servers": {}}, "toolhive"),
    ],
)
def test_detect_format(doc: dict[str, Any], expected: str) -> None:
    assert detect_format(doc) == expected


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, "$: cannot detect the registry format"),
        ({"version": "1.0.0", "meta": {}}, "$: cannot detect the registry format"),
        ({"data": []}, "data: must be an object, got array"),
        ({"data": None}, "data: must be an object, got null"),
    ],
)
def test_detect_format_errors(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(RegistryFormatError) as info:
        detect_format(doc)
    assert str(info.value).startswith(message)


def test_detect_format_rejects_non_objects() -> None:
    with pytest.raises(RegistryFormatError, match=r"^\$: registry document must be a JSON object"):
        detect_format([])  # type: ignore[arg-type]


# --- parse_registry: success ------------------------------------------------------------------


def test_parse_upstream_sample() -> None:
    parsed = parse_registry(UPSTREAM.read_bytes())
    assert parsed == ParsedRegistry(
        format="upstream",
        version="1.0.0",
        last_updated="2026-02-18T00:24:11Z",
        servers=json.loads(UPSTREAM.read_bytes())["data"]["servers"],
    )


def test_parse_legacy_sample_converts_it() -> None:
    parsed = parse_registry(LEGACY.read_bytes(), format="toolhive")
    assert parsed.format == "toolhive"
    assert parsed.version == "1.0.0"
    assert parsed.last_updated == "2026-02-18T00:24:11Z"
    assert parsed.servers == legacy_to_upstream(json.loads(LEGACY.read_bytes()))["data"]["servers"]


def test_parse_accepts_a_str_and_a_declared_matching_format() -> None:
    assert parse_registry(UPSTREAM.read_text(), format="upstream").format == "upstream"  # type: ignore[arg-type]


def test_parse_defaults_missing_envelope_fields() -> None:
    parsed = parse_registry(json.dumps({"data": {"servers": [server()]}}).encode())
    assert (parsed.version, parsed.last_updated) == ("1.0.0", None)
    legacy = {"servers": {"thing": {"description": "d", "image": "i", "transport": "stdio"}}}
    parsed = parse_registry(json.dumps(legacy).encode())
    assert (parsed.version, parsed.last_updated) == ("1.0.0", None)
    assert parsed.servers[0]["name"] == "io.github.stacklok/thing"


SKILL = {"namespace": "io.github.acme", "name": "pdf", "description": "PDFs", "version": "1.0.0"}


def test_parse_keeps_skills_and_plugins_and_ignores_unknown_keys() -> None:
    doc = json.loads(upstream_doc(server(), extra=1))
    doc["data"]["skills"] = [SKILL, {**SKILL, "version": "1.1.0", "allowedTools": ["Read"]}]
    doc["data"]["plugins"] = [{**SKILL, "name": "lint"}]
    parsed = parse_registry(json.dumps(doc).encode())
    assert len(parsed.servers) == 1
    assert [s["version"] for s in parsed.skills] == ["1.0.0", "1.1.0"]
    assert [p["name"] for p in parsed.plugins] == ["lint"]


@pytest.mark.parametrize(
    ("kind", "item", "message"),
    [
        ("skills", {"anything": True}, "data.skills[0].namespace: namespace is required"),
        ("skills", {**SKILL, "name": "PDF"}, "data.skills[0].name: must match"),
        ("skills", {**SKILL, "status": "gone"}, "data.skills[0].status: must be one of"),
        ("skills", {**SKILL, "allowedTools": ["a", "a"]}, "allowedTools: must not repeat"),
        (
            "skills",
            {**SKILL, "packages": [{"registryType": "npm"}]},
            "data.skills[0].packages[0].registryType: must be oci or git",
        ),
        ("plugins", {**SKILL, "compatibility": "x"}, "is a skill field, not a plugin's"),
        ("plugins", {**SKILL, "namespace": "io"}, "namespace: must be 3 to 128 characters"),
        ("plugins", "lint", "data.plugins[0]: plugin must be an object, got string"),
    ],
)
def test_invalid_skills_and_plugins_name_the_field(kind: str, item: object, message: str) -> None:
    doc = json.loads(upstream_doc(server()))
    doc["data"][kind] = [item]
    with pytest.raises(RegistryFormatError, match=re.escape(message)):
        parse_registry(json.dumps(doc).encode())


def test_a_skill_version_listed_twice_is_refused() -> None:
    doc = json.loads(upstream_doc(server()))
    doc["data"]["skills"] = [SKILL, SKILL]
    with pytest.raises(
        RegistryFormatError, match=re.escape("duplicate skill io.github.acme/pdf version")
    ):
        parse_registry(json.dumps(doc).encode())


# --- parse_registry: errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "$: invalid JSON: the document is empty"),
        (b"  \n", "$: invalid JSON: the document is empty"),
        (b'{"data": {"servers": [}', "$: invalid JSON at line 1 column 23: Expecting value"),
        (b'{"data":\n  {"servers" []}}', "$: invalid JSON at line 2 column 14: Expecting ':'"),
        (b'{"data": {"servers": [', "unexpected end of data; truncated?"),
        (b'{"data": {"serv', "$: invalid JSON at line 1 column 11: Unterminated string"),
        (b'{"data": NaN}', "$: invalid JSON: NaN is not a JSON value"),
        (b'{"data": "\xff"}', "$: invalid JSON: not valid UTF-8"),
        (b"[" * 100_000, "$: invalid JSON: nested too deeply"),
    ],
)
def test_invalid_json(data: bytes, message: str) -> None:
    error = error_of(data)
    assert message in error
    assert error.startswith("$: invalid JSON")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[]", "$: registry document must be a JSON object, got array"),
        (b'"registry"', "$: registry document must be a JSON object, got string"),
        (b"null", "$: registry document must be a JSON object, got null"),
        (b"{}", "$: cannot detect the registry format"),
    ],
)
def test_wrong_top_level(data: bytes, message: str) -> None:
    assert error_of(data).startswith(message)


@pytest.mark.parametrize(
    ("path", "declared", "detected"),
    [(UPSTREAM, "toolhive", "upstream"), (LEGACY, "upstream", "toolhive")],
)
def test_format_mismatch(path: Path, declared: RegistryFormat, detected: str) -> None:
    assert error_of(path.read_bytes(), format=declared) == (
        f"$: format mismatch: source declares {declared!r} but the data is in {detected} format"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (upstream_doc(), "data.servers: upstream registry must contain at least one server"),
        (b'{"data": {}}', "data.servers: servers is required"),
        (b'{"data": {"servers": {}}}', "data.servers: must be an array, got object"),
        (
            b'{"servers": {}, "remote_servers": {}}',
            "servers: upstream registry must contain at least",
        ),
        (b'{"groups": []}', "servers: upstream registry must contain at least one server"),
        (
            upstream_doc(server(), version="1.0"),
            'version: must match ^\\d+\\.\\d+\\.\\d+$, got "1.0"',
        ),
        (upstream_doc(server(), version=1), "version: must match"),
        (upstream_doc(server(), meta=[]), "meta: must be an object, got array"),
        (
            upstream_doc(server(), meta={"last_updated": "yesterday"}),
            'meta.last_updated: must be an RFC3339 date-time, got "yesterday"',
        ),
        (b'{"servers": [], "version": "1.0.0"}', "servers: must be an object, got array"),
        (b'{"servers": {"x": null}}', "servers.x: must be an object, got null"),
    ],
)
def test_registry_level_errors(data: bytes, message: str) -> None:
    assert error_of(data).startswith(message)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": _DROP}, "data.servers[1].name: name is required"),
        ({"name": ""}, "data.servers[1].name: name is required"),
        ({"name": 7}, "data.servers[1].name: must be a string, got number"),
        (
            {"name": "fetch"},
            "data.servers[1].name: must match ^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$, got 'fetch'",
        ),
        ({"name": "a/b/c"}, "data.servers[1].name: must match"),
        ({"name": "io.x/fetch\n"}, "data.servers[1].name: must match"),
        ({"name": "a/"}, "data.servers[1].name: must be 3 to 200 characters long, got 2"),
        ({"name": "a/" + "b" * 199}, "data.servers[1].name: must be 3 to 200 characters long"),
        (
            {"description": _DROP},
            "data.servers[1].description: description is required (server io.example/thing)",
        ),
        ({"description": ""}, "data.servers[1].description: description is required"),
        ({"description": ["d"]}, "data.servers[1].description: must be a string, got array"),
        ({"version": _DROP}, "data.servers[1].version: version is required"),
        ({"version": 1}, "data.servers[1].version: must be a string, got number"),
        ({"version": "1" * 256}, "data.servers[1].version: must be at most 255 characters"),
        ({"version": "^1.2.3"}, "data.servers[1].version: must be a specific version, not a range"),
        ({"version": "latest"}, "data.servers[1].version: 'latest' is reserved"),
    ],
)
def test_server_errors_name_the_server_path(fields: dict[str, Any], message: str) -> None:
    assert error_of(upstream_doc(server(name="io.example/ok"), server(**fields))).startswith(
        message
    )


def test_server_must_be_an_object() -> None:
    assert error_of(upstream_doc(server(), "x")).startswith(
        "data.servers[1]: server must be an object, got string"
    )


def test_duplicate_name_and_version_is_rejected() -> None:
    message = error_of(upstream_doc(server(), server(version="2.0.0"), server()))
    assert message == (
        "data.servers[2]: duplicate server io.example/thing version 1.2.3"
        " (first at data.servers[0])"
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["servers"]["pg-explorer"].update(name="postgres"),
            "servers.pg-explorer.name: must match ^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$, got 'postgres'",
        ),
        (
            lambda d: d["servers"]["pg-explorer"].pop("description"),
            "servers.pg-explorer.description: description is required",
        ),
        (
            lambda d: d["servers"]["pg-explorer"].pop("image"),
            "servers.pg-explorer.image: image is required",
        ),
        (
            lambda d: d["servers"]["pg-explorer"].update(transport="http"),
            'servers.pg-explorer.transport: must be one of stdio, sse, streamable-http, got "http"',
        ),
        (
            lambda d: d["remote_servers"]["acme-docs"].pop("url"),
            "remote_servers.acme-docs.url: url is required",
        ),
        (
            lambda d: d["remote_servers"]["acme-docs"].pop("transport"),
            "remote_servers.acme-docs.transport: must be one of sse, streamable-http, got null",
        ),
        (
            lambda d: d["remote_servers"]["acme-docs"].update(tools="search"),
            "remote_servers.acme-docs.tools: must be an array, got string",
        ),
        (
            lambda d: d["servers"]["file-vault"].update(name="official/acme-search"),
            "servers.file-vault: duplicate server official/acme-search version 1.0.0 "
            "(first at servers.acme-search)",
        ),
    ],
)
def test_legacy_errors_name_the_legacy_entry(edit: Any, message: str) -> None:
    doc = json.loads(LEGACY.read_bytes())
    edit(doc)
    assert error_of(json.dumps(doc).encode()).startswith(message)


# --- validate_server directly -----------------------------------------------------------------


def test_validate_server_returns_the_same_object() -> None:
    obj = server(title="Thing", websiteUrl="https://x", _meta={})
    assert validate_server(obj, path="p") is obj


@pytest.mark.parametrize(
    "version",
    ["1.0.0", "2.1.0-alpha", "1.0.0+20130313144700", "v1", "2024.01.15", "abc", "1.2", "x"],
)
def test_specific_versions_are_accepted(version: str) -> None:
    assert validate_server(server(version=version), path="s")["version"] == version


@pytest.mark.parametrize(
    "version",
    ["^1.2.3", "~1.2.3", ">=1.0.0", "<=1.0.0", ">1", "<1", "=1.0.0", "1.x", "1.2.*", "1.X.0",
     "1 - 2", "1.2.3 - 2.0.0", "1.2 || 1.3", " ~1.2 "],
)  # fmt: skip
def test_version_ranges_are_rejected(version: str) -> None:
    with pytest.raises(RegistryFormatError, match=r"^s\.version: must be a specific version"):
        validate_server(server(version=version), path="s")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": 1}, "s.title: must be a string, got number"),
        ({"websiteUrl": False}, "s.websiteUrl: must be a string, got boolean"),
        ({"$schema": {}}, "s.$schema: must be a string, got object"),
        ({"repository": "github"}, "s.repository: must be an object, got string"),
        ({"packages": {}}, "s.packages: must be an array, got object"),
        ({"packages": [1]}, "s.packages[0]: must be an object, got number"),
        ({"packages": [{"identifier": "i", "transport": {"type": "stdio"}}]},
         "s.packages[0].registryType: registryType is required"),
        ({"packages": [{"registryType": "npm", "transport": {"type": "stdio"}}]},
         "s.packages[0].identifier: identifier is required"),
        ({"packages": [{"registryType": "npm", "identifier": "i"}]},
         "s.packages[0].transport: transport is required"),
        ({"packages": [{"registryType": "npm", "identifier": "i", "transport": "stdio"}]},
         "s.packages[0].transport: must be an object, got string"),
        ({"packages": [{"registryType": "npm", "identifier": "i", "transport": {}}]},
         "s.packages[0].transport.type: type is required"),
        ({"packages": [{"registryType": "npm", "identifier": "i", "transport": {"type": "ws"}}]},
         "s.packages[0].transport.type: must be one of sse, stdio, streamable-http, got 'ws'"),
        ({"packages": [{"registryType": "npm", "identifier": "i", "transport": {"type": "sse"}}]},
         "s.packages[0].transport.url: url is required for sse transport type"),
        ({"remotes": [{"type": "stdio", "url": "https://x"}]},
         "s.remotes[0].type: must be one of sse, streamable-http, got 'stdio'"),
        ({"remotes": [{"type": "streamable-http"}]},
         "s.remotes[0].url: url is required for streamable-http transport type"),
        ({"icons": [{}]}, "s.icons[0].src: src is required"),
        ({"_meta": []}, "s._meta: must be an object, got array"),
        ({"_meta": {"io.modelcontextprotocol.registry/publisher-provided": "x"}},
         's._meta["io.modelcontextprotocol.registry/publisher-provided"]: must be an object'),
    ],
)  # fmt: skip
def test_validate_server_structure(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(RegistryFormatError) as info:
        validate_server(server(**fields), path="s")
    assert str(info.value).startswith(message)
    assert info.value.path == message.split(": ", 1)[0]


def test_validate_server_accepts_packages_and_remotes() -> None:
    obj = server(
        packages=[
            {"registryType": "npm", "identifier": "@x/y", "transport": {"type": "stdio"}},
            {
                "registryType": "oci",
                "identifier": "ghcr.io/x/y:1",
                "transport": {"type": "streamable-http", "url": "http://localhost:8080"},
            },
        ],
        remotes=[{"type": "sse", "url": "https://x/sse"}],
        icons=[{"src": "https://x/icon.png"}],
        repository={"url": "https://github.com/x/y", "source": "github"},
    )
    before = copy.deepcopy(obj)
    assert validate_server(obj, path="s") == before
