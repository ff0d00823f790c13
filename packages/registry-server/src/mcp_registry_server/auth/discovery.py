"""OIDC discovery: find a provider's jwks_uri from ``<issuer>/.well-known/openid-configuration``."""

from __future__ import annotations

from mcp_registry_server.auth.errors import DiscoveryError

WELL_KNOWN_OPENID = "/.well-known/openid-configuration"


def discovery_url(issuer: str) -> str:
    """The discovery document's URL for ``issuer`` (a trailing slash is not doubled)."""
    return issuer.rstrip("/") + WELL_KNOWN_OPENID


def jwks_uri_from_discovery(document: object, *, issuer: str) -> str:
    """Validate a discovery document against the configured ``issuer`` and return its jwks_uri.

    The document's ``issuer`` must equal the configured one exactly (OpenID Connect Discovery
    §4.3): a mismatch means the document speaks for another issuer and is refused.
    """
    if not isinstance(document, dict):
        raise DiscoveryError(issuer, "discovery document is not a JSON object")
    announced = document.get("issuer")
    if announced != issuer:
        raise DiscoveryError(issuer, f"discovery document names issuer {announced!r}")
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri:
        raise DiscoveryError(issuer, "discovery document has no jwks_uri")
    return jwks_uri
