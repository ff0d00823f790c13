"""A cluster as a ToolHive user leaves it: ToolHive's MCPRegistry CRD (v1beta1 stored) and
objects it stored, with the status ToolHive's operator writes, before this project's CRD
chart is installed over it."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mcp_registry_testing.controlplane.cluster import ControlPlane

NAMESPACE = "e2e-toolhive"
COMMAND_TIMEOUT = 60.0
CONFIG_YAML = (
    "sources:\n"
    "  - name: local\n"
    "    format: upstream\n"
    "    file: {path: /config/registry/local/registry.json}\n"
    "    syncPolicy: {interval: 15m}\n"
    "registries:\n"
    "  - name: default\n"
    "    sources: [local]\n"
    "auth:\n"
    "  mode: anonymous\n"
)
"""ToolHive's own example shape: a file source under /config/registry/<source>/."""

_DATA_VOLUME = {"name": "registry-data", "secret": {"secretName": "registry-data"}}
_DATA_MOUNT = {"name": "registry-data", "mountPath": "/config/registry/local", "readOnly": True}
_TOOLHIVE_STATUS = {
    "phase": "Pending",
    "message": "Registry API deployment is not ready yet",
    "readyReplicas": 0,
    "observedGeneration": 1,
    "conditions": [
        {
            "type": "Ready",
            "status": "False",
            "reason": "NotReady",
            "message": "Registry API deployment is not ready yet",
            "lastTransitionTime": "2026-08-21T10:00:00Z",
            "observedGeneration": 1,
        }
    ],
}
"""What ToolHive's operator writes while its Deployment is not ready."""


def registries() -> list[dict[str, Any]]:
    """Two objects as ToolHive users write them: one created as v1beta1 with user volumes,
    a pod template and pull secrets; one created as v1alpha1 (ToolHive stores it as v1beta1)
    with a pgpass Secret."""
    raw = {
        "apiVersion": "toolhive.stacklok.dev/v1beta1",
        "kind": "MCPRegistry",
        "metadata": {"name": "toolhive-raw", "namespace": NAMESPACE},
        "spec": {
            "displayName": "Created by ToolHive as v1beta1",
            "configYAML": CONFIG_YAML,
            "volumes": [_DATA_VOLUME],
            "volumeMounts": [_DATA_MOUNT],
            "imagePullSecrets": [{"name": "regcred"}],
            "podTemplateSpec": {"metadata": {"annotations": {"example.com/team": "platform"}}},
        },
    }
    pgpass = {
        "apiVersion": "toolhive.stacklok.dev/v1alpha1",
        "kind": "MCPRegistry",
        "metadata": {"name": "toolhive-pgpass", "namespace": NAMESPACE},
        "spec": {
            "configYAML": CONFIG_YAML,
            "volumes": [_DATA_VOLUME],
            "volumeMounts": [_DATA_MOUNT],
            "pgpassSecretRef": {"name": "registry-pgpass", "key": ".pgpass"},
        },
    }
    return [raw, pgpass]


@dataclass(frozen=True)
class ToolHiveState:
    namespace: str
    names: tuple[str, ...]
    created_at: float
    """time.monotonic() when the objects were stored."""


def preinstall_toolhive(cluster: ControlPlane, crd: Path, registry_json: bytes) -> ToolHiveState:
    """Install ToolHive's CRD (`crd`), its objects, their Secrets and ToolHive's status."""
    kubectl = _Kubectl(cluster)
    kubectl("apply", "--server-side", "-f", str(crd))
    kubectl("wait", "--for=condition=Established", "--timeout=60s", f"-f={crd}")
    secrets = [
        _secret("registry-data", {"registry.json": registry_json}),
        _secret("registry-pgpass", {".pgpass": b"postgres:5432:registry:db_app:unused\n"}),
    ]
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    kubectl("apply", "-f", "-", stdin=_yaml([namespace, *secrets]))
    objects = registries()
    kubectl("create", "-f", "-", stdin=_yaml(objects))
    created_at = time.monotonic()
    for obj in objects:
        name = obj["metadata"]["name"]
        kubectl("patch", "mcpregistries.v1beta1.toolhive.stacklok.dev", name, "-n", NAMESPACE,
                "--subresource=status", "--type=merge",
                "-p", json.dumps({"status": _TOOLHIVE_STATUS}))  # fmt: skip
    names = tuple(o["metadata"]["name"] for o in objects)
    return ToolHiveState(namespace=NAMESPACE, names=names, created_at=created_at)


def _secret(name: str, data: dict[str, bytes]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "stringData": {k: v.decode() for k, v in data.items()},
    }


def _yaml(docs: list[dict[str, Any]]) -> bytes:
    return yaml.safe_dump_all(docs).encode()


class _Kubectl:
    def __init__(self, cluster: ControlPlane) -> None:
        self._argv = [str(cluster.tool("kubectl")), f"--kubeconfig={cluster.admin_kubeconfig}"]
        self._env = {"PATH": os.environ.get("PATH", ""), "HOME": str(cluster.workdir)}

    def __call__(self, *args: str, stdin: bytes | None = None) -> str:
        done = subprocess.run(
            [*self._argv, *args],
            input=stdin,
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
            env=self._env,
        )
        if done.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {done.stderr.decode().strip()}")
        return done.stdout.decode()
