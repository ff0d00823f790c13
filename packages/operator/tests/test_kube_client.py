"""The kube wrappers against the API double: apply (201 and 200), status patch, list, delete,
events, and errors translated once into typed exceptions."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio import client
from mcp_registry_operator.kube import (
    CONFIG_MAPS,
    DEPLOYMENTS,
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    GoneError,
    InvalidError,
    KubeApiError,
    NotFoundError,
    Resource,
    ServerError,
    TooManyRequestsError,
)
from mcp_registry_operator.kube.applying import apply_object
from mcp_registry_operator.kube.deleting import delete_object
from mcp_registry_operator.kube.errors import error_for
from mcp_registry_operator.kube.events import emit_event
from mcp_registry_operator.kube.listing import list_objects
from mcp_registry_operator.kube.patching import patch_status
from mcp_registry_operator.kube.writing import create_object
from mcp_registry_testing.kubeapi import KubeApiDouble

WIDGETS = Resource("example.com", "v1", "widgets", "Widget")
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"kind": "Widget", "plural": "widgets"},
        "versions": [{"name": "v1", "served": True, "subresources": {"status": {}}}],
    },
}


def _widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "default"},
        "spec": spec,
    }


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (404, "NotFound", NotFoundError),
        (409, "Conflict", ConflictError),
        (409, "AlreadyExists", AlreadyExistsError),
        (410, "Expired", GoneError),
        (403, "Forbidden", ForbiddenError),
        (401, "Unauthorized", ForbiddenError),
        (422, "Invalid", InvalidError),
        (429, "TooManyRequests", TooManyRequestsError),
        (503, "ServiceUnavailable", ServerError),
        (418, "Teapot", KubeApiError),
    ],
)
def test_status_codes_map_to_typed_errors(status: int, reason: str, expected: type) -> None:
    err = error_for(status, {"reason": reason, "message": "m"}, what="get x")
    assert type(err) is expected
    assert str(err) == "get x: m"


async def test_apply_creates_then_updates_custom_and_built_in_objects(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    kube.register_crd(CRD)
    created = await apply_object(api, WIDGETS, _widget(size=1), field_manager="op")
    assert created["metadata"]["generation"] == 1  # a 201, still parsed
    updated = await apply_object(api, WIDGETS, _widget(size=2), field_manager="op")
    assert (updated["spec"], updated["metadata"]["generation"]) == ({"size": 2}, 2)
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "default"},
    }
    assert (await apply_object(api, CONFIG_MAPS, cm, field_manager="op"))["metadata"]["name"] == "c"
    queries = [r.query for r in kube.writes()]
    assert all("fieldManager=op" in q and "force=True" in q for q in queries)
    assert {r.content_type for r in kube.writes()} == {"application/apply-patch+yaml"}


async def test_patch_status_merges_and_guards_on_resource_version(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    kube.register_crd(CRD)
    obj = await apply_object(api, WIDGETS, _widget(), field_manager="op")
    rv = obj["metadata"]["resourceVersion"]
    st = await patch_status(
        api, WIDGETS, namespace="default", name="w", status={"phase": "Ready"}, resource_version=rv
    )
    assert st["status"] == {"phase": "Ready"}
    with pytest.raises(ConflictError):
        await patch_status(
            api, WIDGETS, namespace="default", name="w", status={"phase": "x"}, resource_version=rv
        )


async def test_list_fills_kind_and_returns_the_resource_version(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    await create_object(api, CONFIG_MAPS, {"metadata": {"name": "a"}}, namespace="default")
    with pytest.raises(AlreadyExistsError):
        await create_object(api, CONFIG_MAPS, {"metadata": {"name": "a"}}, namespace="default")
    listed = await list_objects(api, CONFIG_MAPS, namespace=None)
    assert [(o["kind"], o["metadata"]["name"]) for o in listed.items] == [("ConfigMap", "a")]
    assert listed.resource_version == str(kube.store.rv)


async def test_delete_reports_whether_the_object_existed(api: client.ApiClient) -> None:
    await create_object(api, CONFIG_MAPS, {"metadata": {"name": "a"}}, namespace="default")
    assert await delete_object(api, CONFIG_MAPS, namespace="default", name="a") is True
    assert await delete_object(api, CONFIG_MAPS, namespace="default", name="a") is False
    with pytest.raises(NotFoundError, match="delete configmaps default/a"):
        await delete_object(api, CONFIG_MAPS, namespace="default", name="a", missing_ok=False)


async def test_throttling_and_invalid_objects_carry_their_details(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    kube.fail_next("PATCH", "/deployments/", 429, retry_after=7)
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default"},
    }
    with pytest.raises(TooManyRequestsError) as throttled:
        await apply_object(api, DEPLOYMENTS, deploy, field_manager="op")
    assert throttled.value.retry_after == 7.0

    class RejectedError(Exception):
        causes = [("spec.size", "must be positive")]

    def admit(obj: dict[str, Any], **_: Any) -> dict[str, Any]:
        raise RejectedError()

    kube.register_crd(CRD, admit=admit)
    with pytest.raises(InvalidError) as invalid:
        await apply_object(api, WIDGETS, _widget(size=-1), field_manager="op")
    assert invalid.value.causes == [("spec.size", "must be positive")]


async def test_events_are_recorded_about_an_object_and_failures_do_not_raise(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    cm = await create_object(api, CONFIG_MAPS, {"metadata": {"name": "a"}}, namespace="default")
    cm.update(apiVersion="v1", kind="ConfigMap")
    ok = await emit_event(
        api,
        cm,
        reason="Synced",
        note="all good",
        action="Reconcile",
        controller="mcp-registry-operator",
        instance="pod-1",
    )
    assert ok
    (event,) = kube.objects("events", group="events.k8s.io")
    assert event["regarding"]["uid"] == cm["metadata"]["uid"]
    assert (event["reason"], event["type"]) == ("Synced", "Normal")
    kube.fail_next("POST", "/events", 500)
    assert not await emit_event(
        api, cm, reason="Synced", note="n", action="Reconcile", controller="c", instance="i"
    )
