"""The reconciler end to end against the API double (real CRD admission, real kubernetes-asyncio
clients, a fake server status endpoint): create, change, rotate, fail, fix and delete."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from typing import Any

import yaml
from mcp_registry_common.internaltoken import is_usable
from mcp_registry_common.mcpregistry import FINALIZER, GROUP
from mcp_registry_operator.reconcile.drift import APPLIED_DIGEST_ANNOTATION
from mcp_registry_operator.reconcile.verdicts import FIRST_SYNC_DONE_MESSAGE
from mcp_registry_operator.runtime.keys import Key
from mcp_registry_testing.kubeapi import KubeApiDouble
from mcp_registry_testing.phaselog import PhaseLog
from mcp_registry_testing.waiting import wait_for

from .operator_harness import (
    FakeServers,
    complete,
    condition,
    config_hash,
    create,
    deployment,
    events,
    exists,
    make_ready,
    operator,
    reconciles,
    registries_rt,
    registry,
    run_unready_pod,
    seed,
    seed_secrets,
    status,
    wait_events,
    wait_phase,
    writes,
)

NS = "default"
CHILDREN = [
    ("configmaps", "", "reg-registry-server-config"),
    ("serviceaccounts", "", "reg-registry-api"),
    ("roles", "rbac.authorization.k8s.io", "reg-registry-api"),
    ("rolebindings", "rbac.authorization.k8s.io", "reg-registry-api"),
    ("deployments", "apps", "reg-api"),
    ("services", "", "reg-api"),
]


@contextlib.contextmanager
def without_admission(kube: KubeApiDouble) -> Iterator[None]:
    """Store objects the CRD would refuse (as an older CRD or a disabled schema would)."""
    key = registries_rt(kube).store_key
    hook = kube.store.admission.pop(key)
    try:
        yield
    finally:
        kube.store.admission[key] = hook


def update_spec(kube: KubeApiDouble, name: str, change: Any) -> None:
    obj = registry(kube, NS, name)
    change(obj["spec"])
    kube.store.update(registries_rt(kube), NS, name, obj)


def update_data(kube: KubeApiDouble, plural: str, name: str, key: str, value: str) -> None:
    obj = kube.get(plural, NS, name)
    obj["data"][key] = base64.b64encode(value.encode()).decode()
    kube.store.update(kube.resource(plural), NS, name, obj)


async def ready(kube: KubeApiDouble, name: str = "reg") -> dict[str, Any]:
    await make_ready(kube, NS, name)
    return await wait_phase(kube, NS, name, "Ready")


async def test_create_reaches_ready_in_at_most_eleven_writes(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake):
        created = create(kube, seed("01-minimal", name="reg"))
        pending = await wait_phase(kube, NS, "reg", "Pending")
        assert "url" not in pending
        assert condition(kube, NS, "reg", "Ready")["reason"] == "NotReady"
        st = await ready(kube)
        found = await wait_events(kube, NS, "reg", ["Ready"])
        # finalizer, internal-token Secret, six children, Pending, Ready, the Ready event
        assert len(writes(kube)) <= 11, [(w.method, w.path) for w in writes(kube)]
    assert st["url"] == "http://reg-api.default.svc.cluster.local:8080"
    assert st["readyReplicas"] == 1
    assert st["observedGeneration"] == 1
    assert st["syncStatus"]["phase"] == "Complete"
    assert st["syncStatus"]["serverCount"] == 3
    assert [s["name"] for s in st["syncStatus"]["sources"]] == ["toolhive"]
    assert {c["type"]: (c["status"], c["reason"]) for c in st["conditions"]} == {
        "Ready": ("True", "Ready"),
        "Synced": ("True", "Synced"),
    }
    assert registry(kube, NS, "reg")["metadata"]["finalizers"] == [FINALIZER]
    uid = created["metadata"]["uid"]
    for plural, group, name in CHILDREN:
        child = kube.get(plural, NS, name, group=group)
        (owner,) = child["metadata"]["ownerReferences"]
        assert owner["uid"] == uid
        assert owner["controller"] is True
        assert APPLIED_DIGEST_ANNOTATION in child["metadata"]["annotations"]
    assert found[0]["type"] == "Normal"
    assert found[0]["note"] == st["message"]


async def test_create_with_an_unready_pod_syncing_goes_pending_syncing_ready_in_fifteen_writes(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    """The realistic path: the pod runs before it is ready (the server's readiness gate holds
    it while its first sync runs), then has data the readiness probe has not seen yet. The
    phase goes Pending → Syncing → Ready, never back to Pending in between. Four writes more
    than Pending → Ready would take, each a change worth telling: the Syncing status and its
    event, the "first sync complete" status and its Synced event."""
    server = fake.server(NS, "reg")
    server.sources["toolhive"] = {**complete("toolhive"), "phase": "Syncing",
                                  "attemptCount": 1, "lastSyncTime": None}  # fmt: skip
    async with PhaseLog(kube) as phases, operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await run_unready_pod(kube, NS, "reg", ip="10.244.0.21")
        await wait_phase(kube, NS, "reg", "Syncing")
        await wait_for(lambda: len(fake.pod_calls) >= 2)  # two looks while it syncs
        server.sources["toolhive"] = complete("toolhive")
        calls = len(fake.pod_calls)
        await wait_for(lambda: len(fake.pod_calls) >= calls + 2)  # two with data, unready
        st = status(kube, NS, "reg")
        assert st["phase"] == "Syncing", st
        assert st["message"] == FIRST_SYNC_DONE_MESSAGE
        kube.set_deployment_ready(NS, "reg-api")
        await wait_phase(kube, NS, "reg", "Ready")
        await wait_events(kube, NS, "reg", ["Syncing", "Synced", "Ready"])
        assert len(writes(kube)) <= 15, [(w.method, w.path) for w in writes(kube)]
    seen = phases.phases(NS, "reg")  # Pending only if a look came before the pod ran
    assert seen in (("(none)", "Pending", "Syncing", "Ready"), ("(none)", "Syncing", "Ready")), seen


async def test_spec_change_rolls_the_deployment_and_readiness_waits_for_the_rollout(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await ready(kube)
        before = config_hash(kube, NS, "reg")
        update_spec(kube, "reg", lambda s: s["sources"][0]["syncPolicy"].update(interval="5m"))
        # the old pod is still ready, but the rollout is not done: not Ready, no URL
        st = await wait_phase(kube, NS, "reg", "Pending")
        assert "url" not in st
        assert st["observedGeneration"] == 2
        assert config_hash(kube, NS, "reg") != before
        config = kube.get("configmaps", NS, "reg-registry-server-config")["data"]["config.yaml"]
        assert yaml.safe_load(config)["sources"][0]["syncPolicy"]["interval"] == "5m"
        st = await ready(kube)
        assert st["observedGeneration"] == 2


async def test_rotating_a_referenced_secret_rolls_the_deployment(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    for obj in seed_secrets("03-private-git"):
        create(kube, obj)
    async with operator(kube, fake):
        create(kube, seed("03-private-git", name="reg"))
        await ready(kube)
        before = config_hash(kube, NS, "reg")
        config_map_rv = kube.get("configmaps", NS, "reg-registry-server-config")["metadata"]
        update_data(kube, "secrets", "git-credentials", "token", "rotated-token")
        await wait_for(lambda: config_hash(kube, NS, "reg") != before, 10.0)
        await wait_phase(kube, NS, "reg", "Pending")
        await ready(kube)
    unchanged = kube.get("configmaps", NS, "reg-registry-server-config")["metadata"]
    assert unchanged["resourceVersion"] == config_map_rv["resourceVersion"]


def internal_token(kube: KubeApiDouble, name: str = "reg") -> str:
    secret = kube.get("secrets", NS, f"{name}-internal-token")
    return base64.b64decode(secret["data"]["token"]).decode()


async def test_the_internal_token_is_created_once_mounted_and_sent(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    """One random token per registry, in a Secret it owns, mounted into the server's pod and
    named in its environment; the operator presents it on the pod's internal port (the fake
    server, like the real one, refuses any other). Later looks write nothing, the token
    included: it is never regenerated."""
    async with operator(kube, fake) as op:
        created = create(kube, seed("01-minimal", name="reg"))
        await ready(kube)
        token = internal_token(kube)
        assert is_usable(token)
        secret = kube.get("secrets", NS, "reg-internal-token")
        (owner,) = secret["metadata"]["ownerReferences"]
        assert (owner["uid"], owner["controller"]) == (created["metadata"]["uid"], True)
        pod = deployment(kube, NS, "reg")["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["internal-token"]["secret"]["secretName"] == "reg-internal-token"
        (server,) = pod["containers"]
        assert {"name": "MCP_REGISTRY_INTERNAL_TOKEN_FILE", "value": "/internal-token/token"} in (
            server["env"]
        )
        mounts = {m["name"]: m["mountPath"] for m in server["volumeMounts"]}
        assert mounts["internal-token"] == "/internal-token"
        assert fake.status_calls > 0
        assert fake.refused == []
        await wait_events(kube, NS, "reg", ["Ready"])
        before, version = len(writes(kube)), secret["metadata"]["resourceVersion"]
        for _ in range(3):
            calls = fake.status_calls
            op.controller.enqueue("default/reg")  # type: ignore[arg-type]
            await wait_for(lambda calls=calls: fake.status_calls > calls)
        assert len(writes(kube)) == before, [w.path for w in writes(kube)[before:]]
        assert kube.get("secrets", NS, "reg-internal-token")["metadata"]["resourceVersion"] == (
            version
        )
        assert internal_token(kube) == token
        assert [w.method for w in kube.writes("/secrets")] == ["POST"]
        assert fake.refused == []


async def test_a_lost_internal_token_is_made_anew_and_rolls_the_pods(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    """The server reads its token at start-up: a new token is in the config hash, so only
    pods that hold it are asked."""
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await ready(kube)
        before, old = config_hash(kube, NS, "reg"), internal_token(kube)
        kube.store.delete(kube.resource("secrets"), NS, "reg-internal-token")
        await wait_for(lambda: config_hash(kube, NS, "reg") != before, 10.0)
        assert internal_token(kube) != old
        await wait_phase(kube, NS, "reg", "Pending")
        await ready(kube)
        assert fake.refused == []


async def test_a_missing_reference_waits_in_pending_and_proceeds_once_it_exists(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake):
        create(kube, seed("03-private-git", name="reg"))
        await wait_phase(kube, NS, "reg", "Pending")
        ready_condition = condition(kube, NS, "reg", "Ready")
        assert ready_condition["reason"] == "ReferenceNotFound"
        assert "Secret 'git-credentials'" in ready_condition["message"]
        assert not exists(kube, "deployments", NS, "reg-api", "apps")
        for obj in seed_secrets("03-private-git"):
            create(kube, obj)
        st = await ready(kube)
    assert st["conditions"][0]["reason"] == "Ready"


async def test_a_registry_stuck_on_a_missing_reference_or_a_bad_template_records_warnings(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    """One Warning per problem, naming the missing object (kubectl describe, event alerts);
    the same problem seen again at every look is no new event."""
    clash = seed("13-pod-template")["spec"]["podTemplateSpec"]
    clash["spec"]["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    async with operator(kube, fake) as op:
        create(kube, seed("03-private-git", name="reg"))
        await wait_events(kube, NS, "reg", ["ReferenceNotFound"])
        looked = reconciles(op)
        await wait_for(lambda: reconciles(op) >= looked + 2, 10.0)  # looked again: still missing
        [warning] = events(kube, NS, "reg")
        assert (warning["type"], warning["reason"]) == ("Warning", "ReferenceNotFound")
        assert "Secret 'git-credentials'" in warning["note"]
        for obj in seed_secrets("03-private-git"):
            create(kube, obj)
        await ready(kube)
        update_spec(kube, "reg", lambda s: s.update(podTemplateSpec=clash))
        found = await wait_events(
            kube, NS, "reg", ["ReferenceNotFound", "Ready", "ValidationFailed"]
        )
        assert found[-1]["type"] == "Warning"
        assert "Invalid PodTemplateSpec" in found[-1]["note"]


async def test_database_passwords_reach_only_the_pgpass_secret(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    for obj in seed_secrets("08-database"):
        create(kube, obj)
    async with operator(kube, fake):
        create(kube, seed("08-database", name="reg"))
        await ready(kube)
        pgpass = kube.get("secrets", NS, "reg-db-pgpass")
        text = base64.b64decode(pgpass["data"][".pgpass"]).decode()
        assert ":db_app:app_password" in text
        assert ":db_migrator:migrator_password" in text
        update_data(kube, "secrets", "registry-api-db-passwords", "db-password", "new-pw")
        await wait_for(
            lambda: (
                b"new-pw"
                in base64.b64decode(kube.get("secrets", NS, "reg-db-pgpass")["data"][".pgpass"])
            ),
            10.0,
        )
        await ready(kube)
    visible = yaml.safe_dump(
        [
            kube.get("configmaps", NS, "reg-registry-server-config"),
            registry(kube, NS, "reg"),
            events(kube, NS, "reg"),
        ]
    )
    assert "app_password" not in visible
    assert "new-pw" not in visible


async def test_an_invalid_spec_fails_once_without_requeue_then_recovers_when_fixed(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    bad = seed("01-minimal", name="reg")
    bad["spec"]["sources"][0]["syncPolicy"]["interval"] = "0s"
    async with operator(kube, fake) as op:
        with without_admission(kube):  # stays off: writes to an invalid object are ratcheted
            create(kube, bad)
            st = await wait_phase(kube, NS, "reg", "Failed")
            ready_condition = condition(kube, NS, "reg", "Ready")
            assert ready_condition["status"] == "False"
            assert ready_condition["reason"] == "ValidationFailed"
            assert "spec.sources[0].syncPolicy.interval" in st["message"]
            assert st["observedGeneration"] == 1
            assert not exists(kube, "configmaps", NS, "reg-registry-server-config")
            await wait_for(lambda: len(op.controller.queue) == 0, 5.0)
            assert op.controller.queue.pending_delay(Key("default/reg")) is None
        update_spec(kube, "reg", lambda s: s["sources"][0]["syncPolicy"].update(interval="1m"))
        st = await ready(kube)
        assert st["observedGeneration"] == 2
        await wait_for(lambda: [e["reason"] for e in events(kube, NS, "reg")][-1] == "Ready")
    reasons = [e["reason"] for e in events(kube, NS, "reg")]
    assert reasons in (["ValidationFailed", "Ready"], ["ValidationFailed", "NotReady", "Ready"])


async def test_a_clashing_pod_template_blocks_the_deployment_until_fixed(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    bad = seed("13-pod-template", name="reg")
    bad["spec"]["podTemplateSpec"]["spec"]["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    async with operator(kube, fake):
        create(kube, bad)
        st = await wait_phase(kube, NS, "reg", "Failed")
        template = condition(kube, NS, "reg", "PodTemplateValid")
        assert (template["status"], template["reason"]) == ("False", "InvalidPodTemplateSpec")
        assert "spec.podTemplateSpec.spec.volumes[0].name" in template["message"]
        assert st["message"].startswith("Invalid PodTemplateSpec:")
        assert not exists(kube, "deployments", NS, "reg-api", "apps")
        update_spec(kube, "reg", lambda s: s["podTemplateSpec"]["spec"].pop("volumes"))
        await ready(kube)
        template = condition(kube, NS, "reg", "PodTemplateValid")
        assert (template["status"], template["reason"]) == ("True", "ValidPodTemplateSpec")
        update_spec(kube, "reg", lambda s: s.pop("podTemplateSpec"))
        await wait_for(lambda: not condition(kube, NS, "reg", "PodTemplateValid"), 10.0)
        await ready(kube)
    limits = deployment(kube, NS, "reg")["spec"]["template"]["spec"]["containers"][0]
    assert limits["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}


async def test_delete_writes_terminating_then_removes_the_finalizer_and_children_go(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await ready(kube)
        kube.store.delete(registries_rt(kube), NS, "reg")
        await wait_for(lambda: not exists(kube, "mcpregistries", NS, "reg", GROUP), 10.0)
        await wait_events(kube, NS, "reg", ["Ready", "Terminating"])
    for plural, group, name in [*CHILDREN, ("secrets", "", "reg-internal-token")]:
        assert not exists(kube, plural, NS, name, group), f"{plural}/{name} was not collected"
    (terminating,) = [e for e in events(kube, NS, "reg") if e["reason"] == "Terminating"]
    assert terminating["note"] == "MCPRegistry is being terminated"
    paths = [w.path for w in writes(kube) if "/events" not in w.path]
    assert paths[-2:] == [  # Terminating written once, then the finalizer removed
        "/apis/toolhive.stacklok.dev/v1alpha1/namespaces/default/mcpregistries/reg/status",
        "/apis/toolhive.stacklok.dev/v1alpha1/namespaces/default/mcpregistries/reg",
    ]


async def test_deleting_a_registry_whose_spec_became_invalid_does_not_hang(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await wait_phase(kube, NS, "reg", "Pending")
        with without_admission(kube):
            update_spec(kube, "reg", lambda s: s["sources"][0].update(format="legacy"))
            await wait_phase(kube, NS, "reg", "Failed")
            kube.store.delete(registries_rt(kube), NS, "reg")
            await wait_for(lambda: not exists(kube, "mcpregistries", NS, "reg", GROUP), 10.0)


async def test_another_finalizer_keeps_the_object_and_ours_is_released(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    obj = seed("01-minimal", name="reg")
    obj["metadata"]["finalizers"] = ["example.com/keep"]
    async with operator(kube, fake):
        create(kube, obj)
        await wait_for(lambda: FINALIZER in registry(kube, NS, "reg")["metadata"]["finalizers"])
        kube.store.delete(registries_rt(kube), NS, "reg")
        await wait_for(
            lambda: registry(kube, NS, "reg")["metadata"]["finalizers"] == ["example.com/keep"]
        )
        assert status(kube, NS, "reg")["phase"] == "Terminating"


async def test_a_refused_deployment_with_a_pod_template_marks_the_template_invalid(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    kube.fail_next("PATCH", r"/deployments/reg-api$", 422, count=1000)  # until "fixed"
    async with operator(kube, fake):
        create(kube, seed("13-pod-template", name="reg"))
        st = await wait_phase(kube, NS, "reg", "Failed")
        template = condition(kube, NS, "reg", "PodTemplateValid")
        assert (template["status"], template["reason"]) == ("False", "InvalidPodTemplateSpec")
        assert "Deployment blocked until fixed" in template["message"]
        assert st["message"].startswith("Invalid PodTemplateSpec:")
        assert not exists(kube, "deployments", NS, "reg-api", "apps")
        kube.clear_faults()
        update_spec(
            kube, "reg", lambda s: s["podTemplateSpec"].update(metadata={"labels": {"a": "b"}})
        )
        # Only then play the Deployment controller: a retry of the first generation may apply
        # the old template first, and a Deployment reported ready before the fixed template is
        # applied would stay "not seen" (no controller here bumps its observedGeneration).
        await wait_for(lambda: fixed_template_applied(kube), 10.0)
        await ready(kube)
        assert condition(kube, NS, "reg", "PodTemplateValid")["status"] == "True"


def fixed_template_applied(kube: KubeApiDouble) -> bool:
    if not exists(kube, "deployments", NS, "reg-api", "apps"):
        return False
    labels = deployment(kube, NS, "reg")["spec"]["template"]["metadata"].get("labels", {})
    return bool(labels.get("a") == "b")


async def test_a_refused_object_fails_the_step_and_is_retried_with_backoff(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    kube.fail_next("PATCH", r"/rolebindings/reg-registry-api$", 403, count=1)
    async with operator(kube, fake):
        create(kube, seed("01-minimal", name="reg"))
        await wait_for(lambda: condition(kube, NS, "reg", "Ready").get("reason") == "RBACFailed")
        st = status(kube, NS, "reg")
        assert st["phase"] == "Failed"
        assert st["message"].startswith("Failed to ensure RBAC: RoleBinding 'reg-registry-api'")
        st = await ready(kube)  # the retry succeeds
    assert events(kube, NS, "reg")[0]["reason"] == "RBACFailed"


RAW_CONFIG = """# served verbatim
sources:
  - name: local
    file:
      path: /data/catalog/registry.json
    syncPolicy:
      interval: 10m
registries:
  - name: default
    sources: [local]
database:
  host: postgres
  port: 5432
  user: app
  database: registry
auth:
  mode: anonymous
"""


def raw_registry(config_yaml: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "toolhive.stacklok.dev/v1alpha1",
        "kind": "MCPRegistry",
        "metadata": {"name": "raw", "namespace": NS},
        "spec": {"configYAML": config_yaml, **spec},
    }


async def test_a_config_yaml_registry_runs_its_config_verbatim(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    """configYAML (later ToolHive releases) is copied as written, with its volumes and the
    pgpass plumbing for pgpassSecretRef."""
    create(
        kube,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "pg", "namespace": NS},
            "data": {"pgpass": base64.b64encode(b"postgres:5432:registry:app:pw\n").decode()},
        },
    )
    create(
        kube,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "catalog", "namespace": NS},
            "data": {"registry.json": "{}"},
        },
    )
    spec = {
        "volumes": [{"name": "catalog", "configMap": {"name": "catalog"}}],
        "volumeMounts": [{"name": "catalog", "mountPath": "/data/catalog", "readOnly": True}],
        "pgpassSecretRef": {"name": "pg", "key": "pgpass"},
    }
    async with operator(kube, fake):
        create(kube, raw_registry(RAW_CONFIG, **spec))
        await ready(kube, "raw")
    config_map = kube.get("configmaps", NS, "raw-registry-server-config")
    assert config_map["data"]["config.yaml"] == RAW_CONFIG
    pod = deployment(kube, NS, "raw")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["catalog"]["configMap"] == {"name": "catalog", "defaultMode": 0o644}
    assert volumes["pgpass-secret"]["secret"]["secretName"] == "pg"
    assert volumes["pgpass-secret"]["secret"]["items"] == [{"key": "pgpass", "path": ".pgpass"}]
    (server,) = [c for c in pod["containers"] if c["name"] == "registry-api"]
    assert {"name": "catalog", "mountPath": "/data/catalog", "readOnly": True} in server[
        "volumeMounts"
    ]
    assert [c["name"] for c in pod["initContainers"]] == ["setup-pgpass"]


async def test_an_invalid_config_yaml_fails_naming_the_key(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake):
        create(kube, raw_registry("sources: []\n"))
        st = await wait_phase(kube, NS, "raw", "Failed")
    assert "spec.configYAML: sources: at least one source must be configured" in st["message"]
    assert "sources" in st["message"]
    assert condition(kube, NS, "raw", "Ready")["reason"] == "ValidationFailed"
    assert not exists(kube, "configmaps", NS, "raw-registry-server-config")
