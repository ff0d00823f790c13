"""The e2e tier on the real control plane: kube-apiserver, etcd and kube-controller-manager
(`controlplane.cluster`), the node agent running pods as local processes, the CRD chart and the
operator chart installed with the real `helm`, the operator running as the chart's own Pod with
the chart's ServiceAccount token (so the real RBAC authorizer enforces the chart's rules), and
the seeds' local services; plus the verbs the tests use (kubectl, helm, HTTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from mcp_registry_testing.clusterdns import ClusterDns
from mcp_registry_testing.controlplane.client import KubeClient
from mcp_registry_testing.controlplane.cluster import ControlPlane
from mcp_registry_testing.controlplane.informer import Informer
from mcp_registry_testing.controlplane.nodeagent import NodeAgent
from mcp_registry_testing.controlplane.podworker import PodRecord
from mcp_registry_testing.forwardproxy import ForwardProxy
from mcp_registry_testing.nodeimages import (
    OPERATOR_IMAGE,
    SERVER_IMAGE,
    database_hosts,
    node_images,
)
from mcp_registry_testing.phaselog import GROUP, PLURAL, PhaseLog
from mcp_registry_testing.pods import Pod
from mcp_registry_testing.seedlocal import SeedRewrite, localise
from mcp_registry_testing.seedservices import Samples, SeedServices, seed_services
from mcp_registry_testing.waiting import wait_for

OPERATOR_NAMESPACE = "mcp-registry-system"
OPERATOR_RELEASE = "mcp-registry-operator"
CRD_RELEASE = "mcp-registry-crds"
IMAGE_TAG = "e2e"
COMMAND_TIMEOUT = 120.0


class CommandError(RuntimeError):
    """kubectl or helm exited non-zero; the message carries its stderr."""


@dataclass(frozen=True)
class AppliedSeed:
    manifest: str
    namespace: str
    registry: str
    applied_at: float
    """time.monotonic() when `kubectl apply` returned."""
    docs: tuple[Mapping[str, Any], ...]
    """The documents as applied (after localisation)."""
    rewrites: tuple[SeedRewrite, ...]


@dataclass
class DeploymentPods:
    """The pods one Deployment has had on this node, seen as the tests need them."""

    node: NodeAgent
    namespace: str
    name: str

    def records(self) -> list[PodRecord]:
        return [r for r in self.node.records.values() if r.namespace == self.namespace
                and r.owner == self.name]  # fmt: skip

    @property
    def ready(self) -> PodRecord | None:
        """The record of the newest pod that became ready and still runs."""
        ready = [r for r in self.records() if r.ready_at is not None and r.running is not None]
        return max(ready, key=lambda r: r.ready_at or 0.0) if ready else None

    @property
    def pod(self) -> Pod | None:
        """The newest pod that became ready and still runs."""
        record = self.ready
        return record.running if record is not None else None

    @property
    def stopped(self) -> bool:
        records = self.records()
        return bool(records) and all(r.stopped for r in records)

    @property
    def starts(self) -> int:
        return sum(r.starts for r in self.records())

    @property
    def failures(self) -> list[str]:
        return [f for r in self.records() for f in r.failures]


@dataclass
class RealTier:
    cluster: ControlPlane
    kube: KubeClient
    workdir: Path
    dns: ClusterDns
    proxy: ForwardProxy
    node: NodeAgent
    phases: PhaseLog
    registries: Informer
    services: SeedServices
    session: aiohttp.ClientSession
    samples: Samples
    seeds: dict[str, AppliedSeed] = field(default_factory=dict)
    """The seed manifests applied at start-up, by file name."""
    sources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """The seed manifests' documents as written, by file name."""

    # ----- the verbs ----------------------------------------------------------------------
    async def run(self, tool: str, *args: str, stdin: bytes | None = None) -> str:
        """Run the built kubectl or helm as the cluster admin; its stdout (CommandError)."""
        return await _run(self.cluster, self.workdir, tool, *args, stdin=stdin)

    async def kubectl(self, *args: str, stdin: bytes | None = None) -> str:
        return await self.run("kubectl", *args, stdin=stdin)

    async def helm(self, *args: str) -> str:
        return await self.run("helm", *args)

    async def upgrade_operator(self, chart: Path, *extra: str) -> None:
        """`helm upgrade` the operator release to `chart` with the tier's values (and `extra`
        helm arguments, e.g. `--set rbac.scope=namespace`)."""
        values = self.workdir / "operator-values.yaml"
        await self.helm("upgrade", OPERATOR_RELEASE, str(chart), "-n", OPERATOR_NAMESPACE,
                        "-f", str(values), "--set", "podLabels.upgraded=yes", *extra)  # fmt: skip

    def registry(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The MCPRegistry as the tier's informer last saw it."""
        return self.registries.get(f"{namespace}/{name}")

    def deployment_pods(self, namespace: str, name: str) -> DeploymentPods:
        return DeploymentPods(self.node, namespace, name)

    @property
    def operator(self) -> PodRecord:
        """The operator chart's running pod."""
        pods = self.deployment_pods(OPERATOR_NAMESPACE, OPERATOR_RELEASE).records()
        running = [r for r in pods if not r.stopped]
        return (running or pods)[-1]

    def operator_log(self, lines: int = 15) -> str:
        pod = self.operator.running
        return pod.process.tail(lines) if pod is not None else "(the operator pod is not running)"

    async def objects(
        self, plural: str, *, group: str = "", namespace: str
    ) -> list[dict[str, Any]]:
        base = f"/apis/{group}/v1" if group else "/api/v1"
        items, _ = await self.kube.list_all(f"{base}/namespaces/{namespace}/{plural}")
        return items

    async def get_json(self, url: str, *, token: str | None = None) -> tuple[int, Any]:
        """GET an in-cluster URL through the proxy; (status, parsed JSON or text)."""
        return await self.request_json("GET", url, token=token)

    async def request_json(
        self, method: str, url: str, *, token: str | None = None
    ) -> tuple[int, Any]:
        """`method` on an in-cluster URL through the proxy; (status, parsed JSON or text)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(
            method, url, proxy=self.proxy.url, headers=headers
        ) as reply:
            text = await reply.text()
            try:
                return reply.status, await reply.json(content_type=None)
            except ValueError:
                return reply.status, text

    async def ensure_namespace(self, namespace: str) -> None:
        manifest = await self.kubectl(
            "create", "namespace", namespace, "--dry-run=client", "-o", "yaml"
        )
        await self.kubectl("apply", "-f", "-", stdin=manifest.encode())

    async def apply_seed(
        self, manifest: str, docs: Sequence[Mapping[str, Any]], *, namespace: str
    ) -> AppliedSeed:
        """Localise `docs`, create the ConfigMaps its configMapRef sources name, apply them."""
        local, rewrites = localise([dict(d) for d in docs if d], self.services.local())
        await self.ensure_namespace(namespace)
        for doc in local:
            for source in (doc.get("spec") or {}).get("sources") or []:
                if doc.get("kind") == "MCPRegistry" and source.get("configMapRef"):
                    await self._create_config_map(source, namespace=namespace)
        target = _write(self.workdir / "applied" / manifest, yaml.safe_dump_all(local).encode())
        await self.kubectl("apply", "-n", namespace, "-f", str(target))
        (registry,) = [d["metadata"]["name"] for d in local if d["kind"] == "MCPRegistry"]
        return AppliedSeed(
            manifest=manifest,
            namespace=namespace,
            registry=registry,
            applied_at=time.monotonic(),
            docs=tuple(local),
            rewrites=tuple(rewrites),
        )

    async def _create_config_map(self, source: Mapping[str, Any], *, namespace: str) -> None:
        """The ConfigMap a configMapRef names, holding the sample in the source's format."""
        ref = source["configMapRef"]
        data = self.samples.legacy if source.get("format") == "toolhive" else self.samples.upstream
        file = _write(self.workdir / "configmaps" / namespace / ref["name"] / ref["key"], data)
        manifest = await self.kubectl(
            "create", "configmap", ref["name"], "-n", namespace,
            f"--from-file={ref['key']}={file}", "--dry-run=client", "-o", "yaml",
        )  # fmt: skip
        await self.kubectl("apply", "-n", namespace, "-f", "-", stdin=manifest.encode())


async def _run(
    cluster: ControlPlane, home: Path, tool: str, *args: str, stdin: bytes | None = None
) -> str:
    proc = await asyncio.create_subprocess_exec(
        str(cluster.tool(tool)),
        f"--kubeconfig={cluster.admin_kubeconfig}",
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(home)},
    )
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            out, err = await proc.communicate(stdin)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise CommandError(f"{tool} {' '.join(args)} timed out") from None
    if proc.returncode != 0:
        raise CommandError(f"{tool} {' '.join(args)}: {err.decode().strip()}")
    return out.decode()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def operator_values() -> dict[str, Any]:
    """Chart values: the images this node runs; everything else as the chart ships it."""
    return {
        "image": {"repository": OPERATOR_IMAGE, "tag": IMAGE_TAG},
        "serverImage": {"repository": SERVER_IMAGE, "tag": IMAGE_TAG},
        "logFormat": "json",
    }


def install_crd_chart(cluster: ControlPlane, charts: Path) -> None:
    """`helm upgrade --install` of the CRD chart: one release per cluster, installed by
    whichever of the tier and the conformance suite comes first. `--take-ownership
    --force-conflicts` adopt a CRD another installer left (ToolHive's, in the e2e tier), as
    docs/crd-versions.md tells a user switching from ToolHive."""
    done = subprocess.run(
        [
            str(cluster.tool("helm")), f"--kubeconfig={cluster.admin_kubeconfig}",
            "upgrade", "--install", CRD_RELEASE, str(charts / "mcp-registry-crds"), "--wait",
            "--take-ownership", "--force-conflicts",
        ],
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(cluster.workdir)},
    )  # fmt: skip
    if done.returncode != 0:
        raise CommandError(f"helm install of the CRD chart: {done.stderr.strip()}")


async def install_operator_chart(tier: RealTier, chart: Path) -> None:
    """The operator chart as a user installs it, upgraded once (to show an upgrade works);
    waits until the upgraded operator pod is ready."""
    values = _write(
        tier.workdir / "operator-values.yaml", yaml.safe_dump(operator_values()).encode()
    )
    common = ["-n", OPERATOR_NAMESPACE, "-f", str(values)]
    await tier.helm("install", OPERATOR_RELEASE, str(chart), "--create-namespace", *common)
    await tier.helm(
        "upgrade", OPERATOR_RELEASE, str(chart), *common, "--set", "podLabels.upgraded=yes"
    )
    pods = tier.deployment_pods(OPERATOR_NAMESPACE, OPERATOR_RELEASE)

    def upgraded_and_ready() -> bool:
        ready = [r for r in pods.records() if r.ready_at is not None and not r.stopped]
        return any(r.labels.get("upgraded") == "yes" for r in ready)

    await wait_for(
        upgraded_and_ready,
        timeout=90,
        interval=0.2,
        message=f"the operator pod never became ready: {pods.failures[-3:]}",
    )


@contextlib.asynccontextmanager
async def real_tier(
    cluster: ControlPlane,
    *,
    charts: Path,
    workdir: Path,
    samples: Samples,
    seed_docs: Sequence[Any],
    operator_chart: Path | None = None,
) -> AsyncIterator[RealTier]:
    """Start the node, DNS, proxy and seed services against `cluster`, install the charts
    (`operator_chart` in place of the repository's, e.g. a copy with changed rules); the caller
    applies the seeds. Everything stops on exit."""
    async with contextlib.AsyncExitStack() as stack:
        kube = await stack.enter_async_context(cluster.client(user_agent="mcp-registry-e2e"))
        await asyncio.to_thread(install_crd_chart, cluster, charts)
        services = await stack.enter_async_context(
            seed_services(workdir=workdir / "services", samples=samples, seed_docs=seed_docs)
        )
        service_cache = await stack.enter_async_context(Informer(kube, "/api/v1/services"))
        dns = ClusterDns(lambda ns, name: service_cache.get(f"{ns}/{name}"))
        database_hosts(dns, services, seed_docs)
        proxy = await stack.enter_async_context(ForwardProxy(dns))
        phases = PhaseLog()
        registries = await stack.enter_async_context(
            Informer(kube, f"/apis/{GROUP}/v1alpha1/{PLURAL}", phases.record)
        )
        node = NodeAgent(
            kube,
            dns=dns,
            images={},
            workdir=workdir / "pods",
            kubelet_version=str(cluster.version.get("gitVersion", "")),
        )
        node.images.update(node_images(node, dns, services, proxy, workdir))
        await stack.enter_async_context(node)
        session = await stack.enter_async_context(aiohttp.ClientSession(trust_env=False))
        tier = RealTier(
            cluster=cluster,
            kube=kube,
            workdir=workdir,
            dns=dns,
            proxy=proxy,
            node=node,
            phases=phases,
            registries=registries,
            services=services,
            session=session,
            samples=samples,
        )
        await install_operator_chart(tier, operator_chart or charts / "mcp-registry-operator")
        stack.push_async_callback(_uninstall_operator, tier)
        yield tier


async def _uninstall_operator(tier: RealTier) -> None:
    """Stop the operator before the node goes, so it sees no half-stopped cluster."""
    with contextlib.suppress(CommandError):
        await tier.helm("uninstall", OPERATOR_RELEASE, "-n", OPERATOR_NAMESPACE, "--wait")
