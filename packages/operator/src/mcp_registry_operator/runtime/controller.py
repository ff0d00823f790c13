"""The controller: N workers pull keys from a work queue and call a level-triggered Reconciler.

Result handling (one switch, controller-runtime's): an exception re-queues the key with rate
limiting; TerminalError is logged and counted, and the key is forgotten without a re-queue;
`Result(requeue_after=s)` forgets the backoff and re-queues after s seconds; a plain Result
forgets the key. No key is reconciled before every watched informer has synced, and a jittered
periodic resync enqueues every key of the primary informer.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from .keys import Key, split_key
from .mapping import Mapper, own_key
from .metrics import ControllerMetrics
from .workqueue import QueueShutDownError, WorkQueue

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Result:
    """Done, or done for now: `requeue_after` seconds later, look again."""

    requeue_after: float | None = None


class TerminalError(Exception):
    """Retrying cannot help (e.g. an invalid spec); the reconciler should set a condition."""


class Reconciler(Protocol):
    async def reconcile(self, key: Key) -> Result:
        """Converge the object named by `key`; read state from the informer caches."""
        ...


class Source(Protocol):
    """What the controller needs from an informer."""

    @property
    def synced(self) -> asyncio.Event: ...

    def keys(self) -> Iterable[Key]: ...

    def subscribe(self, handler: KeyHandlerLike, *, mapper: Mapper = own_key) -> None: ...


class KeyHandlerLike(Protocol):
    def __call__(self, key: Key) -> None: ...


@dataclass(frozen=True)
class ControllerSettings:
    workers: int = 2
    """Keys reconciled concurrently (never the same key twice at once)."""
    resync_period: float = 600.0
    """Every key of the primary informer is enqueued this often (± `resync_jitter`)."""
    resync_jitter: float = 0.1
    sync_log_interval: float = 30.0
    """While informers are not synced, log that we are waiting this often."""
    rng: random.Random = field(default_factory=random.Random, compare=False)


class Controller:
    """A Runnable that reconciles only while this replica holds the leader lease."""

    needs_leader_election = True

    def __init__(
        self,
        *,
        name: str,
        reconciler: Reconciler,
        primary: Source,
        metrics: ControllerMetrics,
        queue: WorkQueue | None = None,
        settings: ControllerSettings | None = None,
    ) -> None:
        self.name = name
        self.reconciler = reconciler
        self.queue = queue if queue is not None else WorkQueue()
        self.metrics = metrics
        self.settings = settings or ControllerSettings()
        self._primary = primary
        self._sources: list[Source] = [primary]
        primary.subscribe(self.enqueue)
        metrics.queue_depth.labels(name).set_function(lambda: len(self.queue))

    def watch(self, source: Source, *, mapper: Mapper) -> None:
        """Also reconcile the keys `mapper` derives from changes of `source`'s objects."""
        source.subscribe(self.enqueue, mapper=mapper)
        self._sources.append(source)

    def enqueue(self, key: Key) -> None:
        self.queue.add(key)

    @property
    def sources(self) -> Sequence[Source]:
        return tuple(self._sources)

    async def run(self) -> None:
        try:
            await self._wait_for_sync()
            log.info("controller_started", controller=self.name, workers=self.settings.workers)
            async with asyncio.TaskGroup() as tg:
                for _ in range(self.settings.workers):
                    tg.create_task(self._worker())
                tg.create_task(self._resync())
        finally:
            self.queue.shutdown()

    async def _wait_for_sync(self) -> None:
        for source in self._sources:
            while not source.synced.is_set():
                try:
                    async with asyncio.timeout(self.settings.sync_log_interval):
                        await source.synced.wait()
                except TimeoutError:
                    log.warning("controller_waiting_for_sync", controller=self.name)

    async def _resync(self) -> None:
        s = self.settings
        while True:
            jitter = 1.0 + s.resync_jitter * (2.0 * s.rng.random() - 1.0)
            await asyncio.sleep(s.resync_period * jitter)
            for key in list(self._primary.keys()):
                self.queue.add(key)

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDownError:
                return
            try:
                await self._process(key)
            finally:
                self.queue.done(key)

    async def _process(self, key: Key) -> None:
        namespace, name = split_key(key)
        fields = {
            "controller": self.name,
            "namespace": namespace,
            "name": name,
            "reconcile_id": uuid.uuid4().hex[:16],
        }
        bound = log.bind(**fields)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with structlog.contextvars.bound_contextvars(**fields):
            try:
                result = await self.reconciler.reconcile(key)
            except TerminalError as exc:
                self._count("terminal_error", error=True)
                self.queue.forget(key)
                bound.error("reconcile_terminal_error", error=str(exc))
            except Exception as exc:
                self._count("error", error=True)
                self.metrics.retries.labels(self.name).inc()
                self.queue.add_rate_limited(key)
                bound.warning(
                    "reconcile_error", error=str(exc), error_type=type(exc).__name__, exc_info=True
                )
            else:
                self.queue.forget(key)
                if result.requeue_after is not None and result.requeue_after > 0:
                    self._count("requeue_after")
                    self.queue.add_after(key, result.requeue_after)
                else:
                    self._count("success")
            finally:
                self.metrics.reconcile_time.labels(self.name).observe(loop.time() - started)

    def _count(self, result: str, *, error: bool = False) -> None:
        self.metrics.reconcile_total.labels(self.name, result).inc()
        if error:
            self.metrics.reconcile_errors.labels(self.name).inc()
