"""Schema defaults applied by the API server match the pydantic defaults."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.crdgen import build_crd
from mcp_registry_common.mcpregistry import parse_mcpregistry
from mcp_registry_testing.crd_admission import admit

CRD = build_crd()

MINIMAL: dict[str, Any] = {
    "apiVersion": "toolhive.stacklok.dev/v1alpha1",
    "kind": "MCPRegistry",
    "metadata": {"name": "defaults", "namespace": "ns"},
    "spec": {
        "sources": [
            {"name": "catalog", "git": {"repository": "https://example.com/catalog.git"}},
            {"name": "files", "url": {"endpoint": "https://example.com/registry.json"}},
            {"name": "internal", "managed": {}},
            {"name": "cluster", "kubernetes": {}},
            {
                "name": "filtered",
                "api": {"endpoint": "https://r.example.com"},
                "filter": {"names": {"include": ["io.github/*"]}, "tags": {}},
            },
        ],
        "registries": [{"name": "default", "sources": ["catalog", "files", "internal"]}],
        "databaseConfig": {
            "dbAppUserPasswordSecretRef": {"name": "db", "key": "app"},
            "dbMigrationUserPasswordSecretRef": {"name": "db", "key": "migrator"},
        },
        "authConfig": {
            "mode": "oauth",
            "oauth": {"providers": [{"name": "idp", "issuerUrl": "https://idp", "audience": "r"}]},
            "authz": {"roles": {"superAdmin": [{"group": ["admins", "ops"]}]}},
        },
        "telemetryConfig": {"tracing": {}, "metrics": {}},
    },
}


def test_admission_fills_the_schema_defaults() -> None:
    spec = admit(CRD, MINIMAL)["spec"]
    sources = {s["name"]: s for s in spec["sources"]}
    assert {s["format"] for s in sources.values()} == {"toolhive"}
    assert sources["catalog"]["git"]["path"] == "registry.json"
    assert sources["cluster"]["kubernetes"] == {"namespaces": []}
    assert sources["filtered"]["filter"] == {
        "names": {"include": ["io.github/*"], "exclude": []},
        "tags": {"include": [], "exclude": []},
    }
    db = spec["databaseConfig"]
    assert {k: v for k, v in db.items() if not k.endswith("SecretRef")} == {
        "host": "postgres",
        "port": 5432,
        "user": "db_app",
        "migrationUser": "db_migrator",
        "database": "registry",
        "sslMode": "prefer",
        "maxOpenConns": 10,
        "maxIdleConns": 2,
        "connMaxLifetime": "30m",
    }
    auth = spec["authConfig"]
    assert auth["publicPaths"] == []
    assert auth["oauth"]["providers"][0]["allowPrivateIP"] is False
    assert auth["authz"]["roles"] == {
        "superAdmin": [{"group": ["admins", "ops"]}],
        "manageSources": [],
        "manageRegistries": [],
        "manageEntries": [],
    }
    assert spec["telemetryConfig"] == {
        "enabled": False,
        "insecure": False,
        "tracing": {"enabled": False},
        "metrics": {"enabled": False},
    }


def test_crd_defaults_equal_pydantic_defaults() -> None:
    assert admit(CRD, MINIMAL)["spec"] == parse_mcpregistry(MINIMAL).spec.to_wire()


def test_absent_blocks_get_no_defaults() -> None:
    doc = {
        **MINIMAL,
        "spec": {
            "sources": MINIMAL["spec"]["sources"][:1],
            "registries": [{"name": "r", "sources": ["catalog"]}],
        },
    }
    spec = admit(CRD, doc)["spec"]
    assert set(spec) == {"sources", "registries"}
    assert "syncPolicy" not in spec["sources"][0]
    assert parse_mcpregistry(doc).spec.database_config is None


def test_explicit_null_is_pruned_or_defaulted_like_the_api_server() -> None:
    doc = {**MINIMAL, "spec": {**MINIMAL["spec"], "displayName": None, "telemetryConfig": None}}
    doc["spec"]["databaseConfig"] = {**MINIMAL["spec"]["databaseConfig"], "port": None}
    spec = admit(CRD, doc)["spec"]
    assert "displayName" not in spec
    assert "telemetryConfig" not in spec
    assert spec["databaseConfig"]["port"] == 5432
