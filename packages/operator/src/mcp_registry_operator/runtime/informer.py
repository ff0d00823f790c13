"""An informer: list, then watch from the list's resourceVersion; keep a cache and call handlers
with keys (level-triggered), re-listing on 410 Gone and backing off on every other failure.

One list+watch loop runs per namespace (or one cluster-wide). The loop never gives up. After a
re-list, keys that vanished while disconnected are reported as deletions, and every key present
is reported again. `synced` is set once every namespace has been listed once.
"""

from __future__ import annotations

import asyncio
import builtins
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from mcp_registry_common.backoff import BackoffPolicy, equal_jitter

from ..kube import ApiClient, GoneError, Resource, TooManyRequestsError
from ..kube.listing import list_objects
from ..kube.watching import watch_objects
from .keys import Key, object_key
from .mapping import Mapper, own_key

log = structlog.get_logger(__name__)
Obj = dict[str, Any]


class KeyHandler(Protocol):
    def __call__(self, key: Key) -> None: ...


@dataclass(frozen=True)
class InformerSettings:
    namespaces: tuple[str, ...] | None = None
    """Watch only these namespaces (one watch each); None watches the whole cluster."""
    label_selector: str | None = None
    """Only objects with these labels (e.g. the operator's managed-by label)."""
    watch_timeout_seconds: int = 300
    """Server-side end of each watch (jittered down by up to 10 %); the loop then resumes."""
    inactivity_timeout: float = 330.0
    """A stream silent this long is treated as dead (bookmarks arrive about every 60 s)."""
    request_timeout: float = 30.0
    """Timeout of each list request."""
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    """Retry delay after failures: base · 2^n with jitter, at most this."""
    rng: random.Random = field(default_factory=random.Random, compare=False)


@dataclass(frozen=True)
class _Subscription:
    handler: KeyHandler
    mapper: Mapper


class Informer:
    """A cached, watched view of one resource; a Runnable that needs no leadership."""

    needs_leader_election = False

    def __init__(
        self, api: ApiClient, resource: Resource, *, settings: InformerSettings | None = None
    ) -> None:
        self.api = api
        self.resource = resource
        self.settings = settings or InformerSettings()
        self.synced = asyncio.Event()
        self._cache: dict[Key, Obj] = {}
        self._subscriptions: list[_Subscription] = []
        self._listed: set[str | None] = set()
        self.resource_versions: dict[str | None, str] = {}
        """The last resourceVersion seen per namespace (None = cluster-wide)."""

    # ----- the cache ---------------------------------------------------------------------
    def get(self, key: Key) -> Obj | None:
        return self._cache.get(key)

    def list(self) -> builtins.list[Obj]:
        return list(self._cache.values())

    def keys(self) -> builtins.list[Key]:
        return list(self._cache)

    def subscribe(self, handler: KeyHandler, *, mapper: Mapper = own_key) -> None:
        """Call `handler` with the mapped keys of the old and new object on every change."""
        self._subscriptions.append(_Subscription(handler, mapper))

    def _notify(self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
        for sub in self._subscriptions:
            keys: set[Key] = set()
            for obj in (old, new):
                if obj is not None:
                    keys.update(sub.mapper(obj))
            for key in sorted(keys):
                sub.handler(key)

    # ----- the loops ---------------------------------------------------------------------
    async def run(self) -> None:
        scopes: Iterable[str | None] = self.settings.namespaces or (None,)
        async with asyncio.TaskGroup() as tg:
            for namespace in scopes:
                tg.create_task(self._run_scope(namespace))

    def _backoff(self, attempt: int, exc: Exception) -> float:
        s = self.settings
        policy = BackoffPolicy(base=s.backoff_base, cap=s.backoff_cap, jitter=equal_jitter)
        delay = policy.delay(attempt + 1, s.rng.random())
        if isinstance(exc, TooManyRequestsError) and exc.retry_after:
            delay = max(delay, exc.retry_after)
        return delay

    async def _run_scope(self, namespace: str | None) -> None:
        attempt = 0
        while True:
            try:
                if namespace not in self.resource_versions:
                    await self._relist(namespace)
                await self._watch(namespace)
                attempt = 0
            except GoneError as exc:
                log.info("informer_relist", resource=self.resource.plural, reason=str(exc))
                self.resource_versions.pop(namespace, None)
            except Exception as exc:
                delay = self._backoff(attempt, exc)
                attempt += 1
                log.warning(
                    "informer_retry",
                    resource=self.resource.plural,
                    namespace=namespace,
                    error=str(exc),
                    error_type=type(exc).__name__,
                    delay=round(delay, 3),
                )
                await asyncio.sleep(delay)

    async def _relist(self, namespace: str | None) -> None:
        listed = await list_objects(
            self.api,
            self.resource,
            namespace=namespace,
            label_selector=self.settings.label_selector,
            request_timeout=self.settings.request_timeout,
        )
        fresh = {object_key(obj): _cached(obj) for obj in listed.items}
        in_scope = [k for k, o in self._cache.items() if self._in_scope(o, namespace)]
        for key in in_scope:
            if key not in fresh:
                self._notify(self._cache.pop(key), None)
        for key, obj in fresh.items():
            old = self._cache.get(key)
            self._cache[key] = obj
            self._notify(old, obj)
        self.resource_versions[namespace] = listed.resource_version
        self._listed.add(namespace)
        if len(self._listed) == len(self.settings.namespaces or (None,)):
            self.synced.set()

    @staticmethod
    def _in_scope(obj: Mapping[str, Any], namespace: str | None) -> bool:
        return namespace is None or (obj.get("metadata") or {}).get("namespace") == namespace

    async def _watch(self, namespace: str | None) -> None:
        s = self.settings
        timeout = max(1, int(s.watch_timeout_seconds * (0.9 + 0.1 * s.rng.random())))
        events = watch_objects(
            self.api,
            self.resource,
            namespace=namespace,
            resource_version=self.resource_versions[namespace],
            timeout_seconds=timeout,
            inactivity_timeout=s.inactivity_timeout,
            label_selector=s.label_selector,
        )
        async for event in events:
            if event.resource_version:
                self.resource_versions[namespace] = event.resource_version
            if event.type in ("ADDED", "MODIFIED"):
                key = object_key(event.object)
                old = self._cache.get(key)
                self._cache[key] = new = _cached(event.object)
                self._notify(old, new)
            elif event.type == "DELETED":
                key = object_key(event.object)
                self._notify(self._cache.pop(key, None), _cached(event.object))
            elif event.type != "BOOKMARK":
                log.warning("watch_event_unknown", type=event.type)


def _cached(obj: Obj) -> Obj:
    """`obj` as the cache keeps it: without `metadata.managedFields` (the server-side apply
    bookkeeping, often the largest part of an object), which the operator never reads, as
    controller-runtime's `TransformStripManagedFields`. `obj` is the decoded response's own."""
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
    return obj
