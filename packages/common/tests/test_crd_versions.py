"""v1alpha1 and v1beta1: one schema under both names, v1beta1 stored, and every object
ToolHive's CRD stores (v1beta1) is one ours accepts unchanged, so our CRD can replace it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp_registry_common.crdgen import build_crd
from mcp_registry_common.mcpregistry import API_VERSION, parse_mcpregistry
from mcp_registry_testing.crd_admission import admit

REPO = Path(__file__).resolve().parents[3]
TOOLHIVE_CRD_FILE = REPO / "testdata" / "toolhive" / "mcpregistries-crd.yaml"
TOOLHIVE_CRD = yaml.safe_load(TOOLHIVE_CRD_FILE.read_text())

TOOLHIVE_OBJECT: dict[str, Any] = {
    "apiVersion": "toolhive.stacklok.dev/v1beta1",
    "kind": "MCPRegistry",
    "metadata": {"name": "pgpass-configyaml", "namespace": "toolhive-system"},
    "spec": {
        "displayName": "Database Registry with PGPass (configYAML)",
        "configYAML": "sources:\n  - name: production\n    file:\n"
        "      path: /config/registry/production/registry.json\n",
        "pgpassSecretRef": {"name": "my-registry-pgpass", "key": ".pgpass"},
        "volumes": [
            {
                "name": "registry-data-production",
                "configMap": {
                    "name": "prod-registry",
                    "items": [{"key": "registry.json", "path": "registry.json"}],
                },
            }
        ],
        "volumeMounts": [
            {
                "name": "registry-data-production",
                "mountPath": "/config/registry/production",
                "readOnly": True,
            }
        ],
        "imagePullSecrets": [{"name": "regcred"}],
        "podTemplateSpec": {"spec": {"tolerations": [{"key": "dedicated", "operator": "Exists"}]}},
    },
    "status": {
        "phase": "Ready",
        "message": "Registry API is ready and serving requests",
        "url": "http://pgpass-configyaml-api.toolhive-system:8080",
        "readyReplicas": 1,
        "observedGeneration": 1,
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "Ready",
                "message": "Registry API is ready and serving requests",
                "lastTransitionTime": "2026-08-21T10:00:00Z",
                "observedGeneration": 1,
            }
        ],
    },
}
"""As ToolHive's operator leaves one (its pgpass example, with the status it writes)."""


def _versions(crd: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in crd["spec"]["versions"]}


def test_both_versions_are_served_with_one_schema_and_v1beta1_is_stored() -> None:
    crd = build_crd()
    versions = _versions(crd)
    assert set(versions) == {"v1alpha1", "v1beta1"}
    assert [n for n, v in versions.items() if v["storage"]] == ["v1beta1"]
    alpha, beta = ({k: v for k, v in ver.items() if k != "name" and k != "storage"}
                   for ver in versions.values())  # fmt: skip
    assert alpha == beta, "conversion None needs the same schema under every version"
    assert crd["spec"]["conversion"] == {"strategy": "None"}
    assert not any(v.get("deprecated") for v in versions.values())


def test_our_crd_serves_every_version_toolhive_stored() -> None:
    """The API server refuses a CRD update that drops a version an object may be stored in."""
    theirs = _versions(TOOLHIVE_CRD)
    ours = _versions(build_crd())
    assert set(theirs) <= set(ours)
    assert all(ours[name]["served"] for name in theirs)


def _leaves(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, schema
    for name, child in (schema.get("properties") or {}).items():
        yield from _leaves(child, f"{path}.{name}")
    if "items" in schema:
        yield from _leaves(schema["items"], f"{path}[]")


def _node(schema: dict[str, Any], path: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = schema
    for part in path.replace("[]", ".[]").split(".")[1:]:
        if node is None:
            return None
        if node.get("x-kubernetes-preserve-unknown-fields"):
            return node
        node = node.get("items") if part == "[]" else (node.get("properties") or {}).get(part)
    return node


@pytest.mark.parametrize("version", ["v1alpha1", "v1beta1"])
def test_every_field_of_toolhives_schema_is_in_ours_with_its_type(version: str) -> None:
    theirs = _versions(TOOLHIVE_CRD)[version]["schema"]["openAPIV3Schema"]
    ours = _versions(build_crd())[version]["schema"]["openAPIV3Schema"]
    missing = []
    for path, node in _leaves(theirs):
        mine = _node(ours, path)
        if mine is None:
            missing.append(f"{path}: absent")
        elif mine.get("x-kubernetes-preserve-unknown-fields") and "type" not in mine:
            continue
        elif node.get("type") != mine.get("type"):
            missing.append(f"{path}: {node.get('type')} here, {mine.get('type')} in ours")
    assert not missing, missing


@pytest.mark.parametrize("version", ["v1alpha1", "v1beta1"])
def test_an_object_toolhive_stored_is_admitted_by_our_crd_unchanged(version: str) -> None:
    obj = {**TOOLHIVE_OBJECT, "apiVersion": f"toolhive.stacklok.dev/{version}"}
    assert admit(TOOLHIVE_CRD, obj) == obj  # the object is one ToolHive's CRD accepts
    assert admit(build_crd(), obj) == obj


def test_the_model_reads_either_version() -> None:
    beta = parse_mcpregistry(TOOLHIVE_OBJECT)
    assert beta.api_version == "toolhive.stacklok.dev/v1beta1"
    assert beta.spec.pgpass_secret_ref is not None
    alpha = parse_mcpregistry({**TOOLHIVE_OBJECT, "apiVersion": API_VERSION})
    assert alpha.spec == beta.spec
