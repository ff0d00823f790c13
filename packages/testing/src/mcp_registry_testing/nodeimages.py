"""The images the real tier's node runs: the two programs as local processes, started as their
images would start them, and the cluster DNS names they are pointed at."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcp_registry_common.internalapi import API_PORT, INTERNAL_PORT

from mcp_registry_testing.clusterdns import Address, ClusterDns
from mcp_registry_testing.controlplane.nodeagent import NodeAgent
from mcp_registry_testing.controlplane.podworker import Image
from mcp_registry_testing.forwardproxy import ForwardProxy
from mcp_registry_testing.podconfig import HostMap
from mcp_registry_testing.pods import NodeRuntime
from mcp_registry_testing.seedservices import SeedServices

BIN = Path(sys.executable).parent
SERVER_IMAGE = "mcp-registry-server"
OPERATOR_IMAGE = "mcp-registry-operator"
SERVER_PORT_FLAGS = {API_PORT: "--address", INTERNAL_PORT: "--internal-address"}
"""The server image listens on :8080 (API) and :8081 (internal) unless these flags say else."""
OPERATOR_PORT_FLAGS = {8081: "--health-address"}
OPERATOR_SPEED = ("--poll-interval", "1", "--steady-interval", "5")
"""Shorter looks than the chart's defaults, so the tier settles in seconds."""


def _host_map(dns: ClusterDns) -> HostMap:
    def hosts(host: str, port: int) -> tuple[str, int] | None:
        found = dns.try_resolve(host, port)
        return None if found is None else (found.host, found.port)

    return hosts


def database_hosts(dns: ClusterDns, services: SeedServices, docs: Sequence[Any]) -> None:
    """Each databaseConfig host:port (e.g. postgres.database.svc.cluster.local:5432) -> PG."""
    if services.postgres is None:
        return
    for doc in docs:
        db = (doc.get("spec") or {}).get("databaseConfig") if doc.get("kind") else None
        if db:
            dns.add_host(db["host"], int(db["port"]), Address("127.0.0.1", services.postgres.port))


def node_images(node: NodeAgent, dns: ClusterDns, services: SeedServices, proxy: ForwardProxy,
            home: Path) -> dict[str, Image]:  # fmt: skip
    """The two programs this node can run, as their images would."""
    assert services.certificates is not None
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"}
    server = NodeRuntime(
        read=node.read,
        hosts=_host_map(dns),
        entrypoint=(str(BIN / "mcp-registry-server"),),
        port_flags=SERVER_PORT_FLAGS,
        base_env=base,
        # An in-cluster image trusts the CA of the services it is pointed at (seed 08 uses
        # sslMode verify-full; the OAuth issuers are https).
        extra_env={"SSL_CERT_FILE": str(services.certificates.ca_cert)},
    )
    operator = NodeRuntime(
        read=node.read,
        hosts=_host_map(dns),
        entrypoint=(str(BIN / "mcp-registry-operator"),),
        port_flags=OPERATOR_PORT_FLAGS,
        base_env=base,
        extra_env={
            "HTTP_PROXY": proxy.url,
            "http_proxy": proxy.url,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "MCP_REGISTRY_POD_PROXY": "true",  # pod IPs are reached through the proxy here
        },
        extra_args=OPERATOR_SPEED,
    )
    return {
        SERVER_IMAGE: Image(server, kubeconfig_flag="--kubeconfig"),  # kubernetes sources
        OPERATOR_IMAGE: Image(operator, kubeconfig_flag="--kubeconfig"),
    }
