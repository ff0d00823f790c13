"""Golden tests: every seed manifest renders to the checked-in config.yaml and objects.

Regenerate after an intended change with `UPDATE_GOLDEN=1 hatch run test packages/operator`,
then review the diff like code."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from mcp_registry_common.config import load_server_config
from mcp_registry_common.mcpregistry import MCPRegistry, parse_mcpregistry
from mcp_registry_operator.resources.desired import Inputs, build_desired, references, render
from mcp_registry_operator.resources.pgpass import DatabasePasswords

REPO = Path(__file__).resolve().parents[3]
SEED = REPO / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
INPUTS = Inputs(
    image="ghcr.io/mcp-registry/mcp-registry-server:0.1.0",
    internal_token="golden-internal-token-0123456789abcdefghijklmno",
    passwords=DatabasePasswords(app="app:pass\\word", migration="migrator-secret"),
    references_digest="0" * 64,
)


def seed_registry(path: Path) -> MCPRegistry:
    (doc,) = [d for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] == "MCPRegistry"]
    doc["metadata"].setdefault("namespace", "default")
    doc["metadata"]["uid"] = "11111111-2222-3333-4444-555555555555"
    return parse_mcpregistry(doc)


SEEDS = sorted(SEED.glob("*.yaml"))


def check_golden(path: Path, text: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(), f"{path} differs: review, then UPDATE_GOLDEN=1"


def dump_objects(objects: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=True, default_flow_style=False)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_renders_to_golden_files(seed: Path) -> None:
    desired = build_desired(seed_registry(seed), INPUTS)
    check_golden(GOLDEN / seed.stem / "config.yaml", desired.config_yaml)
    check_golden(GOLDEN / seed.stem / "objects.yaml", dump_objects(desired.objects))
    assert desired.pod_template_problems == []


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_rendered_config_loads_in_the_server_without_warnings(seed: Path) -> None:
    desired = build_desired(seed_registry(seed), INPUTS)
    loaded = load_server_config(desired.config_yaml)
    assert loaded.warnings == []
    assert loaded.config == desired.config


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_every_built_object_is_a_valid_kubernetes_object(seed: Path) -> None:
    for obj in build_desired(seed_registry(seed), INPUTS).objects:
        kubernetes_validate.validate(obj, "1.33", strict=True)


def test_no_password_reaches_the_config_map() -> None:
    desired = build_desired(seed_registry(SEED / "08-database.yaml"), INPUTS)
    config_map = desired.objects[0]
    assert config_map["kind"] == "ConfigMap"
    text = yaml.safe_dump(config_map)
    assert "migrator-secret" not in text
    assert "pass" not in config_map["data"]["config.yaml"]
    kinds = [o["kind"] for o in desired.objects]
    assert kinds == [
        "ConfigMap", "ServiceAccount", "Role", "RoleBinding", "Secret", "Deployment", "Service",
    ]  # fmt: skip


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_the_service_exposes_the_api_port_only(seed: Path) -> None:
    """The internal port (status, manual sync) is on no Service: the operator asks pods on
    their IPs, and users find only the API behind `<n>-api`."""
    objects = build_desired(seed_registry(seed), INPUTS).objects
    (service,) = [o for o in objects if o["kind"] == "Service"]
    assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [("http", 8080)]
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    containers = deployment["spec"]["template"]["spec"]["containers"]
    (server,) = [c for c in containers if c["name"] == "registry-api"]
    assert {p["name"]: p["containerPort"] for p in server["ports"]} == {
        "http": 8080,
        "internal": 8081,  # still on the pod: the probes and the operator use it
    }


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_the_reference_index_sees_what_a_render_references(seed: Path) -> None:
    """`references` (asked at every change of a registry) skips the YAML, not a reference."""
    registry = seed_registry(seed)
    assert references(registry) == render(registry).references


def test_references_include_git_and_database_secrets() -> None:
    git_refs = references(seed_registry(SEED / "03-private-git.yaml"))
    assert git_refs == [("Secret", "git-credentials")]
    assert references(seed_registry(SEED / "08-database.yaml")) == [
        ("Secret", "registry-api-db-passwords")
    ]
    assert references(seed_registry(SEED / "04-configmap.yaml")) == [("ConfigMap", "registry-data")]


def test_git_ref_precedence_renders_only_the_winning_ref() -> None:
    """The seed page: if several are given, commit wins over tag, which wins over branch."""
    registry = seed_registry(SEED / "02-git.yaml")
    doc = registry.to_wire()
    doc["spec"]["sources"][0]["git"].update({"tag": "v1.2.0", "commit": "a1b2c3d4"})
    config = build_desired(parse_mcpregistry(doc), INPUTS).config
    git = config.sources[0].git
    assert git is not None
    assert (git.commit, git.tag, git.branch) == ("a1b2c3d4", None, None)
    doc["spec"]["sources"][0]["git"].pop("commit")
    git = build_desired(parse_mcpregistry(doc), INPUTS).config.sources[0].git
    assert git is not None
    assert (git.commit, git.tag, git.branch) == (None, "v1.2.0", None)


def test_the_provider_that_introspects_opaque_tokens_is_carried_to_the_config() -> None:
    registry = seed_registry(SEED / "10-oauth-multiple-providers.yaml")
    doc = registry.to_wire()
    okta = doc["spec"]["authConfig"]["oauth"]["providers"][1]
    okta.update(introspectionUrl="https://example.okta.com/introspect", introspectOpaqueTokens=True)
    config = build_desired(parse_mcpregistry(doc), INPUTS).config
    assert config.auth.oauth is not None
    opted = [p.introspect_opaque_tokens for p in config.auth.oauth.providers]
    assert opted == [None, True]
    assert (
        "introspectOpaqueTokens: true" in build_desired(parse_mcpregistry(doc), INPUTS).config_yaml
    )


def test_quantities_in_a_pod_template_are_applied_as_the_api_server_stores_them() -> None:
    """`cpu: 0.5` is stored as "500m": applying "500m" keeps intent and stored object equal, so
    the drift check sees no difference and a Ready registry is not re-applied every time."""
    doc = seed_registry(SEED / "13-pod-template.yaml").to_wire()
    doc["spec"]["podTemplateSpec"]["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": 0.5, "memory": "1G"},
        "limits": {"cpu": 1, "memory": "1.5Gi"},
    }
    doc["spec"]["podTemplateSpec"]["spec"]["volumes"] = [
        {"name": "scratch", "emptyDir": {"sizeLimit": "0.5Gi"}}
    ]
    desired = build_desired(parse_mcpregistry(doc), INPUTS)
    (deployment,) = [o for o in desired.objects if o["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (server,) = [c for c in pod["containers"] if c["name"] == "registry-api"]
    assert server["resources"] == {
        "requests": {"cpu": "500m", "memory": "1G"},
        "limits": {"cpu": "1", "memory": "1536Mi"},
    }
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["scratch"]["emptyDir"] == {"sizeLimit": "512Mi"}


def test_telemetry_config_reaches_the_server_config() -> None:
    registry = seed_registry(SEED / "01-minimal.yaml")
    telemetry = {
        "enabled": True,
        "serviceName": "team-registry",
        "endpoint": "otel-collector.observability:4318",
        "insecure": True,
        "tracing": {"enabled": True, "sampling": "0.25"},
        "metrics": {"enabled": True},
    }
    document = registry.model_dump(by_alias=True, exclude_none=True, mode="json")
    document["spec"]["telemetryConfig"] = telemetry
    desired = build_desired(parse_mcpregistry(document), INPUTS)
    rendered = yaml.safe_load(desired.config_yaml)["telemetry"]
    assert rendered == {
        **telemetry,
        "serviceVersion": "unknown",
        "tracing": {"enabled": True, "sampling": 0.25},
    }
    loaded = load_server_config(desired.config_yaml).config.telemetry
    assert loaded is not None
    assert loaded.tracing is not None
    assert (loaded.endpoint, loaded.insecure, loaded.tracing.sampling) == (
        "otel-collector.observability:4318",
        True,
        0.25,
    )
