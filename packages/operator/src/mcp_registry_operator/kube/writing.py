"""Plain create and resourceVersion-guarded replace, for objects not managed by apply (Leases)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio import client

from .calls import DEFAULT_TIMEOUT, call_json, describe, operation
from .resources import Resource


async def create_object(
    api: client.ApiClient,
    resource: Resource,
    body: Mapping[str, Any],
    *,
    namespace: str,
    request_timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Create; raises AlreadyExistsError when the name is taken."""
    name = (body.get("metadata") or {}).get("name")
    return await call_json(
        operation(api, "create", resource, namespace=namespace),
        dict(body),
        what=describe("create", resource, namespace, name),
        request_timeout=request_timeout,
    )


async def replace_object(
    api: client.ApiClient,
    resource: Resource,
    body: Mapping[str, Any],
    *,
    request_timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """PUT; `body.metadata.resourceVersion` guards it (ConflictError when stale)."""
    meta = body.get("metadata") or {}
    namespace, name = meta.get("namespace"), meta.get("name")
    return await call_json(
        operation(api, "replace", resource, namespace=namespace, name=name),
        dict(body),
        what=describe("replace", resource, namespace, name),
        request_timeout=request_timeout,
    )
