"""Turns an ``Authorization`` header into an Identity by trying the configured providers."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import aiohttp
import structlog
from mcp_registry_common.claims import Role, resolve_roles
from mcp_registry_common.config import AuthzConfig, OAuthProvider

from mcp_registry_server.auth.errors import (
    MALFORMED_HEADER,
    TOKEN_REJECTED,
    AuthenticationError,
    DiscoveryError,
    FetchError,
    TokenRejectedError,
    UnsafeUrlError,
)
from mcp_registry_server.auth.identity import Identity
from mcp_registry_server.auth.netguard import Resolver, system_resolver
from mcp_registry_server.auth.provider import ProviderVerifier, build_provider, prepare_provider
from mcp_registry_server.auth.routing import opaque_token_provider, route_token
from mcp_registry_server.auth.settings import DEFAULT_SETTINGS, SYSTEM_CLOCK, AuthSettings, Clock

log = structlog.get_logger(__name__)

_USER_CLAIMS = ("name", "preferred_username", "email", "username")


def bearer_token(authorization_header: str | None, *, max_bytes: int) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; ``AuthenticationError``
    (invalid_request) when the header is missing, not Bearer, empty or oversized."""
    if authorization_header is None:
        raise AuthenticationError("invalid_request", MALFORMED_HEADER)
    scheme, _, token = authorization_header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > max_bytes:
        raise AuthenticationError("invalid_request", MALFORMED_HEADER)
    if any(c.isspace() for c in token) or not token.isascii() or not token.isprintable():
        raise AuthenticationError("invalid_request", MALFORMED_HEADER)
    return token


def display_user(claims: Mapping[str, object]) -> str | None:
    """The human-facing user for logs and audit: name → preferred_username → email."""
    for key in _USER_CLAIMS:
        value = claims.get(key)
        if isinstance(value, str) and value:
            return value
    return None


class Authenticator:
    """Validates bearer tokens against several OAuth providers and resolves the caller's roles.

    Construction reads every provider's secret and CA files (failing fast with
    ``AuthConfigError``); the HTTP session can be given then, or bound later with
    ``bind_http`` from the app's start-up, where the shared session is created.
    """

    def __init__(
        self,
        providers: Sequence[OAuthProvider],
        *,
        http: aiohttp.ClientSession | None = None,
        authz: AuthzConfig | None = None,
        allow_insecure_http: bool = False,
        clock: Clock = SYSTEM_CLOCK,
        settings: AuthSettings = DEFAULT_SETTINGS,
        resolve: Resolver = system_resolver,
    ) -> None:
        if not providers:
            raise ValueError("an Authenticator needs at least one OAuth provider")
        self._opaque_provider = opaque_token_provider(providers)
        self._setups = tuple(
            prepare_provider(
                provider,
                allow_insecure_http=allow_insecure_http,
                settings=settings,
                resolve=resolve,
            )
            for provider in providers
        )
        self._enforce_claims = authz is not None
        self._role_rules: dict[Role | str, Sequence[Mapping[str, object]] | None] | None = (
            dict(authz.roles.items()) if authz is not None else None
        )
        self._clock = clock
        self._settings = settings
        self._providers: tuple[ProviderVerifier, ...] = ()
        if http is not None:
            self.bind_http(http)

    def bind_http(
        self, http: aiohttp.ClientSession, *, guarded: aiohttp.ClientSession | None = None
    ) -> None:
        """Put the providers to work on ``http`` (the app's shared client session), and those
        without ``allowPrivateIP`` on ``guarded`` when given (the app's `guarded_session`,
        whose connections are reused; else each of their fetches opens its own)."""
        providers = []
        for setup in self._setups:
            session = http
            if guarded is not None and not setup.policy.allow_private_ip:
                session = guarded
                setup = dataclasses.replace(
                    setup, policy=dataclasses.replace(setup.policy, pooled=True)
                )
            providers.append(
                build_provider(setup, http=session, settings=self._settings, clock=self._clock)
            )
        self._providers = tuple(providers)

    async def authenticate(self, authorization_header: str | None) -> Identity:
        """The Identity of the header's bearer token; ``AuthenticationError`` otherwise."""
        if not self._providers:
            raise RuntimeError("Authenticator.bind_http() was not called before authenticate()")
        token = bearer_token(authorization_header, max_bytes=self._settings.max_token_bytes)
        provider, claims = await self._verify(token)
        subject = claims.get("sub")
        return Identity(
            subject=subject if isinstance(subject, str) else "",
            user=display_user(claims),
            provider=provider,
            claims=claims,
            roles=resolve_roles(self._role_rules, claims),
            enforce_claims=self._enforce_claims,
        )

    async def _verify(self, token: str) -> tuple[str, dict[str, object]]:
        """(provider name, verified claims), from the providers the token may be shown to
        (`route_token`): a JWT's issuer, or the one provider that introspects opaque tokens."""
        route = route_token(token, self._providers, opaque=self._opaque_provider)
        if not route.providers:
            log.debug("token_not_routed", reason=route.reason)
        for provider in route.providers:
            try:
                if route.jwt is not None:
                    return provider.name, await provider.verify_jwt(token, route.jwt)
                return provider.name, await provider.verify_opaque(token)
            except TokenRejectedError as error:
                log.debug("token_rejected", provider=error.provider, reason=error.reason)
            except (FetchError, UnsafeUrlError, DiscoveryError) as error:
                # JWKS or discovery unavailable or refused: this provider cannot vouch.
                log.warning(
                    "provider_unavailable",
                    provider=provider.name,
                    error_type=type(error).__name__,
                    error=str(error),
                )
        raise AuthenticationError("invalid_token", TOKEN_REJECTED)
