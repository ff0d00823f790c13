"""Watch one resource from a resourceVersion: bookmarks on, a finite server timeout, and an
inactivity timeout that ends a stream which went silent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from .calls import Verb, describe, operation
from .errors import UnreachableError, translate
from .resources import Resource

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class WatchEvent:
    type: str
    """ADDED, MODIFIED, DELETED or BOOKMARK (ERROR events are raised as typed errors)."""
    object: dict[str, Any]
    resource_version: str


async def watch_objects(
    api: client.ApiClient,
    resource: Resource,
    *,
    namespace: str | None,
    resource_version: str,
    timeout_seconds: int,
    inactivity_timeout: float,
    label_selector: str | None = None,
    connect_timeout: float = 10.0,
) -> AsyncIterator[WatchEvent]:
    """Yield events until the server ends the stream or it is silent for `inactivity_timeout`.

    Raises GoneError when `resource_version` is too old (the caller must re-list) and other
    KubeApiErrors for failures.
    """
    verb: Verb = "list" if namespace is not None else "list_all"
    kwargs: dict[str, Any] = {"label_selector": label_selector} if label_selector else {}
    what = describe("watch", resource, namespace, None)
    async with watch.Watch() as stream:
        events = stream.stream(
            operation(api, verb, resource, namespace=namespace),
            resource_version=resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=timeout_seconds,
            _request_timeout=(connect_timeout, timeout_seconds + inactivity_timeout),
            **kwargs,
        )
        while True:
            try:
                async with asyncio.timeout(inactivity_timeout):
                    raw = await anext(events)
            except StopAsyncIteration:
                return
            except TimeoutError:
                log.warning("watch_inactive", what=what, seconds=inactivity_timeout)
                return
            except ApiException as exc:
                raise translate(exc, what=what) from exc
            except aiohttp.ClientError as exc:
                raise UnreachableError(f"{what}: {type(exc).__name__}: {exc}") from exc
            obj = raw.get("raw_object") or {}
            rv = str((obj.get("metadata") or {}).get("resourceVersion", ""))
            yield WatchEvent(str(raw.get("type", "")), obj, rv)
