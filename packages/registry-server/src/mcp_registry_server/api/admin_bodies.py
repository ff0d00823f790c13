"""Admin API request bodies: read within the size limit, parsed, validated by the common models.

Every defect is a 400 whose detail names the field; unknown keys are refused (a misspelt key
would otherwise be dropped silently).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from aiohttp import web
from mcp_registry_common.config import RegistryConfig, SourceConfig
from mcp_registry_common.config.claimvalues import ConfigClaims
from mcp_registry_common.config.notices import unknown_keys_in
from mcp_registry_common.errorpaths import validation_problems
from mcp_registry_common.formats import (
    ExtensionKind,
    RegistryFormatError,
    validate_item,
    validate_server,
)
from pydantic import BaseModel, TypeAdapter, ValidationError

from mcp_registry_server.api import params
from mcp_registry_server.api.problems import InvalidParameterError
from mcp_registry_server.auth.audit import AUDIT_BODY_KEY
from mcp_registry_server.service.entry_admin import Publication
from mcp_registry_server.store.definitions import ClaimMap

ENTRY_KINDS = ("server", "skill", "plugin")
_CLAIMS = TypeAdapter(ConfigClaims | None)
_M = TypeVar("_M", bound=BaseModel)


class InvalidBodyError(InvalidParameterError):
    """The request body is not JSON, not an object, or fails validation (400)."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"invalid request body: {problem}")


async def read_json(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object. aiohttp refuses bodies over `client_max_size` (413); the
    raw bytes are kept for the audit log, which redacts them."""
    raw = await request.read()
    request[AUDIT_BODY_KEY] = raw
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise InvalidBodyError(f"not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise InvalidBodyError("expected a JSON object")
    return document


def source_config(name: str, document: Mapping[str, Any]) -> SourceConfig:
    """`PUT /v1/sources/{name}`: a `sources[]` item without its name (the path gives it)."""
    return _model(SourceConfig, name, document)


def registry_config(name: str, document: Mapping[str, Any]) -> RegistryConfig:
    """`PUT /v1/registries/{name}`: `{"sources": [...], "claims": {...}}`."""
    return _model(RegistryConfig, name, document)


def _model(model: type[_M], name: str, document: Mapping[str, Any]) -> _M:
    if "name" in document:
        raise InvalidBodyError("name: comes from the path, leave it out of the body")
    unknown = unknown_keys_in(dict(document), model)
    if unknown:
        raise InvalidBodyError("; ".join(line.replace(" (ignored)", "") for line in unknown))
    try:
        return model.model_validate({**document, "name": name})
    except ValidationError as exc:
        raise InvalidBodyError("; ".join(validation_problems(exc))) from None


def claims(document: Mapping[str, Any]) -> ClaimMap | None:
    """The `claims` member: string or list-of-strings values, keys as written."""
    try:
        value: ClaimMap | None = _CLAIMS.validate_python(document.get("claims"))
    except ValidationError as exc:
        raise InvalidBodyError("; ".join(validation_problems(exc, prefix=("claims",)))) from None
    return value


def claims_update(document: Mapping[str, Any]) -> ClaimMap | None:
    """`PUT /v1/entries/.../claims`: `{"claims": {...}}`."""
    _only(document, ("claims",))
    return claims(document)


def publication(document: Mapping[str, Any]) -> Publication:
    """`POST /v1/entries`: `{"claims": {...}, "server" | "skill" | "plugin": {...}}`."""
    _only(document, ("claims", *ENTRY_KINDS))
    given = [kind for kind in ENTRY_KINDS if document.get(kind) is not None]
    if len(given) != 1:
        raise InvalidBodyError("exactly one of 'server', 'skill', or 'plugin' must be provided")
    kind = given[0]
    try:
        if kind == "server":
            entry = validate_server(document[kind], path=kind)
            params.server_name(entry["name"])
        else:
            entry = validate_item(document[kind], kind=ExtensionKind(kind), path=kind)
    except RegistryFormatError as exc:
        raise InvalidBodyError(str(exc)) from None
    return Publication(document=entry, claims=claims(document), kind=kind)


def _only(document: Mapping[str, Any], known: tuple[str, ...]) -> None:
    unknown = sorted(key for key in document if key not in known)
    if unknown:
        raise InvalidBodyError(f"unknown keys {unknown}; expected {list(known)}")
