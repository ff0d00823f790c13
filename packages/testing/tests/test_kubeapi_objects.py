"""The API double's object semantics through real kubernetes-asyncio clients."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException
from mcp_registry_testing.kubeapi import KubeApiDouble

G, V, P = "toolhive.stacklok.dev", "v1alpha1", "mcpregistries"


def _reg(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{G}/{V}",
        "kind": "MCPRegistry",
        "metadata": {"name": name},
        "spec": spec,
        "status": {"phase": "Ready"},
    }


async def test_create_sets_server_fields_strips_status_and_refuses_duplicates(
    api: client.ApiClient,
) -> None:
    co = client.CustomObjectsApi(api)
    created = await co.create_namespaced_custom_object(G, V, "default", P, _reg("a", x=1))
    meta = created["metadata"]
    assert meta["generation"] == 1
    assert meta["uid"]
    assert meta["creationTimestamp"].endswith("Z")
    assert "status" not in created
    with pytest.raises(ApiException) as exc:
        await co.create_namespaced_custom_object(G, V, "default", P, _reg("a"))
    assert exc.value.status == 409
    assert json.loads(exc.value.body)["reason"] == "AlreadyExists"


async def test_list_with_label_selector_and_get_missing(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    for name, team in (("a", "x"), ("b", "y"), ("c", "x")):
        body = {"metadata": {"name": name, "labels": {"team": team}}}
        await core.create_namespaced_config_map("default", body)
    listed = await core.list_namespaced_config_map("default", label_selector="team=x")
    assert [cm.metadata.name for cm in listed.items] == ["a", "c"]
    assert int(listed.metadata.resource_version) >= 4
    listed = await core.list_namespaced_config_map("default", label_selector="team!=x")
    assert [cm.metadata.name for cm in listed.items] == ["b"]
    with pytest.raises(ApiException) as exc:
        await core.read_namespaced_config_map("missing", "default")
    assert exc.value.status == 404


async def test_update_with_a_stale_resource_version_conflicts(api: client.ApiClient) -> None:
    co = client.CustomObjectsApi(api)
    first = await co.create_namespaced_custom_object(G, V, "default", P, _reg("a", x=1))
    first["spec"]["x"] = 2
    updated = await co.replace_namespaced_custom_object(G, V, "default", P, "a", first)
    assert updated["metadata"]["generation"] == 2
    first["spec"]["x"] = 3  # still carries the old resourceVersion
    with pytest.raises(ApiException) as exc:
        await co.replace_namespaced_custom_object(G, V, "default", P, "a", first)
    assert exc.value.status == 409
    assert json.loads(exc.value.body)["reason"] == "Conflict"


async def test_status_subresource_and_generation_rules(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    co = client.CustomObjectsApi(api)
    await co.create_namespaced_custom_object(G, V, "default", P, _reg("a", x=1))
    merge = "application/merge-patch+json"
    st = await co.patch_namespaced_custom_object_status(
        G,
        V,
        "default",
        P,
        "a",
        {"status": {"phase": "Ready"}, "spec": {"x": 9}},
        _content_type=merge,
    )
    assert st["status"] == {"phase": "Ready"}
    assert st["spec"] == {"x": 1}  # /status changes only status
    assert st["metadata"]["generation"] == 1
    main = await co.patch_namespaced_custom_object(
        G,
        V,
        "default",
        P,
        "a",
        {"status": {"phase": "Hacked"}, "metadata": {"labels": {"l": "v"}}},
        _content_type=merge,
    )
    assert main["status"] == {"phase": "Ready"}  # the main resource ignores status
    assert main["metadata"]["generation"] == 1  # labels are not spec
    rv = kube.store.rv
    again = await co.patch_namespaced_custom_object(
        G, V, "default", P, "a", {"metadata": {"labels": {"l": "v"}}}, _content_type=merge
    )
    assert kube.store.rv == rv  # a no-op write bumps nothing
    assert again["metadata"]["resourceVersion"] == str(rv)
    spec = await co.patch_namespaced_custom_object(
        G,
        V,
        "default",
        P,
        "a",
        [{"op": "replace", "path": "/spec/x", "value": 2}],
        _content_type="application/json-patch+json",
    )
    assert spec["metadata"]["generation"] == 2


async def test_strategic_merge_on_a_custom_resource_is_unsupported(api: client.ApiClient) -> None:
    co = client.CustomObjectsApi(api)
    await co.create_namespaced_custom_object(G, V, "default", P, _reg("a"))
    with pytest.raises(ApiException) as exc:
        await co.patch_namespaced_custom_object(
            G,
            V,
            "default",
            P,
            "a",
            {"spec": {}},
            _content_type="application/strategic-merge-patch+json",
        )
    assert exc.value.status == 415


async def test_finalizers_delay_deletion_until_the_last_one_is_removed(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    co = client.CustomObjectsApi(api)
    body = _reg("a")
    body["metadata"]["finalizers"] = ["example.com/cleanup"]
    await co.create_namespaced_custom_object(G, V, "default", P, body)
    deleting = await co.delete_namespaced_custom_object(G, V, "default", P, "a")
    assert deleting["metadata"]["deletionTimestamp"]
    assert kube.get(P, "default", "a", group=G)
    await co.patch_namespaced_custom_object(
        G,
        V,
        "default",
        P,
        "a",
        {"metadata": {"finalizers": None}},
        _content_type="application/merge-patch+json",
    )
    assert kube.objects(P, group=G) == []


async def test_background_garbage_collection_follows_owner_uids(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    co, apps = client.CustomObjectsApi(api), client.AppsV1Api(api)
    owner = await co.create_namespaced_custom_object(G, V, "default", P, _reg("reg"))
    ref = {
        "apiVersion": f"{G}/{V}",
        "kind": "MCPRegistry",
        "name": "reg",
        "uid": owner["metadata"]["uid"],
        "controller": True,
    }
    deploy = {
        "metadata": {"name": "reg-api", "ownerReferences": [ref]},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "api", "image": "example/api:1"}]},
            },
        },
    }
    await apps.create_namespaced_deployment("default", deploy)
    await client.CoreV1Api(api).create_namespaced_config_map("default", {"metadata": {"name": "x"}})
    await co.delete_namespaced_custom_object(G, V, "default", P, "reg")
    assert kube.objects("deployments", group="apps") == []
    assert [c["metadata"]["name"] for c in kube.objects("configmaps")] == ["x"]


async def test_admission_hook_rejects_with_causes_and_its_result_is_stored(
    crd: dict[str, Any],
) -> None:
    class RejectedError(Exception):
        def __init__(self, causes: list[tuple[str, str]]) -> None:
            super().__init__("rejected")
            self.causes = causes

    def admit(obj: dict[str, Any], *, old: Any = None, field_validation: str = "Warn") -> Any:
        if "url" not in obj.get("spec", {}):
            raise RejectedError([("spec.url", "Required value")])
        return {**obj, "spec": {**obj["spec"], "defaulted": True}}

    hooks = {crd["metadata"]["name"]: admit}
    async with (
        KubeApiDouble(crds=[crd], admit=hooks) as kube,
        client.ApiClient(client.Configuration(host=kube.url)) as api,
    ):
        co = client.CustomObjectsApi(api)
        with pytest.raises(ApiException) as exc:
            await co.create_namespaced_custom_object(G, V, "default", P, _reg("a"))
        assert exc.value.status == 422
        status = json.loads(exc.value.body)
        assert status["details"]["causes"] == [
            {"reason": "FieldValueInvalid", "message": "Required value", "field": "spec.url"}
        ]
        ok = await co.create_namespaced_custom_object(G, V, "default", P, _reg("b", url="u"))
        assert ok["spec"] == {"url": "u", "defaulted": True}
