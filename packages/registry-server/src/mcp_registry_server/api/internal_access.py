"""Who may read per-source details and trigger syncs on the internal port.

Probes and metrics (`/health`, `/readiness`, `/version`, `/metrics`) answer anyone. `GET
/status` and `POST /sources/{name}/sync` answer, by `InternalAccess.decide`:

- with an internal token (`--internal-token-file`, env `MCP_REGISTRY_INTERNAL_TOKEN_FILE`; the
  operator always sets it): only a caller presenting it as a bearer, in either auth mode,
  compared in constant time; 401 otherwise;
- without one, in anonymous mode, or with `--internal-open`: anyone (as before tokens);
- without one in oauth mode: no one (403). The admin API on the public port is where a caller
  with the `manageSources` role reads sources and triggers syncs; the internal port must not
  be a way around it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from mcp_registry_common.config import AuthMode
from mcp_registry_common.internaltoken import MAX_LENGTH, SCHEME, TOKEN_FILE_ENV, is_usable

from mcp_registry_server.api.problems import ProblemError
from mcp_registry_server.auth.metadata import www_authenticate

REALM = "mcp-registry-internal"
NO_TOKEN = "this endpoint needs the internal token as a bearer"
WRONG_TOKEN = "the bearer is not the internal token"
CLOSED = (
    "this endpoint is off: the server runs in oauth mode without an internal token "
    f"(--internal-token-file or {TOKEN_FILE_ENV}); use the admin API "
    "(GET /v1/sources, POST /v1/sources/{name}/sync) with the manageSources role"
)


class InternalAccessMode(StrEnum):
    TOKEN = "token"
    """Only the holder of the internal token."""
    OPEN = "open"
    """Anyone."""
    CLOSED = "closed"
    """No one."""


class InternalTokenFileError(Exception):
    """The internal token file cannot be read or holds no usable token."""


class InternalUnauthorizedError(ProblemError):
    """No internal token, or another one, was presented (401, with a Bearer challenge)."""

    status = 401

    def __init__(self, detail: str, *, error: str) -> None:
        challenge = www_authenticate(realm=REALM, error=error, description=detail)
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class InternalClosedError(ProblemError):
    """Nobody may use the endpoint (oauth mode without an internal token)."""

    status = 403


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True, slots=True)
class InternalAccess:
    """The internal port's rule for `/status` and manual syncs (see the module)."""

    mode: InternalAccessMode
    digest: bytes = field(default=b"", repr=False)
    """sha256 of the internal token (TOKEN mode): the token itself is not kept."""

    @classmethod
    def decide(cls, auth_mode: AuthMode, *, token: str | None, open_: bool) -> InternalAccess:
        """The rule for a server in `auth_mode` given its internal token, if any, and whether
        `--internal-open` was given (a token wins: the operator's servers always have one)."""
        if token is not None:
            return cls(InternalAccessMode.TOKEN, _digest(token))
        if open_ or auth_mode == "anonymous":
            return cls(InternalAccessMode.OPEN)
        return cls(InternalAccessMode.CLOSED)

    def check(self, authorization: Sequence[str]) -> None:
        """Raise unless the request with these `Authorization` header values may go on."""
        if self.mode is InternalAccessMode.OPEN:
            return
        if self.mode is InternalAccessMode.CLOSED:
            raise InternalClosedError(CLOSED)
        presented = _bearer(authorization)
        if presented is None:
            raise InternalUnauthorizedError(NO_TOKEN, error="invalid_request")
        # Digests of equal length, compared in constant time: the time says nothing of the token.
        if not hmac.compare_digest(_digest(presented), self.digest):
            raise InternalUnauthorizedError(WRONG_TOKEN, error="invalid_token")


def _bearer(authorization: Sequence[str]) -> str | None:
    """The credential of a single `Bearer <token>` header; None when absent or malformed."""
    if len(authorization) != 1:
        return None
    scheme, _, credential = authorization[0].strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != SCHEME.lower() or not credential or len(credential) > MAX_LENGTH:
        return None
    return credential


def read_token_file(path: Path) -> str:
    """The internal token in `path` (surrounding whitespace dropped, as the operator does)."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InternalTokenFileError(f"internal token file {path}: cannot be read: {exc}") from exc
    if not is_usable(token):
        raise InternalTokenFileError(
            f"internal token file {path}: not a usable token (32 to {MAX_LENGTH} characters "
            "of letters, digits and -._~+/, optionally ending in =)"
        )
    return token
