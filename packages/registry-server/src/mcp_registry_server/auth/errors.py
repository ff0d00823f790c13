"""Exception types of the auth layer: caller mistakes, configuration and IdP failures."""

from __future__ import annotations

from typing import Literal

AuthErrorCode = Literal["invalid_request", "invalid_token"]
"""RFC 6750 error codes carried in ``WWW-Authenticate``."""

MALFORMED_HEADER = "missing or malformed authorization header"
TOKEN_REJECTED = "token validation failed"
INSUFFICIENT_PERMISSIONS = "forbidden: insufficient permissions"


class AuthenticationError(Exception):
    """The request carries no acceptable bearer token (answered 401)."""

    def __init__(self, code: AuthErrorCode, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code: AuthErrorCode = code
        self.description = description


class AuthorizationError(Exception):
    """The caller is authenticated but lacks the role or claims for the request (answered 403)."""

    def __init__(self, description: str = INSUFFICIENT_PERMISSIONS) -> None:
        super().__init__(description)
        self.description = description


class TokenRejectedError(Exception):
    """One provider refused a token; the reason is logged at debug, never shown to the caller."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"provider {provider!r} rejected the token: {reason}")
        self.provider = provider
        self.reason = reason


class UnsafeUrlError(Exception):
    """A discovery, JWKS or introspection URL is refused by the SSRF guard or the scheme rule."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refusing to fetch {url}: {reason}")
        self.url = url
        self.reason = reason


class FetchError(Exception):
    """A discovery, JWKS or introspection request failed (network, status, size or JSON)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"fetching {url} failed: {reason}")
        self.url = url
        self.reason = reason


class DiscoveryError(Exception):
    """The OIDC discovery document is unusable (issuer mismatch, missing jwks_uri)."""

    def __init__(self, issuer: str, reason: str) -> None:
        super().__init__(f"OIDC discovery for issuer {issuer} failed: {reason}")
        self.issuer = issuer
        self.reason = reason


class AuthConfigError(Exception):
    """The auth configuration cannot be put to work (unreadable secret file, bad CA file)."""
