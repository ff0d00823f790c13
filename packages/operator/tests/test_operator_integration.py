"""The operator as a program: two replicas and one leader, the command line (flags, environment,
a real process against a kubeconfig, JSON logs, SIGTERM) and the health endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from mcp_registry_common.mcpregistry import FINALIZER
from mcp_registry_operator.cli import DEFAULT_IMAGE, build_parser, settings_from
from mcp_registry_operator.runtime.leader import LeaderElectionSettings
from mcp_registry_testing.kubeapi import KubeApiDouble
from mcp_registry_testing.waiting import wait_for

from .operator_harness import (
    FakeServers,
    create,
    exists,
    make_ready,
    operator,
    reconciles,
    registry,
    seed,
    settings,
    status,
    wait_phase,
    with_leader,
)

NS = "default"


def lease(identity: str) -> LeaderElectionSettings:
    return LeaderElectionSettings(
        namespace=NS,
        name="mcp-registry-operator-leader",
        identity=identity,
        lease_duration=3.0,
        renew_deadline=2.0,
        retry_period=0.1,
    )


async def test_two_replicas_elect_one_leader_and_the_standby_takes_over(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    first = with_leader(settings(), lease("op-a"), "op-a")
    second = with_leader(settings(), lease("op-b"), "op-b")
    async with contextlib.AsyncExitStack() as stack:
        a = await stack.enter_async_context(operator(kube, fake, first))
        await wait_for(a.manager.leading.is_set, 10.0)
        async with operator(kube, fake, second) as b:
            create(kube, seed("01-minimal", name="one"))
            await make_ready(kube, NS, "one")
            await wait_phase(kube, NS, "one", "Ready")
            await wait_for(lambda: reconciles(a) > 0)  # counted once the reconcile returns
            assert reconciles(b) == 0
            assert not b.manager.leading.is_set()
            await stack.aclose()  # the leader stops and releases the Lease
            await wait_for(b.manager.leading.is_set, 10.0)
            create(kube, seed("01-minimal", name="two"))
            await make_ready(kube, NS, "two")
            await wait_phase(kube, NS, "two", "Ready")
            await wait_for(lambda: reconciles(b) > 0)
    holder = kube.get("leases", NS, "mcp-registry-operator-leader", group="coordination.k8s.io")
    assert holder["spec"].get("holderIdentity") in (None, "")  # released on shutdown


async def test_health_endpoints_report_sync_and_metrics(
    kube: KubeApiDouble, fake: FakeServers
) -> None:
    async with operator(kube, fake) as op, aiohttp.ClientSession() as http:
        await wait_for(op.health.started.is_set, 5.0)
        base = f"http://127.0.0.1:{op.health.port}"
        create(kube, seed("01-minimal", name="reg"))
        await wait_phase(kube, NS, "reg", "Pending")

        async def ready() -> bool:
            async with http.get(f"{base}/readyz") as response:
                return response.status == 200

        await wait_for(ready, 5.0)
        async with http.get(f"{base}/metrics") as response:
            text = await response.text()
    assert 'controller_runtime_reconcile_total{controller="mcpregistry"' in text
    assert "workqueue_depth" in text


def parse(argv: list[str], env: dict[str, str]) -> Any:
    return settings_from(build_parser().parse_args(["run", *argv]), env)


def test_flags_and_environment_become_settings() -> None:
    env = {
        "WATCH_NAMESPACE": " team-a, team-b ,",
        "POD_NAMESPACE": "ops",
        "POD_NAME": "op-7",
        "MCP_REGISTRY_SERVER_IMAGE": "registry.example.com/server:1.2",
        "MCP_REGISTRY_DEFAULT_PULL_SECRETS": "a,b",
    }
    got = parse(
        ["--health-address=:9000", "--leader-elect", "--lease-name=x", "--poll-interval=2"], env
    )
    assert got.reconciler.namespaces == ("team-a", "team-b")
    assert got.reconciler.image == "registry.example.com/server:1.2"
    assert got.reconciler.default_pull_secrets == ("a", "b")
    assert got.reconciler.poll_interval == 2.0
    assert (got.health_host, got.health_port) == ("0.0.0.0", 9000)
    assert got.leader_election is not None
    assert (got.leader_election.namespace, got.leader_election.name) == ("ops", "x")
    assert got.leader_election.identity == got.identity == "op-7"


@pytest.mark.parametrize(("value", "expected"), [(None, False), ("", False), ("TRUE", True)])
def test_pod_requests_bypass_the_proxy_unless_told(value: str | None, expected: bool) -> None:
    env = {} if value is None else {"MCP_REGISTRY_POD_PROXY": value}
    assert parse([], env).pod_requests_use_proxy is expected


@pytest.mark.parametrize("watch", [None, "", " , "])
def test_an_unset_or_empty_watch_namespace_means_every_namespace(watch: str | None) -> None:
    env = {} if watch is None else {"WATCH_NAMESPACE": watch}
    got = parse([], env)
    assert got.reconciler.namespaces is None
    assert got.reconciler.image == DEFAULT_IMAGE
    assert got.leader_election is None


def test_the_chart_flags_parse() -> None:
    chart = Path(__file__).resolve().parents[3] / "charts/mcp-registry-operator/templates"
    text = (chart / "deployment.yaml").read_text()
    assert "--health-address=:{{ .Values.metrics.port }}" in text
    assert "--workers={{ .Values.operator.workers }}" in text
    args = ["--health-address=:8081", "--log-level=info", "--log-format=json", "--workers=8",
            "--poll-interval=5", "--steady-interval=60", "--leader-elect",
            "--lease-name=mcp-registry-operator-leader"]  # fmt: skip
    assert parse(args, {}).leader_election is not None


def finalizers(kube: KubeApiDouble, name: str) -> list[str]:
    return list(registry(kube, NS, name)["metadata"].get("finalizers") or [])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_the_command_runs_from_a_kubeconfig_logs_json_and_stops_on_sigterm(
    kube: KubeApiDouble, tmp_path: Path
) -> None:
    kubeconfig = kube.write_kubeconfig(tmp_path / "kubeconfig")
    port = free_port()
    env = {**os.environ, "WATCH_NAMESPACE": NS, "POD_NAMESPACE": NS, "POD_NAME": "op-proc"}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    create(kube, seed("01-minimal", name="reg"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mcp_registry_operator", "run", f"--kubeconfig={kubeconfig}",
        f"--health-address=127.0.0.1:{port}", "--leader-elect", "--log-format=json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stderr is not None
    reader = asyncio.create_task(proc.stdout.read())  # the logs go to stdout, as the server's
    errors = asyncio.create_task(proc.stderr.read())
    try:
        await wait_for(lambda: FINALIZER in finalizers(kube, "reg"), 30.0)
        await wait_for(lambda: exists(kube, "deployments", NS, "reg-api", "apps"), 10.0)
        await wait_for(lambda: status(kube, NS, "reg").get("phase") == "Pending", 10.0)
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 20.0)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    lines = (await reader).decode().splitlines()
    assert code == 0, lines[-5:]
    stray = [ln for ln in (await errors).decode().splitlines() if ln.startswith("{")]
    assert stray == []  # no log line on stderr
    records = [json.loads(line) for line in lines]  # every line is one JSON event
    names = [r["event"] for r in records]
    assert names[0] == "operator_starting"
    assert "leader_elected" in names
    assert names[-1] == "operator_stopped"
    reconcile_lines = [r for r in records if r.get("event") == "status_updated"]
    assert reconcile_lines
    assert {"controller", "namespace", "name", "reconcile_id"} <= set(reconcile_lines[0])
    lease_obj = kube.get("leases", NS, "mcp-registry-operator-leader", group="coordination.k8s.io")
    assert not lease_obj["spec"].get("holderIdentity")
