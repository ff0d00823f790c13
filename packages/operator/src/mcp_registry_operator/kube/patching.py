"""JSON merge patches: on an object's metadata/spec, or on its status subresource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio import client

from .calls import DEFAULT_TIMEOUT, call_json, describe, operation
from .resources import Resource

MERGE_CONTENT_TYPE = "application/merge-patch+json"


async def patch_status(
    api: client.ApiClient,
    resource: Resource,
    *,
    namespace: str,
    name: str,
    status: Mapping[str, Any],
    resource_version: str | None = None,
    request_timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Merge-patch `.status`; with `resource_version`, a stale object raises ConflictError."""
    body: dict[str, Any] = {"status": dict(status)}
    if resource_version:
        body["metadata"] = {"resourceVersion": resource_version}
    return await call_json(
        operation(api, "patch_status", resource, namespace=namespace, name=name),
        body,
        what=describe("patch status of", resource, namespace, name),
        request_timeout=request_timeout,
        _content_type=MERGE_CONTENT_TYPE,
    )


async def merge_patch(
    api: client.ApiClient,
    resource: Resource,
    *,
    namespace: str,
    name: str,
    patch: Mapping[str, Any],
    request_timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """RFC 7386 merge-patch the main resource (e.g. annotations or finalizers)."""
    return await call_json(
        operation(api, "patch", resource, namespace=namespace, name=name),
        dict(patch),
        what=describe("patch", resource, namespace, name),
        request_timeout=request_timeout,
        _content_type=MERGE_CONTENT_TYPE,
    )
