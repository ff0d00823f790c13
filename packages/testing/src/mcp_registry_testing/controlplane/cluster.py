"""The real Kubernetes control plane on loopback: embedded etcd, kube-apiserver (client-cert
and service-account authentication, `Node,RBAC` authorization, the default admission plugins,
an audit log of every write) and kube-controller-manager with the controllers a Deployment's
life needs. Built from Kubernetes' Go modules by `e2e/controlplane/build.sh`.

`with control_plane(binaries, workdir) as cp:` starts it and waits (with a deadline) for
`/readyz`; leaving the block stops every process, SIGTERM first. It is synchronous (processes
and a polled deadline), so one control plane serves every test of a run, whatever event loop
each test uses."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp_registry_testing.controlplane.client import Credentials, KubeClient
from mcp_registry_testing.controlplane.kubeconfig import write_kubeconfig
from mcp_registry_testing.controlplane.pki import ControlPlanePki, make_pki
from mcp_registry_testing.pods import PortAllocator

ISSUER = "https://kubernetes.default.svc.cluster.local"
SERVICE_CIDR = "10.96.0.0/16"
CONTROLLERS = (
    "deployment-controller",
    "replicaset-controller",
    "garbage-collector-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "root-ca-certificate-publisher-controller",
    "endpointslice-controller",
)
"""What a Deployment's life needs: rollouts, owners collected, namespaces emptied, each
namespace's `default` ServiceAccount and `kube-root-ca.crt`, Service endpoints."""
START_TIMEOUT = 120.0
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [
        {"level": "Metadata", "verbs": list(WRITE_VERBS)},
        {"level": "None"},
    ],
}


class ControlPlaneError(RuntimeError):
    """The control plane could not be built or did not start (the message says which part)."""


@dataclass(frozen=True)
class AuditEvent:
    verb: str
    user: str
    resource: str
    subresource: str
    namespace: str
    name: str
    code: int
    user_agent: str


@dataclass
class ControlPlane:
    binaries: Path
    workdir: Path
    pki: ControlPlanePki
    server: str
    admin_kubeconfig: Path
    audit_log: Path
    processes: dict[str, _Process] = field(default_factory=dict)
    version: Mapping[str, Any] = field(default_factory=dict)
    """The API server's own /version (gitVersion, …)."""

    @property
    def admin(self) -> Credentials:
        return Credentials(
            server=self.server,
            ca_cert=self.pki.ca_cert,
            client_cert=self.pki.admin.cert,
            client_key=self.pki.admin.key,
        )

    def client(
        self, credentials: Credentials | None = None, *, user_agent: str = "mcp-registry-tests"
    ) -> KubeClient:
        return KubeClient(credentials or self.admin, user_agent=user_agent)

    def token_kubeconfig(self, path: Path, token: str, *, namespace: str = "default") -> Path:
        return write_kubeconfig(
            path, server=self.server, ca_cert=self.pki.ca_cert, token=token, namespace=namespace
        )

    def tool(self, name: str) -> Path:
        """One of the built programs (kubectl, helm, …)."""
        return self.binaries / name

    def audit(self) -> list[AuditEvent]:
        """Every write the API server has logged so far (ResponseComplete stage)."""
        events: list[AuditEvent] = []
        try:
            lines = self.audit_log.read_text().splitlines()
        except FileNotFoundError:
            return events
        for line in lines:
            if not line.strip():
                continue
            raw = json.loads(line)
            if raw.get("stage") != "ResponseComplete":
                continue
            ref = raw.get("objectRef") or {}
            events.append(
                AuditEvent(
                    verb=str(raw.get("verb", "")),
                    user=str((raw.get("user") or {}).get("username", "")),
                    resource=str(ref.get("resource", "")),
                    subresource=str(ref.get("subresource", "")),
                    namespace=str(ref.get("namespace", "")),
                    name=str(ref.get("name", "")),
                    code=int((raw.get("responseStatus") or {}).get("code", 0)),
                    user_agent=str(raw.get("userAgent", "")),
                )
            )
        return events


def build_binaries(build_script: Path) -> Path:
    """Run the build script (reusing its cache when nothing changed); the folder it built into."""
    try:
        done = subprocess.run(
            ["bash", str(build_script)],
            check=False,
            capture_output=True,
            text=True,
            timeout=3600,
        )
    except subprocess.TimeoutExpired as exc:
        raise ControlPlaneError(f"{build_script} did not finish within an hour") from exc
    if done.returncode != 0:
        raise ControlPlaneError(
            f"{build_script} failed ({done.returncode}):\n{done.stderr[-4000:]}"
        )
    return Path(done.stdout.strip().splitlines()[-1])


def _apiserver_argv(cp: ControlPlane, *, port: int, etcd: int) -> list[str]:
    pki = cp.pki
    return [
        str(cp.binaries / "kube-apiserver"),
        f"--etcd-servers=http://127.0.0.1:{etcd}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={port}",
        f"--cert-dir={cp.workdir / 'apiserver-certs'}",
        f"--tls-cert-file={pki.serving.cert}",
        f"--tls-private-key-file={pki.serving.key}",
        f"--client-ca-file={pki.ca_cert}",
        f"--service-account-issuer={ISSUER}",
        f"--service-account-key-file={pki.service_account_pub}",
        f"--service-account-signing-key-file={pki.service_account_key}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--authorization-mode=Node,RBAC",
        # The `kubernetes` Service's endpoints would name 127.0.0.1, which validation refuses.
        "--endpoint-reconciler-type=none",
        f"--audit-policy-file={cp.workdir / 'audit-policy.yaml'}",
        f"--audit-log-path={cp.audit_log}",
        "--audit-log-format=json",
        "--audit-log-mode=blocking",
        "--allow-privileged=true",
        "--profiling=false",
    ]


def _controller_manager_argv(cp: ControlPlane, *, port: int, kubeconfig: Path) -> list[str]:
    return [
        str(cp.binaries / "kube-controller-manager"),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={port}",
        f"--controllers={','.join(CONTROLLERS)}",
        f"--service-account-private-key-file={cp.pki.service_account_key}",
        f"--root-ca-file={cp.pki.ca_cert}",
        "--use-service-account-credentials=true",  # each controller as its own ServiceAccount
        "--leader-elect=false",
        f"--cert-dir={cp.workdir / 'controller-manager-certs'}",
        "--profiling=false",
    ]


class _Process:
    """One control-plane program in its own session; output in a log file."""

    def __init__(self, name: str, argv: list[str], *, workdir: Path) -> None:
        self.name = name
        self.log_file = workdir / f"{name}.log"
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir)}
        with self.log_file.open("ab") as log:
            self.popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def tail(self, lines: int = 30) -> str:
        text = self.log_file.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 15.0) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(grace)


def _get(cp: ControlPlane, path: str) -> dict[str, Any] | None:
    """GET as the admin; None while the server does not answer 200."""
    context = cp.admin.ssl_context()
    try:
        with urllib.request.urlopen(
            urllib.request.Request(cp.server + path), context=context, timeout=5
        ) as reply:
            body = reply.read()
    except OSError:  # URLError and HTTPError are OSErrors
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return {"text": body.decode(errors="replace")}  # /readyz answers "ok"
    return answer if isinstance(answer, dict) else {"value": answer}


def _wait(cp: ControlPlane, what: str, path: str) -> dict[str, Any]:
    """Poll `path` until it answers 200, with a deadline; fail at once if a program exited."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        for process in cp.processes.values():
            if process.returncode is not None:
                raise ControlPlaneError(
                    f"{process.name} exited {process.returncode}:\n{process.tail()}"
                )
        answer = _get(cp, path)
        if answer is not None:
            return answer
        if time.monotonic() > deadline:
            raise ControlPlaneError(f"{what} within {START_TIMEOUT:.0f} s")
        time.sleep(0.2)  # the poll period of a wait with a deadline


@contextlib.contextmanager
def control_plane(binaries: Path, workdir: Path) -> Iterator[ControlPlane]:
    """Start etcd, the API server and the controller-manager; stop them on the way out."""
    workdir.mkdir(parents=True, exist_ok=True)
    ports = PortAllocator()
    etcd, peer, api, cm = (ports.allocate() for _ in range(4))
    pki = make_pki(workdir / "pki")
    server = f"https://127.0.0.1:{api}"
    cp = ControlPlane(
        binaries=binaries,
        workdir=workdir,
        pki=pki,
        server=server,
        admin_kubeconfig=write_kubeconfig(
            workdir / "admin.kubeconfig", server=server, ca_cert=pki.ca_cert, client=pki.admin
        ),
        audit_log=workdir / "audit.log",
    )
    (workdir / "audit-policy.yaml").write_text(json.dumps(AUDIT_POLICY))
    cm_kubeconfig = write_kubeconfig(
        workdir / "controller-manager.kubeconfig",
        server=server,
        ca_cert=pki.ca_cert,
        client=pki.controller_manager,
    )
    try:
        for name, argv in (
            ("etcd", [
                str(binaries / "etcd"),
                f"--data-dir={workdir / 'etcd'}",
                f"--listen-client-url=http://127.0.0.1:{etcd}",
                f"--listen-peer-url=http://127.0.0.1:{peer}",
            ]),
            ("kube-apiserver", _apiserver_argv(cp, port=api, etcd=etcd)),
        ):  # fmt: skip
            cp.processes[name] = _Process(name, argv, workdir=workdir)
        _wait(cp, "kube-apiserver did not answer /readyz", "/readyz")
        cp.version = _wait(cp, "kube-apiserver did not answer /version", "/version")
        argv = _controller_manager_argv(cp, port=cm, kubeconfig=cm_kubeconfig)
        cp.processes["kube-controller-manager"] = _Process(
            "kube-controller-manager", argv, workdir=workdir
        )
        # Ready for tests once the controllers run: the `default` ServiceAccount exists.
        _wait(
            cp,
            "kube-controller-manager did not create the default ServiceAccount",
            "/api/v1/namespaces/default/serviceaccounts/default",
        )
        yield cp
    finally:
        for process in reversed(list(cp.processes.values())):
            process.stop()
