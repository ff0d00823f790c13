"""Fixtures of the operator tests: the local API double (serving the MCPRegistry CRD), a client
bound to it, and the fake registry servers the reconciler asks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from kubernetes_asyncio import client
from mcp_registry_testing.kubeapi import KubeApiDouble

from .operator_harness import FakeServers, double


@pytest.fixture
async def kube() -> AsyncIterator[KubeApiDouble]:
    """The API double, enforcing the checked-in CRD (schema and CEL admission)."""
    async with double() as api:
        yield api


@pytest.fixture
async def api(kube: KubeApiDouble) -> AsyncIterator[client.ApiClient]:
    async with client.ApiClient(client.Configuration(host=kube.url)) as api_client:
        yield api_client


@pytest.fixture
async def fake(kube: KubeApiDouble) -> AsyncIterator[FakeServers]:
    """Registry servers answering the operator's status and sync calls."""
    async with FakeServers(kube) as servers:
        yield servers


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
