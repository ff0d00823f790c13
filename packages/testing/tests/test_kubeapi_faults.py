"""Fault injection, request recording and the Deployment readiness helper."""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException
from mcp_registry_testing.kubeapi import KubeApiDouble


async def test_fail_next_answers_matching_requests_then_recovers(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    core = client.CoreV1Api(api)
    kube.fail_next("GET", r"/configmaps$", 429, count=2, retry_after=3)
    for _ in range(2):
        with pytest.raises(ApiException) as exc:
            await core.list_namespaced_config_map("default")
        assert exc.value.status == 429
        assert exc.value.headers["Retry-After"] == "3"
    assert (await core.list_namespaced_config_map("default")).items == []
    kube.fail_next("*", r"/secrets", 500)
    with pytest.raises(ApiException) as exc:
        await core.create_namespaced_secret("default", {"metadata": {"name": "s"}})
    assert exc.value.status == 500
    assert kube.faults.pending() == 0


async def test_requests_are_recorded_with_method_path_and_content_type(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    core = client.CoreV1Api(api)
    await core.create_namespaced_config_map("default", {"metadata": {"name": "c"}})
    await core.patch_namespaced_config_map(
        "c", "default", {"data": {"a": "b"}}, _content_type="application/merge-patch+json"
    )
    await core.read_namespaced_config_map("c", "default")
    writes = kube.writes("/configmaps")
    assert [(w.method, w.content_type) for w in writes] == [
        ("POST", "application/json"),
        ("PATCH", "application/merge-patch+json"),
    ]
    assert kube.requests[-1].method == "GET"


async def test_set_deployment_ready_writes_the_status_a_controller_would(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    apps = client.AppsV1Api(api)
    body = {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "web", "image": "example/web:1"}]},
            },
        },
    }
    await apps.create_namespaced_deployment("default", body)
    kube.set_deployment_ready("default", "web")
    status = (await apps.read_namespaced_deployment_status("web", "default")).status
    assert (status.ready_replicas, status.available_replicas, status.observed_generation) == (
        2,
        2,
        1,
    )
    kube.set_deployment_ready("default", "web", replicas=0)
    status = (await apps.read_namespaced_deployment("web", "default")).status
    assert status.ready_replicas == 0
