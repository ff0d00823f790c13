"""The kind tier: real images, a real cluster, both charts, the seed manifests.

Opt-in (marker `kind`, excluded from .ci/run): needs docker, kind, kubectl and helm on PATH.
Run it with `bash e2e/kind/run.sh` (see README). Each step shells out with a timeout, as kopf's
own e2e suite does; failures dump events and logs.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.kind

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = Path(__file__).resolve().parent / "manifests"
CLUSTER = os.environ.get("E2E_KIND_CLUSTER", "mcp-registry-e2e")
NAMESPACE = "mcp-e2e"
TAG = "e2e"
IMAGES = {
    "registry-server": f"ghcr.io/mcp-registry/mcp-registry-server:{TAG}",
    "operator": f"ghcr.io/mcp-registry/mcp-registry-operator:{TAG}",
}
# Frozen seed manifests that need only the public catalog (see manifests/README.md).
SELF_CONTAINED = sorted(p.name for p in MANIFESTS.glob("*.yaml"))


def run(
    *args: str, timeout: float = 300, check: bool = True, **kw: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=check, timeout=timeout, text=True, capture_output=True, **kw)


def kubectl(*args: str, timeout: float = 120) -> str:
    return run("kubectl", "--context", f"kind-{CLUSTER}", *args, timeout=timeout).stdout


@pytest.fixture(scope="session")
def cluster() -> Iterator[str]:
    missing = [tool for tool in ("docker", "kind", "kubectl", "helm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the kind tier needs {', '.join(missing)} on PATH")
    existing = run("kind", "get", "clusters").stdout.split()
    if CLUSTER not in existing:
        run("kind", "create", "cluster", "--name", CLUSTER, "--wait", "180s", timeout=600)
    for package, image in IMAGES.items():
        run(
            "docker",
            "build",
            "-f",
            f"packages/{package}/Dockerfile",
            "-t",
            image,
            ".",
            cwd=REPO,
            timeout=1200,
        )
        run("kind", "load", "docker-image", image, "--name", CLUSTER, timeout=600)
    context = f"kind-{CLUSTER}"
    run(
        "helm",
        "upgrade",
        "--install",
        "mcp-registry-crds",
        str(REPO / "charts" / "mcp-registry-crds"),
        "--kube-context",
        context,
        "--wait",
    )
    run(
        "helm",
        "upgrade",
        "--install",
        "mcp-registry-operator",
        str(REPO / "charts" / "mcp-registry-operator"),
        "--kube-context",
        context,
        "--namespace",
        "mcp-registry-system",
        "--create-namespace",
        "--set",
        f"image.tag={TAG}",
        "--set",
        f"serverImage.tag={TAG}",
        "--set",
        "image.pullPolicy=Never",
        "--wait",
        "--timeout",
        "5m",
        timeout=400,
    )
    run(
        "sh",
        "-c",
        f"kubectl --context {context} create namespace {NAMESPACE} --dry-run=client -o yaml "
        f"| kubectl --context {context} apply -f -",
    )
    yield context
    if os.environ.get("E2E_KEEP_CLUSTER") != "1":
        run("kind", "delete", "cluster", "--name", CLUSTER, timeout=300, check=False)


def registry_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == "MCPRegistry"]


def dump_diagnostics() -> str:
    parts = [kubectl("get", "events", "-A", "--sort-by=.lastTimestamp")]
    parts.append(
        kubectl(
            "-n",
            "mcp-registry-system",
            "logs",
            "-l",
            "app.kubernetes.io/name=mcp-registry-operator",
            "--tail=200",
        )
    )
    return "\n".join(parts)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("manifest", SELF_CONTAINED)
def test_seed_manifest_reaches_ready_and_serves(cluster: str, manifest: str) -> None:
    (doc,) = registry_docs(MANIFESTS / manifest)
    name = doc["metadata"]["name"] + "-" + manifest.split("-")[0]
    doc["metadata"] = {"name": name, "namespace": NAMESPACE}
    run("kubectl", "--context", cluster, "apply", "-f", "-", input=yaml.safe_dump(doc))
    try:
        kubectl(
            "-n",
            NAMESPACE,
            "wait",
            f"mcpregistry/{name}",
            "--for=jsonpath={.status.phase}=Ready",
            "--timeout=420s",
            timeout=450,
        )
    except subprocess.CalledProcessError:
        pytest.fail(dump_diagnostics())
    table = kubectl("-n", NAMESPACE, "get", "mcpregistries", name)
    assert table.split("\n")[0].split() == ["NAME", "STATUS", "READY", "REPLICAS", "URL", "AGE"]
    pods = kubectl(
        "-n", NAMESPACE, "get", "pods", "-l", f"app.kubernetes.io/instance={name}", "-o", "name"
    )
    assert pods.strip(), "pods must carry app.kubernetes.io/instance=<name>"
    port = free_port()
    forward = subprocess.Popen(
        [
            "kubectl",
            "--context",
            cluster,
            "-n",
            NAMESPACE,
            "port-forward",
            f"svc/{name}-api",
            f"{port}:8080",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert forward.stdout is not None
        first_line = forward.stdout.readline()  # blocks until kubectl says it is forwarding
        assert "Forwarding from" in first_line, first_line
        url = f"http://127.0.0.1:{port}/registry/default/v0.1/servers?limit=5"
        with urllib.request.urlopen(url, timeout=30) as response:
            body = json.load(response)
        assert body["metadata"]["count"] == len(body["servers"])
    finally:
        forward.terminate()
        forward.wait(timeout=30)
        kubectl("-n", NAMESPACE, "delete", "mcpregistry", name, "--wait=true", timeout=300)
