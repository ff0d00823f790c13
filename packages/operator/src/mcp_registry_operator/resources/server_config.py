"""Render an MCPRegistry's typed spec into the server's ServerConfig (never a hand-built dict)."""

from __future__ import annotations

from mcp_registry_common import config as cfg
from mcp_registry_common.mcpregistry import (
    DEFAULT_SYNC_INTERVAL,
    ConfigMapKeySelector,
    MCPRegistry,
    MCPRegistrySource,
    MCPRegistrySpec,
    SecretKeySelector,
)
from mcp_registry_common.mcpregistry import AuthConfig as CRAuth
from mcp_registry_common.mcpregistry import DatabaseConfig as CRDatabase

from mcp_registry_operator.resources.mounts import MountPlan, ObjectKind
from mcp_registry_operator.resources.naming import DEFAULT_SOURCE_ANNOTATION

SPEC_SOURCES_REACH_THE_CLUSTER = cfg.SyncSettings.model_validate({"allowPrivateIP": True})
"""`sync.allowPrivateIP: true`: the spec's sources may fetch from in-cluster addresses (a
Service's ClusterIP is private), as ToolHive's do; their author can run pods there anyway.
Sources created through the server's admin API stay guarded (no `sync.adminSources`)."""

DEFAULT_SOURCE = "default"
"""Name of the kubernetes source the operator adds (see `with_default_source`)."""


class ConfigYAMLError(ValueError):
    """spec.configYAML is not a server config the server would start with."""


def load_config_yaml(text: str) -> cfg.ServerConfig:
    """Parse a configYAML pass-through (ToolHive copies it blindly and lets the pod crash-loop;
    we refuse it with the key path, as the server would)."""
    try:
        return cfg.load_server_config(text).config
    except cfg.ConfigError as exc:
        raise ConfigYAMLError("spec.configYAML: " + "; ".join(exc.problems or [str(exc)])) from None


def render_server_config(registry: MCPRegistry, plan: MountPlan) -> cfg.ServerConfig:
    """The config.yaml the server runs with. Files it needs are registered in `plan`."""
    spec = registry.spec
    if spec.config_yaml:
        return load_config_yaml(spec.config_yaml)
    namespace = registry.metadata.namespace or "default"
    sources = [_source(s, plan) for s in spec.sources or []]
    registries = [
        cfg.RegistryConfig(name=r.name, sources=list(r.sources), claims=r.claims)
        for r in spec.registries or []
    ]
    if default_source_enabled(registry):
        sources, registries = with_default_source(sources, registries, namespace=namespace)
    return cfg.ServerConfig(
        sources=sources,
        registries=registries,
        database=_database(spec.database_config),
        auth=_auth(spec.auth_config, plan),
        telemetry=_telemetry(spec),
        sync=SPEC_SOURCES_REACH_THE_CLUSTER,
    )


def default_source_enabled(registry: MCPRegistry) -> bool:
    annotations = registry.metadata.annotations
    return annotations.get(DEFAULT_SOURCE_ANNOTATION, "true").lower() != "false"


def with_default_source(
    sources: list[cfg.SourceConfig], registries: list[cfg.RegistryConfig], *, namespace: str
) -> tuple[list[cfg.SourceConfig], list[cfg.RegistryConfig]]:
    """Add a `kubernetes` source named `default` watching the object's namespace, unless a
    source of that name exists. It is served, at the lowest priority, by the registry named
    `default` (created when absent), so spec sources always win a name they share with it."""
    if any(s.name == DEFAULT_SOURCE for s in sources):
        return sources, registries
    source = cfg.SourceConfig(
        name=DEFAULT_SOURCE,
        format="upstream",
        kubernetes=cfg.KubernetesSourceConfig(namespaces=[namespace]),
    )
    views = list(registries)
    for index, view in enumerate(views):
        if view.name == DEFAULT_SOURCE:
            views[index] = view.model_copy(update={"sources": [*view.sources, DEFAULT_SOURCE]})
            break
    else:
        views.append(cfg.RegistryConfig(name=DEFAULT_SOURCE, sources=[DEFAULT_SOURCE]))
    return [*sources, source], views


def _source(source: MCPRegistrySource, plan: MountPlan) -> cfg.SourceConfig:
    synced = source.managed is None and source.kubernetes is None
    interval = source.sync_policy.interval if source.sync_policy else DEFAULT_SYNC_INTERVAL
    return cfg.SourceConfig(
        name=source.name,
        format=source.format,
        claims=source.claims,
        git=_git(source, plan),
        api=cfg.ApiSourceConfig(endpoint=source.api.endpoint) if source.api else None,
        file=_file(source, plan),
        managed=cfg.ManagedSourceConfig() if source.managed else None,
        kubernetes=(
            cfg.KubernetesSourceConfig(namespaces=list(source.kubernetes.namespaces))
            if source.kubernetes
            else None
        ),
        sync_policy=cfg.SyncPolicy(interval=interval) if synced else None,
        filter=source.filter if synced else None,
    )


def _git(source: MCPRegistrySource, plan: MountPlan) -> cfg.GitSourceConfig | None:
    git = source.git
    if git is None:
        return None
    auth = None
    if git.auth is not None:
        ref = git.auth.password_secret_ref
        auth = cfg.GitAuth(
            username=git.auth.username, password_file=plan.file("Secret", ref.name, ref.key)
        )
    # Only the ref that wins (commit > tag > branch), so the server has nothing to ignore.
    winner: dict[str, str] = (
        {"commit": git.commit}
        if git.commit
        else {"tag": git.tag}
        if git.tag
        else {"branch": git.branch}
        if git.branch
        else {}
    )
    return cfg.GitSourceConfig(repository=git.repository, path=git.path, auth=auth, **winner)


def _file(source: MCPRegistrySource, plan: MountPlan) -> cfg.FileSourceConfig | None:
    if source.config_map_ref is not None:
        ref = source.config_map_ref
        return cfg.FileSourceConfig(path=plan.file("ConfigMap", ref.name, ref.key))
    if source.url is not None:
        timeout = {"timeout": source.url.timeout} if source.url.timeout else {}
        return cfg.FileSourceConfig(url=source.url.endpoint, **timeout)
    return None


def _database(db: CRDatabase | None) -> cfg.DatabaseConfig | None:
    """No passwords: they reach the server through the generated pgpass file."""
    if db is None:
        return None
    dynamic = None
    if db.dynamic_auth and db.dynamic_auth.aws_rds_iam:
        dynamic = cfg.DynamicAuthConfig(
            aws_rds_iam=cfg.AwsRdsIamConfig(region=db.dynamic_auth.aws_rds_iam.region)
        )
    return cfg.DatabaseConfig(
        host=db.host,
        port=db.port,
        user=db.user,
        migration_user=db.migration_user,
        database=db.database,
        ssl_mode=db.ssl_mode,
        max_open_conns=db.max_open_conns,
        max_idle_conns=db.max_idle_conns,
        conn_max_lifetime=db.conn_max_lifetime,
        dynamic_auth=dynamic,
        **({"max_meta_size": db.max_meta_size} if db.max_meta_size else {}),  # type: ignore[arg-type]
    )


def _auth(auth: CRAuth | None, plan: MountPlan) -> cfg.AuthConfig:
    if auth is None or auth.mode != "oauth" or auth.oauth is None:
        paths = list(auth.public_paths or []) if auth else []
        return cfg.AuthConfig(mode="anonymous", public_paths=paths)
    oauth = auth.oauth
    providers = [
        cfg.OAuthProvider.model_validate(
            {
                "name": p.name,
                "issuer_url": p.issuer_url,
                "jwks_url": p.jwks_url,
                "audience": p.audience,
                "client_id": p.client_id,
                "client_secret_file": _ref_file(plan, "Secret", p.client_secret_ref),
                "ca_cert_path": p.ca_cert_path or _ref_file(plan, "ConfigMap", p.ca_cert_ref),
                "auth_token_file": p.auth_token_file or _ref_file(plan, "Secret", p.auth_token_ref),
                "introspection_url": p.introspection_url,
                "introspect_opaque_tokens": p.introspect_opaque_tokens,
                "allow_private_ip": p.allow_private_ip,
            }
        )
        for p in oauth.providers
    ]
    realm = {"realm": oauth.realm} if oauth.realm else {}
    authz = None
    if auth.authz is not None:
        roles = auth.authz.roles.model_dump(by_alias=True, exclude_none=True)
        authz = cfg.AuthzConfig.model_validate(
            {"roles": {role: rules for role, rules in roles.items() if rules}}
        )
    return cfg.AuthConfig(
        mode="oauth",
        public_paths=list(auth.public_paths or []),
        oauth=cfg.OAuthConfig(
            resource_url=oauth.resource_url,
            scopes_supported=oauth.scopes_supported,
            providers=providers,
            **realm,
        ),
        authz=authz,
    )


def _ref_file(
    plan: MountPlan, kind: ObjectKind, ref: SecretKeySelector | ConfigMapKeySelector | None
) -> str | None:
    return None if ref is None else plan.file(kind, ref.name, ref.key)


def _telemetry(spec: MCPRegistrySpec) -> cfg.TelemetryConfig | None:
    if spec.telemetry_config is None:
        return None
    return cfg.TelemetryConfig.model_validate(spec.telemetry_config.to_wire())
