"""THV_REGISTRY_<KEY> overrides: the variable names (viper's `.` -> `_`, upper case), what they
set, and precedence over the file."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_registry_common.config import ConfigError, ServerConfig, load_server_config
from mcp_registry_common.config.envoverrides import apply_env_overrides, env_keys

BASE: dict[str, Any] = {
    "sources": [{"name": "m", "managed": {}}],
    "registries": [{"name": "default", "sources": ["m"]}],
    "auth": {"mode": "anonymous"},
    "database": {"host": "db", "port": 5432, "user": "app", "database": "registry"},
}
FILE = """
sources: [{name: m, managed: {}}]
registries: [{name: default, sources: [m]}]
auth: {mode: anonymous}
database: {host: db, port: 5432, user: app, database: registry}
"""


def test_variable_names_follow_viper() -> None:
    keys = env_keys(ServerConfig)
    assert keys["THV_REGISTRY_DATABASE_HOST"].path == ("database", "host")
    assert keys["THV_REGISTRY_DATABASE_MIGRATIONPASSWORD"].path == (
        "database",
        "migrationPassword",
    )
    assert keys["THV_REGISTRY_AUTH_OAUTH_REALM"].path == ("auth", "oauth", "realm")
    assert keys["THV_REGISTRY_TELEMETRY_TRACING_SAMPLING"].dotted == "telemetry.tracing.sampling"
    assert keys["THV_REGISTRY_AUTH_PUBLICPATHS"].is_list
    # arrays of objects and maps have no variable
    assert not any(
        var.startswith(("THV_REGISTRY_SOURCES", "THV_REGISTRY_REGISTRIES")) for var in keys
    )
    assert not any("CLAIMS" in var or "ROLES" in var or "PROVIDERS" in var for var in keys)


def test_overrides_are_applied_without_changing_the_input() -> None:
    env = {
        "THV_REGISTRY_DATABASE_HOST": "postgres.example.com",
        "thv_registry_database_port": "6543",  # case-insensitive, as viper
        "THV_REGISTRY_AUTH_PUBLICPATHS": "/docs, /status ,",
        "THV_REGISTRY_TELEMETRY_ENABLED": "true",  # absent from the file: created
        "THV_REGISTRY_UNKNOWN": "x",
        "MCP_REGISTRY_DATABASE_HOST": "ignored",
    }
    result = apply_env_overrides(BASE, env, model=ServerConfig)
    assert result.document["database"] == {
        **BASE["database"],
        "host": "postgres.example.com",
        "port": "6543",
    }
    assert result.document["auth"] == {"mode": "anonymous", "publicPaths": ["/docs", "/status"]}
    assert result.document["telemetry"] == {"enabled": "true"}
    assert [key.dotted for key in result.applied] == [
        "auth.publicPaths",
        "database.host",
        "telemetry.enabled",
        "database.port",
    ]
    assert BASE["database"]["host"] == "db"


def test_a_non_object_in_the_way_is_left_to_validation() -> None:
    document = {**BASE, "telemetry": "on"}
    result = apply_env_overrides(
        document, {"THV_REGISTRY_TELEMETRY_ENABLED": "1"}, model=ServerConfig
    )
    assert result.document["telemetry"] == "on"
    assert result.applied == ()


def test_environment_wins_over_the_file_and_values_are_converted() -> None:
    env = {
        "THV_REGISTRY_DATABASE_PORT": "6543",
        "THV_REGISTRY_DATABASE_PASSWORD": "s3cret",
        "THV_REGISTRY_TELEMETRY_ENABLED": "true",
        "THV_REGISTRY_TELEMETRY_TRACING_ENABLED": "true",
        "THV_REGISTRY_TELEMETRY_TRACING_SAMPLING": "0.25",
    }
    loaded = load_server_config(FILE, env=env)
    database, telemetry = loaded.config.database, loaded.config.telemetry
    assert database is not None
    assert telemetry is not None
    assert telemetry.tracing is not None
    assert database.port == 6543
    assert database.password is not None
    assert database.password.get_secret_value() == "s3cret"
    assert (telemetry.enabled, telemetry.tracing.sampling) == (True, 0.25)
    assert "THV_REGISTRY_DATABASE_PASSWORD" in loaded.from_env
    assert load_server_config(FILE).from_env == ()


def test_a_bad_value_names_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        load_server_config(FILE, env={"THV_REGISTRY_DATABASE_PORT": "five"})
    assert any(problem.startswith("database.port") for problem in caught.value.problems)
