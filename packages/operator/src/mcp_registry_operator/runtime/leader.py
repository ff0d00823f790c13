"""Leader election on a coordination.k8s.io/v1 Lease (client-go's algorithm, simplified).

A candidate takes the Lease when it is absent, released (no holder) or expired, judged by the
local time at which this candidate last saw the Lease record change (never by the holder's
clock). Every write is a resourceVersion-guarded replace, so two candidates cannot both win.
The leader renews every `retry_period`; when no renewal succeeds within `renew_deadline` it
stops leading. Releasing clears `holderIdentity` so another candidate can take over at once.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

import structlog

from ..kube import LEASES, ApiClient, ConflictError, KubeApiError, NotFoundError
from ..kube.fetching import get_object
from ..kube.writing import create_object, replace_object

log = structlog.get_logger(__name__)


class LeadershipLostError(Exception):
    """The Lease could not be renewed within the renew deadline (or another holder took it)."""


@dataclass(frozen=True)
class LeaderElectionSettings:
    namespace: str
    name: str
    """The Lease object's namespace and name."""
    identity: str
    """This replica's holderIdentity (the pod name is a good choice)."""
    lease_duration: float = 15.0
    """How long others wait after the last observed renewal before taking over."""
    renew_deadline: float = 10.0
    """The leader gives up if it cannot renew for this long (must be < lease_duration)."""
    retry_period: float = 2.0
    """Seconds between attempts to acquire or renew."""
    request_timeout: float = 5.0
    rng: random.Random = field(default_factory=random.Random, compare=False)


def _microtime(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    def __init__(self, api: ApiClient, *, settings: LeaderElectionSettings) -> None:
        if settings.renew_deadline >= settings.lease_duration:
            raise ValueError("renew_deadline must be shorter than lease_duration")
        self.api = api
        self.settings = settings
        self.is_leader = False
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0

    async def acquire(self) -> None:
        """Return once this replica holds the Lease; retry every retry_period (jittered)."""
        s = self.settings
        while True:
            if await self._try_acquire_or_renew():
                break
            await asyncio.sleep(s.retry_period * (1.0 + 0.2 * s.rng.random()))
        self.is_leader = True
        log.info("leader_elected", lease=s.name, identity=s.identity)

    async def hold(self) -> NoReturn:
        """Renew forever; raise LeadershipLostError when renewal fails for renew_deadline."""
        s = self.settings
        while True:
            await asyncio.sleep(s.retry_period)
            try:
                async with asyncio.timeout(s.renew_deadline):
                    while True:
                        if await self._try_acquire_or_renew():
                            break
                        await asyncio.sleep(s.retry_period)
            except TimeoutError:
                self.is_leader = False
                log.error("leader_lost", lease=s.name, identity=s.identity)
                raise LeadershipLostError(
                    f"could not renew Lease {s.namespace}/{s.name} within {s.renew_deadline}s"
                ) from None

    async def release(self) -> None:
        """Clear holderIdentity if we still hold the Lease, so a standby takes over at once."""
        if not self.is_leader:
            return
        self.is_leader = False
        s = self.settings
        try:
            lease = await get_object(
                self.api,
                LEASES,
                namespace=s.namespace,
                name=s.name,
                request_timeout=s.request_timeout,
            )
            spec = dict(lease.get("spec") or {})
            if spec.get("holderIdentity") != s.identity:
                return
            spec.pop("holderIdentity", None)
            spec.update(leaseDurationSeconds=1, renewTime=_microtime(datetime.now(UTC)))
            await replace_object(
                self.api, LEASES, {**lease, "spec": spec}, request_timeout=s.request_timeout
            )
            log.info("leader_released", lease=s.name, identity=s.identity)
        except KubeApiError as exc:
            log.warning("leader_release_failed", lease=s.name, error=str(exc))

    def _expired(self, spec: dict[str, Any]) -> bool:
        """Has the record stayed unchanged, by our clock, for longer than its duration?"""
        now = asyncio.get_running_loop().time()
        record = tuple(sorted(spec.items()))
        if record != self._observed:
            self._observed, self._observed_at = record, now
        duration = float(spec.get("leaseDurationSeconds") or self.settings.lease_duration)
        return now >= self._observed_at + duration

    async def _try_acquire_or_renew(self) -> bool:
        s = self.settings
        now = _microtime(datetime.now(UTC))
        try:
            lease = await get_object(
                self.api,
                LEASES,
                namespace=s.namespace,
                name=s.name,
                request_timeout=s.request_timeout,
            )
        except NotFoundError:
            return await self._create(now)
        except KubeApiError as exc:
            log.warning("leader_lease_read_failed", lease=s.name, error=str(exc))
            return False
        spec = dict(lease.get("spec") or {})
        holder = spec.get("holderIdentity") or ""
        if holder and holder != s.identity and not self._expired(spec):
            return False
        if holder != s.identity:
            spec.update(acquireTime=now, leaseTransitions=int(spec.get("leaseTransitions", 0)) + 1)
        spec.update(
            holderIdentity=s.identity, renewTime=now, leaseDurationSeconds=int(s.lease_duration)
        )
        try:
            stored = await replace_object(
                self.api, LEASES, {**lease, "spec": spec}, request_timeout=s.request_timeout
            )
        except ConflictError:
            return False
        except KubeApiError as exc:
            log.warning("leader_lease_write_failed", lease=s.name, error=str(exc))
            return False
        self._expired(dict(stored.get("spec") or {}))
        return True

    async def _create(self, now: str) -> bool:
        s = self.settings
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": s.name, "namespace": s.namespace},
            "spec": {
                "holderIdentity": s.identity,
                "leaseDurationSeconds": int(s.lease_duration),
                "acquireTime": now,
                "renewTime": now,
                "leaseTransitions": 0,
            },
        }
        try:
            await create_object(
                self.api, LEASES, body, namespace=s.namespace, request_timeout=s.request_timeout
            )
        except KubeApiError as exc:
            log.info("leader_lease_create_lost", lease=s.name, error=str(exc))
            return False
        return True
