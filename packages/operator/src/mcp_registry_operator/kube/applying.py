"""Server-side apply with one field manager, for built-in and custom objects alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio import client

from .calls import DEFAULT_TIMEOUT, Verb, call_json, describe, operation
from .resources import Resource

APPLY_CONTENT_TYPE = "application/apply-patch+yaml"


async def apply_object(
    api: client.ApiClient,
    resource: Resource,
    body: Mapping[str, Any],
    *,
    field_manager: str,
    force: bool = True,
    status: bool = False,
    request_timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Apply `body` (a full intent with apiVersion, kind, metadata.name and .namespace).

    Creates the object when it is absent (the server answers 201); returns the stored object.
    `status=True` applies to the status subresource instead of the main resource.
    """
    meta = body.get("metadata") or {}
    namespace, name = meta.get("namespace"), meta.get("name")
    if not namespace or not name:
        raise ValueError(f"apply needs metadata.namespace and metadata.name, got {dict(meta)}")
    verb: Verb = "patch_status" if status else "patch"
    return await call_json(
        operation(api, verb, resource, namespace=namespace, name=name),
        dict(body),
        what=describe("apply", resource, namespace, name),
        request_timeout=request_timeout,
        field_manager=field_manager,
        force=force,
        _content_type=APPLY_CONTENT_TYPE,
    )
