"""The parse gate: one parse at a time, held until the worker thread ends even if its caller
gave up, and every wait for it bounded."""

from __future__ import annotations

import asyncio
import threading

import pytest
from mcp_registry_server.sync.gate import ParseGate, ParseGateTimeoutError
from mcp_registry_testing.waiting import wait_for

THREAD_WAIT = 10.0
"""Longest a blocked worker call waits for the test to release it."""


class Calls:
    """Blocking calls that record how many run at once and wait for `release`."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started = 0

    def call(self) -> int:
        with self._lock:
            self.running += 1
            self.started += 1
            self.most = max(self.most, self.running)
            number = self.started
        try:
            assert self.release.wait(THREAD_WAIT), "the test never released the call"
            return number
        finally:
            with self._lock:
                self.running -= 1


async def test_calls_run_one_at_a_time() -> None:
    gate, calls = ParseGate(), Calls()
    tasks = [asyncio.create_task(gate.run(calls.call, wait=THREAD_WAIT)) for _ in range(3)]
    await wait_for(lambda: calls.started == 1 and gate.waiting == 2)
    assert calls.running == 1
    calls.release.set()
    assert sorted(await asyncio.gather(*tasks)) == [1, 2, 3]
    assert calls.most == 1
    assert not gate.busy


async def test_a_cancelled_caller_returns_at_once_and_the_gate_waits_for_its_thread() -> None:
    gate, calls = ParseGate(), Calls()
    first = asyncio.create_task(gate.run(calls.call, wait=1.0))
    await wait_for(lambda: calls.started == 1)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert gate.busy, "the thread still parses: its memory is not free yet"
    with pytest.raises(ParseGateTimeoutError, match=r"held the parse gate for more than 0\.05s"):
        await gate.run(calls.call, wait=0.05)
    calls.release.set()
    await wait_for(lambda: not gate.busy)
    assert await gate.run(calls.call, wait=1.0) == 2
    assert calls.most == 1


async def test_a_failing_call_raises_and_opens_the_gate() -> None:
    gate = ParseGate()

    def fail() -> None:
        raise ValueError("not a registry")

    with pytest.raises(ValueError, match="not a registry"):
        await gate.run(fail, wait=1.0)
    assert not gate.busy
    assert await gate.run(lambda: 42, wait=1.0) == 42
