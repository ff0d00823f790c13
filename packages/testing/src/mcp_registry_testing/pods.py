"""One simulated pod: its filesystem, its init job and the real process of its main container.

What the node agent runs is the workspace's own `mcp-registry-server` (standing in for
the image), with the container's args and env, its paths mapped through the pod's mount
table, the config rewritten for the world outside the container (`podconfig`), and each
container port moved to a free loopback port through the flag that sets its listener.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from mcp_registry_testing.clusterdns import Endpoint
from mcp_registry_testing.podconfig import HostMap, Rewrite, rewrite_pgpass, rewrite_server_config
from mcp_registry_testing.podfs import (
    MountTable,
    ObjectReader,
    PodSetupError,
    TokenSource,
    materialise_volumes,
    run_init_container,
)
from mcp_registry_testing.subprocesses import ManagedProcess

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
MAIN_CONTAINER = "registry-api"


class PodExitedError(RuntimeError):
    """The container's process exited before it became ready."""


@dataclass(frozen=True)
class ServiceAccountFiles:
    """What a kubelet automounts at SERVICE_ACCOUNT_DIR: a token per account, the cluster CA."""

    token_for: Callable[[str, str], str]
    """(namespace, serviceAccountName) -> a bearer token."""
    ca_cert: bytes


@dataclass(frozen=True)
class NodeRuntime:
    """How this node turns a container spec into a local process."""

    read: ObjectReader
    hosts: HostMap
    entrypoint: tuple[str, ...]
    """The image's ENTRYPOINT, as a local command (e.g. the `mcp-registry-server` script)."""
    port_flags: Mapping[int, str]
    """containerPort -> the flag that moves its listener (`8080: "--address"`)."""
    base_env: Mapping[str, str]
    extra_env: Mapping[str, str] = field(default_factory=dict)
    """Added to every container (e.g. SSL_CERT_FILE: an image trusting the cluster's CA)."""
    config_flag: str = "--config"
    service_account: ServiceAccountFiles | None = None
    """The double's own automount; None where the API server adds the projected volume."""
    token: TokenSource | None = None
    """Service-account tokens for projected volumes (the TokenRequest API on a real cluster)."""
    extra_args: tuple[str, ...] = ()
    """Appended to the container's command line (e.g. a kubeconfig in place of in-cluster
    configuration)."""


class PortAllocator:
    """Free loopback ports, never the same one twice in one run."""

    def __init__(self) -> None:
        self._given: set[int] = set()

    def allocate(self) -> int:
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
            if port not in self._given:
                self._given.add(port)
                return port


def template_hash(template: Mapping[str, Any]) -> str:
    """Identity of a pod template: a change means new pods."""
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(eq=False)
class Pod:
    """A started pod: where its files are, its process and its loopback ports."""

    name: str
    namespace: str
    labels: dict[str, str]
    template_hash: str
    directory: Path
    process: ManagedProcess
    ports: dict[int | str, int]
    probe: tuple[int, str] | None
    rewrites: list[Rewrite]
    started: float = field(default_factory=time.monotonic)

    def endpoint(self) -> Endpoint:
        return Endpoint(namespace=self.namespace, labels=self.labels, ports=self.ports)

    async def wait_ready(self, session: aiohttp.ClientSession, *, interval: float = 0.1) -> None:
        """Probe until ready (as the readinessProbe says); PodExitedError if it exits first."""
        while True:
            if self.process.returncode is not None:
                raise PodExitedError(
                    f"pod {self.namespace}/{self.name} exited with {self.process.returncode}:\n"
                    f"{self.process.tail()}"
                )
            if self.probe is None or await self._probe_ok(session):
                return
            await asyncio.sleep(interval)  # the probe period

    async def _probe_ok(self, session: aiohttp.ClientSession) -> bool:
        assert self.probe is not None
        port, path = self.probe
        try:
            async with session.get(
                f"http://127.0.0.1:{port}{path}", timeout=aiohttp.ClientTimeout(total=2)
            ) as reply:
                return 200 <= reply.status < 400
        except (aiohttp.ClientError, TimeoutError):
            return False


def _main_container(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    containers: Sequence[Mapping[str, Any]] = spec.get("containers") or []
    for container in containers:
        if container.get("name") == MAIN_CONTAINER:
            return container
    if len(containers) == 1:
        return containers[0]
    raise PodSetupError(f"no container named {MAIN_CONTAINER!r} among {len(containers)}")


def _service_account(
    spec: Mapping[str, Any], *, namespace: str, directory: Path, runtime: NodeRuntime
) -> dict[str, Path]:
    """The automounted service-account directory (unless the pod opts out)."""
    files = runtime.service_account
    if files is None or spec.get("automountServiceAccountToken") is False:
        return {}
    account = spec.get("serviceAccountName") or "default"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "token").write_text(files.token_for(namespace, account))
    (directory / "ca.crt").write_bytes(files.ca_cert)
    (directory / "namespace").write_text(namespace)
    return {SERVICE_ACCOUNT_DIR: directory}


def _env_value(
    item: Mapping[str, Any], *, namespace: str, pod: str, runtime: NodeRuntime
) -> str | None:
    if "value" in item:
        return str(item["value"])
    source = item.get("valueFrom") or {}
    for ref_key, plural in (("secretKeyRef", "secrets"), ("configMapKeyRef", "configmaps")):
        ref = source.get(ref_key)
        if ref is None:
            continue
        obj = runtime.read(plural, namespace, ref["name"]) or {}
        data = (obj.get("data") or {}).get(ref["key"])
        if data is None:
            if ref.get("optional"):
                return None
            raise PodSetupError(f"env {item['name']}: {ref['name']}/{ref['key']} not found")
        return base64.b64decode(data).decode() if plural == "secrets" else str(data)
    field_path = (source.get("fieldRef") or {}).get("fieldPath")
    if field_path in ("metadata.namespace", "metadata.name"):
        return namespace if field_path == "metadata.namespace" else pod
    raise PodSetupError(f"env {item['name']}: unsupported source {sorted(source)}")


def _environment(
    container: Mapping[str, Any],
    table: MountTable,
    *,
    namespace: str,
    pod: str,
    runtime: NodeRuntime,
) -> dict[str, str]:
    if container.get("envFrom"):
        raise PodSetupError("envFrom is not supported by the node agent")
    env = dict(runtime.base_env)
    for item in container.get("env") or []:
        value = _env_value(item, namespace=namespace, pod=pod, runtime=runtime)
        if value is None:
            continue
        if value.startswith("/") and table.mount_of(value) is not None:
            value = str(table.host_path(value))
        env[item["name"]] = value
    env.update(runtime.extra_env)
    return env


def _arguments(
    container: Mapping[str, Any], table: MountTable, *, directory: Path, runtime: NodeRuntime
) -> tuple[list[str], list[Rewrite]]:
    """argv with paths mapped; the config file replaced by its rewritten copy."""
    command = list(container.get("command") or [])
    if command and Path(command[0]).name != Path(runtime.entrypoint[-1]).name:
        raise PodSetupError(f"command {command[0]!r} is not the image's server executable")
    argv = [*command[1:], *(container.get("args") or [])]
    rewrites: list[Rewrite] = []
    out: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        flag, eq, value = arg.partition("=")
        if arg == runtime.config_flag and index + 1 < len(argv):
            path, rewrites = _config_copy(
                argv[index + 1], table, directory=directory, runtime=runtime
            )
            out += [arg, path]
            index += 2
            continue
        if eq and flag == runtime.config_flag:
            path, rewrites = _config_copy(value, table, directory=directory, runtime=runtime)
            arg = f"{flag}={path}"
        elif eq and value.startswith("/"):
            arg = f"{flag}={table.host_path(value)}"
        elif arg.startswith("/"):
            arg = str(table.host_path(arg))
        out.append(arg)
        index += 1
    return [*runtime.entrypoint, *out], rewrites


def _config_copy(
    path: str, table: MountTable, *, directory: Path, runtime: NodeRuntime
) -> tuple[str, list[Rewrite]]:
    source = table.host_path(path)
    try:
        text = source.read_text()
    except OSError as exc:
        raise PodSetupError(f"config file {path}: {exc}") from exc
    rewritten, rewrites = rewrite_server_config(text, paths=_mapper(table), hosts=runtime.hosts)
    target = directory / "config.rewritten.yaml"
    target.write_text(rewritten)
    return str(target), rewrites


def _mapper(table: MountTable) -> Callable[[str], str]:
    return lambda path: str(table.host_path(path))


def _listeners(
    container: Mapping[str, Any], *, runtime: NodeRuntime, ports: PortAllocator
) -> tuple[list[str], dict[int | str, int]]:
    flags: list[str] = []
    local: dict[int | str, int] = {}
    for port in container.get("ports") or []:
        number = int(port["containerPort"])
        flag = runtime.port_flags.get(number)
        if flag is None:
            raise PodSetupError(f"container port {number}: no flag known to move its listener")
        local[number] = ports.allocate()
        if port.get("name"):
            local[port["name"]] = local[number]
        flags.append(f"{flag}=127.0.0.1:{local[number]}")
    return flags, local


def _probe(container: Mapping[str, Any], local: Mapping[int | str, int]) -> tuple[int, str] | None:
    http = (container.get("readinessProbe") or {}).get("httpGet")
    if http is None:
        return None
    target = http["port"]
    if target not in local:
        raise PodSetupError(f"readinessProbe port {target!r} is not a container port")
    return local[target], str(http.get("path") or "/")


@dataclass(frozen=True)
class PreparedPod:
    """A pod whose files exist and whose command line is known, not yet started."""

    argv: list[str]
    env: dict[str, str]
    ports: dict[int | str, int]
    probe: tuple[int, str] | None
    rewrites: list[Rewrite]
    labels: dict[str, str]


def prepare_pod(
    template: Mapping[str, Any],
    *,
    namespace: str,
    name: str,
    directory: Path,
    runtime: NodeRuntime,
    ports: PortAllocator,
) -> PreparedPod:
    """Materialise the pod's files, perform its init jobs, build its main container's argv."""
    spec = template.get("spec") or {}
    volumes = materialise_volumes(
        spec.get("volumes") or [],
        namespace=namespace,
        root=directory / "volumes",
        read=runtime.read,
        pod=name,
        token=runtime.token,
    )
    image_root = directory / "image"
    for init in spec.get("initContainers") or []:
        run_init_container(init, volumes, image_root=image_root)
    container = _main_container(spec)
    extra = _service_account(
        spec, namespace=namespace, directory=directory / "serviceaccount", runtime=runtime
    )
    table = MountTable.for_container(container, volumes, image_root=image_root, extra=extra)
    env = _environment(container, table, namespace=namespace, pod=name, runtime=runtime)
    pgpass = Path(env["PGPASSFILE"]) if "PGPASSFILE" in env else None
    if pgpass is not None and pgpass.exists():
        pgpass.write_text(rewrite_pgpass(pgpass.read_text(), hosts=runtime.hosts))
    argv, rewrites = _arguments(container, table, directory=directory, runtime=runtime)
    flags, local = _listeners(container, runtime=runtime, ports=ports)
    (directory / "work").mkdir(parents=True, exist_ok=True)
    return PreparedPod(
        argv=[*argv, *runtime.extra_args, *flags],
        env=env,
        ports=local,
        probe=_probe(container, local),
        rewrites=rewrites,
        labels=dict((template.get("metadata") or {}).get("labels") or {}),
    )


async def start_pod(
    template: Mapping[str, Any],
    *,
    namespace: str,
    name: str,
    directory: Path,
    runtime: NodeRuntime,
    ports: PortAllocator,
) -> Pod:
    """Prepare the pod (`prepare_pod`) and start its main container's process."""
    prepared = prepare_pod(
        template, namespace=namespace, name=name, directory=directory, runtime=runtime, ports=ports
    )
    process = await ManagedProcess.start(
        prepared.argv,
        log_file=directory / "container.log",
        env=prepared.env,
        cwd=directory / "work",
    )
    return Pod(
        name=name,
        namespace=namespace,
        labels=prepared.labels,
        template_hash=template_hash(template),
        directory=directory,
        process=process,
        ports=prepared.ports,
        probe=prepared.probe,
        rewrites=prepared.rewrites,
    )
