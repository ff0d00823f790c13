"""Cluster DNS (static names, Services routed to published pods) and the forward proxy on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from mcp_registry_testing.clusterdns import (
    Address,
    ClusterDns,
    Endpoint,
    NoEndpointsError,
    UnknownHostError,
    service_of,
)
from mcp_registry_testing.forwardproxy import ForwardProxy

SERVICE = {
    "metadata": {"name": "reg-api", "namespace": "ns"},
    "spec": {
        "selector": {"app": "reg"},
        "ports": [
            {"name": "http", "port": 8080, "targetPort": "http"},
            {"name": "internal", "port": 8081, "targetPort": 8081},
        ],
    },
}


def dns_with(services: dict[tuple[str, str], Any]) -> ClusterDns:
    return ClusterDns(lambda namespace, name: services.get((namespace, name)))


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("reg-api.ns.svc.cluster.local", ("ns", "reg-api")),
        ("REG-API.ns.svc.cluster.local.", ("ns", "reg-api")),
        ("reg-api.ns.svc", ("ns", "reg-api")),
        ("reg-api.ns", ("ns", "reg-api")),
        ("reg-api", None),
        ("example.com", ("com", "example")),  # two labels read as <svc>.<ns>, as DNS search would
        ("github.com.evil.svc.cluster.local", None),
    ],
)
def test_service_names(host: str, expected: tuple[str, str] | None) -> None:
    assert service_of(host) == expected


def test_service_ports_route_to_the_ready_pod_by_name_and_number() -> None:
    dns = dns_with({("ns", "reg-api"): SERVICE})
    with pytest.raises(NoEndpointsError, match="no ready pod"):
        dns.resolve("reg-api.ns.svc.cluster.local", 8080)
    dns.publish("other", Endpoint("elsewhere", {"app": "reg"}, {8080: 1, "http": 1}))
    dns.publish(
        "pod", Endpoint("ns", {"app": "reg", "x": "y"}, {8080: 5001, "http": 5001, 8081: 5002})
    )
    assert dns.resolve("reg-api.ns.svc.cluster.local", 8080) == Address("127.0.0.1", 5001)
    assert dns.resolve("reg-api.ns.svc", 8081) == Address("127.0.0.1", 5002)
    with pytest.raises(NoEndpointsError, match="has no port 9090"):
        dns.resolve("reg-api.ns.svc.cluster.local", 9090)
    dns.withdraw("pod")
    assert dns.try_resolve("reg-api.ns.svc.cluster.local", 8080) is None


def test_pod_ips_reach_their_container_ports_ready_or_not() -> None:
    dns = dns_with({("ns", "reg-api"): SERVICE})
    dns.assign_pod_ip("10.244.0.5", Endpoint("ns", {"app": "reg"}, {8080: 5001, 8081: 5002}))
    assert dns.resolve("10.244.0.5", 8081) == Address("127.0.0.1", 5002)
    with pytest.raises(NoEndpointsError, match="nothing listens on port 9090"):
        dns.resolve("10.244.0.5", 9090)
    assert dns.try_resolve("reg-api.ns.svc.cluster.local", 8081) is None  # not ready: no endpoint
    dns.assign_pod_ip("fd00::5", Endpoint("ns", {}, {8081: 5003}))
    assert dns.resolve("[fd00::5]", 8081).port == 5003
    dns.release_pod_ip("10.244.0.5")
    with pytest.raises(UnknownHostError):
        dns.resolve("10.244.0.5", 8081)


def test_static_names_and_unknown_hosts() -> None:
    dns = dns_with({})
    dns.add_host("postgres.database.svc.cluster.local", 5432, Address("127.0.0.1", 15432))
    assert dns.resolve("Postgres.database.svc.cluster.local", 5432).port == 15432
    with pytest.raises(UnknownHostError, match="no service database/postgres"):
        dns.resolve("postgres.database.svc.cluster.local", 5433)
    with pytest.raises(UnknownHostError, match="no such host"):
        dns.resolve("registry.example.org.invalid", 443)


@pytest.fixture
async def backend() -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append({"method": request.method, "path": request.path_qs, "host": request.host,
                     "body": await request.text()})  # fmt: skip
        return web.json_response({"ok": True}, status=201 if request.method == "POST" else 200)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield runner.addresses[0][1], seen
    await runner.cleanup()


async def test_the_proxy_forwards_in_cluster_urls_and_refuses_unknown_names(
    backend: tuple[int, list[dict[str, Any]]],
) -> None:
    port, seen = backend
    dns = dns_with({("ns", "reg-api"): SERVICE})
    dns.publish("pod", Endpoint("ns", {"app": "reg"}, {8081: port}))
    async with ForwardProxy(dns) as proxy, aiohttp.ClientSession() as session:
        url = "http://reg-api.ns.svc.cluster.local:8081"
        async with session.get(f"{url}/status?x=1", proxy=proxy.url) as reply:
            assert reply.status == 200
            assert await reply.json() == {"ok": True}
        async with session.post(f"{url}/sources/a%2Fb/sync", data=b"{}", proxy=proxy.url) as reply:
            assert reply.status == 201
        async with session.get("http://nothing.ns.svc:8081/", proxy=proxy.url) as reply:
            assert reply.status == 502
            assert "no service ns/nothing" in await reply.text()
    assert [(s["method"], s["path"], s["host"]) for s in seen] == [
        ("GET", "/status?x=1", "reg-api.ns.svc.cluster.local:8081"),
        ("POST", "/sources/a%2Fb/sync", "reg-api.ns.svc.cluster.local:8081"),
    ]
    assert seen[1]["body"] == "{}"
    assert proxy.count(url) == 2


async def test_the_proxy_forwards_to_a_pod_ip(backend: tuple[int, list[dict[str, Any]]]) -> None:
    port, seen = backend
    dns = dns_with({})
    dns.assign_pod_ip("10.244.0.9", Endpoint("ns", {}, {8081: port}))
    async with ForwardProxy(dns) as proxy, aiohttp.ClientSession() as session:
        reply = await session.get("http://10.244.0.9:8081/status", proxy=proxy.url)
        assert reply.status == 200
        reply.release()
    assert [(s["path"], s["host"]) for s in seen] == [("/status", "10.244.0.9:8081")]
