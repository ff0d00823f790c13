"""Leader election on a coordination.k8s.io Lease, as client-go does it: one holder at a time.

A candidate takes the lease when it is free, or when its record has not changed for a full
lease duration by the candidate's own clock (no clock comparison between replicas); every
write is conditional on the lease's resourceVersion. The holder renews every retry period
and stops leading when no renewal succeeded within the renew deadline, which is shorter
than the duration: a deposed holder stops writing before anyone else may start.
Imports kubernetes-asyncio.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import aiohttp
import structlog
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from mcp_registry_server.sources.kubernetes.settings import LeaseTiming

log = structlog.get_logger(__name__)

GROUP, VERSION, PLURAL = "coordination.k8s.io", "v1", "leases"


class LeaseLostError(Exception):
    """No renewal succeeded within the renew deadline."""


def new_identity() -> str:
    """This process's holder identity: host name, pid and a random part."""
    return f"{socket.gethostname()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def _micro_time(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaseElector:
    """Runs work only while this process holds the lease `namespace/name`."""

    def __init__(
        self,
        api: client.ApiClient,
        *,
        namespace: str,
        name: str,
        identity: str,
        timing: LeaseTiming,
        on_standby: Callable[[str], None] = lambda holder: None,
    ) -> None:
        self._objects = client.CustomObjectsApi(api)
        self.namespace, self.name, self.identity = namespace, name, identity
        self._timing = timing
        self._on_standby = on_standby
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0
        self.leading = False

    async def lead(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Until cancelled: acquire, run `work` while leading, stand by when deposed."""
        try:
            while True:
                await self._acquire()
                self.leading = True
                log.info("lease_acquired", lease=f"{self.namespace}/{self.name}")
                try:
                    async with asyncio.TaskGroup() as group:
                        group.create_task(self._keep())
                        group.create_task(work())
                except* LeaseLostError:
                    log.warning("lease_lost", lease=f"{self.namespace}/{self.name}")
                finally:
                    self.leading = False
        finally:
            await asyncio.shield(self._release())

    async def _acquire(self) -> None:
        while True:
            if await self._try():
                return
            await asyncio.sleep(self._timing.retry_period)

    async def _keep(self) -> None:
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            await asyncio.sleep(self._timing.retry_period)
            if await self._try():
                renewed = loop.time()
            elif loop.time() - renewed >= self._timing.renew_deadline:
                raise LeaseLostError

    async def _try(self) -> bool:
        """One acquire-or-renew; True when this process holds the lease afterwards."""
        try:
            async with asyncio.timeout(self._timing.retry_period * 2):
                return await self._try_once()
        except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
            log.info("lease_try_failed", lease=self.name, error=str(exc)[:200])
            return False

    async def _try_once(self) -> bool:
        now = datetime.now(UTC)
        try:
            lease: dict[str, Any] = await self._objects.get_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, self.name
            )
        except ApiException as exc:
            if exc.status != 404:
                raise
            await self._objects.create_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, self._body(now, None)
            )
            return True
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        record = (holder, spec.get("renewTime"), spec.get("leaseTransitions"))
        loop_now = asyncio.get_running_loop().time()
        if record != self._observed:
            self._observed, self._observed_at = record, loop_now
        if holder and holder != self.identity:
            duration = float(spec.get("leaseDurationSeconds") or self._timing.duration)
            if loop_now < self._observed_at + duration:
                self._on_standby(holder)
                return False
        body = self._body(now, lease)
        try:
            await self._objects.replace_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, self.name, body
            )
        except ApiException as exc:
            if exc.status == 409:  # someone else wrote it first
                return False
            raise
        return True

    def _body(self, now: datetime, current: dict[str, Any] | None) -> dict[str, Any]:
        spec = dict((current or {}).get("spec") or {})
        ours = spec.get("holderIdentity") == self.identity
        spec.update(
            holderIdentity=self.identity,
            leaseDurationSeconds=int(self._timing.duration),
            renewTime=_micro_time(now),
        )
        if not ours:
            spec["acquireTime"] = _micro_time(now)
            spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + (
                1 if current is not None else 0
            )
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if current is not None:
            metadata["resourceVersion"] = current["metadata"]["resourceVersion"]
        return {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "Lease",
            "metadata": metadata,
            "spec": spec,
        }

    async def _release(self) -> None:
        """Give the lease up on shutdown so a standby takes over at once (best effort)."""
        try:
            async with asyncio.timeout(self._timing.retry_period):
                lease: dict[str, Any] = await self._objects.get_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, PLURAL, self.name
                )
                if (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                    return
                lease["spec"].update(holderIdentity="", leaseDurationSeconds=1)
                await self._objects.replace_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, PLURAL, self.name, lease
                )
        except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
            log.info("lease_release_failed", lease=self.name, error=str(exc)[:200])
