"""The `kubernetes` source against the real control plane: annotated MCPServer,
VirtualMCPServer and MCPRemoteProxy objects are served within seconds, follow annotation
changes, disappear, are skipped with a reason when malformed; a too-old resourceVersion is a
410 that the watcher answers by listing again; two replicas on one PostgreSQL database elect
one writer by Lease."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from mcp_registry_common.config import ServerConfig, load_server_config_data
from mcp_registry_common.kubeexport import AUTHZ_CLAIMS, DESCRIPTION, EXPORT, TOOLS, URL, VERSION
from mcp_registry_server.app import create_apps
from mcp_registry_server.keys import ADMIN, ENGINE
from mcp_registry_server.sources.kubernetes.cluster import connect
from mcp_registry_server.sources.kubernetes.inventory import Inventory
from mcp_registry_server.sources.kubernetes.settings import KubeSettings, LeaseTiming
from mcp_registry_server.sources.kubernetes.watch import GoneError, KindWatch
from mcp_registry_server.store.postgres import postgres_store_opener
from mcp_registry_testing.controlplane.cluster import ControlPlane
from mcp_registry_testing.postgres import (
    PgCluster,
    PgDatabase,
    create_database,
    create_registry_roles,
)
from mcp_registry_testing.toolhivecrds import install_toolhive_crds
from mcp_registry_testing.waiting import wait_for
from pytest_aiohttp import AiohttpClient

pytestmark = [pytest.mark.controlplane]

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / "testdata" / "kubernetes-source" / "toolhive-crds.yaml"
API = "/apis/toolhive.stacklok.dev/v1beta1"
SERVED_WITHIN = 10.0
"""Seconds a change may take to be served (a watch event, one attempt, a snapshot)."""

Client = TestClient[Any, Any]


@pytest.fixture(scope="module")
def toolhive_crds(real_cluster: ControlPlane) -> ControlPlane:
    """The three kinds installed (once per module) and established."""

    async def install() -> None:
        async with real_cluster.client() as kube:
            await install_toolhive_crds(kube, CRDS)

    asyncio.run(install())
    return real_cluster


@pytest.fixture
async def namespace(toolhive_crds: ControlPlane) -> AsyncIterator[str]:
    name = f"ks-{uuid.uuid4().hex[:8]}"
    async with toolhive_crds.client() as kube:
        await kube.create("/api/v1/namespaces", {"metadata": {"name": name}})
        yield name
        await kube.delete(f"/api/v1/namespaces/{name}")


def config_for(namespace: str, database: dict[str, Any] | None = None) -> ServerConfig:
    document: dict[str, Any] = {
        "sources": [{"name": "cluster", "kubernetes": {"namespaces": [namespace]}}],
        "registries": [{"name": "default", "sources": ["cluster"]}],
        "auth": {"mode": "anonymous"},
    }
    if database is not None:
        document["database"] = database
    return load_server_config_data(document).config


def exported(
    name: str, *, description: str, kind: str = "MCPServer", **annotations: str
) -> dict[str, Any]:
    return {
        "apiVersion": "toolhive.stacklok.dev/v1beta1",
        "kind": kind,
        "metadata": {
            "name": name,
            "annotations": {
                EXPORT: "true",
                DESCRIPTION: description,
                URL: f"http://{name}.example:8080/mcp",
                **annotations,
            },
        },
        "spec": {"image": f"ghcr.io/example/{name}:2.3.4", "transport": "streamable-http"},
    }


async def served(client: Client) -> dict[str, dict[str, Any]]:
    """Entry name -> its latest server.json, as the registry serves it."""
    reply = await client.get("/registry/default/v0.1/servers")
    if reply.status != 200:
        return {}
    body = await reply.json()
    return {item["server"]["name"]: item["server"] for item in body["servers"]}


def status_message(client: Client) -> str:
    engine = client.app[ENGINE].engine
    assert engine is not None
    return next(s.message for s in engine.statuses() if s.name == "cluster")


async def test_annotated_workloads_are_served_follow_changes_and_go(
    toolhive_crds: ControlPlane, namespace: str, aiohttp_client: AiohttpClient
) -> None:
    kube_settings = KubeSettings(kubeconfig=str(toolhive_crds.admin_kubeconfig))
    public, _ = create_apps(config_for(namespace), kube=kube_settings)
    client = await aiohttp_client(public)
    entry = f"com.toolhive.k8s.{namespace}/weather"
    async with toolhive_crds.client() as kube:
        servers = f"{API}/namespaces/{namespace}/mcpservers"
        await kube.create(servers, exported("weather", description="Weather forecasts"))
        await kube.create(
            f"{API}/namespaces/{namespace}/mcpremoteproxies",
            exported(
                "proxy",
                description="A proxy",
                kind="MCPRemoteProxy",
                **{VERSION: "0.4.0", AUTHZ_CLAIMS: json.dumps({"team": ["a", "b"]})},
            ),
        )
        private = exported("private", description="Not exported")
        private["metadata"]["annotations"].pop(EXPORT)
        await kube.create(servers, private)

        first = await wait_for(
            lambda: _having(client, {entry, f"com.toolhive.k8s.{namespace}/proxy"}),
            timeout=SERVED_WITHIN,
        )
        assert first[entry]["version"] == "2.3.4"  # the image tag
        assert first[entry]["remotes"] == [
            {"type": "streamable-http", "url": "http://weather.example:8080/mcp"}
        ]
        assert first[f"com.toolhive.k8s.{namespace}/proxy"]["version"] == "0.4.0"
        # its own claims (source claims are not inherited), kept with the admin definitions
        claims = client.app[ADMIN].state.definitions.entry_claims["cluster"]
        assert claims == {f"com.toolhive.k8s.{namespace}/proxy": {"team": ["a", "b"]}}
        assert not any(name.endswith("/private") for name in first)  # not exported

        await kube.patch(
            f"{servers}/weather", {"metadata": {"annotations": {DESCRIPTION: "Rain, mostly"}}}
        )

        async def updated() -> bool:
            return (await served(client)).get(entry, {}).get("description") == "Rain, mostly"

        await wait_for(updated, timeout=SERVED_WITHIN)

        await kube.patch(f"{servers}/weather", {"metadata": {"annotations": {TOOLS: "[1, 2"}}})

        async def skipped() -> bool:
            return entry not in await served(client) and "weather" in status_message(client)

        await wait_for(skipped, timeout=SERVED_WITHIN)
        message = status_message(client)
        assert f"MCPServer {namespace}/weather: annotation {TOOLS}: not valid JSON" in message

        await kube.patch(
            f"{servers}/weather",
            {"metadata": {"annotations": {TOOLS: json.dumps(["forecast"]), EXPORT: None}}},
        )
        await kube.delete(f"{API}/namespaces/{namespace}/mcpremoteproxies/proxy")

        async def gone() -> bool:
            return await served(client) == {} and "skipped" not in status_message(client)

        await wait_for(gone, timeout=SERVED_WITHIN)


async def _having(client: Client, names: set[str]) -> dict[str, dict[str, Any]] | None:
    now = await served(client)
    return now if names <= now.keys() else None


async def test_a_too_old_resource_version_is_gone_and_listing_again_recovers(
    toolhive_crds: ControlPlane, namespace: str
) -> None:
    cluster = await connect(str(toolhive_crds.admin_kubeconfig))
    changes: list[None] = []
    try:
        inventory = Inventory()
        watcher = KindWatch(
            cluster.api,
            inventory,
            kind="VirtualMCPServer",
            plural="virtualmcpservers",
            namespace=namespace,
            changed=lambda: changes.append(None),
            report=lambda problem: None,
        )
        async with toolhive_crds.client() as kube:
            await kube.create(
                f"{API}/namespaces/{namespace}/virtualmcpservers",
                exported("vmcp", description="Virtual", kind="VirtualMCPServer"),
            )
        with pytest.raises(GoneError):
            await watcher._watch("v1beta1", "1")  # long compacted out of the watch cache
        assert await watcher._list() is not None  # what the loop does after GoneError
        names = [s["name"] for s in inventory.result(origin="test").servers]
        assert names == [f"com.toolhive.k8s.{namespace}/vmcp"]
        assert changes
    finally:
        await cluster.api.close()


@pytest.fixture(scope="module")
def pg_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgDatabase]:
    with PgCluster.create() as pg:
        pg.start()
        roles = create_registry_roles(pg, directory=tmp_path_factory.mktemp("pgpass"))
        yield create_database(pg, roles)


@pytest.mark.db
async def test_two_replicas_on_postgresql_elect_one_writer_by_lease(
    toolhive_crds: ControlPlane,
    namespace: str,
    pg_database: PgDatabase,
    tmp_path: Path,
    aiohttp_client: AiohttpClient,
) -> None:
    lease_id = f"test-{namespace}"
    kube_settings = KubeSettings(
        kubeconfig=str(toolhive_crds.admin_kubeconfig),
        leader_election_id=lease_id,
        lease=LeaseTiming(duration=15.0, renew_deadline=10.0, retry_period=0.5),
    )
    config = config_for(namespace, pg_database.config_data())
    assert config.database is not None
    replicas = []
    for index in range(2):
        opener = postgres_store_opener(
            config.database, env=pg_database.env, home=tmp_path / str(index)
        )
        (tmp_path / str(index)).mkdir()
        public, _ = create_apps(config, store_opener=opener, kube=kube_settings)
        replicas.append(await aiohttp_client(public))
    entry = f"com.toolhive.k8s.{namespace}/weather"
    async with toolhive_crds.client() as kube:
        await kube.create(
            f"{API}/namespaces/{namespace}/mcpservers",
            exported("weather", description="Weather forecasts"),
        )
        for replica in replicas:
            await wait_for(lambda r=replica: _having(r, {entry}), timeout=SERVED_WITHIN * 2)
        lease = await kube.get(
            f"/apis/coordination.k8s.io/v1/namespaces/default/leases/{lease_id}-cluster"
        )
    holder = lease["spec"]["holderIdentity"]
    # Only the Lease holder watches (so only it pushes data to write); the other stands by
    # and serves what the holder wrote, through the store's change feed.
    watching = [r for r in replicas if sum(w.lists for w in _source(r).watches) > 0]
    assert len(watching) == 1
    (standby,) = [r for r in replicas if r is not watching[0]]
    assert _source(standby).standby_holder == holder
    assert holder == _source(watching[0]).identity


def _engine(client: Client) -> Any:
    engine = client.app[ENGINE].engine
    assert engine is not None
    return engine


def _source(client: Client) -> Any:
    return _engine(client)._sources["cluster"].fetcher
