"""JWT access-token validation with joserfc: asymmetric algorithms only, kid required,
iss/aud/exp/nbf checked with a small leeway."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from mcp_registry_server.auth.errors import TokenRejectedError
from mcp_registry_server.auth.settings import SYSTEM_CLOCK, Clock

ALLOWED_ALGORITHMS: tuple[str, ...] = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "Ed25519",
)
"""Signature algorithms accepted in a token header: never ``none``, never HS* (a JWKS holds public
keys; accepting HMAC would let anyone sign with a public key as the secret)."""


@dataclass(frozen=True, slots=True)
class UnverifiedJwt:
    """Header and claims of a compact JWS, decoded WITHOUT verification: for routing only."""

    header: Mapping[str, object]
    claims: Mapping[str, object]

    @property
    def issuer(self) -> str | None:
        """The unverified ``iss`` (used to pick the provider to try first)."""
        value = self.claims.get("iss")
        return value if isinstance(value, str) else None


def peek_jwt(token: str) -> UnverifiedJwt | None:
    """Decode a compact JWS's header and payload without verifying; ``None`` when ``token`` is not
    a three-part JWS with JSON-object header and payload (an opaque token)."""
    if token.count(".") != 2:
        return None
    try:
        compact = extract_compact(token.encode("ascii"))
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError):
        return None
    header = compact.protected
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return UnverifiedJwt(header=header, claims=claims)


class ClaimsChecker:
    """iss exact, aud containing the audience, exp (essential when ``require_exp``), nbf, iat."""

    def __init__(
        self,
        *,
        provider: str,
        issuer: str,
        audience: str,
        leeway: int = 30,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.provider = provider
        self.issuer = issuer
        self.audience = audience
        self._leeway = leeway
        self._clock = clock

    def check(self, claims: Mapping[str, object], *, require_all: bool = True) -> None:
        """Raise ``TokenRejectedError`` unless ``claims`` pass. With ``require_all=False`` (an
        introspection answer) iss, aud and exp are checked only when present."""
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=self._leeway,
            iss={"essential": require_all, "value": self.issuer},
            aud={"essential": require_all, "values": [self.audience]},
            exp={"essential": require_all},
        )
        try:
            registry.validate(dict(claims))
        except JoseError as error:
            raise TokenRejectedError(self.provider, _describe(error)) from error


class JwtValidator:
    """Verifies one provider's JWTs against its key set."""

    def __init__(self, checker: ClaimsChecker) -> None:
        self.checker = checker

    def key_id(self, unverified: UnverifiedJwt) -> str:
        """The token's kid, after refusing a disallowed ``alg`` (before any key is fetched)."""
        provider = self.checker.provider
        alg = unverified.header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise TokenRejectedError(provider, f"algorithm {alg!r} is not allowed")
        kid = unverified.header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejectedError(provider, "token header has no kid")
        return kid

    def verify(self, token: str, keys: KeySet) -> dict[str, object]:
        """Check the signature with ``keys`` and the claims; return the verified claims."""
        try:
            decoded = jwt.decode(token, keys, algorithms=list(ALLOWED_ALGORITHMS))
        except JoseError as error:
            raise TokenRejectedError(self.checker.provider, _describe(error)) from error
        claims: dict[str, object] = decoded.claims
        self.checker.check(claims)
        return claims


def _describe(error: JoseError) -> str:
    """A log-safe reason: joserfc messages name claims and kids, never token contents."""
    return f"{type(error).__name__}: {error.description or error.error}"
