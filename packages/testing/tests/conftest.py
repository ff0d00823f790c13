"""Fixtures for the test doubles' own tests: a running API double and clients bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_asyncio import client
from mcp_registry_testing.kubeapi import KubeApiDouble

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def crd() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DATA / "widget-crd.yaml").read_text())
    return loaded


@pytest.fixture
async def kube(crd: dict[str, Any]) -> AsyncIterator[KubeApiDouble]:
    async with KubeApiDouble(crds=[crd], bookmark_interval=0.2) as double:
        yield double


@pytest.fixture
async def api(kube: KubeApiDouble) -> AsyncIterator[client.ApiClient]:
    async with client.ApiClient(client.Configuration(host=kube.url)) as api_client:
        yield api_client
