"""The config models' defaults and the derived properties the server relies on."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_registry_common.config import (
    AuthConfig,
    DatabaseConfig,
    GitSourceConfig,
    ManagedSourceConfig,
    RegistryConfig,
    ServerConfig,
    SourceConfig,
    collect_notices,
    load_server_config_data,
)
from pydantic import SecretStr


def minimal(**extra: Any) -> dict[str, Any]:
    return {
        "sources": [{"name": "m", "managed": {}}],
        "registries": [{"name": "r", "sources": ["m"]}],
        "auth": {"mode": "anonymous"},
        **extra,
    }


@pytest.mark.parametrize(
    ("refs", "kind", "ref"),
    [
        ({}, None, None),
        ({"branch": "main"}, "branch", "main"),
        ({"branch": "main", "tag": "v1"}, "tag", "v1"),
        ({"branch": "main", "tag": "v1", "commit": "abc1234"}, "commit", "abc1234"),
        ({"tag": "v1", "commit": "abc1234"}, "commit", "abc1234"),
    ],
)
def test_git_ref_precedence_is_commit_then_tag_then_branch(
    refs: dict[str, str], kind: str | None, ref: str | None
) -> None:
    git = GitSourceConfig.model_validate({"repository": "https://e.com/r.git", **refs})

    assert (git.ref_kind, git.ref) == (kind, ref)
    assert git.path == "registry.json"


@pytest.mark.parametrize(
    ("block", "kind", "synced"),
    [
        ({"git": {"repository": "file:///srv/r"}}, "git", True),
        ({"api": {"endpoint": "http://127.0.0.1:8080"}}, "api", True),
        ({"file": {"path": "data/registry.json"}}, "file", True),
        ({"managed": {}}, "managed", False),
        ({"kubernetes": {}}, "kubernetes", False),
    ],
)
def test_source_kind_and_synced(block: dict[str, Any], kind: str, synced: bool) -> None:
    policy = {"syncPolicy": {"interval": "1m"}} if synced else {}

    source = SourceConfig.model_validate({"name": "s", **block, **policy})

    assert source.kind == kind
    assert source.synced is synced


def test_source_defaults() -> None:
    sources = [
        {
            "name": "a",
            "api": {"endpoint": "https://r.example.com"},
            "syncPolicy": {"interval": "1h"},
        },
        {"name": "f", "file": {"url": "https://e.com/r.json"}, "syncPolicy": {"interval": "1h"}},
    ]
    registries = [{"name": "r", "sources": ["a", "f"]}]
    config = load_server_config_data(minimal(sources=sources, registries=registries)).config
    api, file = config.sources[0].api, config.sources[1].file

    assert api is not None
    assert (api.timeout, api.max_pages) == ("10s", 1000)
    assert file is not None
    assert (file.timeout, file.timeout_seconds) == (None, 30.0)
    assert config.sources[0].format is None


def test_sync_timeouts_are_optional_and_known() -> None:
    git = {"repository": "git://git.example.com/r.git"}
    sources = [
        {"name": "g", "git": git, "syncPolicy": {"interval": "1h"}},
        {
            "name": "t",
            "git": {**git, "timeout": "1m30s"},
            "syncPolicy": {"interval": "1h", "timeout": "2m"},
        },
    ]
    registries = [{"name": "r", "sources": ["g", "t"]}]
    loaded = load_server_config_data(minimal(sources=sources, registries=registries))
    plain, timed = loaded.config.sources
    assert loaded.config.sync is None
    assert plain.git is not None
    assert plain.sync_policy is not None
    assert (plain.git.timeout, plain.git.timeout_seconds, plain.sync_policy.timeout) == (
        None,
        60.0,
        None,
    )
    assert timed.git is not None
    assert timed.sync_policy is not None
    assert (timed.git.timeout_seconds, timed.sync_policy.timeout) == (90.0, "2m")

    with_sync = load_server_config_data(minimal(sync={"timeout": "5m"}))
    assert with_sync.warnings == []
    assert with_sync.config.sync is not None
    assert with_sync.config.sync.timeout == "5m"


def test_database_defaults_and_migration_credentials() -> None:
    db = DatabaseConfig.model_validate(
        {"host": "h", "port": 5432, "user": "app", "database": "d", "password": "pw"}
    )

    assert db.migration_user == "app"
    assert (db.ssl_mode, db.max_open_conns, db.max_idle_conns) == ("prefer", 10, 2)
    assert (db.conn_max_lifetime, db.max_meta_size) == ("30m", 262144)
    assert db.resolved_migration_password == SecretStr("pw")

    other = db.model_copy(update={"migration_user": "migrator"})
    assert other.resolved_migration_password is None
    own = other.model_copy(update={"migration_password": SecretStr("mpw")})
    assert own.resolved_migration_password == SecretStr("mpw")


def test_database_is_optional_and_auth_defaults() -> None:
    config = load_server_config_data(
        minimal(
            auth={
                "mode": "oauth",
                "oauth": {
                    "providers": [{"name": "p", "issuerUrl": "https://i.e.com", "audience": "a"}]
                },
            }
        )
    ).config

    assert config.database is None
    assert config.telemetry is None
    assert config.audit is None
    assert config.auth.oauth is not None
    assert config.auth.oauth.realm == "mcp-registry"
    assert config.auth.oauth.scopes_supported is None
    assert config.auth.oauth.providers[0].allow_private_ip is False
    assert config.auth.authz is None


def test_claim_keys_keep_their_case() -> None:
    doc = minimal(
        auth={
            "mode": "anonymous",
            "authz": {"roles": {"manageEntries": [{"preferredUsername": "ann"}]}},
        }
    )
    doc["sources"][0]["claims"] = {"Org": ["Acme", "Beta"]}

    config = load_server_config_data(doc).config

    assert config.sources[0].claims == {"Org": ["Acme", "Beta"]}
    assert config.auth.authz is not None
    assert config.auth.authz.roles == {"manageEntries": [{"preferredUsername": "ann"}]}


def test_lookup_helpers() -> None:
    doc = minimal()
    doc["sources"].append({"name": "k", "kubernetes": {"namespaces": ["a", "b"]}})
    config = ServerConfig.model_validate(doc)

    assert config.source("k").kubernetes is not None
    assert config.managed_source is config.sources[0]
    with pytest.raises(KeyError):
        config.source("nope")


def test_a_config_built_in_python_reports_misspelt_keywords() -> None:
    config = ServerConfig(
        sources=[SourceConfig(name="m", managed=ManagedSourceConfig())],
        registries=[RegistryConfig(name="r", sources=["m"])],
        auth=AuthConfig(mode="anonymous", public_path=["/x"]),
    )

    assert collect_notices(config) == [
        "auth.public_path: unknown key (ignored); did you mean 'publicPaths'?"
    ]
    assert config.auth.public_paths == []
