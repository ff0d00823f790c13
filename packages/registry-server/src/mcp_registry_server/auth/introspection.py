"""RFC 7662 token introspection for opaque tokens, with client_secret_basic and a short cache."""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

import aiohttp
import structlog

from mcp_registry_server.auth.backoff import RetryGate
from mcp_registry_server.auth.errors import FetchError, TokenRejectedError, UnsafeUrlError
from mcp_registry_server.auth.fetch import FetchPolicy, bearer_headers, fetch_json
from mcp_registry_server.auth.jwt_validator import ClaimsChecker
from mcp_registry_server.auth.settings import DEFAULT_SETTINGS, SYSTEM_CLOCK, AuthSettings, Clock

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """The client id and secret presented to the introspection endpoint (secret never printed)."""

    client_id: str
    secret: str = field(repr=False)

    def basic_authorization(self) -> str:
        """RFC 6749 §2.3.1: id and secret form-urlencoded, then HTTP Basic."""
        pair = f"{quote_plus(self.client_id)}:{quote_plus(self.secret)}"
        return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def cache_key(token: str) -> str:
    """Cache key of a token: its SHA-256, so the cache never holds tokens themselves."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Introspector:
    """Asks one provider's introspection endpoint whether an opaque token is active."""

    def __init__(
        self,
        *,
        url: str,
        checker: ClaimsChecker,
        http: aiohttp.ClientSession,
        policy: FetchPolicy,
        credentials: ClientCredentials | None = None,
        auth_token_file: Path | None = None,
        settings: AuthSettings = DEFAULT_SETTINGS,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._url = url
        self._checker = checker
        self._http = http
        self._policy = policy
        self._credentials = credentials
        self._auth_token_file = auth_token_file
        self._settings = settings
        self._clock = clock
        self._cache: OrderedDict[str, tuple[dict[str, object], float]] = OrderedDict()
        # As the JWKS fetch: after a failed call (a hang that timed out, a refused connection),
        # tokens fail fast until the backoff ends instead of each waiting out the timeout.
        self._gate = RetryGate(clock, settings.backoff_initial, settings.backoff_max)

    async def introspect(self, token: str) -> dict[str, object]:
        """The active token's claims; ``TokenRejectedError`` if inactive, invalid or unreachable."""
        provider = self._checker.provider
        key = cache_key(token)
        hit = self._cache.get(key)
        if hit is not None and self._clock() < hit[1]:
            return hit[0]
        if not self._gate.open():
            raise TokenRejectedError(provider, "introspection backing off after a failed call")
        try:
            response = await fetch_json(
                self._http,
                self._url,
                policy=self._policy,
                max_bytes=self._settings.max_introspection_bytes,
                headers=await self._client_auth(),
                form={"token": token, "token_type_hint": "access_token"},
            )
        except (FetchError, UnsafeUrlError) as error:
            self._gate.failed()
            log.warning("introspection_failed", provider=provider, error=str(error))
            raise TokenRejectedError(provider, f"introspection failed: {error}") from error
        self._gate.succeeded()
        claims = response.body
        if not isinstance(claims, dict) or claims.get("active") is not True:
            raise TokenRejectedError(provider, "introspection says the token is not active")
        self._checker.check(claims, require_all=False)
        self._remember(key, claims)
        return claims

    async def _client_auth(self) -> dict[str, str]:
        if self._credentials is not None:
            return {"Authorization": self._credentials.basic_authorization()}
        return await bearer_headers(self._auth_token_file)

    def _remember(self, key: str, claims: dict[str, object]) -> None:
        expires_at = self._clock() + self._settings.introspection_cache_ttl
        exp = claims.get("exp")
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            expires_at = min(expires_at, float(exp))
        self._cache[key] = (claims, expires_at)
        self._cache.move_to_end(key)
        while len(self._cache) > self._settings.introspection_cache_size:
            self._cache.popitem(last=False)
