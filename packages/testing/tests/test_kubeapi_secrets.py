"""Secrets in the API double: `stringData` is write-only and lands base64-encoded in `data`."""

from __future__ import annotations

import base64

from kubernetes_asyncio import client
from mcp_registry_testing.kubeapi import KubeApiDouble


def _decoded(obj: dict[str, object]) -> dict[str, str]:
    data = obj["data"]
    assert isinstance(data, dict)
    return {key: base64.b64decode(value).decode() for key, value in data.items()}


async def test_string_data_is_folded_into_data_on_create(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    body = client.V1Secret(
        metadata=client.V1ObjectMeta(name="creds"),
        data={"kept": base64.b64encode(b"old").decode()},
        string_data={"token": "s3cr:et", "kept": "new"},
    )
    created = await client.CoreV1Api(api).create_namespaced_secret("default", body)
    assert created.string_data is None
    stored = kube.get("secrets", "default", "creds")
    assert "stringData" not in stored
    assert _decoded(stored) == {"token": "s3cr:et", "kept": "new"}  # stringData wins


async def test_string_data_is_folded_into_data_on_patch(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    core = client.CoreV1Api(api)
    await core.create_namespaced_secret(
        "default", client.V1Secret(metadata=client.V1ObjectMeta(name="creds"), data={})
    )
    await core.patch_namespaced_secret("creds", "default", {"stringData": {"password": "pw"}})
    stored = kube.get("secrets", "default", "creds")
    assert "stringData" not in stored
    assert _decoded(stored) == {"password": "pw"}
