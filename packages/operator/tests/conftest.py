"""Fixtures for the operator runtime tests: the local API double and clients bound to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import looptime
import pytest
from kubernetes_asyncio import client
from mcp_registry_testing.kubeapi import KubeApiDouble


@pytest.fixture
async def kube() -> AsyncIterator[KubeApiDouble]:
    async with KubeApiDouble(bookmark_interval=0.2) as double:
        yield double


@pytest.fixture
async def api(kube: KubeApiDouble) -> AsyncIterator[client.ApiClient]:
    async with client.ApiClient(client.Configuration(host=kube.url)) as api_client:
        yield api_client


@contextlib.asynccontextmanager
async def running(*runs: Callable[[], Awaitable[Any]]) -> AsyncIterator[list[asyncio.Task[Any]]]:
    """Run coroutines as tasks for the body of the block; cancel and await them after."""
    tasks = [asyncio.create_task(run()) for run in runs]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


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
