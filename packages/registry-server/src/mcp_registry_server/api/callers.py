"""The services' view of the caller of a request (its claims and superAdmin bypass)."""

from __future__ import annotations

from aiohttp import web

from mcp_registry_server.auth.middleware import get_identity
from mcp_registry_server.service.caller import Caller


def caller_of(request: web.Request) -> Caller:
    """Who calls: the claims gates apply to (None without `authz` or a token) and superAdmin."""
    identity = get_identity(request)
    return Caller(claims=identity.gate_claims, super_admin=identity.is_super_admin)
