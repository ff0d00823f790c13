"""Conformance cases: the same calls against the API double and the real API server.

Each case is an async function of a client and a fresh namespace that returns an *outcome*: a
small JSON-able value saying what the server did (status codes, the fields it defaulted, which
field an error named). The suite runs every case against both servers and requires the two
outcomes to be equal; the table of results is printed at the end of the run.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from mcp_registry_common.mcpregistry import parse_mcpregistry
from mcp_registry_operator.resources.desired import Inputs, build_desired
from mcp_registry_testing.controlplane.client import APPLY_PATCH, KubeClient, KubeError
from mcp_registry_testing.manifests import names_field, patched

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
INVALID = yaml.safe_load(
    (REPO / "packages" / "common" / "tests" / "data" / "mcpregistry_invalid.yaml").read_text()
)
GROUP_PATH = "/apis/toolhive.stacklok.dev/v1alpha1"
FIELD_MANAGER = "mcp-registry-operator"
Case = Callable[[KubeClient, str], Awaitable[Any]]
CASES: dict[str, Case] = {}


def case(function: Case) -> Case:
    CASES[function.__name__] = function
    return function


def registry_doc(base: str) -> dict[str, Any]:
    if base in INVALID["bases"]:
        return copy.deepcopy(INVALID["bases"][base])
    docs = yaml.safe_load_all((EXAMPLES / base).read_text())
    return next(d for d in docs if d and d["kind"] == "MCPRegistry")


def _registries(namespace: str) -> str:
    return f"{GROUP_PATH}/namespaces/{namespace}/mcpregistries"


async def _outcome_of_create(kube: KubeClient, path: str, body: Any) -> dict[str, Any]:
    try:
        await kube.create(path, body)
    except KubeError as exc:
        causes = (exc.status.get("details") or {}).get("causes") or []
        return {"code": exc.code, "reason": exc.reason, "causes": causes}
    return {"code": 201}


@case
async def namespace_creation(kube: KubeClient, namespace: str) -> Any:
    name = f"{namespace}-extra"
    created = await kube.create("/api/v1/namespaces", {"metadata": {"name": name}})
    again = await _outcome_of_create(kube, "/api/v1/namespaces", {"metadata": {"name": name}})
    return {
        "phase": created.get("status", {}).get("phase"),
        "again": (again["code"], again.get("reason")),
    }


@case
async def invalid_manifests(kube: KubeClient, namespace: str) -> Any:
    """Every invalid MCPRegistry the project knows is refused with 422, naming its field."""
    results: dict[str, Any] = {}
    for index, item in enumerate(INVALID["cases"]):
        doc = patched(registry_doc(item["base"]), item)
        doc["metadata"] = {"name": f"invalid-{index}"}
        outcome = await _outcome_of_create(kube, _registries(namespace), doc)
        causes = [(c.get("field", ""), c.get("message", "")) for c in outcome.get("causes") or []]
        named = names_field(causes, item["field"])
        results[item["name"]] = [outcome["code"], outcome.get("reason"), named]
    return results


@case
async def valid_examples(kube: KubeClient, namespace: str) -> Any:
    """Every example manifest is admitted as written."""
    results: dict[str, Any] = {}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        doc = registry_doc(path.name)
        doc["metadata"] = {"name": path.stem}
        results[path.name] = (await _outcome_of_create(kube, _registries(namespace), doc))["code"]
    return results


@case
async def server_side_apply_twice(kube: KubeClient, namespace: str) -> Any:
    """The operator's objects applied twice: the second apply changes nothing."""
    doc = registry_doc("13-pod-template.yaml")
    doc["metadata"] = {
        "name": "ssa",
        "namespace": namespace,
        "uid": "00000000-0000-0000-0000-000000000001",
    }
    inputs = Inputs(image="ghcr.io/x/mcp-registry-server:1", internal_token="t" * 43)
    desired = build_desired(parse_mcpregistry(doc), inputs)
    results: dict[str, Any] = {}
    for obj in desired.objects:
        obj = copy.deepcopy(obj)
        obj["metadata"].pop("ownerReferences", None)  # the owner does not exist here
        path = _object_path(obj)
        first = await kube.patch(
            path, obj, content_type=APPLY_PATCH, fieldManager=FIELD_MANAGER, force="true"
        )
        second = await kube.patch(
            path, obj, content_type=APPLY_PATCH, fieldManager=FIELD_MANAGER, force="true"
        )
        appliers = sorted(
            {
                m.get("manager")
                for m in second["metadata"].get("managedFields") or []
                if m.get("operation") == "Apply"
            }
        )
        same = _intent(first) == _intent(second)
        results[obj["kind"]] = {"unchanged": same, "appliers": appliers}
    return results


def _intent(obj: dict[str, Any]) -> Any:
    """What a second apply of the same intent must leave alone: generation, labels, the
    content; controllers may meanwhile write status and their own annotations."""
    meta = obj["metadata"]
    content = {k: v for k, v in obj.items() if k not in ("metadata", "status")}
    return meta.get("generation"), meta.get("labels"), content


@case
async def server_side_apply_by_two_managers(kube: KubeClient, namespace: str) -> Any:
    """A second field manager adds a container: the real server merges containers by name."""
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/two-managers"
    body = _deployment(namespace, "two-managers", image="example/app:1")
    await kube.patch(path, body, content_type=APPLY_PATCH, fieldManager="first")
    body["spec"]["template"]["spec"]["containers"] = [{"name": "sidecar", "image": "example/s:1"}]
    body["spec"].pop("selector")
    stored = await kube.patch(path, body, content_type=APPLY_PATCH, fieldManager="second")
    return sorted(c["name"] for c in stored["spec"]["template"]["spec"]["containers"])


_PLURALS = {
    "ConfigMap": "configmaps",
    "Secret": "secrets",
    "Service": "services",
    "ServiceAccount": "serviceaccounts",
    "Deployment": "deployments",
    "Role": "roles",
    "RoleBinding": "rolebindings",
}


def _object_path(obj: dict[str, Any]) -> str:
    api_version = obj["apiVersion"]
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    meta = obj["metadata"]
    return f"{base}/namespaces/{meta['namespace']}/{_PLURALS[obj['kind']]}/{meta['name']}"


def _deployment(namespace: str, name: str, **container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", **container}]},
            },
        },
    }


@case
async def defaulting_and_quantities(kube: KubeClient, namespace: str) -> Any:
    """What the server fills in for a Deployment, and how it stores quantities people write."""
    resources = {
        "requests": {"cpu": 0.5, "memory": "1G", "ephemeral-storage": "1.5Gi"},
        "limits": {"cpu": "1000m", "memory": "1Gi"},
    }
    body = _deployment(namespace, "defaults", image="example/app:1", resources=resources)
    stored = await kube.create(f"/apis/apps/v1/namespaces/{namespace}/deployments", body)
    spec = stored["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    return {
        "replicas": spec.get("replicas"),
        "strategy": spec.get("strategy"),
        "revisionHistoryLimit": spec.get("revisionHistoryLimit"),
        "progressDeadlineSeconds": spec.get("progressDeadlineSeconds"),
        "restartPolicy": pod.get("restartPolicy"),
        "dnsPolicy": pod.get("dnsPolicy"),
        "schedulerName": pod.get("schedulerName"),
        "terminationGracePeriodSeconds": pod.get("terminationGracePeriodSeconds"),
        "securityContext": pod.get("securityContext"),
        "imagePullPolicy": container.get("imagePullPolicy"),
        "terminationMessagePath": container.get("terminationMessagePath"),
        "terminationMessagePolicy": container.get("terminationMessagePolicy"),
        "resources": container.get("resources"),
        "generation": stored["metadata"].get("generation"),
    }


CPU = [
    0.5,
    "0.5",
    "1000m",
    "100m",
    "0.1",
    1,
    "1.5",
    "2",
    "1e3",
    "1.5e3",
    "0.0000000001",
    "0m",
    2.25,
]
MEMORY = ["1G", "1Gi", "1.5Gi", "512Mi", "0.5Ki", "1024", "2048", "250M", "1Ti", "1000Ki", "1Mi",
          "1e9", "129e6"]  # fmt: skip


@case
async def quantity_canonical_forms(kube: KubeClient, namespace: str) -> Any:
    """Quantities as people write them, stored in the server's canonical form."""
    body = _deployment(namespace, "quantities", image="example/app:1")
    body["spec"]["template"]["spec"]["containers"] = [
        {
            "name": f"c{i}",
            "image": "example/app:1",
            "resources": {"requests": {"cpu": c, "memory": m}},
        }
        for i, (c, m) in enumerate(zip(CPU, MEMORY, strict=True))
    ]
    stored = await kube.create(f"/apis/apps/v1/namespaces/{namespace}/deployments", body)
    containers = stored["spec"]["template"]["spec"]["containers"]
    return [
        [str(c), str(m), x["resources"]["requests"]["cpu"], x["resources"]["requests"]["memory"]]
        for c, m, x in zip(CPU, MEMORY, containers, strict=True)
    ]


@case
async def deployment_without_image(kube: KubeClient, namespace: str) -> Any:
    body = _deployment(namespace, "no-image")
    outcome = await _outcome_of_create(
        kube, f"/apis/apps/v1/namespaces/{namespace}/deployments", body
    )
    fields = sorted({c.get("field") for c in outcome.get("causes") or []})
    return {"code": outcome["code"], "reason": outcome.get("reason"), "fields": fields}


@case
async def list_pagination(kube: KubeClient, namespace: str) -> Any:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    for index in range(5):
        meta = {"name": f"page-{index}", "labels": {"case": "pagination"}}
        await kube.create(path, {"metadata": meta, "data": {"i": str(index)}})
    pages: list[list[str]] = []
    token = ""
    while True:
        # Only this case's objects (the root-CA publisher adds kube-root-ca.crt to every namespace).
        params = {
            "limit": "2",
            "labelSelector": "case=pagination",
            **({"continue": token} if token else {}),
        }
        page = await kube.get(path, **params)
        pages.append([item["metadata"]["name"] for item in page["items"]])
        token = page["metadata"].get("continue") or ""
        if not token:
            break
    return pages


@case
async def status_subresource(kube: KubeClient, namespace: str) -> Any:
    """The main resource ignores status, /status ignores spec; only spec bumps generation."""
    doc = registry_doc("01-minimal.yaml")
    doc["metadata"] = {"name": "subresource"}
    path = f"{_registries(namespace)}/subresource"
    created = await kube.create(_registries(namespace), doc)
    main = await kube.patch(path, {"status": {"phase": "Ready"}, "spec": {"displayName": "x"}})
    via_status = await kube.patch(
        f"{path}/status", {"status": {"phase": "Ready"}, "spec": {"displayName": "y"}}
    )
    return {
        "created_generation": created["metadata"].get("generation"),
        "main": [
            main.get("status", {}).get("phase"),
            main["spec"].get("displayName"),
            main["metadata"].get("generation"),
        ],
        "status": [
            via_status.get("status", {}).get("phase"),
            via_status["spec"].get("displayName"),
            via_status["metadata"].get("generation"),
        ],
    }


@case
async def events_for_an_object(kube: KubeClient, namespace: str) -> Any:
    """An events.k8s.io/v1 Event (as the operator writes them) is listed as a core Event of its
    object (what `kubectl describe` shows)."""
    doc = registry_doc("01-minimal.yaml")
    doc["metadata"] = {"name": "evented"}
    registry = await kube.create(_registries(namespace), doc)
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "evented.1", "namespace": namespace},
        "eventTime": "2026-01-01T00:00:00.000000Z",
        "reportingController": "mcp-registry-operator",
        "reportingInstance": "mcp-registry-operator-1",
        "action": "Reconcile",
        "reason": "Synced",
        "note": "the server synced",
        "type": "Normal",
        "regarding": {
            "apiVersion": "toolhive.stacklok.dev/v1alpha1",
            "kind": "MCPRegistry",
            "name": "evented",
            "namespace": namespace,
            "uid": registry["metadata"]["uid"],
        },
    }
    await kube.create(f"/apis/events.k8s.io/v1/namespaces/{namespace}/events", event)
    selector = (
        f"involvedObject.name=evented,involvedObject.namespace={namespace},"
        f"involvedObject.kind=MCPRegistry,involvedObject.uid={registry['metadata']['uid']}"
    )
    listed = await kube.get(f"/api/v1/namespaces/{namespace}/events", fieldSelector=selector)
    return [(e.get("reason"), e.get("message"), e.get("type")) for e in listed["items"]]
