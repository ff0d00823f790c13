"""Letting looptime's virtual clock run, for tests marked `looptime`."""

from __future__ import annotations

import asyncio

import looptime


async def advance_virtual_time(seconds: float) -> None:
    """Let `seconds` of looptime's virtual clock pass, firing every timer due meanwhile.

    Only for tests marked `looptime` (checked): no wall-clock time passes and nothing races,
    so "after 60 s nothing was reconciled" is an exact statement, not a hopeful wait. The
    wait is a timer at that virtual instant, so no real sleep can hide behind it."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, looptime.LoopTimeEventLoop), "mark the test `looptime`"
    due = loop.create_future()
    loop.call_later(seconds, due.set_result, None)
    await due
