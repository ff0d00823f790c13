"""The operator's credential for a registry server's internal port, shared by both programs.

The internal port (8081) serves probes and metrics to anyone, but `GET /status` (per-source
details) and `POST /sources/{name}/sync` (a sync trigger) only to a caller that presents the
server's internal token as a bearer (`Authorization: Bearer <token>`). The operator makes one
random token per registry, keeps it in a Secret, mounts it into the server's pod and names the
file in `TOKEN_FILE_ENV`; the server reads that file at start-up.

A token is `MIN_LENGTH` to `MAX_LENGTH` characters of RFC 6750's `b64token` alphabet
(letters, digits, `-._~+/`, trailing `=`): it fits a header as is, and it is long enough that
guessing it is hopeless.
"""

from __future__ import annotations

import re
import secrets

TOKEN_FILE_ENV = "MCP_REGISTRY_INTERNAL_TOKEN_FILE"
"""The server's environment variable naming the token file (also `--internal-token-file`)."""
SCHEME = "Bearer"
"""The Authorization scheme the token is sent with."""
TOKEN_BYTES = 32
"""Random bytes in a new token (256 bits)."""
MIN_LENGTH = 32
MAX_LENGTH = 512

_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def new_token() -> str:
    """A fresh random token (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_usable(token: str) -> bool:
    """Whether `token` may serve as an internal token (length and alphabet; see the module)."""
    return MIN_LENGTH <= len(token) <= MAX_LENGTH and _B64TOKEN.fullmatch(token) is not None


def authorization(token: str) -> str:
    """The `Authorization` header value that presents `token`."""
    return f"{SCHEME} {token}"
