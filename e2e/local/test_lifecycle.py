"""Life on a real cluster: a referenced ConfigMap or Secret rotated rolls the server, an
invalid spec is Failed until fixed, WATCH_NAMESPACE scopes the operator, and an operator
restarted halfway through a creation finishes it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from mcp_registry_testing.realtier import OPERATOR_NAMESPACE, OPERATOR_RELEASE, RealTier
from mcp_registry_testing.seedreport import SeedReport
from mcp_registry_testing.waiting import wait_for

from .checks import (
    SETTLE_TIMEOUT,
    condition,
    diagnose,
    phase,
    settle,
    wait_for_reconciles,
    wait_for_rollout,
)

pytestmark = [
    pytest.mark.controlplane,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]

REPO = Path(__file__).resolve().parents[2]
OPERATOR_CHART = REPO / "charts" / "mcp-registry-operator"


async def test_a_rotated_config_map_rolls_the_server(
    tier: RealTier, seed_report: SeedReport
) -> None:
    applied = await tier.apply_seed(
        "04-rotation.yaml", tier.sources["04-configmap.yaml"], namespace="e2e-rotation"
    )
    await settle(tier, applied)
    ns, name = applied.namespace, applied.registry
    pods = tier.deployment_pods(ns, f"{name}-api")
    old = pods.pod
    assert old is not None
    data = tier.samples.upstream + b"\n"  # same servers, new bytes: a rotation
    file = tier.workdir / "rotated" / "registry.json"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(data)
    manifest = await tier.kubectl(
        "create", "configmap", "registry-data", "-n", ns, f"--from-file=registry.json={file}",
        "--dry-run=client", "-o", "yaml",
    )  # fmt: skip
    await tier.kubectl("apply", "-n", ns, "-f", "-", stdin=manifest.encode())

    new = await wait_for_rollout(tier, applied, old)
    await settle(tier, applied)
    seed_report.checks.append(
        f"ConfigMap registry-data rotated in {ns}: pod {old.name} replaced by {new.name}"
    )


async def test_an_invalid_spec_is_failed_until_it_is_fixed(
    tier: RealTier, seed_report: SeedReport
) -> None:
    """Accepted by the CRD, refused by the operator: a podTemplateSpec volume that takes a
    name the operator reserves."""
    docs = copy.deepcopy(tier.sources["13-pod-template.yaml"])
    (registry,) = [d for d in docs if d["kind"] == "MCPRegistry"]
    pod = registry["spec"]["podTemplateSpec"]["spec"]
    pod["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    applied = await tier.apply_seed("13-invalid.yaml", docs, namespace="e2e-invalid")
    ns, name = applied.namespace, applied.registry
    await wait_for(
        lambda: phase(tier.registry(ns, name)) == "Failed",
        timeout=SETTLE_TIMEOUT,
        interval=0.1,
        message=f"never Failed:\n{diagnose(tier, ns, name)}",
    )
    status = (tier.registry(ns, name) or {}).get("status") or {}
    assert "spec.podTemplateSpec.spec.volumes[0].name" in status["message"], status
    assert condition(tier.registry(ns, name)).get("status") == "False"
    path = "/spec/podTemplateSpec/spec/volumes/0/name"
    fix = f'[{{"op": "replace", "path": "{path}", "value": "scratch"}}]'
    await tier.kubectl("patch", "mcpregistry", name, "-n", ns, "--type=json", "-p", fix)
    await settle(tier, applied)
    phases = tier.phases.phases(ns, name)
    assert "Failed" in phases, phases
    assert phases[-1] == "Ready", phases
    seed_report.checks.append(f"invalid spec on {ns}/{name}: {' → '.join(phases)}")


async def test_watch_namespace_scopes_the_operator(tier: RealTier, seed_report: SeedReport) -> None:
    """The chart's namespace scope: RoleBindings in the allowed namespaces only, WATCH_NAMESPACE
    set; a registry elsewhere is left alone until the scope is widened again."""
    inside, outside = "e2e-scope-in", "e2e-scope-out"
    for namespace in (inside, outside):
        await tier.ensure_namespace(namespace)
    scoped = ["--set", "rbac.scope=namespace", "--set", f"rbac.allowedNamespaces={{{inside}}}"]
    await tier.upgrade_operator(OPERATOR_CHART, *scoped)
    try:
        await _wait_for_operator_env(tier, "WATCH_NAMESPACE", inside)
        docs = tier.sources["12-anonymous.yaml"]
        kept = await tier.apply_seed("12-scope-in.yaml", docs, namespace=inside)
        left = await tier.apply_seed("12-scope-out.yaml", docs, namespace=outside)
        await settle(tier, kept)
        await wait_for_reconciles(tier, 3)
        assert (tier.registry(outside, left.registry) or {}).get("status") is None
    finally:
        await tier.upgrade_operator(OPERATOR_CHART)
    await settle(tier, left)
    seed_report.checks.append(
        f"WATCH_NAMESPACE={inside}: {inside} Ready, {outside} untouched; cluster scope again: "
        f"{outside} Ready"
    )


async def _wait_for_operator_env(tier: RealTier, name: str, value: str) -> None:
    """Until the running, ready operator pod is one whose container has `name`=`value`."""

    def rolled() -> bool:
        record = tier.operator
        return (
            record.ready_at is not None
            and not record.stopped
            and record.running is not None
            and record.env.get(name) == value
        )

    await wait_for(rolled, timeout=90, interval=0.2, message=f"no operator pod with {name}")


async def test_an_operator_restarted_halfway_finishes_the_registry(
    tier: RealTier, seed_report: SeedReport
) -> None:
    first = tier.operator
    docs = tier.sources["02-git.yaml"]
    applied = await tier.apply_seed("02-restart.yaml", docs, namespace="e2e-restart")
    ns, name = applied.namespace, applied.registry
    # Halfway: the operator has written the registry's Deployment, the server is not ready yet.
    await wait_for(
        lambda: tier.deployment_pods(ns, f"{name}-api").records(),
        timeout=60,
        interval=0.05,
        message="the operator never created the server's pods",
    )
    await tier.kubectl("delete", "pod", first.name, "-n", OPERATOR_NAMESPACE, "--wait=false")
    await wait_for(
        lambda: tier.operator.name != first.name and tier.operator.ready_at is not None,
        timeout=90,
        interval=0.2,
        message="no new operator pod became ready",
    )
    await settle(tier, applied)
    seed_report.checks.append(
        f"operator pod {first.name} deleted while {ns}/{name} was being created; "
        f"{tier.operator.name} finished it: {' → '.join(tier.phases.phases(ns, name))}"
    )
    assert OPERATOR_RELEASE in tier.operator.name


RAW_REGISTRY = {
    "apiVersion": "toolhive.stacklok.dev/v1alpha1",
    "kind": "MCPRegistry",
    "metadata": {"name": "raw"},
    "spec": {
        "configYAML": (
            "sources:\n"
            "  - name: local\n"
            "    format: upstream\n"
            "    file: {path: /data/registry.json}\n"
            "    syncPolicy: {interval: 15m}\n"
            "registries:\n"
            "  - name: default\n"
            "    sources: [local]\n"
            "auth:\n"
            "  mode: anonymous\n"
        ),
        "volumes": [{"name": "data", "secret": {"secretName": "registry-data"}}],
        "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
    },
}
"""configYAML mode: the server reads its registry from a Secret the user mounts."""


async def _put_secret(tier: RealTier, namespace: str, data: bytes) -> None:
    file = tier.workdir / "secrets" / namespace / "registry.json"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(data)
    manifest = await tier.kubectl(
        "create", "secret", "generic", "registry-data", "-n", namespace,
        f"--from-file=registry.json={file}", "--dry-run=client", "-o", "yaml",
    )  # fmt: skip
    await tier.kubectl("apply", "-n", namespace, "-f", "-", stdin=manifest.encode())


async def test_a_rotated_secret_rolls_the_server(tier: RealTier, seed_report: SeedReport) -> None:
    ns = "e2e-secret-rotation"
    await tier.ensure_namespace(ns)
    await _put_secret(tier, ns, tier.samples.upstream)
    applied = await tier.apply_seed("raw-secret.yaml", [RAW_REGISTRY], namespace=ns)
    await settle(tier, applied)
    pods = tier.deployment_pods(ns, f"{applied.registry}-api")
    old = pods.pod
    assert old is not None
    await _put_secret(tier, ns, tier.samples.upstream + b"\n")

    new = await wait_for_rollout(tier, applied, old)
    await settle(tier, applied)
    seed_report.checks.append(
        f"Secret registry-data rotated in {ns}: pod {old.name} replaced by {new.name}"
    )
