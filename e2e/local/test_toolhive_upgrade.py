"""The switch from ToolHive: its CRD stored v1beta1 objects before this project's CRD chart
went over it (`toolhive_state`, taken before the tier installs anything); every object keeps
working, served as both versions, and reconciles to Ready with our operator as ToolHive's
configYAML path would (user volumes and mounts, pgpassSecretRef)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp_registry_common.mcpregistry import CRD_NAME
from mcp_registry_testing.realtier import AppliedSeed, RealTier
from mcp_registry_testing.seedreport import SeedReport
from mcp_registry_testing.toolhivestate import ToolHiveState, registries

from .checks import outcome, settle

pytestmark = [
    pytest.mark.controlplane,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]


async def _get(tier: RealTier, resource: str, *args: str) -> Any:
    return json.loads(await tier.kubectl("get", resource, *args, "-o", "json"))


async def test_our_crd_went_over_toolhives_and_stores_v1beta1(
    tier: RealTier, toolhive_state: ToolHiveState, seed_report: SeedReport
) -> None:
    crd = await _get(tier, "crd", CRD_NAME)
    versions = {v["name"]: v for v in crd["spec"]["versions"]}
    assert {n: (v["served"], v["storage"]) for n, v in versions.items()} == {
        "v1alpha1": (True, False),
        "v1beta1": (True, True),
    }
    assert "v1beta1" in crd["status"]["storedVersions"], crd["status"]
    assert crd["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    seed_report.checks.append(
        f"v1beta1 upgrade: ToolHive's CRD (v1beta1 stored) and objects "
        f"{', '.join(toolhive_state.names)} in {toolhive_state.namespace}, then the CRD chart "
        f"(helm --take-ownership --force-conflicts): v1alpha1 and v1beta1 served, v1beta1 "
        f"stored, storedVersions {crd['status']['storedVersions']}"
    )


@pytest.mark.parametrize("index", [0, 1])
async def test_an_object_toolhive_stored_reconciles_to_ready(
    tier: RealTier, toolhive_state: ToolHiveState, seed_report: SeedReport, index: int
) -> None:
    written = registries()[index]
    ns, name = toolhive_state.namespace, written["metadata"]["name"]
    applied = AppliedSeed(
        manifest=f"toolhive {written['apiVersion'].rsplit('/', 1)[1]} object (before our CRD)",
        namespace=ns,
        registry=name,
        applied_at=toolhive_state.created_at,
        docs=(written,),
        rewrites=(),
    )
    servers: int | None = None
    note = "stored by ToolHive's CRD, then our CRD chart installed over it"
    try:
        await settle(tier, applied)
        url = ((tier.registry(ns, name) or {}).get("status") or {})["url"]  # the Ready status
        beta = await _get(tier, f"mcpregistries.v1beta1.toolhive.stacklok.dev/{name}", "-n", ns)
        alpha = await _get(tier, f"mcpregistries.v1alpha1.toolhive.stacklok.dev/{name}", "-n", ns)
        assert beta["spec"] == alpha["spec"] == written["spec"], "a field was lost or changed"
        status, body = await tier.get_json(f"{url}/registry/default/v0.1/servers?limit=100")
        assert status == 200, body
        servers = len(body["servers"])
        assert servers > 0
        await _check_pod_plumbing(tier, ns, name, written["spec"])
    except AssertionError as exc:
        note = f"FAILED: {str(exc).splitlines()[0]}"
        raise
    finally:
        seed_report.add(outcome(tier, applied, servers=servers, note=note))


async def _check_pod_plumbing(tier: RealTier, ns: str, name: str, spec: dict[str, Any]) -> None:
    """What ToolHive's configYAML path builds: the user's volume and mount, and for
    pgpassSecretRef an init container `setup-pgpass` copying the Secret's key into an emptyDir
    as a 0600 file that PGPASSFILE names (ours: /pgpass/.pgpass, from the server image, where
    ToolHive uses busybox and /home/appuser/.pgpass; docs/toolhive-parity.md)."""
    deployment = await _get(tier, f"deployment/{name}-api", "-n", ns)
    pod = deployment["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "registry-api"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["registry-data"]["secret"]["secretName"] == "registry-data"
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts["/config/registry/local"] == "registry-data"
    assert mounts["/config"] == "registry-server-config"
    env = {e["name"]: e.get("value") for e in container.get("env") or []}
    if "pgpassSecretRef" in spec:
        assert [c["name"] for c in pod.get("initContainers") or []] == ["setup-pgpass"]
        pgpass_dir = env["PGPASSFILE"].rsplit("/", 1)[0]
        assert "emptyDir" in volumes[mounts[pgpass_dir]], volumes
        secret = volumes["pgpass-secret"]["secret"]
        assert secret["secretName"] == spec["pgpassSecretRef"]["name"]
        assert secret["items"] == [{"key": ".pgpass", "path": ".pgpass"}]
    else:
        assert "PGPASSFILE" not in env
        assert pod.get("imagePullSecrets") == spec["imagePullSecrets"]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["example.com/team"] == "platform"
