"""RFC 9728 protected-resource metadata and the RFC 6750 ``WWW-Authenticate`` challenge."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from mcp_registry_common.config import OAuthConfig

RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource"
DEFAULT_REALM = "mcp-registry"


def protected_resource_metadata(oauth: OAuthConfig) -> dict[str, object]:
    """The RFC 9728 document: resource, the providers' issuers in config order, header bearer
    tokens, and scopes_supported only when configured."""
    document: dict[str, object] = {
        "resource": oauth.resource_url or "",
        "authorization_servers": [str(provider.issuer_url) for provider in oauth.providers],
        "bearer_methods_supported": ["header"],
    }
    if oauth.scopes_supported:
        document["scopes_supported"] = list(oauth.scopes_supported)
    return document


def resource_metadata_url(resource_url: str) -> str:
    """Where the metadata document of ``resource_url`` is announced (ToolHive appends the path)."""
    return resource_url.rstrip("/") + RESOURCE_METADATA_PATH


def _quoted(value: str) -> str:
    """A quoted-string parameter value: CR/LF dropped, backslash and quote escaped."""
    cleaned = value.replace("\r", "").replace("\n", "")
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


def www_authenticate(
    *, realm: str, error: str, description: str, resource_url: str | None = None
) -> str:
    """``Bearer realm="…", error="…", error_description="…"[, resource_metadata="…"]``."""
    parts = [
        f"realm={_quoted(realm or DEFAULT_REALM)}",
        f"error={_quoted(error)}",
        f"error_description={_quoted(description)}",
    ]
    if resource_url:
        parts.append(f"resource_metadata={_quoted(resource_metadata_url(resource_url))}")
    return "Bearer " + ", ".join(parts)


def metadata_handler(oauth: OAuthConfig) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler serving the (pre-serialised) RFC 9728 document; mount it at
    ``RESOURCE_METADATA_PATH`` in oauth mode only."""
    body = json.dumps(protected_resource_metadata(oauth)).encode("utf-8")

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    return handle
