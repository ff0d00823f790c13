"""A real local OIDC issuer for tests: discovery, JWKS, RFC 7662 introspection, key rotation."""

from __future__ import annotations

import base64
import secrets
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote_plus

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

from mcp_registry_testing.loopback import Lifecycle, serve

SigningKey = RSAKey | ECKey | OKPKey
KeyKind = Literal["RSA", "EC", "EC-P384", "OKP"]

_DEFAULT_ALG = {"RSA": "RS256", "EC": "ES256", "OKP": "Ed25519"}


def generate_key(kind: KeyKind = "RSA") -> SigningKey:
    """A fresh signing key with a thumbprint kid."""
    if kind == "RSA":
        return RSAKey.generate_key(2048, auto_kid=True)
    if kind == "EC":
        return ECKey.generate_key("P-256", auto_kid=True)
    if kind == "EC-P384":
        return ECKey.generate_key("P-384", auto_kid=True)
    return OKPKey.generate_key("Ed25519", auto_kid=True)


def default_alg(key: SigningKey) -> str:
    """RS256 for RSA, ES256/ES384 for EC P-256/P-384, Ed25519 for OKP."""
    if isinstance(key, ECKey):
        return "ES384" if key.curve_name == "P-384" else "ES256"
    return _DEFAULT_ALG[key.key_type]


def _new_secret() -> str:
    return "cs-" + secrets.token_urlsafe(16)


@dataclass
class Counters:
    """How often each endpoint was called, and the last Authorization header each saw."""

    discovery: int = 0
    jwks: int = 0
    introspection: int = 0
    last_discovery_authorization: str | None = None
    last_jwks_authorization: str | None = None


@dataclass
class OidcIssuer(Lifecycle):
    """An aiohttp OIDC provider on 127.0.0.1. Start it with ``async with OidcIssuer() as idp``."""

    audience: str = "registry-api"
    client_id: str = "registry-client"
    client_secret: str = field(
        default_factory=lambda: "cs-" + secrets.token_urlsafe(16), repr=False
    )
    keys: list[SigningKey] = field(default_factory=lambda: [generate_key("RSA")])
    jwks_cache_control: str | None = None
    discovery_issuer: str | None = None
    """Issuer announced by discovery; ``None`` means the real one (set it to test mismatches)."""
    counters: Counters = field(default_factory=Counters)
    opaque_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = ""
    _runner: web.AppRunner | None = field(default=None, repr=False)

    # ---- lifecycle -------------------------------------------------------------------------
    def app(self) -> web.Application:
        """The issuer's aiohttp application."""
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_post("/introspect", self._introspect)
        return app

    async def start(self, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None) -> str:
        """Listen on a free port (https when ``tls`` is given); return and remember the URL."""
        served = await serve(self.app(), host=host, tls=tls)
        self._runner, self.url = served.runner, served.url
        return self.url

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def jwks_url(self) -> str:
        """The JWKS endpoint."""
        return self.url + "/jwks"

    @property
    def introspection_url(self) -> str:
        """The RFC 7662 endpoint."""
        return self.url + "/introspect"

    def provider_config(
        self, name: str, *, discovery: bool = False, **extra: Any
    ) -> dict[str, Any]:
        """An ``auth.oauth.providers[]`` entry (camelCase, as in config.yaml) for this issuer:
        JWKS by URL unless ``discovery``; private IPs allowed (it listens on loopback)."""
        config: dict[str, Any] = {
            "name": name,
            "issuerUrl": self.url,
            "audience": self.audience,
            "allowPrivateIP": True,
        }
        if not discovery:
            config["jwksUrl"] = self.jwks_url
        return {**config, **extra}

    # ---- keys and tokens -------------------------------------------------------------------
    def add_key(self, kind: KeyKind = "RSA") -> SigningKey:
        """Publish a new key (rotation step 1); returns it for signing."""
        key = generate_key(kind)
        self.keys.append(key)
        return key

    def remove_key(self, kid: str) -> None:
        """Stop publishing the key ``kid`` (rotation step 2)."""
        self.keys = [key for key in self.keys if key.kid != kid]

    def claims(self, *, ttl: int = 300, now: float | None = None, **extra: Any) -> dict[str, Any]:
        """Standard access-token claims for this issuer, overridable via ``extra``."""
        issued = int(time.time() if now is None else now)
        base = {
            "iss": self.url,
            "aud": self.audience,
            "sub": "user-1",
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl,
        }
        return {**base, **extra}

    def mint(
        self,
        claims: Mapping[str, Any],
        *,
        key: SigningKey | None = None,
        alg: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """Sign ``claims`` with ``key`` (default: the first published key) as a compact JWT."""
        signer = key if key is not None else self.keys[0]
        algorithm = alg or default_alg(signer)
        header = {"alg": algorithm, "kid": signer.kid, **(headers or {})}
        header = {k: v for k, v in header.items() if v is not None}
        return jwt.encode(header, dict(claims), signer, algorithms=[algorithm])

    def issue_opaque(self, claims: Mapping[str, Any]) -> str:
        """An opaque token that introspection reports active with ``claims``."""
        token = "opaque-" + secrets.token_urlsafe(24)
        self.opaque_tokens[token] = dict(claims)
        return token

    # ---- handlers --------------------------------------------------------------------------
    async def _discovery(self, request: web.Request) -> web.Response:
        self.counters.discovery += 1
        self.counters.last_discovery_authorization = request.headers.get("Authorization")
        return web.json_response(
            {
                "issuer": self.discovery_issuer if self.discovery_issuer is not None else self.url,
                "jwks_uri": self.jwks_url,
                "introspection_endpoint": self.introspection_url,
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            }
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        self.counters.jwks += 1
        self.counters.last_jwks_authorization = request.headers.get("Authorization")
        headers = {"Cache-Control": self.jwks_cache_control} if self.jwks_cache_control else None
        document = KeySet(list(self.keys)).as_dict(private=False)
        return web.json_response(document, headers=headers)

    async def _introspect(self, request: web.Request) -> web.Response:
        self.counters.introspection += 1
        if not self._client_authenticated(request.headers.get("Authorization", "")):
            return web.json_response({"error": "invalid_client"}, status=401)
        form = await request.post()
        token = form.get("token")
        claims = self.opaque_tokens.get(token) if isinstance(token, str) else None
        if claims is None:
            return web.json_response({"active": False})
        return web.json_response({"active": True, **claims})

    def _client_authenticated(self, authorization: str) -> bool:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            pair = base64.b64decode(encoded, validate=True).decode("utf-8")
        except ValueError:
            return False
        client_id, _, secret = pair.partition(":")
        id_ok = secrets.compare_digest(unquote_plus(client_id), self.client_id)
        secret_ok = secrets.compare_digest(unquote_plus(secret), self.client_secret)
        return id_ok and secret_ok
