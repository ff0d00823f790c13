"""Delete one object (background propagation: the garbage collector removes dependents)."""

from __future__ import annotations

from kubernetes_asyncio import client

from .calls import DEFAULT_TIMEOUT, call_json, describe, operation
from .errors import NotFoundError
from .resources import Resource


async def delete_object(
    api: client.ApiClient,
    resource: Resource,
    *,
    namespace: str,
    name: str,
    missing_ok: bool = True,
    request_timeout: float = DEFAULT_TIMEOUT,
) -> bool:
    """Request deletion; returns False when the object was already gone (and `missing_ok`)."""
    try:
        await call_json(
            operation(api, "delete", resource, namespace=namespace, name=name),
            what=describe("delete", resource, namespace, name),
            request_timeout=request_timeout,
            propagation_policy="Background",
        )
    except NotFoundError:
        if not missing_ok:
            raise
        return False
    return True
