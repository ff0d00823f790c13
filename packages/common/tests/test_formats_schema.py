"""Converted registries validate against ToolHive's JSON schemas, checked offline the way
toolhive-core's ValidateUpstreamRegistryBytes does (registry-samples/README.md)."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from mcp_registry_common.formats import legacy_to_upstream, parse_registry
from referencing import Registry, Resource

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "testdata" / "registry-samples"
SCHEMAS = SAMPLES / "schemas"
PP = "io.modelcontextprotocol.registry/publisher-provided"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


SERVER_SCHEMA = load(SCHEMAS / "server.schema.json")
REGISTRY = Registry().with_resource(SERVER_SCHEMA["$id"], Resource.from_contents(SERVER_SCHEMA))
UPSTREAM = Draft202012Validator(load(SCHEMAS / "upstream-registry.schema.json"), registry=REGISTRY)
PUBLISHER_PROVIDED = Draft202012Validator(load(SCHEMAS / "publisher-provided.schema.json"))


def schema_errors(doc: dict[str, Any]) -> list[str]:
    """Every schema violation of an upstream registry document, as `path: message`."""
    errors = [f"{e.json_path}: {e.message}" for e in UPSTREAM.iter_errors(doc)]
    for i, server in enumerate(doc["data"]["servers"]):
        provided = server.get("_meta", {}).get(PP)
        if provided is not None:
            errors += [
                f"servers[{i}] publisher-provided {e.json_path}: {e.message}"
                for e in PUBLISHER_PROVIDED.iter_errors(provided)
            ]
    return errors


def test_the_validator_rejects_a_broken_document() -> None:
    doc = legacy_to_upstream(load(SAMPLES / "fictional/registry-legacy.json"))
    doc["data"]["servers"][0]["name"] = "no-slash"
    ext = next(iter(doc["data"]["servers"][1]["_meta"][PP]["io.github.stacklok"].values()))
    ext["status"] = "gone"
    errors = schema_errors(doc)
    assert any("servers[0].name" in e for e in errors)
    assert any("publisher-provided" in e and "status" in e for e in errors)


@pytest.mark.parametrize(
    "legacy", ["toolhive-legacy-real-subset.json", "fictional/registry-legacy.json"]
)
def test_converted_samples_validate_against_the_schemas(legacy: str) -> None:
    assert schema_errors(legacy_to_upstream(load(SAMPLES / legacy))) == []


@pytest.mark.parametrize(
    "upstream", ["toolhive-upstream-real-subset.json", "fictional/registry-upstream.json"]
)
def test_upstream_samples_validate_and_parse(upstream: str) -> None:
    data = (SAMPLES / upstream).read_bytes()
    assert schema_errors(json.loads(data)) == []
    assert parse_registry(data).servers == json.loads(data)["data"]["servers"]


# A legacy entry generator covering the fields the converter reshapes. Values respect the legacy
# schema, so the converted server must satisfy the upstream and publisher-provided schemas.
_word = st.text(string.ascii_lowercase + string.digits, min_size=2, max_size=12).map(
    lambda s: f"a{s}z"
)
_text = st.text(string.ascii_letters + " .,", min_size=10, max_size=90).map(str.strip).filter(bool)
_env_name = st.from_regex(r"[A-Z_][A-Z0-9_]{0,15}", fullmatch=True)
_env_var = st.fixed_dictionaries(
    {"name": _env_name, "description": _text, "required": st.booleans()},
    optional={"secret": st.booleans(), "default": _word},
)
_header = st.fixed_dictionaries(
    {"name": st.from_regex(r"X-[A-Za-z0-9-]{1,10}", fullmatch=True), "description": _text,
     "required": st.booleans()},
    optional={"secret": st.booleans(), "default": _word,
              "choices": st.lists(_word, min_size=1, max_size=3, unique=True)},
)  # fmt: skip
_metadata = st.fixed_dictionaries(
    {},
    optional={"stars": st.integers(0, 10**6), "pulls": st.integers(0, 10**6),
              "last_updated": st.just("2026-02-01T03:12:45Z")},
)  # fmt: skip
_tool = st.fixed_dictionaries(
    {"name": _word},
    optional={"description": _text, "annotations": st.fixed_dictionaries(
        {}, optional={"readOnlyHint": st.booleans(), "title": _text}),
        "inputSchema": st.fixed_dictionaries(
            {"type": st.just("object")},
            optional={"properties": st.dictionaries(_word, st.just({"type": "string"}), max_size=3),
                      "required": st.lists(_word, max_size=2, unique=True)})},
)  # fmt: skip
_base = {
    "description": _text,
    "tier": st.sampled_from(["Official", "Community"]),
    "status": st.sampled_from(["Active", "Deprecated"]),
    "tools": st.lists(_word, min_size=1, max_size=4, unique=True),
}
_optional_base = {
    "title": _text,
    "tags": st.lists(_word, min_size=1, max_size=4, unique=True),
    "metadata": _metadata,
    "repository_url": st.just("https://github.com/example/repo"),
    "overview": _text,
    "tool_definitions": st.lists(_tool, max_size=2),
    "custom_metadata": st.dictionaries(_word, st.integers() | _word, max_size=3),
    "env_vars": st.lists(_env_var, max_size=3),
    "proxy_port": st.integers(1, 65535),
}
_container = st.fixed_dictionaries(
    {**_base, "image": st.just("ghcr.io/example/image:1.2.3"),
     "transport": st.sampled_from(["stdio", "sse", "streamable-http"])},
    optional={**_optional_base, "target_port": st.integers(1, 65535),
              "args": st.lists(_word, max_size=3),
              "docker_tags": st.lists(_word, max_size=3, unique=True),
              "permissions": st.fixed_dictionaries({}, optional={
                  "read": st.just(["/data"]), "network": st.just({"outbound": {}})}),
              "provenance": st.just({"sigstore_url": "tuf-repo-cdn.sigstore.dev"})},
)  # fmt: skip
_remote = st.fixed_dictionaries(
    {**_base, "url": st.just("https://mcp.example.com/mcp"),
     "transport": st.sampled_from(["sse", "streamable-http"])},
    optional={**_optional_base, "headers": st.lists(_header, max_size=2),
              "oauth_config": st.fixed_dictionaries({}, optional={
                  "issuer": st.just("https://auth.example.com"), "use_pkce": st.booleans(),
                  "scopes": st.lists(_word, max_size=2), "callback_port": st.integers(1, 65535)})},
)  # fmt: skip
_legacy = st.fixed_dictionaries(
    {"version": st.just("1.0.0"), "last_updated": st.just("2026-02-18T00:24:11Z"),
     "servers": st.dictionaries(_word, _container, min_size=1, max_size=3)},
    optional={"remote_servers": st.dictionaries(_word.map("r-{}".format), _remote, max_size=3)},
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_legacy)
def test_any_schema_valid_legacy_registry_converts_to_a_schema_valid_one(
    legacy: dict[str, Any],
) -> None:
    converted = legacy_to_upstream(legacy)
    assert schema_errors(converted) == []
    parsed = parse_registry(json.dumps(legacy).encode())
    assert parsed.servers == converted["data"]["servers"]
    assert parsed.format == "toolhive"
