"""The background catch-up: an action retried with backoff until it reports nothing left."""

from __future__ import annotations

import asyncio

from mcp_registry_server.service.catchup import CatchUp
from mcp_registry_testing.waiting import wait_for


async def test_the_action_is_retried_through_failures_until_it_is_done() -> None:
    outcomes: list[bool | Exception] = [RuntimeError("blink"), False, True]
    calls = 0

    async def action() -> bool:
        nonlocal calls
        calls += 1
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    catch_up = CatchUp(action, name="test", initial=0.001, cap=0.002)
    catch_up.start()
    catch_up.start()  # already running: no second task
    await wait_for(lambda: not catch_up.running, timeout=5)
    assert calls == 3
    assert outcomes == []


async def test_stop_cancels_a_waiting_retry() -> None:
    started = asyncio.Event()

    async def action() -> bool:
        started.set()
        return False  # never done

    catch_up = CatchUp(action, name="test", initial=0.001, cap=0.001)
    catch_up.start()
    await asyncio.wait_for(started.wait(), timeout=5)
    await catch_up.stop()
    assert not catch_up.running
    await catch_up.stop()  # stopping again is harmless


async def test_a_stopped_catch_up_starts_no_task() -> None:
    async def action() -> bool:
        return True

    catch_up = CatchUp(action, name="test", initial=0.001)
    await catch_up.stop()
    catch_up.start()
    assert not catch_up.running
