"""Blocking calls on threads of their own: results, errors, interrupts, and a busy worker."""

from __future__ import annotations

import asyncio
import threading

import pytest
from mcp_registry_server.sources.blocking import (
    BlockingWorker,
    Interrupt,
    WorkerBusyError,
    current_interrupt,
)
from mcp_registry_testing.waiting import wait_for


def fail() -> None:
    raise ValueError("boom")


async def test_results_and_errors_come_back_from_a_named_daemon_thread() -> None:
    worker = BlockingWorker("test-worker")

    def where() -> tuple[str, bool, bool]:
        thread = threading.current_thread()
        return thread.name, thread.daemon, current_interrupt() is not None

    assert await worker.run(where, grace=1) == ("test-worker", True, True)
    with pytest.raises(ValueError, match="boom"):
        await worker.run(fail, grace=1)
    assert not worker.busy
    assert current_interrupt() is None, "only the worker's thread has one"


async def test_cancelling_the_caller_fires_the_interrupt() -> None:
    worker = BlockingWorker("test-worker")
    fired = threading.Event()

    def wait_for_interrupt() -> None:
        interrupt = current_interrupt()
        assert interrupt is not None
        interrupt.on_fire(fired.set)
        fired.wait(30)

    task = asyncio.create_task(worker.run(wait_for_interrupt, grace=1))
    await wait_for(lambda: worker.busy, 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await wait_for(lambda: not worker.busy, 5, message="the interrupted call did not end")
    assert fired.is_set()


async def test_a_call_deaf_to_its_interrupt_keeps_the_worker_busy_until_it_ends() -> None:
    worker = BlockingWorker("test-worker")
    release = threading.Event()
    task = asyncio.create_task(worker.run(lambda: release.wait(30), grace=1))
    await wait_for(lambda: worker.busy, 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    with pytest.raises(WorkerBusyError):
        await worker.run(lambda: None, grace=0.05)
    release.set()
    assert await worker.run(lambda: "next", grace=5) == "next", "it waited for the old one"


def test_interrupt_hooks_run_once_and_late_ones_at_once() -> None:
    interrupt, calls = Interrupt(), []
    interrupt.on_fire(lambda: calls.append("early"))
    assert not interrupt.fired
    interrupt.fire()
    interrupt.fire()
    interrupt.on_fire(lambda: calls.append("late"))
    assert interrupt.fired
    assert calls == ["early", "late"]
