"""Per-provider JWKS cache: lazy discovery, TTL from Cache-Control, rate-limited refetch on an
unknown kid, stale keys kept while the IdP is unreachable."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import structlog
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from mcp_registry_server.auth.backoff import RetryGate
from mcp_registry_server.auth.discovery import discovery_url, jwks_uri_from_discovery
from mcp_registry_server.auth.errors import DiscoveryError, FetchError, UnsafeUrlError
from mcp_registry_server.auth.fetch import FetchPolicy, bearer_headers, fetch_json
from mcp_registry_server.auth.settings import DEFAULT_SETTINGS, SYSTEM_CLOCK, AuthSettings, Clock

log = structlog.get_logger(__name__)

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,10})\"?\s*(?:,|$)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)


def ttl_from_cache_control(
    header: str | None, *, default: float, lower: float, upper: float
) -> float:
    """Seconds to trust a JWKS: ``max-age`` clamped to ``[lower, upper]``; no-store/no-cache
    mean ``lower``; no usable header means ``default``."""
    if not header:
        return default
    if _NO_CACHE.search(header):
        return lower
    match = _MAX_AGE.search(header)
    if match is None:
        return default
    return min(max(float(match.group(1)), lower), upper)


def parse_jwks(document: object) -> KeySet:
    """Import the public signing keys of a JWKS document; symmetric and encryption keys are
    dropped (a resource server never verifies with a shared secret)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('JWKS is not an object with a "keys" list')
    keys = [
        key
        for key in document["keys"]
        if isinstance(key, dict) and key.get("kty") != "oct" and key.get("use", "sig") == "sig"
    ]
    if not keys:
        raise ValueError("JWKS has no public signing keys")
    try:
        return KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ValueError(f"JWKS holds an unusable key: {error}") from error


def key_ids(keys: KeySet) -> frozenset[str]:
    """The kids present in ``keys``."""
    return frozenset(key.kid for key in keys if key.kid)


@dataclass(frozen=True, slots=True)
class _Cached:
    keys: KeySet
    kids: frozenset[str]
    expires_at: float


class JwksCache:
    """The signing keys of one provider, fetched on first use and kept fresh lazily."""

    def __init__(
        self,
        *,
        provider: str,
        issuer: str,
        jwks_url: str | None,
        http: aiohttp.ClientSession,
        policy: FetchPolicy,
        auth_token_file: Path | None = None,
        settings: AuthSettings = DEFAULT_SETTINGS,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._provider = provider
        self._issuer = issuer
        self._jwks_url = jwks_url
        self._http = http
        self._policy = policy
        self._auth_token_file = auth_token_file
        self._settings = settings
        self._clock = clock
        self._cached: _Cached | None = None
        self._last_fetch_at: float | None = None
        self._lock = asyncio.Lock()
        self._discovered: str | None = None
        self._gate = RetryGate(clock, settings.backoff_initial, settings.backoff_max)

    async def keys_for(self, kid: str) -> KeySet | None:
        """The key set to verify a token signed with ``kid``, or ``None`` when no key has it.

        An unknown kid triggers a refetch at most once per ``unknown_kid_refetch_interval``
        (a rotated key is picked up at once; random kids cost the IdP nothing).
        """
        cached = await self._current()
        if kid in cached.kids:
            return cached.keys
        async with self._lock:
            cached = self._cached or cached
            if kid in cached.kids:
                return cached.keys
            last = self._last_fetch_at
            interval = self._settings.unknown_kid_refetch_interval
            if last is not None and self._clock() - last < interval:
                return None
            cached = await self._refresh()
        return cached.keys if kid in cached.kids else None

    async def _current(self) -> _Cached:
        cached = self._cached
        if cached is not None and self._clock() < cached.expires_at:
            return cached
        async with self._lock:
            cached = self._cached
            if cached is not None and self._clock() < cached.expires_at:
                return cached
            return await self._refresh()

    async def _refresh(self) -> _Cached:
        """Fetch the JWKS (the caller holds the lock); keep stale keys when the fetch fails."""
        stale = self._cached
        if not self._gate.open():
            if stale is not None:
                return stale
            raise FetchError(self._jwks_url or self._issuer, "backing off after a failed fetch")
        self._last_fetch_at = self._clock()
        try:
            fresh = await self._fetch()
        except (FetchError, UnsafeUrlError, DiscoveryError) as error:
            self._gate.failed()
            log.warning(
                "jwks_fetch_failed",
                provider=self._provider,
                error=str(error),
                serving_stale_keys=stale is not None,
            )
            if stale is None:
                raise
            return stale
        self._gate.succeeded()
        self._cached = fresh
        return fresh

    async def _fetch(self) -> _Cached:
        url = await self._resolve_jwks_url()
        response = await fetch_json(
            self._http,
            url,
            policy=self._policy,
            max_bytes=self._settings.max_document_bytes,
            headers=await bearer_headers(self._auth_token_file),
        )
        try:
            keys = parse_jwks(response.body)
        except ValueError as error:
            raise FetchError(url, str(error)) from error
        ttl = ttl_from_cache_control(
            response.headers.get("Cache-Control"),
            default=self._settings.jwks_default_ttl,
            lower=self._settings.jwks_min_ttl,
            upper=self._settings.jwks_max_ttl,
        )
        log.debug("jwks_fetched", provider=self._provider, kids=sorted(key_ids(keys)), ttl=ttl)
        return _Cached(keys, key_ids(keys), self._clock() + ttl)

    async def _resolve_jwks_url(self) -> str:
        """The configured jwksUrl, or the jwks_uri found by (lazy, cached) OIDC discovery."""
        if self._jwks_url is not None:
            return self._jwks_url
        if self._discovered is None:
            response = await fetch_json(
                self._http,
                discovery_url(self._issuer),
                policy=self._policy,
                max_bytes=self._settings.max_document_bytes,
                headers=await bearer_headers(self._auth_token_file),
            )
            self._discovered = jwks_uri_from_discovery(response.body, issuer=self._issuer)
            log.debug("oidc_discovered", provider=self._provider, jwks_uri=self._discovered)
        return self._discovered
