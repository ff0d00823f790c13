"""List + watch one resource into a local cache, as client-go's reflector does: list (paged),
watch from the list's resourceVersion, relist on 410 Gone or a broken watch. Handlers see every
change in order; `synced` is set after the first list."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Self

import aiohttp
import structlog

from mcp_registry_testing.controlplane.client import KubeClient, KubeError

Handler = Callable[[str, dict[str, Any]], None]
"""(ADDED | MODIFIED | DELETED, object)."""
RETRY_DELAY = 0.5
log = structlog.get_logger("controlplane.informer")


def key_of(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or ""
    return f"{namespace}/{meta['name']}" if namespace else str(meta["name"])


class Informer:
    """`async with Informer(kube, "/api/v1/pods", handler) as pods:`; `pods.get("ns/name")`."""

    def __init__(self, kube: KubeClient, path: str, handler: Handler | None = None) -> None:
        self.kube = kube
        self.path = path
        self.handler = handler
        self.cache: dict[str, dict[str, Any]] = {}
        self.synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def get(self, key: str) -> dict[str, Any] | None:
        return self.cache.get(key)

    def items(self) -> Iterator[dict[str, Any]]:
        return iter(list(self.cache.values()))

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name=f"informer {self.path}")
        async with asyncio.timeout(60):
            synced = asyncio.ensure_future(self.synced.wait())
            await asyncio.wait({synced, self._task}, return_when=asyncio.FIRST_COMPLETED)
            if not synced.done():
                synced.cancel()
                self._task.result()  # raises what ended it
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                version = await self._relist()
                while True:
                    version = await self._watch(version)
            except KubeError as exc:
                if exc.code != 410:
                    log.warning("informer_error", path=self.path, error=str(exc))
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                log.info("informer_reconnect", path=self.path, error=repr(exc))
            await asyncio.sleep(RETRY_DELAY)  # a pause before the relist, not a synchronisation

    async def _relist(self) -> str:
        items, version = await self.kube.list_all(self.path)
        fresh = {key_of(obj): obj for obj in items}
        for key in list(self.cache):
            if key not in fresh:
                self._emit("DELETED", self.cache.pop(key))
        for key, obj in fresh.items():
            before = self.cache.get(key)
            self.cache[key] = obj
            if before is None:
                self._emit("ADDED", obj)
            elif before["metadata"].get("resourceVersion") != obj["metadata"].get(
                "resourceVersion"
            ):
                self._emit("MODIFIED", obj)
        self.synced.set()
        return version

    async def _watch(self, version: str) -> str:
        async for kind, obj in self.kube.watch(self.path, resource_version=version):
            version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
            if kind == "BOOKMARK":
                continue
            key = key_of(obj)
            if kind == "DELETED":
                self.cache.pop(key, None)
            else:
                self.cache[key] = obj
            self._emit(kind, obj)
        return version

    def _emit(self, kind: str, obj: dict[str, Any]) -> None:
        if self.handler is None:
            return
        try:
            self.handler(kind, obj)
        except Exception:  # one object a handler chokes on must not stop the watch
            log.exception("informer_handler_failed", path=self.path, object=key_of(obj))
