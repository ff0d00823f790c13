"""Read one object by namespace and name."""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio import client

from .calls import DEFAULT_TIMEOUT, call_json, describe, operation
from .resources import Resource


async def get_object(
    api: client.ApiClient,
    resource: Resource,
    *,
    namespace: str,
    name: str,
    request_timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """The object as stored; raises NotFoundError when absent."""
    return await call_json(
        operation(api, "get", resource, namespace=namespace, name=name),
        what=describe("get", resource, namespace, name),
        request_timeout=request_timeout,
    )
