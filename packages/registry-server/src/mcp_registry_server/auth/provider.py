"""One configured OAuth provider put to work: its files read at startup, then its JWKS cache,
JWT validator and introspector on the shared HTTP session."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import structlog
from mcp_registry_common.config import OAuthProvider

from mcp_registry_server.auth.errors import AuthConfigError, TokenRejectedError
from mcp_registry_server.auth.fetch import FetchPolicy
from mcp_registry_server.auth.introspection import ClientCredentials, Introspector
from mcp_registry_server.auth.jwks import JwksCache
from mcp_registry_server.auth.jwt_validator import ClaimsChecker, JwtValidator, UnverifiedJwt
from mcp_registry_server.auth.netguard import Resolver, system_resolver
from mcp_registry_server.auth.settings import DEFAULT_SETTINGS, SYSTEM_CLOCK, AuthSettings, Clock

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ProviderVerifier:
    """Verifies tokens for one provider: JWTs by signature, opaque tokens by introspection."""

    name: str
    issuer: str
    validator: JwtValidator
    jwks: JwksCache
    introspector: Introspector | None

    async def verify_jwt(self, token: str, unverified: UnverifiedJwt) -> dict[str, object]:
        """Verified claims of a JWT issued by this provider, else ``TokenRejectedError``."""
        if unverified.issuer != self.issuer:
            raise TokenRejectedError(self.name, "token issuer is not this provider's issuer")
        kid = self.validator.key_id(unverified)
        keys = await self.jwks.keys_for(kid)
        if keys is None:
            raise TokenRejectedError(self.name, f"no key with kid {kid!r} in the JWKS")
        return self.validator.verify(token, keys)

    async def verify_opaque(self, token: str) -> dict[str, object]:
        """Claims of an active opaque token, when this provider has an introspection endpoint."""
        if self.introspector is None:
            raise TokenRejectedError(self.name, "opaque token and no introspectionUrl")
        return await self.introspector.introspect(token)


def read_client_secret(provider: OAuthProvider) -> ClientCredentials | None:
    """Client credentials for introspection: clientId plus the stripped clientSecretFile content,
    read once at startup. ``None`` unless both are configured."""
    if not provider.client_id or not provider.client_secret_file:
        return None
    path = Path(provider.client_secret_file)
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise AuthConfigError(
            f"auth.oauth.providers[{provider.name}].clientSecretFile {path} cannot be read: "
            f"{error.strerror}"
        ) from error
    if not secret:
        raise AuthConfigError(
            f"auth.oauth.providers[{provider.name}].clientSecretFile {path} is empty"
        )
    return ClientCredentials(client_id=provider.client_id, secret=secret)


def ssl_context_for(provider: OAuthProvider) -> ssl.SSLContext | None:
    """The system trust store plus ``caCertPath`` when set; ``None`` (system default) otherwise."""
    if not provider.ca_cert_path:
        return None
    context = ssl.create_default_context()
    try:
        context.load_verify_locations(cafile=str(provider.ca_cert_path))
    except (OSError, ssl.SSLError) as error:
        raise AuthConfigError(
            f"auth.oauth.providers[{provider.name}].caCertPath {provider.ca_cert_path} "
            f"is not a readable PEM CA bundle: {error}"
        ) from error
    return context


@dataclass(frozen=True, slots=True)
class ProviderSetup:
    """A provider's configuration resolved at startup: files read, TLS context built."""

    config: OAuthProvider
    policy: FetchPolicy
    credentials: ClientCredentials | None
    token_file: Path | None


def prepare_provider(
    provider: OAuthProvider,
    *,
    allow_insecure_http: bool = False,
    settings: AuthSettings = DEFAULT_SETTINGS,
    resolve: Resolver = system_resolver,
) -> ProviderSetup:
    """Read the provider's clientSecretFile and caCertPath now, so a bad file fails startup
    with a message naming it (``AuthConfigError``) rather than the first request."""
    return ProviderSetup(
        config=provider,
        policy=FetchPolicy(
            allow_private_ip=provider.allow_private_ip,
            allow_insecure_http=allow_insecure_http,
            ssl_context=ssl_context_for(provider),
            timeout=settings.fetch_timeout,
            resolve=resolve,
        ),
        credentials=read_client_secret(provider) if provider.introspection_url else None,
        token_file=Path(provider.auth_token_file) if provider.auth_token_file else None,
    )


def build_provider(
    setup: ProviderSetup,
    *,
    http: aiohttp.ClientSession,
    settings: AuthSettings = DEFAULT_SETTINGS,
    clock: Clock = SYSTEM_CLOCK,
) -> ProviderVerifier:
    """Assemble the verifier of one prepared provider on the shared HTTP session."""
    provider = setup.config
    checker = ClaimsChecker(
        provider=provider.name,
        issuer=provider.issuer_url,
        audience=provider.audience,
        leeway=settings.leeway_seconds,
        clock=clock,
    )
    jwks = JwksCache(
        provider=provider.name,
        issuer=provider.issuer_url,
        jwks_url=provider.jwks_url,
        http=http,
        policy=setup.policy,
        auth_token_file=setup.token_file,
        settings=settings,
        clock=clock,
    )
    introspector = None
    if provider.introspection_url:
        introspector = Introspector(
            url=provider.introspection_url,
            checker=checker,
            http=http,
            policy=setup.policy,
            credentials=setup.credentials,
            auth_token_file=setup.token_file,
            settings=settings,
            clock=clock,
        )
    return ProviderVerifier(
        name=provider.name,
        issuer=provider.issuer_url,
        validator=JwtValidator(checker),
        jwks=jwks,
        introspector=introspector,
    )
