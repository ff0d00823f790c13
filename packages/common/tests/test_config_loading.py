"""Loading config.yaml: one defect per invalid config, named by its key path; warnings; dump."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from mcp_registry_common.config import (
    ConfigError,
    ServerConfig,
    dump_server_config,
    load_server_config,
    load_server_config_data,
)
from mcp_registry_common.config.notices import unknown_keys_in

DELETE = object()

VALID: dict[str, Any] = {
    "sources": [
        {
            "name": "git-src",
            "git": {"repository": "https://example.com/r.git", "branch": "main"},
            "syncPolicy": {"interval": "30m"},
            "claims": {"org": "acme"},
        },
        {
            "name": "api-src",
            "format": "upstream",
            "api": {"endpoint": "https://registry.example.com"},
            "syncPolicy": {"interval": "1h"},
            "filter": {"names": {"include": ["io.github.*"]}, "tags": {"exclude": ["beta"]}},
        },
        {
            "name": "file-src",
            "file": {"url": "https://example.com/registry.json", "timeout": "15s"},
            "syncPolicy": {"interval": "5m"},
        },
        {"name": "managed-src", "managed": {}},
        {"name": "k8s-src", "kubernetes": {"namespaces": ["default"]}},
    ],
    "registries": [
        {
            "name": "default",
            "sources": ["git-src", "api-src", "managed-src"],
            "claims": {"groups": ["eng", "ops"]},
        },
        {"name": "files", "sources": ["file-src", "k8s-src"]},
    ],
    "database": {"host": "localhost", "port": 5432, "user": "app", "database": "registry"},
    "auth": {
        "mode": "oauth",
        "publicPaths": ["/docs"],
        "oauth": {
            "resourceUrl": "https://registry.example.com",
            "providers": [
                {"name": "idp", "issuerUrl": "https://idp.example.com", "audience": "api://r"}
            ],
        },
        "authz": {"roles": {"superAdmin": [{"role": "admin"}], "manageEntries": [{"org": "a"}]}},
    },
    "telemetry": {"enabled": True, "tracing": {"enabled": True, "sampling": 0.5}},
    "audit": {"enabled": True, "maxDataSize": 2048},
}


def changed(*edits: tuple[tuple[str | int, ...], object]) -> dict[str, Any]:
    """VALID with each (location, value) set (appended one past a list's end), or deleted
    when the value is DELETE."""
    doc = copy.deepcopy(VALID)
    for loc, value in edits:
        parent: Any = doc
        for part in loc[:-1]:
            parent = parent[part]
        if value is DELETE:
            del parent[loc[-1]]
        elif isinstance(parent, list) and loc[-1] == len(parent):
            parent.append(value)
        else:
            parent[loc[-1]] = value
    return doc


def problems_of(doc: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_server_config(yaml.safe_dump(doc))
    return caught.value.problems


PROVIDER = ("auth", "oauth", "providers", 0)
ROLES = ("auth", "authz", "roles")
# One defect per case: (edits to VALID, the key path the problem names, text it contains).
INVALID = [
    pytest.param(
        [(("sources",), [])],
        "sources",
        "at least one source must be configured",
        id="no-sources",
    ),
    pytest.param(
        [(("sources",), DELETE)],
        "sources",
        "at least one source must",
        id="sources-missing",
    ),
    pytest.param(
        [(("sources",), {"a": 1})],
        "sources",
        "valid list",
        id="sources-mapping",
    ),
    pytest.param(
        [(("registries",), DELETE)],
        "registries",
        "at least one registry",
        id="no-registries",
    ),
    pytest.param(
        [(("auth",), DELETE)],
        "auth",
        "auth configuration is required",
        id="no-auth",
    ),
    pytest.param(
        [(("sources", 0, "name"), DELETE)],
        "sources[0].name",
        "name is required",
        id="name-missing",
    ),
    pytest.param(
        [(("sources", 0, "name"), "")],
        "sources[0].name",
        "name is required",
        id="name-empty",
    ),
    pytest.param(
        [(("sources", 0, "name"), "Git_Src")],
        "sources[0].name",
        "valid DNS subdomain",
        id="name-upper",
    ),
    pytest.param(
        [(("sources", 0, "name"), "a" * 64)],
        "sources[0].name",
        "max 63 chars",
        id="name-64",
    ),
    pytest.param(
        [(("sources", 5), {"name": "git-src", "kubernetes": {}})],
        "sources[5].name",
        "duplicate source name 'git-src'",
        id="name-dup",
    ),
    pytest.param(
        [(("sources", 0, "git"), DELETE)],
        "sources[0]",
        "one of git, api, file, managed, or kubernetes configuration must be specified",
        id="no-type",
    ),
    pytest.param(
        [(("sources", 0, "managed"), {})],
        "sources[0]",
        "only one of git, api, file, managed, or kubernetes configuration may be specified",
        id="two-types",
    ),
    pytest.param(
        [(("sources", 1, "syncPolicy"), DELETE)],
        "sources[1].syncPolicy.interval",
        "syncPolicy.interval is required",
        id="no-sync-policy",
    ),
    pytest.param(
        [(("sources", 0, "syncPolicy"), {})],
        "sources[0].syncPolicy.interval",
        "syncPolicy.interval is required",
        id="no-interval",
    ),
    pytest.param(
        [(("sources", 0, "syncPolicy", "interval"), "1d")],
        "sources[0].syncPolicy.interval",
        "invalid duration",
        id="bad-interval",
    ),
    pytest.param(
        [(("sources", 0, "syncPolicy", "interval"), "0s")],
        "sources[0].syncPolicy.interval",
        "must be greater than zero",
        id="zero-interval",
    ),
    pytest.param(
        [(("sources", 0, "syncPolicy", "timeout"), "0s")],
        "sources[0].syncPolicy.timeout",
        "must be greater than zero",
        id="zero-attempt-timeout",
    ),
    pytest.param(
        [(("sources", 0, "git", "timeout"), "soon")],
        "sources[0].git.timeout",
        "invalid duration",
        id="bad-git-timeout",
    ),
    pytest.param(
        [(("sync",), {"timeout": "0s"})],
        "sync.timeout",
        "must be greater than zero",
        id="zero-sync-timeout",
    ),
    pytest.param(
        [(("sources", 1, "format"), "json")],
        "sources[1].format",
        "'toolhive' or 'upstream'",
        id="format",
    ),
    pytest.param(
        [(("sources", 0, "git", "repository"), DELETE)],
        "sources[0].git.repository",
        "git.repository is required",
        id="git-repo",
    ),
    pytest.param(
        [(("sources", 0, "git", "path"), "/etc/registry.json")],
        "sources[0].git.path",
        "relative to the repository root",
        id="git-abs-path",
    ),
    pytest.param(
        [(("sources", 0, "git", "path"), "a/../../x.json")],
        "sources[0].git.path",
        "'..'",
        id="git-dotdot",
    ),
    pytest.param(
        [(("sources", 0, "git", "commit"), "main~1")],
        "sources[0].git.commit",
        "hexadecimal",
        id="git-commit",
    ),
    pytest.param(
        [(("sources", 0, "git", "auth"), {"username": "u"})],
        "sources[0].git.auth",
        "git.auth.username and git.auth.passwordFile must both be specified",
        id="git-user-only",
    ),
    pytest.param(
        [(("sources", 0, "git", "auth"), {"username": "u", "passwordFile": "pw"})],
        "sources[0].git.auth.passwordFile",
        "git.auth.passwordFile must be an absolute path",
        id="git-rel-pwfile",
    ),
    pytest.param(
        [(("sources", 1, "api", "endpoint"), DELETE)],
        "sources[1].api.endpoint",
        "api.endpoint is required",
        id="api-endpoint",
    ),
    pytest.param(
        [(("sources", 1, "api", "endpoint"), "registry.example.com")],
        "sources[1].api.endpoint",
        "absolute URL with host",
        id="api-relative",
    ),
    pytest.param(
        [(("sources", 1, "api", "endpoint"), "ftp://r.example.com")],
        "sources[1].api.endpoint",
        "http or https",
        id="api-scheme",
    ),
    pytest.param(
        [(("sources", 1, "api", "timeout"), "0s")],
        "sources[1].api.timeout",
        "api.timeout must be greater than zero",
        id="api-timeout-0",
    ),
    pytest.param(
        [(("sources", 1, "api", "timeout"), "6m")],
        "sources[1].api.timeout",
        "api.timeout must not exceed 5m0s",
        id="api-timeout-6m",
    ),
    pytest.param(
        [(("sources", 1, "api", "maxPages"), 0)],
        "sources[1].api.maxPages",
        "greater than or equal to 1",
        id="api-pages",
    ),
    pytest.param(
        [(("sources", 2, "file", "path"), "/data/r.json")],
        "sources[2].file",
        "file.path and file.url are mutually exclusive",
        id="file-both",
    ),
    pytest.param(
        [(("sources", 2, "file"), {})],
        "sources[2].file",
        "file.path or file.url is required",
        id="file-neither",
    ),
    pytest.param(
        [(("sources", 2, "file", "url"), "s3://bucket/r.json")],
        "sources[2].file.url",
        "file.url must use http or https scheme",
        id="file-scheme",
    ),
    pytest.param(
        [(("sources", 2, "file", "url"), "https:///r.json")],
        "sources[2].file.url",
        "file.url must be an absolute URL with host",
        id="file-no-host",
    ),
    pytest.param(
        [(("sources", 5), {"name": "m2", "managed": {}})],
        "sources",
        "at most one managed source is allowed, found 2",
        id="two-managed",
    ),
    pytest.param(
        [(("sources", 4, "kubernetes", "namespaces"), ["ok", "Not_OK"])],
        "sources[4].kubernetes.namespaces[1]",
        "DNS label",
        id="namespace",
    ),
    pytest.param(
        [(("sources", 0, "claims", "org"), 42)],
        "sources[0].claims.org",
        "value must be a string or array of strings, got number",
        id="claim-number",
    ),
    pytest.param(
        [(("registries", 0, "claims", "groups", 1), True)],
        "registries[0].claims.groups[1]",
        "array element must be a string, got boolean",
        id="claim-element",
    ),
    pytest.param(
        [(("registries", 0, "name"), DELETE)],
        "registries[0].name",
        "name is required",
        id="reg-name",
    ),
    pytest.param(
        [(("registries", 0, "name"), "a/b")],
        "registries[0].name",
        "must not contain '/'",
        id="reg-slash",
    ),
    pytest.param(
        [(("registries", 1, "name"), "default")],
        "registries[1].name",
        "duplicate registry name 'default'",
        id="reg-dup",
    ),
    pytest.param(
        [(("registries", 0, "sources"), [])],
        "registries[0].sources",
        "at least one source is required",
        id="reg-empty",
    ),
    pytest.param(
        [(("registries", 1, "sources", 1), "nope")],
        "registries[1].sources",
        "references unknown source 'nope'",
        id="reg-unknown",
    ),
    pytest.param(
        [(("registries", 1, "sources", 1), "file-src")],
        "registries[1].sources[1]",
        "duplicate source 'file-src'",
        id="reg-dup-source",
    ),
    pytest.param(
        [(("auth", "mode"), "basic")],
        "auth.mode",
        "invalid auth.mode: basic (must be 'anonymous' or 'oauth')",
        id="mode-bad",
    ),
    pytest.param(
        [(("auth", "mode"), DELETE)],
        "auth.mode",
        "auth.mode is required",
        id="mode-missing",
    ),
    pytest.param(
        [(("auth", "oauth"), DELETE)],
        "auth.oauth",
        "auth.oauth is required when mode is oauth",
        id="oauth-missing",
    ),
    pytest.param(
        [(("auth", "oauth", "providers"), [])],
        "auth.oauth.providers",
        "auth.oauth.providers is required when mode is oauth",
        id="providers-empty",
    ),
    pytest.param(
        [((*PROVIDER, "issuerUrl"), "http://idp.example.com")],
        "auth.oauth.providers[0].issuerUrl",
        "must use HTTPS (set THV_REGISTRY_INSECURE_URL=true to allow HTTP)",
        id="issuer-http",
    ),
    pytest.param(
        [((*PROVIDER, "audience"), DELETE)],
        "auth.oauth.providers[0].audience",
        "audience is required",
        id="audience",
    ),
    pytest.param(
        [
            (
                ("auth", "oauth", "providers", 1),
                {"name": "idp", "issuerUrl": "https://b.example.com", "audience": "x"},
            )
        ],
        "auth.oauth.providers[1].name",
        "duplicate provider name 'idp'",
        id="provider-dup",
    ),
    pytest.param(
        [((*PROVIDER, "clientSecretFile"), "secret.txt")],
        "auth.oauth.providers[0].clientSecretFile",
        "absolute path",
        id="secret-file",
    ),
    pytest.param(
        [((*PROVIDER, "jwksUrl"), "keys.json")],
        "auth.oauth.providers[0].jwksUrl",
        "absolute URL",
        id="jwks-url",
    ),
    pytest.param(
        [((*PROVIDER, "introspectOpaqueTokens"), True)],
        "auth.oauth.providers[0].introspectOpaqueTokens",
        "introspectOpaqueTokens needs introspectionUrl",
        id="opaque-without-introspection",
    ),
    pytest.param(
        [
            ((*PROVIDER, "introspectionUrl"), "https://idp.example.com/introspect"),
            ((*PROVIDER, "introspectOpaqueTokens"), True),
            (
                ("auth", "oauth", "providers", 1),
                {
                    "name": "other",
                    "issuerUrl": "https://other.example.com",
                    "audience": "api://r",
                    "introspectionUrl": "https://other.example.com/introspect",
                    "introspectOpaqueTokens": True,
                },
            ),
        ],
        "auth.oauth.providers[1].introspectOpaqueTokens",
        "at most one provider may set introspectOpaqueTokens",
        id="opaque-twice",
    ),
    pytest.param(
        [(("auth", "publicPaths"), ["metrics"])],
        "auth.publicPaths[0]",
        "must start with '/'",
        id="public-path",
    ),
    pytest.param(
        [((*ROLES, "admins"), [{"a": "b"}])],
        "auth.authz.roles.admins",
        "'superAdmin', 'manageSources', 'manageRegistries' or 'manageEntries'",
        id="role-name",
    ),
    pytest.param(
        [((*ROLES, "superAdmin", 0, "role"), {"x": 1})],
        "auth.authz.roles.superAdmin[0].role",
        "got mapping",
        id="rule-value",
    ),
    pytest.param(
        [(("database", "port"), 0)],
        "database.port",
        "greater than or equal to 1",
        id="db-port-0",
    ),
    pytest.param(
        [(("database", "port"), 70000)],
        "database.port",
        "less than or equal to 65535",
        id="db-port-big",
    ),
    pytest.param(
        [(("database", "host"), DELETE)],
        "database.host",
        "database.host is required",
        id="db-host",
    ),
    pytest.param(
        [(("database", "sslMode"), "on")],
        "database.sslMode",
        "'verify-full'",
        id="db-ssl",
    ),
    pytest.param(
        [(("database", "maxMetaSize"), 0)],
        "database.maxMetaSize",
        "database.maxMetaSize must be greater than zero",
        id="db-meta",
    ),
    pytest.param(
        [
            (("database", "password"), "x"),
            (("database", "dynamicAuth"), {"awsRdsIam": {"region": "detect"}}),
        ],
        "database.password",
        "database.password and database.dynamicAuth are mutually exclusive",
        id="db-dynamic",
    ),
    pytest.param(
        [(("database", "connMaxLifetime"), "1d")],
        "database.connMaxLifetime",
        "invalid duration",
        id="db-lifetime",
    ),
    pytest.param(
        [(("telemetry", "tracing", "sampling"), 0)],
        "telemetry.tracing.sampling",
        "sampling must be greater than 0.0 and at most 1.0, got 0.000000",
        id="sampling",
    ),
    pytest.param(
        [(("audit", "maxDataSize"), -1)],
        "audit.maxDataSize",
        "audit.maxDataSize must be non-negative, got -1",
        id="audit-neg",
    ),
    pytest.param(
        [(("audit", "maxDataSize"), 2 << 20)],
        "audit.maxDataSize",
        "must not exceed 1048576 bytes",
        id="audit-big",
    ),
    pytest.param(
        [(("auth",), "oauth")],
        "auth",
        "must be a mapping, got string",
        id="auth-scalar",
    ),
]


@pytest.mark.parametrize(("edits", "path", "text"), INVALID)
def test_each_defect_is_reported_at_its_key_path(
    edits: list[tuple[tuple[str | int, ...], object]], path: str, text: str
) -> None:
    problems = problems_of(changed(*edits))

    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: "), problems
    assert text in problems[0]


def test_the_valid_base_loads_without_warnings() -> None:
    assert load_server_config_data(VALID).warnings == []


def test_every_defect_is_reported_not_just_the_first() -> None:
    doc = changed(
        (("sources", 0, "name"), "Bad Name"),
        (("sources", 1, "api", "timeout"), "10m"),
        (("database", "port"), 0),
        (("auth", "oauth", "providers", 0, "audience"), DELETE),
    )

    assert problems_of(doc) == [
        "sources[0].name: name 'Bad Name' must be a valid DNS subdomain "
        "(lowercase alphanumeric and hyphens, max 63 chars)",
        "sources[1].api.timeout: api.timeout must not exceed 5m0s",
        "database.port: Input should be greater than or equal to 1",
        "auth.oauth.providers[0].audience: audience is required",
    ]


def test_cross_reference_problems_are_all_listed() -> None:
    doc = changed(
        (("sources", 5), {"name": "git-src", "api": {"endpoint": "https://a.example.com"}}),
        (("sources", 5, "syncPolicy"), {"interval": "1h"}),
        (("registries", 1, "sources"), ["a", "file-src", "b"]),
    )

    assert problems_of(doc) == [
        "sources[5].name: duplicate source name 'git-src'",
        "registries[1].sources: references unknown source 'a'",
        "registries[1].sources: references unknown source 'b'",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "config is empty: expected a mapping with sources, registries and auth"),
        ("- a\n- b\n", "config must be a mapping with sources, registries and auth, not list"),
        ("sources: [\n", "invalid YAML: line 2, column 1: expected the node content"),
    ],
)
def test_unparseable_documents(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_server_config(text)

    assert caught.value.problems[0].startswith(problem)


def test_http_issuers_are_allowed_on_loopback_or_when_insecure_urls_are_allowed() -> None:
    loopback = changed(((*PROVIDER, "issuerUrl"), "http://127.0.0.1:8443/realms/x"))
    remote = changed(((*PROVIDER, "issuerUrl"), "http://idp.example.com"))

    load_server_config_data(loopback)
    config = load_server_config_data(remote, allow_insecure_urls=True).config
    assert config.auth.oauth is not None
    assert config.auth.oauth.providers[0].issuer_url == "http://idp.example.com"


# --- unknown keys and settings without effect: warnings with their path ---------------------


def test_unknown_keys_warn_with_their_path_and_are_ignored() -> None:
    doc = changed(
        (("registryName",), "toolhive"),
        (("sources", 0, "git", "branchh"), "dev"),
        (("sources", 1, "filter", "names", "includ"), ["x"]),
        (("sources", 1, "filter", "labels"), {"a": "b"}),
        (("auth", "oauth", "providers", 0, "scopes"), ["openid"]),
        (("auth", "publicpaths"), ["/x"]),
        (("database", "sslmode"), "disable"),
    )

    loaded = load_server_config_data(doc)

    assert loaded.warnings == [
        "sources[1].filter.names.includ: unknown key (ignored); did you mean 'include'?",
        "sources[1].filter.labels: unknown key (ignored)",
        "registryName: unknown key (ignored)",
        "sources[0].git.branchh: unknown key (ignored); did you mean 'branch'?",
        "database.sslmode: unknown key (ignored); did you mean 'sslMode'?",
        "auth.publicpaths: unknown key (ignored); did you mean 'publicPaths'?",
        "auth.oauth.providers[0].scopes: unknown key (ignored)",
    ]
    config = loaded.config
    assert config.database is not None
    assert config.database.ssl_mode == "prefer"
    assert config.auth.public_paths == ["/docs"]
    unknown = ("branchh", "includ", "labels", "registryName", "scopes", "publicpaths", "sslmode")
    assert not set(unknown) & set(_keys(yaml.safe_load(dump_server_config(config))))


def test_an_unknown_filter_key_warns_even_when_the_config_is_invalid() -> None:
    doc = changed((("sources", 1, "filter", "tag"), {}), (("auth",), DELETE))

    with pytest.raises(ConfigError) as caught:
        load_server_config_data(doc)

    assert caught.value.problems == ["auth: auth configuration is required"]
    assert caught.value.warnings == [
        "sources[1].filter.tag: unknown key (ignored); did you mean 'tags'?"
    ]


def test_settings_without_effect_warn() -> None:
    doc = changed(
        (("sources", 0, "git", "tag"), "v1.0.0"),
        (("sources", 3, "syncPolicy"), {"interval": "1m"}),
        (("sources", 4, "filter"), {"names": {"include": ["a"]}}),
        (("sources", 2, "file"), {"path": "/data/r.json", "timeout": "5s"}),
        (("database", "sslRootCert"), "/etc/ca.pem"),
        (("auth", "authz", "roles", "manageSources"), [{}]),
    )

    assert load_server_config_data(doc).warnings == [
        "sources[0].git.branch: ignored: tag takes precedence (commit > tag > branch)",
        "sources[2].file.timeout: ignored: only used with file.url",
        "sources[3].syncPolicy: ignored for managed sources",
        "sources[4].filter: ignored for kubernetes sources",
        "database.sslRootCert: ignored: sslMode is prefer",
        "auth.authz.roles.manageSources[0]: an empty rule never matches",
    ]


# --- dumping -------------------------------------------------------------------------------


def test_dump_then_load_gives_an_equal_config() -> None:
    config = load_server_config_data(VALID).config

    text = dump_server_config(config)

    assert load_server_config(text).config == config
    assert dump_server_config(load_server_config(text).config) == text


def test_dump_is_camel_case_in_model_order_without_nulls() -> None:
    text = dump_server_config(load_server_config_data(VALID).config)
    data = yaml.safe_load(text)

    assert list(data) == ["sources", "registries", "database", "auth", "telemetry", "audit"]
    assert list(data["sources"][0]) == ["name", "git", "syncPolicy", "claims"]
    assert data["database"]["migrationUser"] == "app"
    assert data["auth"]["oauth"]["providers"][0]["allowPrivateIP"] is False
    assert "null" not in text
    assert "_" not in "".join(_keys(data))


def _keys(value: object) -> list[str]:
    if isinstance(value, dict):
        return [k for key, item in value.items() for k in [key, *_keys(item)]]
    if isinstance(value, list):
        return [k for item in value for k in _keys(item)]
    return []


def test_a_config_built_in_python_dumps_with_defaults_filled_in() -> None:
    config = ServerConfig.model_validate(
        {
            "sources": [{"name": "m", "managed": {}}],
            "registries": [{"name": "r", "sources": ["m"]}],
            "auth": {"mode": "anonymous"},
        }
    )

    assert yaml.safe_load(dump_server_config(config)) == {
        "sources": [{"name": "m", "managed": {}}],
        "registries": [{"name": "r", "sources": ["m"]}],
        "auth": {"mode": "anonymous", "publicPaths": []},
    }


# --- secrets -------------------------------------------------------------------------------


def test_passwords_never_appear_in_dumps_reprs_or_errors() -> None:
    doc = changed(
        (("database", "password"), "app-s3cret"),
        (("database", "migrationPassword"), "mig-s3cret"),
    )

    config = load_server_config_data(doc).config

    assert config.database is not None
    assert config.database.password is not None
    assert config.database.password.get_secret_value() == "app-s3cret"
    for text in (dump_server_config(config), repr(config), str(config), repr(config.database)):
        assert "s3cret" not in text
    assert "assword" not in dump_server_config(config)
    assert "s3cret" not in str(config.model_dump())
    invalid = changed(
        (("database", "password"), "app-s3cret"),
        (("database", "dynamicAuth"), {"awsRdsIam": {"region": "detect"}}),
    )
    assert "s3cret" not in "\n".join(problems_of(invalid))


def test_unknown_keys_are_reported_when_the_config_is_invalid_too() -> None:
    doc = changed(
        (("sources", 0, "syncPolicy"), DELETE),
        (("sources", 0, "syncpolicy"), {"interval": "30m"}),
    )

    with pytest.raises(ConfigError) as caught:
        load_server_config_data(doc)

    assert caught.value.problems == [
        "sources[0].syncPolicy.interval: syncPolicy.interval is required"
    ]
    assert caught.value.warnings == [
        "sources[0].syncpolicy: unknown key (ignored); did you mean 'syncPolicy'?"
    ]


def test_the_raw_walk_and_the_model_walk_find_the_same_unknown_keys() -> None:
    doc = changed(
        (("registryName",), "toolhive"),
        (("sources", 0, "git", "branchh"), "dev"),
        (("sources", 3, "managed", "owner"), "me"),
        (("registries", 1, "weight"), 3),
        (("auth", "authz", "roles", "superAdmin", 0, "anything"), "claims are free-form"),
        (("telemetry", "tracing", "ratio"), 1),
    )

    from_model = load_server_config_data(doc).warnings

    assert sorted(unknown_keys_in(doc, ServerConfig)) == sorted(from_model)
    assert len(from_model) == 5
