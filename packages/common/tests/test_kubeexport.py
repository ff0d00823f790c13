"""The pure mapping of an exported MCPServer, VirtualMCPServer or MCPRemoteProxy to a
server.json entry: names, versions, annotations, and the reasons an object is skipped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp_registry_common.formats import PUBLISHER_PROVIDED_KEY
from mcp_registry_common.kubeexport import (
    AUTHZ_CLAIMS,
    CATEGORY,
    DESCRIPTION,
    EXPORT,
    ICON,
    TITLE,
    TOOL_DEFINITIONS,
    TOOLS,
    URL,
    VERSION,
    Exported,
    Skipped,
    entry_name,
    image_tag,
    is_exported,
    is_publishable_version,
    to_entry,
)

URL_VALUE = "http://weather.tools.svc:8080/mcp"


def workload(image: str = "ghcr.io/acme/weather:1.4.2", **annotations: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "weather",
            "namespace": "tools",
            "uid": "u-1",
            "annotations": {
                EXPORT: "true",
                DESCRIPTION: "Forecasts",
                URL: URL_VALUE,
                **annotations,
            },
        },
        "spec": {"image": image, "transport": "stdio", "proxyMode": "sse"},
    }


def exported(kind: str, obj: dict[str, Any]) -> Exported:
    result = to_entry(kind, obj)
    assert isinstance(result, Exported), result
    return result


def extensions(server: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = server["_meta"][PUBLISHER_PROVIDED_KEY]["io.github.stacklok"][URL_VALUE]
    return value


def test_an_mcpserver_maps_to_an_entry_with_its_package_remote_and_kubernetes_metadata() -> None:
    server = exported("MCPServer", workload()).server
    assert server["name"] == "com.toolhive.k8s.tools/weather"
    assert server["description"] == "Forecasts"
    assert server["version"] == "1.4.2"
    assert server["remotes"] == [{"type": "streamable-http", "url": URL_VALUE}]
    assert server["packages"] == [
        {
            "registryType": "oci",
            "identifier": "ghcr.io/acme/weather:1.4.2",
            "version": "1.4.2",
            "transport": {"type": "sse", "url": URL_VALUE},  # stdio runs behind its proxy mode
        }
    ]
    assert extensions(server) == {
        "status": "active",
        "metadata": {
            "kubernetes": {
                "image": "ghcr.io/acme/weather:1.4.2",
                "kind": "MCPServer",
                "name": "weather",
                "namespace": "tools",
                "transport": "stdio",
                "uid": "u-1",
            }
        },
    }


def test_optional_annotations_fill_title_icon_tags_tools_and_tool_definitions() -> None:
    obj = workload(
        **{
            TITLE: "Weather",
            ICON: "https://example.com/w.png",
            CATEGORY: "data",
            TOOLS: json.dumps(["forecast"]),
            TOOL_DEFINITIONS: json.dumps([{"name": "forecast", "description": "d"}]),
        }
    )
    server = exported("VirtualMCPServer", obj).server
    assert server["title"] == "Weather"
    assert server["icons"] == [{"src": "https://example.com/w.png"}]
    assert "packages" not in server  # no image to package
    ext = extensions(server)
    assert ext["tags"] == ["data"]
    assert ext["tools"] == ["forecast"]
    assert ext["tool_definitions"] == [{"name": "forecast", "description": "d"}]
    assert ext["metadata"]["kubernetes"]["kind"] == "VirtualMCPServer"


@pytest.mark.parametrize(
    ("kind", "image", "annotated", "expected"),
    [
        ("MCPServer", "acme/weather:1.4.2", None, "1.4.2"),
        ("MCPServer", "acme/weather:1.4.2", "v2.0.0-rc.1", "v2.0.0-rc.1"),
        ("MCPServer", "acme/weather:latest", None, "1.0.0"),
        ("MCPServer", "registry.local:5000/weather", None, "1.0.0"),  # a port is no tag
        ("MCPServer", "acme/weather:1.4.2@sha256:abc", None, "1.4.2"),
        ("MCPRemoteProxy", "acme/weather:1.4.2", None, "1.0.0"),  # only MCPServer has an image
    ],
)
def test_the_version_comes_from_the_annotation_then_the_image_tag_then_1_0_0(
    kind: str, image: str, annotated: str | None, expected: str
) -> None:
    extra = {VERSION: annotated} if annotated else {}
    assert exported(kind, workload(image, **extra)).server["version"] == expected


def test_authz_claims_are_the_entry_s_own() -> None:
    claims = {"org": "acme", "groups": ["a", "b"]}
    assert exported("MCPServer", workload(**{AUTHZ_CLAIMS: json.dumps(claims)})).claims == claims
    assert exported("MCPServer", workload()).claims is None


@pytest.mark.parametrize(
    ("annotations", "reason"),
    [
        ({TOOLS: "[1"}, f"annotation {TOOLS}: not valid JSON"),
        ({TOOLS: "[1]"}, f"annotation {TOOLS}: must be a JSON array of strings"),
        ({TOOL_DEFINITIONS: "{}"}, f"annotation {TOOL_DEFINITIONS}: must be a JSON array"),
        ({AUTHZ_CLAIMS: "{"}, f"annotation {AUTHZ_CLAIMS}: not valid JSON"),
        ({AUTHZ_CLAIMS: '{"n": 1}'}, "claim 'n': value must be a string or array of strings"),
        ({VERSION: "1.2"}, f"annotation {VERSION}: '1.2' is not a three-part semantic version"),
        ({VERSION: "1.2.3+build"}, "is not a three-part semantic version"),
    ],
)
def test_a_malformed_annotation_skips_the_object_with_the_reason(
    annotations: dict[str, str], reason: str
) -> None:
    result = to_entry("MCPServer", workload(**annotations))
    assert isinstance(result, Skipped)
    assert reason in result.reason


def test_a_missing_required_annotation_skips_the_object() -> None:
    obj = workload()
    del obj["metadata"]["annotations"][URL]
    assert to_entry("MCPServer", obj) == Skipped(f"missing annotation {URL}")


def test_only_exactly_true_exports() -> None:
    assert is_exported(workload())
    assert not is_exported(workload(**{EXPORT: "True"}))
    assert not is_exported({"metadata": {}})


def test_names_versions_and_tags() -> None:
    assert entry_name("ns", "x") == "com.toolhive.k8s.ns/x"
    with pytest.raises(ValueError, match="exceeds 200"):
        entry_name("n" * 63, "x" * 150)
    assert is_publishable_version("v1.0.0-alpha.1")
    assert not is_publishable_version("01.0.0")
    assert image_tag("a/b@sha256:x") == ""
    assert image_tag("host:5000/b:3.2.1") == "3.2.1"


def test_an_entry_the_server_json_rules_refuse_is_skipped_naming_the_field() -> None:
    result = to_entry("MCPRemoteProxy", workload(**{URL: ""}))
    assert result == Skipped(
        "entry.remotes[0].url: url is required for streamable-http transport type"
    )
