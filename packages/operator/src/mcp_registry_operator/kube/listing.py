"""List objects of one resource, returning the items and the list's resourceVersion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubernetes_asyncio import client

from .calls import DEFAULT_TIMEOUT, Verb, call_json, describe, operation
from .resources import Resource


@dataclass(frozen=True)
class ObjectList:
    items: list[dict[str, Any]]
    resource_version: str
    """Watch from here to see every change after this list."""


async def list_objects(
    api: client.ApiClient,
    resource: Resource,
    *,
    namespace: str | None,
    label_selector: str | None = None,
    request_timeout: float = DEFAULT_TIMEOUT,
) -> ObjectList:
    """All objects in `namespace` (every namespace when None), with kind/apiVersion filled in."""
    verb: Verb = "list" if namespace is not None else "list_all"
    kwargs = {"label_selector": label_selector} if label_selector else {}
    body = await call_json(
        operation(api, verb, resource, namespace=namespace),
        what=describe("list", resource, namespace, None),
        request_timeout=request_timeout,
        **kwargs,
    )
    items = [
        {"apiVersion": resource.api_version, "kind": resource.kind, **item}
        for item in body.get("items") or []
    ]
    return ObjectList(items, str((body.get("metadata") or {}).get("resourceVersion", "")))
