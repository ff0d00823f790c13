"""The e2e tier on the real control plane: the operator chart's pod (installed with helm, under
the chart's RBAC), real server processes run by the node agent for the pods the real
controllers create, every example manifest applied with kubectl, the API queried through the
URL in status, a sync trigger, a rollout, a deletion collected by the real garbage collector,
and a first sync that fails."""

from __future__ import annotations

import base64
import copy
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_testing.realtier import AppliedSeed, RealTier
from mcp_registry_testing.seedreport import SeedReport
from mcp_registry_testing.waiting import wait_for

from .checks import SETTLE_TIMEOUT, condition, diagnose, outcome, phase, settle, wait_for_rollout

pytestmark = [
    pytest.mark.controlplane,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = sorted(p.name for p in (REPO / "examples").glob("*.yaml"))

FICTIONAL = frozenset(
    {
        "official/acme-search",
        "official/acme-docs",
        "official/metrics-sandbox",
        "io.github.stacklok/file-vault",
        "io.github.stacklok/legacy-jira",
        "io.github.stacklok/pg-explorer",
        "io.github.stacklok/issue-tracker-cloud",
        "io.github.stacklok/legacy-analytics",
        "io.github.stacklok/weather-remote",
    }
)
EXPECTED_SERVERS = {"07-filtered.yaml": frozenset({"official/acme-docs", "official/acme-search"})}
"""Per manifest; every other seed serves the whole fictional registry."""
SYNC_TRIGGER = "toolhive.stacklok.dev/sync-trigger"
OWNED = (
    ("configmaps", ""),
    ("secrets", ""),
    ("serviceaccounts", ""),
    ("roles", "rbac.authorization.k8s.io"),
    ("rolebindings", "rbac.authorization.k8s.io"),
    ("deployments", "apps"),
    ("services", ""),
)


def bearer_token(tier: RealTier, applied: AppliedSeed) -> str | None:
    """For an oauth seed: a token from the (local) issuer of its first provider."""
    (registry,) = [d for d in applied.docs if d["kind"] == "MCPRegistry"]
    oauth = (registry["spec"].get("authConfig") or {}).get("oauth")
    if not oauth:
        return None
    provider = oauth["providers"][0]
    (issuer,) = [i for i in tier.services.issuers.values() if i.url == provider["issuerUrl"]]
    claims = issuer.claims(aud=provider["audience"], org="acme", team="platform", role="admin")
    return issuer.mint(claims)


async def internal_token(tier: RealTier, namespace: str, name: str) -> str:
    """The token the operator made for the registry, read from its Secret as an admin would."""
    secret = await tier.kube.get(f"/api/v1/namespaces/{namespace}/secrets/{name}-internal-token")
    return base64.b64decode(secret["data"]["token"]).decode()


def registry_view(applied: AppliedSeed) -> str:
    (registry,) = [d for d in applied.docs if d["kind"] == "MCPRegistry"]
    return str(registry["spec"]["registries"][0]["name"])


async def served_names(tier: RealTier, applied: AppliedSeed, url: str) -> set[str]:
    """Server names the registry API lists, through the URL in status (via cluster DNS)."""
    endpoint = f"{url}/registry/{registry_view(applied)}/v0.1/servers?limit=100"
    status, body = await tier.get_json(endpoint, token=bearer_token(tier, applied))
    assert status == 200, f"GET {endpoint}: {status} {body}"
    return {item["server"]["name"] for item in body["servers"]}


@pytest.mark.parametrize("manifest", MANIFESTS)
async def test_seed_manifest_reaches_its_state(
    tier: RealTier, seed_report: SeedReport, manifest: str
) -> None:
    applied = tier.seeds[manifest]
    ns, name = applied.namespace, applied.registry
    servers: int | None = None
    note = ""
    try:
        await settle(tier, applied)
        obj = tier.registry(ns, name)
        status = (obj or {}).get("status") or {}
        assert condition(obj).get("status") == "True", diagnose(tier, ns, name)
        assert status["url"] == f"http://{name}-api.{ns}.svc.cluster.local:8080"
        assert status.get("readyReplicas") == 1
        names = await served_names(tier, applied, status["url"])
        servers = len(names)
        assert names == EXPECTED_SERVERS.get(manifest, FICTIONAL)
    except AssertionError as exc:
        note = f"FAILED: {str(exc).splitlines()[0]}"
        raise
    finally:
        seed_report.add(outcome(tier, applied, servers=servers, note=note))


async def test_database_seed_keeps_its_data_in_postgresql(tier: RealTier) -> None:
    applied = tier.seeds["08-database.yaml"]
    await settle(tier, applied)
    assert tier.services.postgres is not None
    tables = tier.services.postgres.psql(
        "SELECT count(*) FROM pg_tables WHERE tableowner = 'db_migrator'", database="registry"
    )
    assert int(tables) > 0, "the server's migrations did not run as the migration user"
    # sslMode verify-full: every connection of the app role is TLS (the CA is the cluster's).
    plain, total = tier.services.postgres.psql(
        "SELECT count(*) FILTER (WHERE NOT s.ssl), count(*) FROM pg_stat_activity a"
        " JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'db_app'"
    ).split("|")
    assert int(total) > 0, "the server holds no connection as the app role"
    assert int(plain) == 0


async def test_oauth_seed_needs_a_token_and_fetched_keys_with_its_service_account(
    tier: RealTier,
) -> None:
    applied = tier.seeds["09-oauth-kubernetes.yaml"]
    await settle(tier, applied)
    url = (tier.registry(applied.namespace, applied.registry) or {})["status"]["url"]
    status, body = await tier.get_json(f"{url}/registry/default/v0.1/servers")
    assert status == 401, body
    # A token makes the server fetch the issuer's keys (whatever ran before this test).
    assert await served_names(tier, applied, url) == FICTIONAL
    issuer = tier.services.issuers["https://kubernetes.default.svc.cluster.local"]
    assert issuer.counters.jwks > 0
    # authTokenFile: the service-account token the API server issued for the pod, sent as a bearer.
    assert (issuer.counters.last_jwks_authorization or "").startswith("Bearer ey")


async def test_kubectl_get_shows_the_printer_columns(
    tier: RealTier, seed_report: SeedReport
) -> None:
    applied = tier.seeds["02-git.yaml"]
    await settle(tier, applied)
    table = (await tier.kubectl("get", "mcpregistries", "-A")).splitlines()
    assert table[0].split() == ["NAMESPACE", "NAME", "STATUS", "READY", "REPLICAS", "URL", "AGE"]
    rows = {tuple(line.split()[:2]): line.split() for line in table[1:]}
    for seed in tier.seeds.values():
        assert (seed.namespace, seed.registry) in rows, f"{seed.manifest} missing from {table}"
    row = rows[(applied.namespace, applied.registry)]
    url = f"http://{applied.registry}-api.{applied.namespace}.svc.cluster.local:8080"
    assert row[2:6] == ["Ready", "True", "1", url]
    wide = (await tier.kubectl("get", "mcpreg", "-A", "-o", "wide")).splitlines()
    assert wide[0].split()[:9] == [
        "NAMESPACE", "NAME", "STATUS", "READY", "REPLICAS", "URL", "SERVERS", "LAST", "SYNC"
    ]  # fmt: skip
    seed_report.checks.append(f"kubectl get mcpregistries -A: {table[0].split()}")


def _source(report: Any, name: str) -> Mapping[str, Any]:
    (source,) = [s for s in report["sources"] if s["name"] == name]
    return dict(source)


async def test_sync_trigger_annotation_runs_a_new_sync(
    tier: RealTier, seed_report: SeedReport
) -> None:
    """The operator reaches the server's internal port on a pod's IP (no Service has it) with
    the registry's internal token; so does this test, with the token read from the Secret."""
    applied = tier.seeds["02-git.yaml"]
    ns, name = applied.namespace, applied.registry
    await settle(tier, applied)
    pod = tier.deployment_pods(ns, f"{name}-api").ready
    assert pod is not None, diagnose(tier, ns, name)
    assert pod.ip, diagnose(tier, ns, name)
    internal = f"http://{pod.ip}:8081"
    token = await internal_token(tier, ns, name)
    status, before = await tier.get_json(f"{internal}/status", token=token)
    assert status == 200, before
    last = datetime.fromisoformat(_source(before, "toolhive")["lastAttempt"])
    value = f"e2e-{time.time_ns()}"
    await tier.kubectl(
        "annotate", "mcpregistry", name, "-n", ns, f"{SYNC_TRIGGER}={value}", "--overwrite"
    )

    async def new_attempt() -> Mapping[str, Any] | None:
        _, report = await tier.get_json(f"{internal}/status", token=token)
        source = _source(report, "toolhive")
        attempt = source.get("lastAttempt")
        if source["phase"] != "Complete" or not attempt:
            return None  # still running
        return source if datetime.fromisoformat(attempt) > last else None

    source = await wait_for(new_attempt, timeout=60, interval=0.2)
    assert datetime.fromisoformat(source["lastSyncTime"]) > last
    await wait_for(
        lambda: (
            ((tier.registry(ns, name) or {}).get("status") or {}).get("lastManualSyncTrigger")
            == value
        ),
        timeout=60,
        message="status.lastManualSyncTrigger never recorded the trigger",
    )
    synced = [f for f in tier.proxy.handled if f.url == f"{internal}/sources/toolhive/sync"]
    assert synced, "the operator never posted the sync to the pod"
    assert all(f.status == 200 for f in synced), synced  # the operator's token was accepted
    seed_report.checks.append(
        f"sync trigger on {ns}/{name}: lastAttempt {last.isoformat()} -> {source['lastAttempt']},"
        f" status.lastManualSyncTrigger={value}"
    )


@pytest.mark.parametrize("manifest", ["09-oauth-kubernetes.yaml", "12-anonymous.yaml"])
async def test_the_internal_port_answers_only_the_operator(
    tier: RealTier, seed_report: SeedReport, manifest: str
) -> None:
    """Issue 13: the internal port is no back door. No Service has it; on the pod, probes and
    metrics answer anyone, /status and sync triggers only the registry's internal token (an
    OAuth token with every role does not open them), in oauth and anonymous mode alike."""
    applied = tier.seeds[manifest]
    ns, name = applied.namespace, applied.registry
    await settle(tier, applied)
    service = await tier.kube.get(f"/api/v1/namespaces/{ns}/services/{name}-api")
    assert [p["port"] for p in service["spec"]["ports"]] == [8080]
    status, body = await tier.get_json(f"http://{name}-api.{ns}.svc.cluster.local:8081/status")
    assert status == 502, body  # the simulated kube-proxy finds no port 8081 on the Service
    assert "has no port 8081" in str(body)
    pod = tier.deployment_pods(ns, f"{name}-api").ready
    assert pod is not None, diagnose(tier, ns, name)
    internal = f"http://{pod.ip}:8081"
    token = await internal_token(tier, ns, name)
    oauth = bearer_token(tier, applied)  # a valid token of the registry's own issuer
    strangers = [None, "x" * len(token), *([oauth] if oauth else [])]
    kinds = ["no bearer", "a wrong one", *(["an OAuth bearer"] if oauth else [])]
    refused = []
    for method, path in (("GET", "/status"), ("POST", "/sources/toolhive/sync")):
        for stranger in strangers:
            status, problem = await tier.request_json(method, f"{internal}{path}", token=stranger)
            assert status == 401, (method, path, status, problem)
            assert problem["status"] == 401
            assert "internal token" in problem["detail"]
            refused.append(f"{method} {path}")
        status, body = await tier.request_json(method, f"{internal}{path}", token=token)
        assert status == 200, (method, path, body)
    for path in ("/health", "/readiness", "/version", "/metrics"):
        status, body = await tier.get_json(f"{internal}{path}")
        assert status == 200, (path, body)
    secret = await tier.kube.get(f"/api/v1/namespaces/{ns}/secrets/{name}-internal-token")
    (owner,) = secret["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"]) == ("MCPRegistry", name)
    seed_report.checks.append(
        f"internal port of {ns}/{name}: not on Service {name}-api; {len(refused)} calls "
        f"without the internal token refused with 401 ({', '.join(kinds)}); "
        "the Secret's token accepted; probes and metrics open"
    )


async def _apply_copy(tier: RealTier, manifest: str, namespace: str) -> AppliedSeed:
    """The seed once more, in a namespace of its own (scenarios that change or delete it)."""
    applied = await tier.apply_seed(manifest, tier.sources[manifest], namespace=namespace)
    await settle(tier, applied)
    return applied


async def test_spec_change_rolls_the_server_process(
    tier: RealTier, seed_report: SeedReport
) -> None:
    applied = await _apply_copy(tier, "12-anonymous.yaml", "e2e-rollout")
    ns, deployment = applied.namespace, f"{applied.registry}-api"
    record = tier.deployment_pods(ns, deployment)
    old = record.pod
    assert old is not None
    changed = await tier.kubectl(
        "patch", "mcpregistry", applied.registry, "-n", ns, "--type=json",
        "-p", '[{"op": "add", "path": "/spec/sources/0/syncPolicy", "value": {"interval": "45m"}}]',
    )  # fmt: skip
    assert "patched" in changed

    new = await wait_for_rollout(tier, applied, old)
    config = (new.directory / "config.rewritten.yaml").read_text()
    assert "interval: 45m" in config
    await wait_for(lambda: phase(tier.registry(ns, applied.registry)) == "Ready", timeout=60)
    seed_report.checks.append(
        f"spec change on {ns}/{applied.registry}: pod {old.name} (pid {old.process.pid}) "
        f"replaced by {new.name} (pid {new.process.pid})"
    )


async def test_delete_collects_owned_objects_and_stops_the_server(
    tier: RealTier, seed_report: SeedReport
) -> None:
    applied = await _apply_copy(tier, "12-anonymous.yaml", "e2e-delete")
    ns, name = applied.namespace, applied.registry
    record = tier.deployment_pods(ns, f"{name}-api")
    assert record.pod is not None
    process = record.pod.process
    selector = {"app.kubernetes.io/instance": name}

    async def owned() -> list[str]:
        return [
            f"{plural}/{obj['metadata']['name']}"
            for plural, group in OWNED
            for obj in await tier.objects(plural, group=group, namespace=ns)
            if selector.items() <= (obj["metadata"].get("labels") or {}).items()
        ]

    before = await owned()
    assert any(item.startswith("deployments/") for item in before), before
    await tier.kubectl("delete", "mcpregistry", name, "-n", ns, "--wait=false")
    await wait_for(lambda: tier.registry(ns, name) is None, timeout=60, message="never gone")

    # The real garbage collector removes the owned objects (and the ReplicaSet's pods).
    async def collected() -> bool:
        return not await owned()

    await wait_for(collected, timeout=60, interval=0.2, message="owned objects never collected")
    await wait_for(lambda: record.stopped, timeout=30, message="the server process kept running")
    assert process.returncode is not None
    phases = tier.phases.phases(ns, name)
    assert "Terminating" in phases, phases
    assert phases[-1] == "gone", phases
    assert (await tier.kubectl("get", "mcpregistries", "-n", ns, "-o", "name")) == ""
    seed_report.checks.append(
        f"kubectl delete {ns}/{name}: phases {' → '.join(phases)}; {len(before)} owned objects "
        f"collected; server pid {process.pid} exited {process.returncode}"
    )


async def test_a_missing_git_path_fails_the_first_sync_then_a_fix_recovers(
    tier: RealTier, seed_report: SeedReport
) -> None:
    """The server's readiness waits for data, so its pod never turns ready and its Service has
    no endpoint: the operator reads the failure from the pod's IP (through the pod network)."""
    docs = copy.deepcopy(tier.sources["02-git.yaml"])
    (registry,) = [d for d in docs if d["kind"] == "MCPRegistry"]
    git = registry["spec"]["sources"][0]["git"]
    good, git["path"] = git["path"], "pkg/catalog/missing/registry.json"
    applied = await tier.apply_seed("02-git-missing-path.yaml", docs, namespace="e2e-sync-failure")
    ns, name = applied.namespace, applied.registry
    seen: list[dict[str, Any] | None] = [None]  # the last read

    def failed_between_retries() -> bool:
        """The registry Failed and its source too, in one read: the server retries a failed
        sync, and while a retry runs the source's phase is Syncing (the registry stays
        Failed), so one read can show either."""
        seen[0] = tier.registry(ns, name)
        sources = ((seen[0] or {}).get("status") or {}).get("syncStatus", {}).get("sources")
        return phase(seen[0]) == "Failed" and bool(sources) and sources[0]["phase"] == "Failed"

    await wait_for(
        failed_between_retries,
        timeout=SETTLE_TIMEOUT,
        interval=0.1,
        message=f"never Failed:\n{diagnose(tier, ns, name)}",
    )
    obj = seen[0]
    status = (obj or {}).get("status") or {}
    ready = condition(obj)
    assert (ready.get("status"), ready.get("reason")) == ("False", "SyncFailed"), status
    assert "sync of source 'toolhive' failed" in status["message"]
    assert "'pkg/catalog/missing/registry.json' not found" in status["message"]
    assert status["readyReplicas"] == 0
    assert "url" not in status
    assert status["syncStatus"]["sources"][0]["phase"] == "Failed"
    asked = [f for f in tier.proxy.handled if f.url.startswith("http://10.244.")]
    assert any(f.url.endswith(":8081/status") and f.status == 200 for f in asked), asked
    fix = f'[{{"op": "replace", "path": "/spec/sources/0/git/path", "value": "{good}"}}]'
    await tier.kubectl("patch", "mcpregistry", name, "-n", ns, "--type=json", "-p", fix)
    await settle(tier, applied)
    phases = tier.phases.phases(ns, name)
    seed_report.checks.append(
        f"missing git path on {ns}/{name}: {status['message']!r}; after the fix: "
        f"{' → '.join(phases)}"
    )
