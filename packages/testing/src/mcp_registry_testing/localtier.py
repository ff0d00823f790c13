"""The local e2e tier assembled: API double, cluster DNS, proxy, kubelet double, the operator
process, and the seeds' local services; plus the verbs the tests use (kubectl, HTTP)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from mcp_registry_testing.clusterdns import Address, ClusterDns, services_of
from mcp_registry_testing.crd_admission import admit
from mcp_registry_testing.forwardproxy import ForwardProxy
from mcp_registry_testing.kubeapi import ApiError, KubeApiDouble
from mcp_registry_testing.kubelet import Kubelet
from mcp_registry_testing.phaselog import GROUP, PLURAL, PhaseLog
from mcp_registry_testing.podconfig import HostMap
from mcp_registry_testing.podfs import ObjectReader
from mcp_registry_testing.pods import NodeRuntime, PortAllocator, ServiceAccountFiles
from mcp_registry_testing.seedlocal import SeedRewrite, localise
from mcp_registry_testing.seedservices import Samples, SeedServices, seed_services
from mcp_registry_testing.subprocesses import ManagedProcess
from mcp_registry_testing.waiting import wait_for

BIN = Path(sys.executable).parent
SERVER_PORT_FLAGS = {8080: "--address", 8081: "--internal-address"}
"""The server image listens on :8080 (API) and :8081 (internal) unless these flags say else."""
KUBECTL_TIMEOUT = 60.0


class KubectlError(RuntimeError):
    """kubectl exited non-zero; the message carries its stderr."""


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
class LocalTier:
    api: KubeApiDouble
    kubeconfig: Path
    workdir: Path
    dns: ClusterDns
    proxy: ForwardProxy
    kubelet: Kubelet
    phases: PhaseLog
    services: SeedServices
    operator: ManagedProcess
    session: aiohttp.ClientSession
    samples: Samples
    seeds: dict[str, AppliedSeed] = field(default_factory=dict)
    """The seed manifests applied at start-up, by file name."""
    sources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """The seed manifests' documents as written, by file name."""

    async def kubectl(self, *args: str, stdin: bytes | None = None) -> str:
        """Run the real kubectl against the double; its stdout (KubectlError on failure)."""
        proc = await asyncio.create_subprocess_exec(
            "kubectl",
            f"--kubeconfig={self.kubeconfig}",
            *args,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(self.workdir)},
        )
        try:
            async with asyncio.timeout(KUBECTL_TIMEOUT):
                out, err = await proc.communicate(stdin)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise KubectlError(f"kubectl {' '.join(args)} timed out") from None
        if proc.returncode != 0:
            raise KubectlError(f"kubectl {' '.join(args)}: {err.decode().strip()}")
        return out.decode()

    def registry(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return self.api.get(PLURAL, namespace, name, group=GROUP)
        except ApiError:
            return None

    async def get_json(self, url: str, *, token: str | None = None) -> tuple[int, Any]:
        """GET an in-cluster URL through the proxy; (status, parsed JSON or text)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.get(url, proxy=self.proxy.url, headers=headers) as reply:
            text = await reply.text()
            try:
                return reply.status, await reply.json(content_type=None)
            except ValueError:
                return reply.status, text

    async def post(self, url: str) -> int:
        async with self.session.post(url, proxy=self.proxy.url) as reply:
            return reply.status

    async def apply_seed(
        self, manifest: str, docs: Sequence[Mapping[str, Any]], *, namespace: str
    ) -> AppliedSeed:
        """Localise `docs`, create the ConfigMaps its configMapRef sources name, apply them."""
        local, rewrites = localise([dict(d) for d in docs if d], self.services.local())
        for doc in local:
            for source in (doc.get("spec") or {}).get("sources") or []:
                if doc.get("kind") == "MCPRegistry" and source.get("configMapRef"):
                    await self._create_config_map(source, namespace=namespace)
        target = _write(self.workdir / "applied" / manifest, yaml.safe_dump_all(local).encode())
        await self.kubectl("apply", "-n", namespace, "-f", str(target))
        (registry,) = [d["metadata"]["name"] for d in local if d["kind"] == "MCPRegistry"]
        applied = AppliedSeed(
            manifest=manifest,
            namespace=namespace,
            registry=registry,
            applied_at=time.monotonic(),
            docs=tuple(local),
            rewrites=tuple(rewrites),
        )
        return applied

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


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _reader(api: KubeApiDouble) -> ObjectReader:
    def read(plural: str, namespace: str, name: str) -> Mapping[str, Any] | None:
        try:
            return api.get(plural, namespace, name)
        except ApiError as exc:
            if exc.code == 404:
                return None
            raise

    return read


def _host_map(dns: ClusterDns) -> HostMap:
    def hosts(host: str, port: int) -> tuple[str, int] | None:
        found = dns.try_resolve(host, port)
        return None if found is None else (found.host, found.port)

    return hosts


def _runtime(
    api: KubeApiDouble, dns: ClusterDns, services: SeedServices, home: Path
) -> NodeRuntime:
    assert services.certificates is not None
    ca = services.certificates.ca_cert
    kubernetes = services.issuers["https://kubernetes.default.svc.cluster.local"]

    def token_for(namespace: str, account: str) -> str:
        subject = f"system:serviceaccount:{namespace}:{account}"
        return kubernetes.mint(kubernetes.claims(sub=subject, ttl=3600))

    return NodeRuntime(
        read=_reader(api),
        hosts=_host_map(dns),
        entrypoint=(str(BIN / "mcp-registry-server"),),
        port_flags=SERVER_PORT_FLAGS,
        base_env={"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"},
        # The cluster CA is what an in-cluster image trusts (seed 08 uses sslMode verify-full).
        extra_env={"SSL_CERT_FILE": str(ca)},
        service_account=ServiceAccountFiles(token_for=token_for, ca_cert=ca.read_bytes()),
    )


def _database_hosts(dns: ClusterDns, services: SeedServices, docs: Sequence[Any]) -> None:
    """Each databaseConfig host:port (e.g. postgres.database.svc.cluster.local:5432) -> PG."""
    if services.postgres is None:
        return
    for doc in docs:
        db = (doc.get("spec") or {}).get("databaseConfig") if doc.get("kind") else None
        if db:
            dns.add_host(db["host"], int(db["port"]), Address("127.0.0.1", services.postgres.port))


async def _start_operator(
    stack: contextlib.AsyncExitStack, *, kubeconfig: Path, proxy: ForwardProxy, workdir: Path
) -> ManagedProcess:
    health = PortAllocator().allocate()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(workdir),
        "HTTP_PROXY": proxy.url,
        "http_proxy": proxy.url,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "MCP_REGISTRY_POD_PROXY": "true",  # pod IPs are reached through the proxy here
    }
    argv = [
        str(BIN / "mcp-registry-operator"), "run",
        "--kubeconfig", str(kubeconfig),
        "--health-address", f"127.0.0.1:{health}",
        "--poll-interval", "1", "--steady-interval", "5",
    ]  # fmt: skip
    operator = await ManagedProcess.start(argv, log_file=workdir / "operator.log", env=env)
    stack.push_async_callback(operator.stop)

    async def healthy() -> bool:
        if operator.returncode is not None:
            raise AssertionError(f"the operator exited {operator.returncode}:\n{operator.tail()}")
        async with aiohttp.ClientSession(trust_env=False) as session:
            try:
                async with session.get(f"http://127.0.0.1:{health}/readyz") as reply:
                    return reply.status == 200
            except aiohttp.ClientError:
                return False

    probe: Callable[[], bool | Awaitable[bool]] = healthy
    await wait_for(probe, timeout=60, interval=0.2, message="the operator never became ready")
    return operator


@contextlib.asynccontextmanager
async def local_tier(
    *, crd: Mapping[str, Any], workdir: Path, samples: Samples, seed_docs: Sequence[Any]
) -> AsyncIterator[LocalTier]:
    """Start everything (seeds are applied by the caller); stop everything on exit."""
    name = crd["metadata"]["name"]
    async with contextlib.AsyncExitStack() as stack:
        api = await stack.enter_async_context(
            KubeApiDouble(crds=[crd], admit={name: functools.partial(admit, crd)})
        )
        kubeconfig = api.write_kubeconfig(workdir / "kubeconfig")
        services = await stack.enter_async_context(
            seed_services(workdir=workdir / "services", samples=samples, seed_docs=seed_docs)
        )
        dns = ClusterDns(services_of(api))
        _database_hosts(dns, services, seed_docs)
        proxy = await stack.enter_async_context(ForwardProxy(dns))
        phases = await stack.enter_async_context(PhaseLog(api))
        runtime = _runtime(api, dns, services, workdir)
        kubelet = await stack.enter_async_context(
            Kubelet(api, dns=dns, runtime=runtime, workdir=workdir / "pods")
        )
        operator = await _start_operator(stack, kubeconfig=kubeconfig, proxy=proxy, workdir=workdir)
        session = await stack.enter_async_context(aiohttp.ClientSession(trust_env=False))
        yield LocalTier(
            api=api,
            kubeconfig=kubeconfig,
            workdir=workdir,
            dns=dns,
            proxy=proxy,
            kubelet=kubelet,
            phases=phases,
            services=services,
            operator=operator,
            session=session,
            samples=samples,
        )
