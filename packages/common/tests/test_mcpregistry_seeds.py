"""The seed page's manifests are accepted by the model and by the CRD, and the CRD's defaulting
stores exactly what the model would dump."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp_registry_common.crdgen import build_crd
from mcp_registry_common.mcpregistry import (
    API_VERSION,
    DEFAULT_SYNC_INTERVAL,
    KIND,
    MCPRegistry,
    parse_mcpregistry,
)
from mcp_registry_testing.crd_admission import admit

REPO = Path(__file__).resolve().parents[3]
SEEDS = REPO / "examples"
CRD = build_crd()


def _seed_registries() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(SEEDS.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == KIND:
                found.append((path.name, doc))
    return found


SEED_REGISTRIES = _seed_registries()


def test_all_thirteen_seed_files_hold_a_registry() -> None:
    assert len(SEED_REGISTRIES) == 13
    assert {name for name, _ in SEED_REGISTRIES} == {p.name for p in SEEDS.glob("*.yaml")}


@pytest.mark.parametrize(("name", "doc"), SEED_REGISTRIES, ids=[n for n, _ in SEED_REGISTRIES])
def test_seed_is_accepted_by_model_and_crd_with_identical_defaults(
    name: str, doc: dict[str, Any]
) -> None:
    registry = parse_mcpregistry(doc)
    stored = admit(CRD, doc)
    assert stored["spec"] == registry.spec.to_wire()
    assert stored["metadata"] == doc["metadata"]
    assert registry.api_version == API_VERSION


def test_seed_round_trips_through_the_wire_form() -> None:
    for _, doc in SEED_REGISTRIES:
        registry = parse_mcpregistry(doc)
        assert MCPRegistry.model_validate(registry.to_wire()) == registry


def test_seeds_without_sync_policy_use_the_operator_default() -> None:
    by_name = dict(SEED_REGISTRIES)
    for name in (
        "09-oauth-kubernetes.yaml",
        "10-oauth-multiple-providers.yaml",
        "12-anonymous.yaml",
    ):
        source = parse_mcpregistry(by_name[name]).spec.sources or []
        assert source[0].sync_policy is None
    assert DEFAULT_SYNC_INTERVAL == "30m"


def test_seed_values_are_read_into_typed_fields() -> None:
    by_name = dict(SEED_REGISTRIES)
    spec = parse_mcpregistry(by_name["08-database.yaml"]).spec
    assert spec.database_config is not None
    assert spec.database_config.ssl_mode == "verify-full"
    assert spec.database_config.max_open_conns == 25
    assert spec.database_config.db_app_user_password_secret_ref.key == "db-password"
    auth = parse_mcpregistry(by_name["11-authz.yaml"]).spec.auth_config
    assert auth is not None
    assert auth.authz is not None
    assert auth.authz.roles.manage_sources == [{"org": "acme", "role": "admin"}]
    oauth = parse_mcpregistry(by_name["09-oauth-kubernetes.yaml"]).spec.auth_config
    assert oauth is not None
    assert oauth.oauth is not None
    assert oauth.oauth.providers[0].allow_private_ip is True
    pod = parse_mcpregistry(by_name["13-pod-template.yaml"]).spec.pod_template_spec
    assert pod is not None
    assert pod.spec is not None
    assert pod.spec.containers is not None
    container = pod.spec.containers[0]
    assert container.name == "registry-api"
    assert container.model_extra == {
        "resources": {
            "limits": {"cpu": "500m", "memory": "512Mi"},
            "requests": {"cpu": "100m", "memory": "128Mi"},
        }
    }
