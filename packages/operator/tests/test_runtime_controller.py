"""Controller semantics on virtual loop time: sync gating, backoff, terminal errors, requeue_after,
one worker per key, dirty re-queue, resync, metrics and bound log context."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import structlog
from mcp_registry_operator.runtime.controller import (
    Controller,
    ControllerSettings,
    Result,
    TerminalError,
)
from mcp_registry_operator.runtime.keys import Key
from mcp_registry_operator.runtime.mapping import Mapper, own_key
from mcp_registry_operator.runtime.metrics import ControllerMetrics
from mcp_registry_operator.runtime.ratelimit import ExponentialBackoff
from mcp_registry_operator.runtime.workqueue import WorkQueue
from mcp_registry_testing.virtualtime import advance_virtual_time
from prometheus_client import CollectorRegistry

from .conftest import running

A, B = Key("ns/a"), Key("ns/b")
pytestmark = pytest.mark.looptime


class StaticSource:
    """An informer stand-in: a fixed key set, a synced flag and subscribers to poke."""

    def __init__(self, *keys: Key) -> None:
        self.synced = asyncio.Event()
        self._keys = list(keys)
        self.handlers: list[Callable[[Key], None]] = []

    def keys(self) -> list[Key]:
        return list(self._keys)

    def subscribe(self, handler: Callable[[Key], None], *, mapper: Mapper = own_key) -> None:
        self.handlers.append(handler)

    def emit(self, key: Key) -> None:
        for handler in self.handlers:
            handler(key)


Behaviour = Callable[[Key, int], Awaitable[Result]]


class ScriptedReconciler:
    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.calls: list[tuple[Key, float]] = []
        self.active: dict[Key, int] = {}
        self.max_active: dict[Key, int] = {}
        self.contexts: list[dict[str, Any]] = []
        self._behaviour = behaviour

    async def reconcile(self, key: Key) -> Result:
        self.calls.append((key, asyncio.get_running_loop().time()))
        self.contexts.append(structlog.contextvars.get_contextvars())
        self.active[key] = self.active.get(key, 0) + 1
        self.max_active[key] = max(self.max_active.get(key, 0), self.active[key])
        try:
            attempt = sum(1 for k, _ in self.calls if k == key)
            return await self._behaviour(key, attempt) if self._behaviour else Result()
        finally:
            self.active[key] -= 1

    def times(self, key: Key) -> list[float]:
        return [t for k, t in self.calls if k == key]


def _controller(
    reconciler: ScriptedReconciler, source: StaticSource, **settings: Any
) -> tuple[Controller, CollectorRegistry]:
    registry = CollectorRegistry()
    controller = Controller(
        name="test",
        reconciler=reconciler,
        primary=source,
        metrics=ControllerMetrics(registry),
        queue=WorkQueue(rate_limiter=ExponentialBackoff(base=1.0, cap=100.0, jitter=0.0)),
        settings=ControllerSettings(**{"resync_jitter": 0.0, **settings}),
    )
    return controller, registry


def _sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, {"controller": "test", **labels}) or 0.0


async def test_nothing_is_reconciled_before_every_source_has_synced() -> None:
    primary, owned = StaticSource(A), StaticSource()
    reconciler = ScriptedReconciler()
    controller, _ = _controller(reconciler, primary)
    controller.watch(owned, mapper=own_key)
    async with running(controller.run):
        primary.emit(A)
        primary.synced.set()
        await advance_virtual_time(60)
        assert reconciler.calls == []
        owned.synced.set()
        await advance_virtual_time(1)
        assert [k for k, _ in reconciler.calls] == [A]


async def test_errors_are_retried_with_growing_backoff_then_forgotten() -> None:
    async def flaky(key: Key, attempt: int) -> Result:
        if attempt <= 3:
            raise RuntimeError(f"attempt {attempt} failed")
        return Result()

    source = StaticSource(A)
    reconciler = ScriptedReconciler(flaky)
    controller, registry = _controller(reconciler, source)
    source.synced.set()
    async with running(controller.run):
        start = asyncio.get_running_loop().time()
        source.emit(A)
        await advance_virtual_time(30)
    assert [t - start for t in reconciler.times(A)] == pytest.approx([0, 1, 3, 7])
    assert _sample(registry, "controller_runtime_reconcile_total", result="error") == 3
    assert _sample(registry, "controller_runtime_reconcile_total", result="success") == 1
    assert _sample(registry, "controller_runtime_reconcile_errors_total") == 3
    assert registry.get_sample_value("workqueue_retries_total", {"name": "test"}) == 3
    assert controller.queue.retries(A) == 0


async def test_a_terminal_error_is_counted_and_not_retried() -> None:
    async def broken(key: Key, attempt: int) -> Result:
        raise TerminalError("spec.sources[0]: unknown format")

    source = StaticSource(A)
    reconciler = ScriptedReconciler(broken)
    controller, registry = _controller(reconciler, source)
    source.synced.set()
    async with running(controller.run):
        source.emit(A)
        await advance_virtual_time(300)
    assert len(reconciler.calls) == 1
    assert _sample(registry, "controller_runtime_reconcile_total", result="terminal_error") == 1
    assert _sample(registry, "controller_runtime_reconcile_errors_total") == 1
    assert controller.queue.retries(A) == 0


async def test_requeue_after_comes_back_on_time_and_resets_the_backoff() -> None:
    async def periodic(key: Key, attempt: int) -> Result:
        if attempt == 1:
            raise RuntimeError("first try fails")
        return Result(requeue_after=30.0)

    source = StaticSource(A)
    reconciler = ScriptedReconciler(periodic)
    controller, registry = _controller(reconciler, source)
    source.synced.set()
    async with running(controller.run):
        start = asyncio.get_running_loop().time()
        source.emit(A)
        await advance_virtual_time(70)
        assert controller.queue.retries(A) == 0
    assert [t - start for t in reconciler.times(A)] == pytest.approx([0, 1, 31, 61])
    assert _sample(registry, "controller_runtime_reconcile_total", result="requeue_after") == 3


async def test_one_key_is_never_reconciled_twice_at_once_and_a_readd_runs_once_more() -> None:
    release = asyncio.Event()

    async def slow(key: Key, attempt: int) -> Result:
        if key == A and attempt == 1:
            await release.wait()
        return Result()

    source = StaticSource(A, B)
    reconciler = ScriptedReconciler(slow)
    controller, _ = _controller(reconciler, source, workers=4)
    source.synced.set()
    async with running(controller.run):
        source.emit(A)
        await advance_virtual_time(1)
        for _ in range(3):
            source.emit(A)  # dirty while in progress
        source.emit(B)  # other keys are not blocked
        await advance_virtual_time(1)
        assert [k for k, _ in reconciler.calls] == [A, B]
        release.set()
        await advance_virtual_time(1)
    assert [k for k, _ in reconciler.calls] == [A, B, A]
    assert reconciler.max_active[A] == 1


async def test_resync_enqueues_every_primary_key_periodically() -> None:
    source = StaticSource(A, B)
    reconciler = ScriptedReconciler()
    controller, _ = _controller(reconciler, source, resync_period=100.0)
    source.synced.set()
    async with running(controller.run):
        await advance_virtual_time(250)
    assert sorted(k for k, _ in reconciler.calls) == [A, A, B, B]
    assert [round(t) for t in reconciler.times(A)] == [100, 200]


async def test_each_reconcile_runs_with_a_bound_log_context_and_queue_depth_is_exported() -> None:
    source = StaticSource(A)
    reconciler = ScriptedReconciler()
    controller, registry = _controller(reconciler, source)
    controller.queue.add(A)
    controller.queue.add(B)
    assert registry.get_sample_value("workqueue_depth", {"name": "test"}) == 2
    source.synced.set()
    async with running(controller.run):
        await advance_virtual_time(1)
    first, second = reconciler.contexts
    assert first["controller"] == "test"
    assert (first["namespace"], first["name"]) == ("ns", "a")
    assert first["reconcile_id"] != second["reconcile_id"]
    assert registry.get_sample_value("workqueue_depth", {"name": "test"}) == 0
    hist = registry.get_sample_value(
        "controller_runtime_reconcile_time_seconds_count", {"controller": "test"}
    )
    assert hist == 2
