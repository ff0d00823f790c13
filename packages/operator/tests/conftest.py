"""Fixtures for the operator runtime tests: the local API double and clients bound to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

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
