"""Secret `<n>-internal-token`: the token the server requires on its internal port's `/status`
and manual sync, and the operator presents there (`mcp_registry_common.internaltoken`).

The token is random, so this Secret is not rebuilt at each reconcile like the other objects:
the controller creates it once and reads the token back from it (`controller.internaltoken`).
These are the pure halves: the object for a given token, and the token an object holds."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from mcp_registry_common.internaltoken import is_usable
from mcp_registry_common.mcpregistry import MCPRegistry

from mcp_registry_operator.resources.meta import object_meta
from mcp_registry_operator.resources.naming import INTERNAL_TOKEN_KEY, internal_token_secret_name


def build_internal_token_secret(registry: MCPRegistry, token: str) -> dict[str, Any]:
    """The Secret holding `token`, owned by the registry (collected with it)."""
    name = internal_token_secret_name(registry.metadata.name or "")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": object_meta(registry, name),
        "data": {INTERNAL_TOKEN_KEY: base64.b64encode(token.encode()).decode()},
    }


def token_of(secret: Mapping[str, Any]) -> str | None:
    """The usable token a stored Secret holds, or None (no key, not base64 text, unusable).
    Surrounding whitespace (a hand-written value's newline) is dropped, as the server does."""
    encoded = (secret.get("data") or {}).get(INTERNAL_TOKEN_KEY)
    if not isinstance(encoded, str):
        return None
    try:
        token = base64.b64decode(encoded, validate=True).decode().strip()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return token if is_usable(token) else None
