"""The real /usr/bin/kubectl against the double: get (printer columns), apply, annotate, delete."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from mcp_registry_testing.kubeapi import KubeApiDouble

KUBECTL = Path("/usr/bin/kubectl")
MANIFEST = """\
apiVersion: toolhive.stacklok.dev/v1alpha1
kind: MCPRegistry
metadata:
  name: reg
spec:
  displayName: {name}
"""


async def _kubectl(kubeconfig: Path, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        str(KUBECTL),
        f"--kubeconfig={kubeconfig}",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


@pytest.fixture
def kubeconfig(kube: KubeApiDouble, tmp_path: Path) -> Path:
    return kube.write_kubeconfig(tmp_path / "kubeconfig")


async def test_apply_then_get_shows_the_printer_columns(
    kube: KubeApiDouble, kubeconfig: Path, tmp_path: Path
) -> None:
    manifest = tmp_path / "reg.yaml"
    manifest.write_text(MANIFEST.format(name="one"))
    assert "created" in await _kubectl(kubeconfig, "apply", "-f", str(manifest))
    rt = kube.resource("mcpregistries", "toolhive.stacklok.dev")
    status = {
        "phase": "Ready",
        "readyReplicas": 1,
        "url": "http://reg-api.default:8080",
        "conditions": [{"type": "Ready", "status": "True"}],
    }
    kube.store.update(rt, "default", "reg", {"status": status}, subresource="status")
    table = (await _kubectl(kubeconfig, "get", "mcpreg")).splitlines()
    assert table[0].split() == ["NAME", "STATUS", "READY", "REPLICAS", "AGE"]
    assert table[1].split()[:4] == ["reg", "Ready", "True", "1"]
    wide = (await _kubectl(kubeconfig, "get", "mcpregistries", "-o", "wide")).splitlines()
    assert wide[0].split() == ["NAME", "STATUS", "READY", "REPLICAS", "URL", "AGE"]
    manifest.write_text(MANIFEST.format(name="two"))
    assert "configured" in await _kubectl(kubeconfig, "apply", "-f", str(manifest))
    assert kube.get("mcpregistries", "default", "reg", group=rt.group)["spec"] == {
        "displayName": "two"
    }
    assert "serverside-applied" in await _kubectl(
        kubeconfig, "apply", "--server-side", "-f", str(manifest)
    )


async def test_annotate_and_delete(kube: KubeApiDouble, kubeconfig: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "reg.yaml"
    manifest.write_text(MANIFEST.format(name="one"))
    await _kubectl(kubeconfig, "apply", "-f", str(manifest))
    await _kubectl(
        kubeconfig, "annotate", "mcpregistry", "reg", "toolhive.stacklok.dev/sync-trigger=now"
    )
    obj = kube.get("mcpregistries", "default", "reg", group="toolhive.stacklok.dev")
    assert obj["metadata"]["annotations"]["toolhive.stacklok.dev/sync-trigger"] == "now"
    assert obj["metadata"]["generation"] == 1  # annotations are not spec
    assert "deleted" in await _kubectl(kubeconfig, "delete", "mcpregistry", "reg")
    assert kube.objects("mcpregistries", group="toolhive.stacklok.dev") == []
    assert await _kubectl(kubeconfig, "get", "mcpregistries", "-o", "name") == ""
