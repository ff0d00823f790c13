"""The auth layer assembled from the server config: middlewares, the RFC 9728 route, lifecycle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Middleware
from mcp_registry_common.config import AuditConfig, AuthConfig

from mcp_registry_server.auth.audit import AuditLog, audit_middleware
from mcp_registry_server.auth.authenticator import Authenticator
from mcp_registry_server.auth.metadata import RESOURCE_METADATA_PATH, metadata_handler
from mcp_registry_server.auth.middleware import auth_middleware
from mcp_registry_server.auth.netguard import Resolver, system_resolver
from mcp_registry_server.auth.settings import DEFAULT_SETTINGS, SYSTEM_CLOCK, AuthSettings, Clock

INSECURE_URL_ENV = "THV_REGISTRY_INSECURE_URL"


def insecure_urls_allowed(environ: Mapping[str, str]) -> bool:
    """ToolHive's switch for plain-http issuer/JWKS URLs: ``THV_REGISTRY_INSECURE_URL=true``.
    For the CLI, the one place that reads the environment."""
    return environ.get(INSECURE_URL_ENV, "").strip().lower() == "true"


@dataclass(slots=True)
class AuthLayer:
    """What the public app needs from the auth package.

    Middleware order: ``[observe, *outer, problem_middleware, *inner]``; add ``routes``; call
    ``bind_http`` once the shared client session exists and ``close`` at shutdown.
    """

    authenticator: Authenticator | None
    audit: AuditLog | None
    inner: list[Middleware]
    outer: list[Middleware]
    routes: list[web.RouteDef] = field(default_factory=list)

    def bind_http(
        self, http: aiohttp.ClientSession, *, guarded: aiohttp.ClientSession | None = None
    ) -> None:
        """Give the authenticator the app's outbound sessions: the shared one, and the one
        whose every socket the private-address guard checks (no-op in anonymous mode)."""
        if self.authenticator is not None:
            self.authenticator.bind_http(http, guarded=guarded)

    def close(self) -> None:
        """Close the audit file, if one was opened."""
        if self.audit is not None:
            self.audit.close()


def build_auth_layer(
    auth: AuthConfig,
    audit: AuditConfig | None = None,
    *,
    allow_insecure_http: bool = False,
    clock: Clock = SYSTEM_CLOCK,
    settings: AuthSettings = DEFAULT_SETTINGS,
    resolve: Resolver = system_resolver,
) -> AuthLayer:
    """The auth layer for ``auth`` (and ``audit`` when enabled). In oauth mode this reads the
    providers' secret and CA files now (``AuthConfigError`` names a bad one)."""
    authenticator = None
    routes: list[web.RouteDef] = []
    oauth = auth.oauth if auth.mode == "oauth" else None
    if oauth is not None:
        authenticator = Authenticator(
            oauth.providers,
            authz=auth.authz,
            allow_insecure_http=allow_insecure_http,
            clock=clock,
            settings=settings,
            resolve=resolve,
        )
        routes.append(web.get(RESOURCE_METADATA_PATH, metadata_handler(oauth), allow_head=True))
    middleware = auth_middleware(
        authenticator,
        public_paths=auth.public_paths,
        realm=oauth.realm if oauth is not None else "mcp-registry",
        resource_url=oauth.resource_url if oauth is not None else None,
    )
    audit_log = None
    if audit is not None and audit.enabled:
        audit_log = AuditLog.open(
            audit.log_file,
            event_types=audit.event_types,
            exclude_event_types=audit.exclude_event_types,
        )
    return AuthLayer(
        authenticator=authenticator,
        audit=audit_log,
        inner=[middleware],
        outer=[
            audit_middleware(
                audit_log,
                include_request_data=audit.include_request_data,
                max_data_size=audit.max_data_size,
            )
        ]
        if audit is not None and audit_log is not None
        else [],
        routes=routes,
    )
