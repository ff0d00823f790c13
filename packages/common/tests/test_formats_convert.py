"""Legacy -> upstream conversion: toolhive-core's golden fixtures, the sample registries, and the
Go marshalling rules (omitempty, sorted extension keys, dropped fields) one by one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_common.formats import (
    SERVER_SCHEMA_URL,
    UPSTREAM_SCHEMA_URL,
    RegistryFormatError,
    image_to_server,
    legacy_to_upstream,
    remote_to_server,
)

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "testdata" / "registry-samples"
GOLDEN = SAMPLES / "golden-converter-fixtures"
PP = "io.modelcontextprotocol.registry/publisher-provided"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def ext_of(server: dict[str, Any]) -> dict[str, Any]:
    (block,) = server["_meta"][PP]["io.github.stacklok"].values()
    assert isinstance(block, dict)
    return block


def by_name(servers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {server["name"]: server for server in servers}


def container(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "description": "A container server for tests",
        "tier": "Community",
        "status": "Active",
        "transport": "stdio",
        "tools": ["do_it"],
        "image": "ghcr.io/example/thing:1.0.0",
    }
    entry.update(fields)
    return entry


def remote(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "description": "A remote server for tests",
        "tier": "Community",
        "status": "Active",
        "transport": "sse",
        "tools": ["do_it"],
        "url": "https://mcp.example.com/sse",
    }
    entry.update(fields)
    return entry


# --- golden fixtures and sample registries ----------------------------------------------------


def test_image_to_server_matches_toolhive_core_golden_fixture() -> None:
    entry = load(GOLDEN / "image_to_server.input_github.json")
    expected = load(GOLDEN / "image_to_server.expected_github.json")
    assert image_to_server("github", entry) == expected


def test_remote_to_server_matches_toolhive_core_golden_fixture() -> None:
    entry = load(GOLDEN / "remote_to_server.input_example.json")
    expected = load(GOLDEN / "remote_to_server.expected_example.json")
    assert remote_to_server("example-remote", entry) == expected


@pytest.mark.parametrize(
    ("legacy", "upstream"),
    [
        ("toolhive-legacy-real-subset.json", "toolhive-upstream-real-subset.json"),
        ("fictional/registry-legacy.json", "fictional/registry-upstream.json"),
    ],
)
def test_legacy_registry_converts_to_the_upstream_sample(legacy: str, upstream: str) -> None:
    converted = legacy_to_upstream(load(SAMPLES / legacy))
    expected = load(SAMPLES / upstream)
    servers, expected_servers = converted.pop("data")["servers"], expected.pop("data")["servers"]
    assert converted == expected
    assert by_name(servers) == by_name(expected_servers)
    assert len(servers) == len(expected_servers)


def test_converter_does_not_modify_its_input() -> None:
    doc = load(SAMPLES / "fictional/registry-legacy.json")
    before = copy.deepcopy(doc)
    legacy_to_upstream(doc)
    assert doc == before


def test_servers_are_containers_by_key_then_remotes_by_key() -> None:
    doc = {
        "version": "1.0.0",
        "last_updated": "2026-01-01T00:00:00Z",
        "servers": {"zeta": container(), "alpha": container()},
        "remote_servers": {"beta": remote(), "aardvark": remote()},
        "groups": [{"name": "ignored", "description": "groups are dropped by the converter"}],
    }
    converted = legacy_to_upstream(doc)
    assert [s["name"] for s in converted["data"]["servers"]] == [
        "io.github.stacklok/alpha",
        "io.github.stacklok/zeta",
        "io.github.stacklok/aardvark",
        "io.github.stacklok/beta",
    ]
    assert converted["$schema"] == UPSTREAM_SCHEMA_URL
    assert converted["meta"] == {"last_updated": "2026-01-01T00:00:00Z"}
    assert set(converted) == {"$schema", "version", "meta", "data"}
    assert set(converted["data"]) == {"servers"}


def test_converted_servers_carry_the_server_schema_and_constant_version() -> None:
    server = image_to_server("thing", container())
    assert server["$schema"] == SERVER_SCHEMA_URL
    assert server["version"] == "1.0.0"
    assert list(server) == ["$schema", "name", "description", "version", "packages", "_meta"]


# --- names, repository, transports -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "fields", "name"),
    [
        ("fetch", {}, "io.github.stacklok/fetch"),
        ("acme.io/fetch", {}, "acme.io/fetch"),
        ("fetch", {"name": "official/fetch"}, "official/fetch"),
        ("fetch", {"name": "plain"}, "plain"),  # verbatim, even when invalid upstream
        ("fetch", {"name": ""}, "io.github.stacklok/fetch"),
    ],
)
def test_name_is_the_entry_name_or_built_from_the_key(
    key: str, fields: dict[str, Any], name: str
) -> None:
    assert image_to_server(key, container(**fields))["name"] == name
    assert remote_to_server(key, remote(**fields))["name"] == name


def test_repository_is_always_github_and_only_when_url_given() -> None:
    gitlab = image_to_server("x", container(repository_url="https://gitlab.com/a/b"))
    assert gitlab["repository"] == {"url": "https://gitlab.com/a/b", "source": "github"}
    assert "repository" not in image_to_server("x", container())
    assert "repository" not in image_to_server("x", container(repository_url=""))


def test_title_is_omitted_when_empty() -> None:
    assert "title" not in image_to_server("x", container(title=""))
    assert image_to_server("x", container(title="Thing"))["title"] == "Thing"


@pytest.mark.parametrize(
    ("fields", "transport"),
    [
        ({"transport": "stdio", "target_port": 8080}, {"type": "stdio"}),
        ({"transport": ""}, {"type": "stdio"}),
        ({"transport": None}, {"type": "stdio"}),
        (
            {"transport": "sse", "target_port": 9000},
            {"type": "sse", "url": "http://localhost:9000"},
        ),
        ({"transport": "streamable-http"}, {"type": "streamable-http", "url": "http://localhost"}),
        (
            {"transport": "streamable-http", "target_port": 0},
            {"type": "streamable-http", "url": "http://localhost"},
        ),
    ],
)
def test_container_transport_and_target_port(
    fields: dict[str, Any], transport: dict[str, Any]
) -> None:
    entry = container()
    entry.update(fields)
    (package,) = image_to_server("x", entry)["packages"]
    assert package["transport"] == transport
    assert package["registryType"] == "oci"
    assert package["identifier"] == "ghcr.io/example/thing:1.0.0"


def test_target_port_survives_only_in_the_transport_url() -> None:
    server = image_to_server("x", container(transport="sse", target_port=9000))
    assert "target_port" not in json.dumps(server)


def test_container_env_vars_become_environment_variables_only() -> None:
    env = [
        {"name": "A", "description": "needed secret", "required": True, "secret": True},
        {"name": "B", "description": "optional", "required": False, "default": "x"},
        {"name": "C", "description": "", "required": False, "secret": False, "default": ""},
    ]
    server = image_to_server("x", container(env_vars=env))
    assert server["packages"][0]["environmentVariables"] == [
        {"description": "needed secret", "isRequired": True, "isSecret": True, "name": "A"},
        {"description": "optional", "default": "x", "name": "B"},
        {"name": "C"},
    ]
    assert "env_vars" not in ext_of(server)


def test_empty_env_vars_and_headers_are_omitted() -> None:
    assert "environmentVariables" not in image_to_server("x", container(env_vars=[]))["packages"][0]
    assert "headers" not in remote_to_server("x", remote(headers=[]))["remotes"][0]


def test_remote_transport_is_copied_verbatim_with_headers() -> None:
    headers = [
        {"name": "X-Key", "description": "api key", "required": True, "secret": True},
        {
            "name": "X-Ver",
            "description": "version",
            "required": False,
            "default": "v2",
            "choices": ["v1", "v2"],
        },
        {"name": "X-Empty", "description": "no choices", "required": False, "choices": []},
    ]
    server = remote_to_server("x", remote(transport="streamable-http", headers=headers))
    assert server["remotes"] == [
        {
            "type": "streamable-http",
            "url": "https://mcp.example.com/sse",
            "headers": [
                {"description": "api key", "isRequired": True, "isSecret": True, "name": "X-Key"},
                {
                    "description": "version",
                    "default": "v2",
                    "choices": ["v1", "v2"],
                    "name": "X-Ver",
                },
                {"description": "no choices", "name": "X-Empty"},
            ],
        }
    ]
    assert "packages" not in server
    assert list(server["_meta"][PP]["io.github.stacklok"]) == ["https://mcp.example.com/sse"]


def test_remote_without_transport_keeps_an_empty_type() -> None:
    entry = remote()
    del entry["transport"]
    assert remote_to_server("x", entry)["remotes"] == [
        {"type": "", "url": "https://mcp.example.com/sse"}
    ]


# --- the extension block ---------------------------------------------------------------------


def test_extension_is_keyed_by_image_and_defaults_status_to_active() -> None:
    server = image_to_server("x", container(status=""))
    assert list(server["_meta"][PP]["io.github.stacklok"]) == ["ghcr.io/example/thing:1.0.0"]
    assert ext_of(server)["status"] == "active"
    assert ext_of(image_to_server("x", container(status="Deprecated")))["status"] == "Deprecated"


def test_extension_keys_are_sorted_at_every_level() -> None:
    entry = container(
        custom_metadata={"zeta": {"b": 1, "a": 2}, "alpha": [{"y": 1, "x": 2}]},
        metadata={"stars": 3, "last_updated": "2026-01-01T00:00:00Z"},
    )
    ext = ext_of(image_to_server("x", entry))

    def assert_sorted(value: Any) -> None:
        if isinstance(value, dict):
            assert list(value) == sorted(value)
            for item in value.values():
                assert_sorted(item)
        elif isinstance(value, list):
            for item in value:
                assert_sorted(item)

    assert_sorted(ext)
    assert list(ext["custom_metadata"]["zeta"]) == ["a", "b"]


@pytest.mark.parametrize(
    ("fields", "absent"),
    [
        (
            {"tier": "", "tools": [], "tags": [], "overview": ""},
            {"tier", "tools", "tags", "overview"},
        ),
        ({"custom_metadata": {}}, {"custom_metadata"}),
        (
            {"args": [], "docker_tags": [], "proxy_port": 0, "stateless": False},
            {"args", "docker_tags", "proxy_port", "stateless"},
        ),
        ({"tool_definitions": []}, {"tool_definitions"}),
        (
            {"metadata": None, "permissions": None, "provenance": None},
            {"metadata", "permissions", "provenance"},
        ),
    ],
)
def test_empty_extension_fields_are_omitted(fields: dict[str, Any], absent: set[str]) -> None:
    ext = ext_of(image_to_server("x", container(**fields)))
    assert absent.isdisjoint(ext)


def test_extension_keeps_only_the_fields_of_its_kind() -> None:
    shared = {
        "permissions": {"privileged": True},
        "args": ["a"],
        "docker_tags": ["1"],
        "provenance": {"sigstore_url": "s"},
        "oauth_config": {"client_id": "c"},
        "env_vars": [{"name": "E", "description": "env var", "required": False}],
        "headers": [{"name": "H", "description": "header", "required": False}],
        "proxy_port": 8080,
        "stateless": True,
        "unknown_field": "dropped",
    }
    container_ext = ext_of(image_to_server("x", container(**shared)))
    remote_ext = ext_of(remote_to_server("x", remote(**shared)))
    common = {"status", "tier", "tools", "proxy_port", "stateless"}
    assert set(container_ext) == common | {"permissions", "args", "docker_tags", "provenance"}
    assert set(remote_ext) == common | {"oauth_config", "env_vars"}


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"stars": 5, "pulls": 10, "last_updated": "2026-01-01T00:00:00Z"},
         {"stars": 5, "last_updated": "2026-01-01T00:00:00Z"}),
        ({"stars": 0, "pulls": 10, "last_updated": "2026-01-01T00:00:00Z"},
         {"last_updated": "2026-01-01T00:00:00Z"}),
        ({"pulls": 10}, {}),
        ({}, {}),
        ({"unknown": "x", "kubernetes": {"kind": "MCPServer", "name": "", "uid": "u"}},
         {"kubernetes": {"kind": "MCPServer", "uid": "u"}}),
    ],
)  # fmt: skip
def test_metadata_keeps_stars_last_updated_and_kubernetes_only(
    metadata: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert ext_of(image_to_server("x", container(metadata=metadata)))["metadata"] == expected


@pytest.mark.parametrize(
    ("permissions", "expected"),
    [
        ({"network": {"outbound": {}}}, {"network": {"outbound": {}}}),
        ({"network": {"outbound": {"insecure_allow_all": False, "allow_port": [443]}}},
         {"network": {"outbound": {"allow_port": [443]}}}),
        ({"network": {"outbound": {"insecure_allow_all": True}}},
         {"network": {"outbound": {"insecure_allow_all": True}}}),
        ({"privileged": False, "read": [], "write": ["/data"]}, {"write": ["/data"]}),
        ({"name": "custom", "network": {"mode": "host", "inbound": {"allow_host": ["a"]}}},
         {"name": "custom", "network": {"inbound": {"allow_host": ["a"]}, "mode": "host"}}),
        ({}, {}),
    ],
)  # fmt: skip
def test_permissions_follow_go_omitempty(
    permissions: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert (
        ext_of(image_to_server("x", container(permissions=permissions)))["permissions"] == expected
    )


def test_provenance_always_writes_five_keys() -> None:
    ext = ext_of(image_to_server("x", container(provenance={"sigstore_url": "tuf"})))
    assert ext["provenance"] == {
        "cert_issuer": "",
        "repository_uri": "",
        "runner_environment": "",
        "signer_identity": "",
        "sigstore_url": "tuf",
    }
    full = {
        "repository_ref": "refs/tags/v1",
        "attestation": {"predicate_type": "https://slsa.dev/provenance/v1", "predicate": {"b": 1}},
    }
    provenance = ext_of(image_to_server("x", container(provenance=full)))["provenance"]
    assert provenance["repository_ref"] == "refs/tags/v1"
    assert provenance["attestation"] == full["attestation"]
    empty_attestation = {"attestation": {"predicate_type": "", "predicate": None}}
    assert (
        ext_of(image_to_server("x", container(provenance=empty_attestation)))["provenance"][
            "attestation"
        ]
        == {}
    )


@pytest.mark.parametrize(
    ("oauth", "expected"),
    [
        ({"issuer": "https://i", "use_pkce": False}, {"issuer": "https://i"}),
        ({"client_id": "c", "use_pkce": True, "scopes": []}, {"client_id": "c", "use_pkce": True}),
        ({"oauth_params": {}, "callback_port": 0, "resource": ""}, {}),
        ({"oauth_params": {"prompt": "consent"}, "callback_port": 8765},
         {"callback_port": 8765, "oauth_params": {"prompt": "consent"}}),
    ],
)  # fmt: skip
def test_oauth_config_drops_false_and_empty(
    oauth: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert ext_of(remote_to_server("x", remote(oauth_config=oauth)))["oauth_config"] == expected


def test_remote_env_vars_keep_the_legacy_shape() -> None:
    env = [
        {"name": "A", "description": "a var", "required": False, "default": "d", "secret": False},
        {"name": "B", "description": "b var", "required": True, "secret": True},
        {"name": "C"},
    ]
    assert ext_of(remote_to_server("x", remote(env_vars=env)))["env_vars"] == [
        {"default": "d", "description": "a var", "name": "A", "required": False},
        {"description": "b var", "name": "B", "required": True, "secret": True},
        {"description": "", "name": "C", "required": False},
    ]


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ({"name": "t"}, {"name": "t", "inputSchema": {}, "annotations": {}}),
        ({"name": "t", "inputSchema": {"type": "object"}},
         {"name": "t", "annotations": {},
          "inputSchema": {"type": "object", "properties": {}, "required": []}}),
        ({"name": "t", "inputSchema": {"type": "object", "properties": None, "required": None}},
         {"name": "t", "annotations": {},
          "inputSchema": {"type": "object", "properties": {}, "required": []}}),
        ({"name": "t", "inputSchema": {"oneOf": [{"type": "string"}]}},
         {"name": "t", "annotations": {}, "inputSchema": {"oneOf": [{"type": "string"}]}}),
        ({"name": "t", "inputSchema": {"type": "string", "required": []}},
         {"name": "t", "annotations": {}, "inputSchema": {"type": "string"}}),
        ({"name": "t", "inputSchema": {"type": "object", "definitions": {"d": {}},
                                       "additionalProperties": False}},
         {"name": "t", "annotations": {},
          "inputSchema": {"type": "object", "$defs": {"d": {}}, "additionalProperties": False,
                          "properties": {}, "required": []}}),
        ({"name": "t", "outputSchema": {"properties": {"a": {}}}},
         {"name": "t", "inputSchema": {}, "annotations": {}}),
        ({"name": "t", "outputSchema": {"type": "object"}},
         {"name": "t", "inputSchema": {}, "annotations": {},
          "outputSchema": {"type": "object", "properties": {}, "required": []}}),
        ({"name": "t", "annotations": {"readOnlyHint": False, "title": "", "other": 1}},
         {"name": "t", "inputSchema": {}, "annotations": {"readOnlyHint": False}}),
        ({"name": "t", "title": "", "description": "", "defer_loading": False, "unknown": 1},
         {"name": "t", "inputSchema": {}, "annotations": {}}),
        ({"name": "t", "defer_loading": True, "_meta": {"progressToken": None, "k": "v"},
          "icons": [{"src": "https://i/x.png", "sizes": []}], "execution": {}},
         {"name": "t", "inputSchema": {}, "annotations": {}, "defer_loading": True,
          "_meta": {"k": "v"}, "icons": [{"src": "https://i/x.png"}], "execution": {}}),
    ],
)  # fmt: skip
def test_tool_definitions_go_through_mcp_tool_marshalling(
    tool: dict[str, Any], expected: dict[str, Any]
) -> None:
    ext = ext_of(image_to_server("x", container(tool_definitions=[tool])))
    assert ext["tool_definitions"] == [expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, 1),
        (2.5, 2.5),
        (2**53 + 1, 2**53),
        (12345678901234567890, 12345678901234567000),
        (1e21, 1e21),
        (True, True),
    ],
)
def test_numbers_in_extensions_pass_through_float64(value: object, expected: object) -> None:
    ext = ext_of(image_to_server("x", container(custom_metadata={"n": value})))
    assert ext["custom_metadata"]["n"] == expected
    assert type(ext["custom_metadata"]["n"]) is type(expected)


# --- errors where Go's decoder fails ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"description": 5}, "servers.x.description: must be a string, got number"),
        ({"tools": "a"}, "servers.x.tools: must be an array, got string"),
        ({"tools": ["a", 1]}, "servers.x.tools[1]: must be a string, got number"),
        ({"target_port": 80.0}, "servers.x.target_port: must be an integer, got number"),
        ({"metadata": {"stars": "5"}}, "servers.x.metadata.stars: must be an integer, got string"),
        ({"metadata": []}, "servers.x.metadata: must be an object, got array"),
        ({"env_vars": [None]}, "servers.x.env_vars[0]: must be an object, got null"),
        (
            {"permissions": {"network": {"outbound": {"allow_port": ["443"]}}}},
            "servers.x.permissions.network.outbound.allow_port[0]: must be an integer, got string",
        ),
        (
            {"tool_definitions": [{"name": "t", "annotations": {"readOnlyHint": "yes"}}]},
            "servers.x.tool_definitions[0].annotations.readOnlyHint: must be a boolean, got string",
        ),
        (
            {"custom_metadata": {"huge": 10**400}},
            "servers.x.custom_metadata.huge: number",
        ),
    ],
)
def test_type_errors_name_the_path(fields: dict[str, Any], path: str) -> None:
    with pytest.raises(RegistryFormatError) as info:
        image_to_server("x", container(**fields))
    assert str(info.value).startswith(path)


def test_remote_type_errors_and_custom_paths() -> None:
    with pytest.raises(
        RegistryFormatError, match=r"^remote_servers\.r\.oauth_config\.oauth_params\.a"
    ):
        remote_to_server("r", remote(oauth_config={"oauth_params": {"a": 1}}))
    with pytest.raises(RegistryFormatError, match=r'^entries\["a b"\]\.url: must be a string'):
        remote_to_server("a b", remote(url=1), path='entries["a b"]')


@pytest.mark.parametrize("entry", [None, [], "x"])
def test_entry_must_be_an_object(entry: object) -> None:
    with pytest.raises(RegistryFormatError, match=r"^servers\.x: must be an object"):
        image_to_server("x", entry)  # type: ignore[arg-type]


def test_empty_key_is_rejected_like_go() -> None:
    with pytest.raises(RegistryFormatError, match="name cannot be empty"):
        image_to_server("", container())


def test_legacy_maps_must_be_objects() -> None:
    with pytest.raises(RegistryFormatError, match=r"^remote_servers: must be an object, got array"):
        legacy_to_upstream({"servers": {}, "remote_servers": []})


def test_a_number_no_float64_holds_is_named_by_its_full_path() -> None:
    entry = container(custom_metadata={"deep": [1, {"n": 10**400}]})
    with pytest.raises(RegistryFormatError) as caught:
        image_to_server("x", entry)
    assert caught.value.path == "servers.x.custom_metadata.deep[1].n"
    assert "does not fit a float64" in caught.value.problem
