"""Which providers may see a bearer token: a token is only ever sent to its own issuer.

A JWT names its issuer (`iss`, read without verification for routing only): it goes to the
providers whose issuer is exactly that, and nowhere when none is. A token shaped like a JWT
that does not decode as one goes nowhere (it is not an opaque token of some other provider:
it is a broken or tampered JWT). An opaque token names no issuer, so it goes to at most one
provider: the one configured with `introspectOpaqueTokens: true`, or the only provider when
just one is configured and the setting is unset. Trying every provider in turn would hand a
token one provider rejected (or failed on) to all the others.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from mcp_registry_common.config import OAuthProvider

from mcp_registry_server.auth.jwt_validator import UnverifiedJwt, peek_jwt

_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class Routable(Protocol):
    """What routing needs to know of a provider."""

    @property
    def name(self) -> str: ...

    @property
    def issuer(self) -> str: ...


P = TypeVar("P", bound=Routable)


@dataclass(frozen=True, slots=True)
class Route(Generic[P]):
    """The providers that may check a token, and its unverified JWT (None: opaque)."""

    providers: tuple[P, ...]
    jwt: UnverifiedJwt | None
    reason: str
    """Why these providers (for a debug log line when there are none)."""


def looks_like_jwt(token: str) -> bool:
    """True when the token starts as a compact JWS/JWE does: a base64url-encoded JSON object
    (the header), then a dot."""
    head, dot, _ = token.partition(".")
    if not dot or not _BASE64URL.fullmatch(head):
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(header, dict)


def opaque_token_provider(providers: Sequence[OAuthProvider]) -> str | None:
    """The name of the one provider opaque tokens are introspected by, or None for none."""
    chosen = [p.name for p in providers if p.introspect_opaque_tokens and p.introspection_url]
    if len(chosen) > 1:
        raise ValueError(
            f"at most one provider may set introspectOpaqueTokens, not {', '.join(chosen)}"
        )
    if chosen:
        return chosen[0]
    if len(providers) == 1:
        only = providers[0]
        if only.introspection_url and only.introspect_opaque_tokens is None:
            return only.name
    return None


def route_token(token: str, providers: Sequence[P], *, opaque: str | None) -> Route[P]:
    """The providers, in config order, that may see `token` (see the module docstring)."""
    unverified = peek_jwt(token)
    if unverified is not None:
        matching = tuple(p for p in providers if p.issuer == unverified.issuer)
        reason = "issuer" if matching else "no provider has the token's issuer"
        return Route(matching, unverified, reason)
    if looks_like_jwt(token):
        return Route((), None, "malformed JWT")
    chosen = tuple(p for p in providers if p.name == opaque)
    reason = "opaque token" if chosen else "opaque token and no provider introspects them"
    return Route(chosen, None, reason)
