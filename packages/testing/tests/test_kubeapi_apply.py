"""Server-side apply in the double (the documented simplified ownership model)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes_asyncio import client
from mcp_registry_testing.kubeapi import KubeApiDouble
from mcp_registry_testing.kubeapi.patching import (
    ApplyConflictError,
    merge_patch,
    server_side_apply,
)

G, V, P = "toolhive.stacklok.dev", "v1alpha1", "mcpregistries"
APPLY = "application/apply-patch+yaml"


async def _apply(api: client.ApiClient, body: dict[str, Any], manager: str, force: bool = True):
    resp = await client.CustomObjectsApi(api).patch_namespaced_custom_object(
        G,
        V,
        "default",
        P,
        body["metadata"]["name"],
        body,
        field_manager=manager,
        force=force,
        _content_type=APPLY,
        _preload_content=False,
    )
    return resp.status, json.loads(await resp.read())


def _reg(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{G}/{V}",
        "kind": "MCPRegistry",
        "metadata": {"name": "a"},
        "spec": spec,
    }


async def test_apply_creates_with_201_then_updates_with_200(api: client.ApiClient) -> None:
    status, obj = await _apply(api, _reg(x=1), "op")
    assert status == 201
    assert obj["spec"] == {"x": 1}
    status, obj = await _apply(api, _reg(x=2), "op")
    assert (status, obj["spec"], obj["metadata"]["generation"]) == (200, {"x": 2}, 2)


async def test_apply_keeps_fields_of_others_and_drops_fields_the_manager_stopped_applying(
    api: client.ApiClient,
) -> None:
    await _apply(api, _reg(mine=1, dropped=1), "op")
    await client.CustomObjectsApi(api).patch_namespaced_custom_object(
        G,
        V,
        "default",
        P,
        "a",
        {"spec": {"theirs": 1}},
        _content_type="application/merge-patch+json",
    )
    _, obj = await _apply(api, _reg(mine=2), "op")
    assert obj["spec"] == {"mine": 2, "theirs": 1}


async def test_apply_without_force_conflicts_with_another_managers_value(
    api: client.ApiClient,
) -> None:
    await _apply(api, _reg(x=1), "first")
    status, body = await _apply(api, _reg(x=2), "second", force=False)
    assert (status, body["reason"]) == (409, "Conflict")
    assert 'conflict with "first": .spec.x' in body["message"]
    _, obj = await _apply(api, _reg(x=2), "second", force=True)
    assert obj["spec"]["x"] == 2


async def test_apply_of_a_built_in_through_the_typed_client(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}
    core = client.CoreV1Api(api)
    created = await core.patch_namespaced_config_map(
        "c", "default", body, field_manager="op", force=True, _content_type=APPLY
    )
    assert created.data == {"a": "b"}
    rv = kube.store.rv
    await core.patch_namespaced_config_map(
        "c", "default", body, field_manager="op", force=True, _content_type=APPLY
    )
    assert kube.store.rv == rv  # re-applying the same intent is a no-op
    assert [r.content_type for r in kube.writes("/configmaps/c")] == [APPLY, APPLY]


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        ({"a": 1, "b": 2}, {"b": None}, {"a": 1}),
        ({"a": {"x": 1}}, {"a": {"y": 2}}, {"a": {"x": 1, "y": 2}}),
        ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
        ({"a": 1}, {"a": {"b": None}}, {"a": {}}),
    ],
)
def test_merge_patch_follows_rfc_7386(target: Any, patch: Any, expected: Any) -> None:
    assert merge_patch(target, patch) == expected


def test_server_side_apply_moves_ownership_on_force() -> None:
    obj, owners = server_side_apply(
        {}, {"spec": {"a": 1, "b": 1}}, manager="m1", force=True, owners={}
    )
    obj, owners = server_side_apply(
        obj, {"spec": {"a": 2}}, manager="m2", force=True, owners=owners
    )
    assert owners == {"m1": {("spec", "b")}, "m2": {("spec", "a")}}
    with pytest.raises(ApplyConflictError, match=r'conflict with "m2": \.spec\.a'):
        server_side_apply(obj, {"spec": {"a": 3}}, manager="m1", force=False, owners=owners)
    obj, owners = server_side_apply(obj, {"spec": {}}, manager="m1", force=True, owners=owners)
    assert obj == {"spec": {"a": 2}}  # m1 stopped applying b, and nobody else owns it
