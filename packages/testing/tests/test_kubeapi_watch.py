"""The double's watch protocol through kubernetes-asyncio's Watch."""

from __future__ import annotations

import asyncio

import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException
from mcp_registry_testing.kubeapi import KubeApiDouble
from mcp_registry_testing.waiting import wait_for


def _cm(kube: KubeApiDouble, name: str) -> None:
    kube.store.create(kube.resource("configmaps"), "default", {"metadata": {"name": name}})


async def test_watch_resumes_after_a_resource_version_and_sends_bookmarks(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    _cm(kube, "before")
    start = kube.store.rv
    _cm(kube, "after")
    core = client.CoreV1Api(api)
    seen = []
    async with watch.Watch() as w:
        async for ev in w.stream(
            core.list_namespaced_config_map,
            "default",
            resource_version=str(start),
            allow_watch_bookmarks=True,
            timeout_seconds=2,
        ):
            seen.append((ev["type"], ev["raw_object"]["metadata"].get("name")))
            if ev["type"] == "BOOKMARK":
                break
    assert seen[0] == ("ADDED", "after")
    assert seen[-1] == ("BOOKMARK", None)
    assert w.resource_version == str(kube.store.rv)


async def test_watch_without_a_resource_version_starts_with_every_object(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    _cm(kube, "a")
    _cm(kube, "b")
    async with watch.Watch() as w:
        events = [
            ev["raw_object"]["metadata"]["name"]
            async for ev in w.stream(
                client.CoreV1Api(api).list_namespaced_config_map, "default", timeout_seconds=1
            )
        ]
    assert events == ["a", "b"]  # then the stream ended at timeoutSeconds


async def test_an_expired_resource_version_gets_410(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    _cm(kube, "a")
    old = kube.store.rv
    kube.expire_history()

    async def resume() -> None:
        async with watch.Watch() as w:
            async for _ in w.stream(
                client.CoreV1Api(api).list_namespaced_config_map,
                "default",
                resource_version=str(old - 1),
                timeout_seconds=2,
            ):
                pass

    with pytest.raises(ApiException) as exc:
        await resume()
    assert exc.value.status == 410


async def test_dropping_watches_ends_the_streams(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    async def consume() -> list[str]:
        async with watch.Watch() as w:
            return [
                ev["type"]
                async for ev in w.stream(
                    client.CoreV1Api(api).list_namespaced_config_map,
                    "default",
                    resource_version=str(kube.store.rv),
                    timeout_seconds=300,
                )
            ]

    task = asyncio.create_task(consume())
    await wait_for(lambda: kube.store.watcher_count() == 1)
    assert kube.drop_watches() == 1
    assert await asyncio.wait_for(task, timeout=5) == []  # ended long before timeoutSeconds
