"""List and watch one exported kind in one namespace, keeping the inventory current.

List, then watch from the list's resourceVersion (bookmarks on, a finite server-side timeout,
then watch again from the last version seen); re-list on 410 Gone; on any other failure wait
with capped, jittered exponential backoff and re-list. Imports kubernetes-asyncio.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

import aiohttp
import structlog
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException
from mcp_registry_common.kubeexport import GROUP

from mcp_registry_server.sources.kubernetes.inventory import Inventory

log = structlog.get_logger(__name__)

VERSIONS = ("v1beta1", "v1alpha1")
"""API versions tried in order: ToolHive's current one, then its older one."""
WATCH_SECONDS = 240
"""Server-side timeout of one watch request; then the watch is renewed from the last version."""
REQUEST_TIMEOUT = 30.0
"""Seconds a list (or the start of a watch) may take."""
RETRY_CAP = 30.0
MISSING_KIND_RETRY = 60.0
"""Seconds between checks for a kind whose CRD is not installed."""

Report = Callable[[str | None], None]
"""Called with a problem (or None once it is gone) after every list attempt."""


class GoneError(Exception):
    """The resourceVersion is too old: list again."""


class KindWatch:
    """Keeps `inventory` current for one kind in one namespace; `changed` fires on a change."""

    def __init__(
        self,
        api: client.ApiClient,
        inventory: Inventory,
        *,
        kind: str,
        plural: str,
        namespace: str,
        changed: Callable[[], None],
        report: Report,
    ) -> None:
        self._objects = client.CustomObjectsApi(api)
        self._inventory = inventory
        self.kind, self.plural, self.namespace = kind, plural, namespace
        self._changed = changed
        self._report = report
        self.lists = 0
        """Lists done (a test reads it to see a re-list after 410)."""

    async def run(self) -> None:
        """Until cancelled."""
        failures = 0
        while True:
            try:
                listed = await self._list()
            except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
                failures += 1
                self._report(f"{self.kind} in {self.namespace}: {_describe(exc)}")
                await asyncio.sleep(_backoff(failures))
                continue
            if listed is None:  # the CRD is not installed: nothing is exported, look again later
                self._report(None)
                await asyncio.sleep(MISSING_KIND_RETRY)
                continue
            failures = 0
            self._report(None)
            version, resource_version = listed
            try:
                await self._watch(version, resource_version)
            except GoneError:
                log.info("kubernetes_watch_gone", kind=self.kind, namespace=self.namespace)
            except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
                failures += 1
                log.warning(
                    "kubernetes_watch_failed",
                    kind=self.kind,
                    namespace=self.namespace,
                    error=_describe(exc),
                )
                await asyncio.sleep(_backoff(failures))

    async def _list(self) -> tuple[str, str] | None:
        """List in the first served version: (version, resourceVersion); None if none is."""
        for version in VERSIONS:
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    answer: dict[str, Any] = await self._objects.list_namespaced_custom_object(
                        GROUP, version, self.namespace, self.plural
                    )
            except ApiException as exc:
                if exc.status == 404:
                    continue
                raise
            self.lists += 1
            if self._inventory.replace(self.kind, self.namespace, answer.get("items") or []):
                self._changed()
            return version, str((answer.get("metadata") or {}).get("resourceVersion") or "")
        if self._inventory.replace(self.kind, self.namespace, []):
            self._changed()
        return None

    async def _watch(self, version: str, resource_version: str) -> None:
        """Apply events from `resource_version` on; return when watching must start over."""
        while True:
            async with watch.Watch() as stream:
                events = stream.stream(
                    self._objects.list_namespaced_custom_object,
                    GROUP,
                    version,
                    self.namespace,
                    self.plural,
                    resource_version=resource_version,
                    allow_watch_bookmarks=True,
                    timeout_seconds=WATCH_SECONDS,
                    _request_timeout=(REQUEST_TIMEOUT, WATCH_SECONDS + REQUEST_TIMEOUT),
                )
                try:
                    async for event in events:
                        obj = event.get("raw_object") or {}
                        kind = str(event.get("type") or "")
                        resource_version = str(
                            (obj.get("metadata") or {}).get("resourceVersion") or resource_version
                        )
                        if kind in ("ADDED", "MODIFIED", "DELETED") and self._inventory.apply(
                            self.kind, kind, obj
                        ):
                            self._changed()
                except ApiException as exc:
                    if exc.status == 410:
                        raise GoneError from None
                    raise


def _backoff(failures: int) -> float:
    return float(min(RETRY_CAP, 0.5 * 2 ** min(failures, 10))) * random.uniform(0.5, 1.0)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ApiException):
        return f"HTTP {exc.status} {exc.reason or ''}".strip()
    if isinstance(exc, TimeoutError):
        return f"no answer within {REQUEST_TIMEOUT:g}s"
    return f"{type(exc).__name__}: {exc}"
