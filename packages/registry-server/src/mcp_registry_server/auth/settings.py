"""Tunable timings and size limits of the auth layer, each default with its reason."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]
"""Wall-clock seconds since the epoch (``time.time``); injected so tests control expiry."""

SYSTEM_CLOCK: Clock = time.time


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """Limits and timings shared by every provider. Defaults suit production; tests shrink them."""

    leeway_seconds: int = 30
    """Clock skew tolerated on exp/nbf/iat: small enough to matter, large enough for NTP drift."""
    jwks_default_ttl: float = 600.0
    """How long a JWKS is trusted when the response has no Cache-Control max-age (10 min)."""
    jwks_min_ttl: float = 60.0
    """Lower bound on a max-age: an IdP sending max-age=0 must not make us fetch per request."""
    jwks_max_ttl: float = 3600.0
    """Upper bound on a max-age: a removed (compromised) key is forgotten within an hour."""
    unknown_kid_refetch_interval: float = 30.0
    """At most one JWKS refetch per provider in this window when a token names an unknown kid,
    so random kids cannot turn the server into a load generator against the IdP."""
    fetch_timeout: float = 10.0
    """Total timeout of one discovery, JWKS or introspection request."""
    max_document_bytes: int = 512 * 1024
    """Cap on a discovery document or JWKS body."""
    max_introspection_bytes: int = 64 * 1024
    """Cap on an introspection response body (RFC 7662 answers are small; ToolHive uses 64 KiB)."""
    introspection_cache_ttl: float = 60.0
    """An active introspection result is reused until min(exp, this) seconds."""
    introspection_cache_size: int = 10_000
    """Entries kept in the introspection cache before the oldest are dropped."""
    backoff_initial: float = 1.0
    """First wait after a failed discovery, JWKS or introspection call before the next one."""
    backoff_max: float = 60.0
    """Cap of the exponential backoff between failed discovery, JWKS or introspection calls."""
    max_token_bytes: int = 8000
    """Bearer tokens longer than this are refused (invalid_request) before any parsing; kept
    under aiohttp's 8190-byte header limit so that our 401, not a bare 400, answers."""


DEFAULT_SETTINGS = AuthSettings()
