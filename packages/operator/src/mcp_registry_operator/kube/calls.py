"""One place that maps (verb, resource) to a kubernetes-asyncio method and reads its JSON answer.

Core resources go through CoreV1Api, every other group through CustomObjectsApi (the paths are
the same for built-in groups). Every call passes `_preload_content=False` (custom-object PATCH
maps a 201 to None otherwise) and `_request_timeout`, and errors are translated here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import aiohttp
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from .errors import KubeApiError, UnreachableError, error_for, translate
from .resources import Resource

Verb = Literal["list", "list_all", "get", "create", "replace", "patch", "patch_status", "delete"]
Operation = Callable[..., Awaitable[Any]]

DEFAULT_TIMEOUT = 30.0
MAX_BODY_BYTES = 64 * 1024 * 1024
"""Refuse to buffer a response larger than this (a list of every object in a big cluster)."""

_CORE = {
    "list": "list_namespaced_{k}",
    "list_all": "list_{k}_for_all_namespaces",
    "get": "read_namespaced_{k}",
    "create": "create_namespaced_{k}",
    "replace": "replace_namespaced_{k}",
    "patch": "patch_namespaced_{k}",
    "patch_status": "patch_namespaced_{k}_status",
    "delete": "delete_namespaced_{k}",
}
_CUSTOM = {
    "list": "list_namespaced_custom_object",
    "list_all": "list_cluster_custom_object",
    "get": "get_namespaced_custom_object",
    "create": "create_namespaced_custom_object",
    "replace": "replace_namespaced_custom_object",
    "patch": "patch_namespaced_custom_object",
    "patch_status": "patch_namespaced_custom_object_status",
    "delete": "delete_namespaced_custom_object",
}


def operation(
    api: client.ApiClient,
    verb: Verb,
    resource: Resource,
    *,
    namespace: str | None = None,
    name: str | None = None,
) -> Operation:
    """The bound kubernetes-asyncio method; the caller appends the body, if any."""
    if resource.is_core:
        method = getattr(client.CoreV1Api(api), _CORE[verb].format(k=resource.snake_kind))
        args = [a for a in (name, namespace) if a is not None]
    else:
        method = getattr(client.CustomObjectsApi(api), _CUSTOM[verb])
        args = [resource.group, resource.version]
        args += [namespace] if namespace is not None else []
        args += [resource.plural] + ([name] if name is not None else [])
    bound: Operation = functools.partial(method, *args)
    return bound


async def read_limited(content: aiohttp.StreamReader, limit: int) -> bytes:
    """The whole body, or its first `limit + 1` bytes when it is longer (the caller refuses
    it). `StreamReader.read(n)` alone returns only what has arrived so far."""
    data = bytearray()
    async for chunk in content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > limit:
            break
    return bytes(data)


def describe(verb: str, resource: Resource, namespace: str | None, name: str | None) -> str:
    """`patch deployments.apps default/web`: what a call was about, for error messages."""
    plural = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
    where = "/".join(p for p in (namespace, name) if p) or "(all namespaces)"
    return f"{verb} {plural} {where}"


async def call_json(
    op: Operation,
    *args: Any,
    what: str,
    request_timeout: float = DEFAULT_TIMEOUT,
    **kwargs: Any,
) -> dict[str, Any]:
    """Run `op`, check the status and parse the JSON body; raise a typed KubeApiError."""
    try:
        response = await op(
            *args, _preload_content=False, _request_timeout=request_timeout, **kwargs
        )
        try:
            data = await read_limited(response.content, MAX_BODY_BYTES)
        finally:
            response.release()
    except ApiException as exc:
        raise translate(exc, what=what) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise UnreachableError(f"{what}: {type(exc).__name__}: {exc}") from exc
    if len(data) > MAX_BODY_BYTES:
        raise KubeApiError(f"{what}: response larger than {MAX_BODY_BYTES} bytes")
    if not 200 <= response.status < 300:
        raise error_for(response.status, data, headers=response.headers, what=what)
    try:
        parsed = json.loads(data) if data else {}
    except ValueError as exc:
        raise KubeApiError(f"{what}: the response is not JSON", status=response.status) from exc
    return parsed if isinstance(parsed, dict) else {"value": parsed}
