"""The operator at scale: N MCPRegistries created at once against the local API double, or
(`--real`) against the real control plane built by e2e/controlplane.

This process runs the API double (the real CRD with schema + CEL admission), a stand-in for
the Deployment controller (every new Deployment generation is reported ready at once) and a
fake registry-server status endpoint, all on loopback. The operator runs in a child process,
composed by `build_operator` exactly as `mcp-registry-operator run` does, with a status client
pointed at the fake endpoint. Prints the time until every registry is Ready, the API writes
per registry (by kind), writes during an idle window after convergence, and the operator's
peak RSS. Targets: <= 60 s, <= 11 writes per registry, none while idle, <= 150 MB (both
modes); the last line is `summary {json}`, and the exit status is 1 when a target is missed.

`--real` (N = 200 by default) starts kube-apiserver, etcd and kube-controller-manager on
loopback, installs the CRD, and runs a hollow node that binds every pod and reports it ready
(the pods need not run; the real Deployment and ReplicaSet controllers make them). The operator
authenticates as a ServiceAccount of its own, so its writes are counted in the API server's
audit log by user (Lease renewals aside).
Usage: hatch run python bench/operator_scale.py [--registries N] [--workers W] [--real]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import functools
import json
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
CRD_FILE = REPO / "crds" / "toolhive.stacklok.dev_mcpregistries.yaml"
SEED = REPO / "examples" / "01-minimal.yaml"
TARGETS = {"seconds": 60.0, "writes": 11.0, "rss_mb": 150.0}
"""Writes: one create per owned object (ConfigMap, ServiceAccount, Role, RoleBinding, the
internal-token Secret, Deployment, Service), the finalizer, two status writes (Pending,
Ready) and the Ready event. The target was 10 before the internal-token Secret (issue 13)."""
TIMEOUT = 180.0
IDLE_WINDOW = 5.0
"""Seconds of watching an all-Ready operator for writes (there must be none)."""
T0 = "2026-01-01T00:00:00Z"


# ----- the operator, in its own process ------------------------------------------------------
def operator_process(api_url: str, status_url: str, workers: int) -> None:
    """Child: the composed operator until SIGTERM (JSON logs at warning level to stderr)."""
    from mcp_registry_operator.logs import configure_logging

    configure_logging(level="warning", fmt="json")
    asyncio.run(_run_operator(api_url, status_url, workers))


def operator_process_real(kubeconfig: str, status_url: str, workers: int, health: int) -> None:
    """Child: the composed operator against a real API server, authenticated by `kubeconfig`."""
    from mcp_registry_operator.logs import configure_logging

    configure_logging(level="warning", fmt="json")
    asyncio.run(_run_operator("", status_url, workers, kubeconfig=kubeconfig, health=health))


async def _run_operator(
    api_url: str, status_url: str, workers: int, *, kubeconfig: str = "", health: int = 0
) -> None:
    import aiohttp
    from mcp_registry_operator.app import OperatorSettings, build_operator
    from mcp_registry_operator.kube.connecting import client_for, connect
    from mcp_registry_operator.reconcile.reconciler import ReconcilerSettings
    from mcp_registry_operator.reconcile.statusclient import HttpServerStatusClient
    from mcp_registry_operator.runtime.controller import ControllerSettings

    settings = OperatorSettings(
        reconciler=ReconcilerSettings(
            image="bench/server:1", poll_interval=1.0, steady_interval=300.0
        ),
        identity="bench-operator",
        health_host="127.0.0.1",
        health_port=health,
        controller=ControllerSettings(workers=workers),
    )
    api_client = (
        await connect(in_cluster=False, kubeconfig=kubeconfig)
        if kubeconfig
        else client_for(api_url)
    )
    async with api_client as api, aiohttp.ClientSession() as session:
        client = HttpServerStatusClient(session, pod_url_for=lambda ip: f"{status_url}/pod/{ip}")
        operator = build_operator(settings, api=api, status_client=client)
        await operator.manager.run_until_signalled()


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM (peak resident set) of a process, from /proc (Linux)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


# ----- the cluster side ----------------------------------------------------------------------
async def status_app(port_holder: list[int]) -> Any:
    """A registry server's /status for every registry: one source, synced, 3 servers."""
    from aiohttp import web

    body = {
        "sources": [
            {"name": "toolhive", "phase": "Complete", "message": "Sync completed successfully",
             "attemptCount": 0, "lastAttempt": T0, "lastSyncTime": T0, "serverCount": 3},
        ],
        "registries": [
            {"name": "default", "sources": ["toolhive"], "ready": True, "waitingFor": [],
             "serverCount": 3},
        ],
    }  # fmt: skip

    async def status(request: web.Request) -> web.Response:
        return web.json_response(body)

    app = web.Application()
    app.add_routes([web.get("/pod/{ip}/status", status)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port_holder.append(runner.addresses[0][1])
    return runner


async def mark_deployments_ready(kube: Any) -> None:
    """The Deployment controller and kubelet, reduced to: a new generation has a ready pod (the
    operator asks it on its IP) and is ready at once."""
    from mcp_registry_testing.kubeapi import ApiError

    rt = kube.resource("deployments", "apps")
    watcher = kube.store.watch(rt, None, since=None, matches=lambda _: True, bookmarks=False)
    pods = 0
    try:
        while (item := await watcher.queue.get()) is not None:
            if isinstance(item, int) or item.type == "DELETED":
                continue
            meta, seen = item.obj["metadata"], item.obj.get("status") or {}
            if seen.get("observedGeneration") != meta.get("generation"):
                pods += 1
                ip = f"10.{pods // 62500}.{pods // 250 % 250}.{pods % 250 + 1}"
                template = item.obj["spec"]["template"]
                with contextlib.suppress(ApiError):
                    kube.run_pod(meta["namespace"], f"{meta['name']}-{pods}",
                                 template=template, ip=ip, ready=True)  # fmt: skip
                    kube.set_deployment_ready(meta["namespace"], meta["name"])
    finally:
        kube.store.unwatch(watcher)


def registry_doc(name: str) -> dict[str, Any]:
    docs = yaml.safe_load_all(SEED.read_text())
    (doc,) = [d for d in docs if d and d["kind"] == "MCPRegistry"]
    doc["metadata"] = {"name": name, "namespace": "bench"}
    return dict(doc)


def count_ready(kube: Any, rt: Any) -> int:
    items, _ = kube.store.list(
        rt, "bench", lambda o: (o.get("status") or {}).get("phase") == "Ready"
    )
    return len(items)


async def run(registries: int, workers: int) -> int:
    from mcp_registry_testing.crd_admission import admit
    from mcp_registry_testing.kubeapi import KubeApiDouble

    crd = yaml.safe_load(CRD_FILE.read_text())
    name = crd["metadata"]["name"]
    ports: list[int] = []
    status_runner = await status_app(ports)
    async with KubeApiDouble(crds=[crd], admit={name: functools.partial(admit, crd)}) as kube:
        rt = kube.resource("mcpregistries", "toolhive.stacklok.dev")
        marker = asyncio.create_task(mark_deployments_ready(kube))
        ctx = multiprocessing.get_context("spawn")
        child = ctx.Process(
            target=operator_process, args=(kube.url, f"http://127.0.0.1:{ports[0]}", workers)
        )
        child.start()
        try:
            return await measure(kube, rt, child, registries)
        finally:
            await stop_child(child)
            marker.cancel()
            await asyncio.gather(marker, return_exceptions=True)
            await status_runner.cleanup()


async def measure(kube: Any, rt: Any, child: Any, registries: int) -> int:
    # wait for the operator's informers to have listed (its first requests)
    deadline = time.monotonic() + 30
    while not any("watch=" in r.query for r in kube.requests):
        if time.monotonic() > deadline:
            print("the operator never started watching", file=sys.stderr)
            return 1
        await asyncio.sleep(0.05)
    started = time.monotonic()
    for i in range(registries):
        kube.store.create(rt, "bench", registry_doc(f"reg-{i:04d}"))
    while (ready := count_ready(kube, rt)) < registries:
        if time.monotonic() - started > TIMEOUT:
            print(f"timeout: {ready}/{registries} Ready after {TIMEOUT:.0f} s", file=sys.stderr)
            return 1
        await asyncio.sleep(0.25)

    def writes() -> list[str]:
        return [_resource(r.path) for r in kube.writes() if "/leases" not in r.path]

    return await settle_and_report(registries, started, writes, child, control_plane="double")


async def stop_child(child: Any) -> None:
    """SIGTERM the operator's process, SIGKILL it if it is still there 20 s later."""
    if child.is_alive() and child.pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGTERM)
    await asyncio.to_thread(child.join, 20)
    if child.is_alive():
        child.kill()


async def settle_and_report(
    registries: int,
    started: float,
    writes: Callable[[], list[str]],
    child: Any,
    *,
    control_plane: str,
) -> int:
    """All registries are Ready: wait for their Ready events, watch an idle window, report.
    `writes()`: the resource (or resource/subresource) of each operator write so far, Lease
    renewals aside."""
    elapsed = time.monotonic() - started
    # each registry's Ready event is written after its Ready status: wait for the last of them
    while (events := writes().count("events")) < registries:
        if time.monotonic() - started > TIMEOUT:
            print(f"timeout: {events}/{registries} Ready events", file=sys.stderr)
            return 1
        await asyncio.sleep(0.05)
    converged = writes()
    await asyncio.sleep(IDLE_WINDOW)  # the measurement itself: writes while nothing changes
    idle = len(writes()) - len(converged)
    rss = peak_rss_mb(child.pid) if child.pid is not None else None
    summary = report(registries, elapsed, converged, idle, rss, control_plane=control_plane)
    print("summary " + json.dumps(summary, sort_keys=True))
    return 0 if summary["ok"] else 1


def report(
    registries: int,
    elapsed: float,
    writes: list[str],
    idle: int,
    rss: float | None,
    *,
    control_plane: str,
) -> dict[str, Any]:
    """Print the figures against their targets; the summary for scripts. `writes`: the
    resource (or resource/subresource) of each write; `control_plane`: `double` or `real`."""
    by_kind = collections.Counter(writes)
    per_object = len(writes) / registries
    print(f"registries:              {registries}")
    print(f"time to all Ready:       {elapsed:.1f} s   (target <= {TARGETS['seconds']:.0f} s: "
          f"ratio {elapsed / TARGETS['seconds']:.2f})")  # fmt: skip
    print(f"writes per registry:     {per_object:.2f}   (target <= {TARGETS['writes']:.0f})")
    for kind, count in sorted(by_kind.items()):
        print(f"  {kind:<28} {count / registries:.2f}")
    print(f"writes while idle ({IDLE_WINDOW:.0f} s): {idle}   (target 0)")
    ok = elapsed <= TARGETS["seconds"] and per_object <= TARGETS["writes"] and idle == 0
    if rss is not None:
        print(f"operator peak RSS:       {rss:.0f} MB   (target <= {TARGETS['rss_mb']:.0f} MB)")
        ok &= rss <= TARGETS["rss_mb"]
    return {
        "bench": "operator_scale",
        "control_plane": control_plane,
        "registries": registries,
        "seconds_to_ready": round(elapsed, 2),
        "writes_per_registry": round(per_object, 3),
        "writes_per_registry_by_kind": {
            kind: round(count / registries, 3) for kind, count in sorted(by_kind.items())
        },
        "idle_writes": idle,
        "peak_rss_mb": None if rss is None else round(rss, 1),
        "targets": {
            "seconds_to_ready": f"<= {TARGETS['seconds']:g}",
            "writes_per_registry": f"<= {TARGETS['writes']:g}",
            "idle_writes": "0",
            "peak_rss_mb": f"<= {TARGETS['rss_mb']:g}",
        },
        "ok": ok,
    }


def _resource(path: str) -> str:
    """`secrets` for a create (a collection path) and an apply (an object path) alike;
    `mcpregistries/status` for a subresource."""
    parts = path.strip("/").split("/")
    if "namespaces" not in parts:
        return parts[-2]
    rest = parts[parts.index("namespaces") + 2 :]  # plural[, name[, subresource]]
    return f"{rest[0]}/{rest[2]}" if len(rest) == 3 else rest[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registries", type=int, default=None, help="500; 200 with --real")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--real", action="store_true", help="against the real control plane")
    args = parser.parse_args()
    if args.real:
        from operator_scale_real import run_real

        return asyncio.run(run_real(args.registries or 200, args.workers))
    return asyncio.run(run(args.registries or 500, args.workers))


if __name__ == "__main__":
    sys.exit(main())
