"""The registry server in oauth mode against a real local issuer, for authz and admin-API tests.

`AuthzServer` writes file sources, builds the config (ToolHive's authz seed example with file
and managed sources instead of GitHub), starts `create_apps(...)[0]` through `aiohttp_client`
with the real sync engine (syncs happen when a test asks), and mints tokens per persona.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from mcp_registry_common.config import ServerConfig, load_server_config_data
from mcp_registry_server.app import create_apps
from mcp_registry_server.store.base import Store

from mcp_registry_testing.oidc import OidcIssuer

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]

SEED_ROLES: dict[str, list[dict[str, Any]]] = {
    "superAdmin": [{"role": "super-admin"}],
    "manageSources": [{"org": "acme", "role": "admin"}],
    "manageRegistries": [{"org": "acme", "role": "admin"}],
    "manageEntries": [{"role": "writer"}],
}
"""`authz.roles` of shared/seed/examples/11-authz.yaml."""

PERSONAS: dict[str, dict[str, Any]] = {
    "super": {"sub": "super-1", "role": "super-admin"},
    "acme-admin": {"sub": "acme-admin-1", "org": "acme", "team": "platform", "role": "admin"},
    "acme-writer": {"sub": "acme-writer-1", "org": "acme", "team": "platform", "role": "writer"},
    "acme-data": {"sub": "acme-data-1", "org": "acme", "team": "data", "role": "writer"},
    "globex-admin": {"sub": "globex-admin-1", "org": "globex", "team": "platform", "role": "admin"},
    "outsider": {"sub": "outsider-1", "org": "initech"},
}
"""Token claims per persona (on top of iss/aud/exp)."""


def server(name: str, version: str = "1.0.0", **fields: Any) -> dict[str, Any]:
    """A minimal valid server.json."""
    return {"name": name, "version": version, "description": f"{name} {version}", **fields}


def upstream_document(servers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An upstream registry file holding `servers`."""
    return {
        "version": "1.0.0",
        "meta": {"last_updated": "2026-02-18T00:00:00Z"},
        "data": {"servers": list(servers)},
    }


def file_source(
    name: str, path: Path, *, claims: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A `sources[]` item reading `path` every 30 minutes."""
    source: dict[str, Any] = {
        "name": name,
        "file": {"path": str(path)},
        "syncPolicy": {"interval": "30m"},
    }
    if claims is not None:
        source["claims"] = dict(claims)
    return source


@dataclass
class AuthzServer:
    """A server under test: its issuer, its data directory, its config and its client."""

    issuer: OidcIssuer
    directory: Path
    client: TestClient[Any, Any] | None = None
    config: ServerConfig | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    def write_source(self, name: str, servers: Sequence[Mapping[str, Any]]) -> Path:
        """Write (or rewrite) the upstream file of source `name`."""
        path = self.directory / f"{name}.json"
        path.write_text(json.dumps(upstream_document(servers)))
        return path

    def build_config(
        self,
        *,
        sources: Sequence[Mapping[str, Any]],
        registries: Sequence[Mapping[str, Any]],
        roles: Mapping[str, Any] | None = None,
        authz: bool = True,
        audit: Mapping[str, Any] | None = None,
        provider: Mapping[str, Any] | None = None,
    ) -> ServerConfig:
        """An oauth-mode config for this issuer (`authz=False`: authentication only);
        `provider` replaces the default provider entry (JWKS by URL)."""
        auth: dict[str, Any] = {
            "mode": "oauth",
            "oauth": {
                "resourceUrl": "https://registry.acme.test",
                "providers": [dict(provider or self.issuer.provider_config("keycloak"))],
            },
        }
        if authz:
            auth["authz"] = {"roles": dict(roles if roles is not None else SEED_ROLES)}
        document: dict[str, Any] = {
            "sources": list(sources),
            "registries": list(registries),
            "auth": auth,
            # The admin API may create file sources in the data directory (and only there).
            "sync": {"adminSources": {"fileRoots": [str(self.directory)]}},
        }
        if audit is not None:
            document["audit"] = dict(audit)
        self.config = load_server_config_data(document, allow_insecure_urls=True).config
        return self.config

    async def start(
        self, aiohttp_client: ClientFactory, *, store: Store | None = None
    ) -> TestClient[Any, Any]:
        """Serve the config (the real sync engine, no schedule: tests sync by hand)."""
        assert self.config is not None, "build_config first"
        public, _internal = create_apps(
            self.config, store=store, run_sync=False, allow_insecure_http=True
        )
        self.client = await aiohttp_client(public)
        return self.client

    def token(self, persona: str, **extra: Any) -> str:
        """A valid bearer token for a persona of `PERSONAS` (extra claims override)."""
        if extra:
            return self.issuer.mint(self.issuer.claims(**{**PERSONAS[persona], **extra}))
        if persona not in self.tokens:
            self.tokens[persona] = self.issuer.mint(self.issuer.claims(**PERSONAS[persona]))
        return self.tokens[persona]

    def headers(self, persona: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(persona)}"}

    async def call(
        self, method: str, path: str, persona: str, *, body: Any = None
    ) -> tuple[int, Any]:
        """`method path` as `persona`; the status and the decoded JSON body (None if empty)."""
        assert self.client is not None, "start first"
        kwargs: dict[str, Any] = {"headers": self.headers(persona)}
        if body is not None:
            kwargs["json"] = body
        response = await self.client.request(method, path, **kwargs)
        raw = await response.read()
        return response.status, json.loads(raw) if raw else None

    async def sync(self, source: str, persona: str = "super") -> dict[str, Any]:
        """Sync a source through the admin API; its JSON (asserts success)."""
        status, body = await self.call("POST", f"/v1/sources/{source}/sync", persona)
        assert status == 200, body
        assert body["syncStatus"]["phase"] == "complete", body
        result: dict[str, Any] = body
        return result

    async def names(self, registry: str, persona: str) -> list[tuple[str, str]]:
        """(name, version) of every item the persona lists in `registry` (asserts 200)."""
        status, body = await self.call("GET", f"/registry/{registry}/v0.1/servers", persona)
        assert status == 200, body
        return [(item["server"]["name"], item["server"]["version"]) for item in body["servers"]]
