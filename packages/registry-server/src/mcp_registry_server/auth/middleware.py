"""The aiohttp auth middleware: attaches an Identity to each request, answers 401/403 as RFC 9457
problems with a ``WWW-Authenticate`` challenge."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from mcp_registry_common.claims import Role

from mcp_registry_server.auth.authenticator import Authenticator
from mcp_registry_server.auth.errors import (
    INSUFFICIENT_PERMISSIONS,
    MALFORMED_HEADER,
    AuthenticationError,
    AuthorizationError,
)
from mcp_registry_server.auth.identity import ANONYMOUS, PUBLIC, Identity
from mcp_registry_server.auth.metadata import DEFAULT_REALM, www_authenticate
from mcp_registry_server.auth.public_paths import is_public_path

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True, slots=True)
class Challenge:
    """What a 401 announces: the realm and the protected resource's URL (RFC 9728)."""

    realm: str = DEFAULT_REALM
    resource_url: str | None = None


IDENTITY_KEY = web.RequestKey("mcp_registry_identity", Identity)
"""The caller of the request, set by ``auth_middleware`` before any handler runs."""


def problem_body(status: int, detail: str) -> bytes:
    """An RFC 9457 problem document, plus ToolHive's ``error`` member for its clients (the same
    shape as ``api.problems.problem_response``)."""
    problem = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "error": detail,
    }
    return json.dumps(problem).encode("utf-8")


def unauthorized(error: AuthenticationError, challenge: Challenge) -> web.Response:
    """The 401 for ``error``, with its ``WWW-Authenticate`` header."""
    header = www_authenticate(
        realm=challenge.realm,
        error=error.code,
        description=error.description,
        resource_url=challenge.resource_url,
    )
    return web.Response(
        status=401,
        body=problem_body(401, error.description),
        content_type=PROBLEM_CONTENT_TYPE,
        headers={hdrs.WWW_AUTHENTICATE: header},
    )


def forbidden(error: AuthorizationError) -> web.Response:
    """The 403 for ``error``."""
    return web.Response(
        status=403, body=problem_body(403, error.description), content_type=PROBLEM_CONTENT_TYPE
    )


def get_identity(request: web.Request) -> Identity:
    """The caller of ``request``; a request that bypassed the middleware is treated as public."""
    identity: Identity = request.get(IDENTITY_KEY, PUBLIC)
    return identity


def require_role(request: web.Request, role: Role) -> Identity:
    """The caller, if it holds ``role`` (superAdmin holds all). Otherwise raise
    ``AuthorizationError`` (403), or ``AuthenticationError`` (401) when the caller never
    authenticated (a public path in oauth mode); ``auth_middleware`` renders both."""
    identity = get_identity(request)
    if identity.has_role(role):
        return identity
    if not identity.authenticated:
        raise AuthenticationError("invalid_request", MALFORMED_HEADER)
    raise AuthorizationError(INSUFFICIENT_PERMISSIONS)


def auth_middleware(
    authenticator: Authenticator | None,
    *,
    public_paths: Iterable[str] = (),
    realm: str = DEFAULT_REALM,
    resource_url: str | None = None,
) -> Middleware:
    """The middleware: anonymous mode (``authenticator`` is None) gives every request the
    all-roles anonymous identity; oauth mode authenticates every non-public path.

    Install it innermost (after the problem middleware): it returns its 401/403 responses
    rather than raising, so outer middlewares see them as they are, WWW-Authenticate included,
    and it turns ``require_role``'s errors from handlers into the same responses."""
    challenge = Challenge(realm=realm or DEFAULT_REALM, resource_url=resource_url or None)
    extra_public = tuple(public_paths)

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if authenticator is None:
            request[IDENTITY_KEY] = ANONYMOUS
        elif is_public_path(request.rel_url.raw_path, request.path, extra_public):
            request[IDENTITY_KEY] = PUBLIC
        else:
            try:
                request[IDENTITY_KEY] = await authenticator.authenticate(_authorization(request))
            except AuthenticationError as error:
                return unauthorized(error, challenge)
        try:
            return await handler(request)
        except AuthenticationError as error:
            return unauthorized(error, challenge)
        except AuthorizationError as error:
            return forbidden(error)

    return authenticate


def _authorization(request: web.Request) -> str | None:
    """The single Authorization header; two of them are as malformed as none."""
    values = request.headers.getall(hdrs.AUTHORIZATION, [])
    if len(values) > 1:
        raise AuthenticationError("invalid_request", MALFORMED_HEADER)
    return values[0] if values else None
