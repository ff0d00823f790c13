"""Cluster DNS for the local e2e tier: in-cluster host names and Service ports to loopback ports.

Three kinds of names resolve: static entries (`add_host`, e.g. a database the test started
stands in for `postgres.database.svc.cluster.local:5432`), Services read from the API
double (`<svc>.<ns>.svc.cluster.local`, `<svc>.<ns>.svc`, `<svc>.<ns>`), whose port goes
to its `targetPort` on a ready pod the node agent published (selector match), as
kube-proxy would route it, and pod IPs (`assign_pod_ip`), whose container ports answer
whether the pod is ready or not, as on a pod network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcp_registry_testing.kubeapi import ApiError, KubeApiDouble

LOOPBACK = "127.0.0.1"
ServiceReader = Callable[[str, str], Mapping[str, Any] | None]
"""(namespace, name) -> the Service object, or None when there is none."""


class UnknownHostError(LookupError):
    """NXDOMAIN: the name is neither a static entry nor an existing Service."""


class NoEndpointsError(LookupError):
    """The Service exists but no ready pod serves the port (a client sees connection refused)."""


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Endpoint:
    """A ready pod: its namespace, labels and container ports (by number and by name)."""

    namespace: str
    labels: Mapping[str, str]
    ports: Mapping[int | str, int]
    """Container port number or port name -> the loopback port the process listens on."""


def service_of(host: str, *, domain: str = "cluster.local") -> tuple[str, str] | None:
    """(namespace, service) named by an in-cluster host name, or None for other names."""
    labels = host.lower().rstrip(".").split(".")
    suffixes: tuple[list[str], ...] = (["svc", *domain.split(".")], ["svc"], [])
    for suffix in suffixes:
        if len(labels) == 2 + len(suffix) and labels[2:] == suffix:
            return labels[1], labels[0]
    return None


def services_of(api: KubeApiDouble) -> ServiceReader:
    """A ServiceReader over the API double's store."""

    def read(namespace: str, name: str) -> Mapping[str, Any] | None:
        try:
            return api.get("services", namespace, name)
        except ApiError as exc:
            if exc.code == 404:
                return None
            raise

    return read


@dataclass
class ClusterDns:
    """Resolves (host, port) pairs; the node agent publishes and withdraws pod endpoints."""

    services: ServiceReader
    domain: str = "cluster.local"
    _static: dict[tuple[str, int], Address] = field(default_factory=dict)
    _endpoints: dict[str, Endpoint] = field(default_factory=dict)
    _pod_ips: dict[str, Endpoint] = field(default_factory=dict)

    def add_host(self, host: str, port: int, target: Address) -> None:
        """A fixed name, e.g. an external database the test runs on loopback."""
        self._static[(host.lower().rstrip("."), port)] = target

    def publish(self, key: str, endpoint: Endpoint) -> None:
        """A pod became ready (replaces any endpoint under the same key)."""
        self._endpoints[key] = endpoint

    def withdraw(self, key: str) -> None:
        self._endpoints.pop(key, None)

    def assign_pod_ip(self, ip: str, endpoint: Endpoint) -> None:
        """A started pod's IP: `ip:<containerPort>` reaches it, ready or not."""
        self._pod_ips[ip] = endpoint

    def release_pod_ip(self, ip: str) -> None:
        self._pod_ips.pop(ip, None)

    def resolve(self, host: str, port: int) -> Address:
        """The loopback address for `host:port`; UnknownHostError or NoEndpointsError."""
        static = self._static.get((host.lower().rstrip("."), port))
        if static is not None:
            return static
        pod = self._pod_ips.get(host.strip("[]"))
        if pod is not None:
            local = pod.ports.get(port)
            if local is None:
                raise NoEndpointsError(f"pod {host}: nothing listens on port {port}")
            return Address(LOOPBACK, local)
        named = service_of(host, domain=self.domain)
        if named is None:
            raise UnknownHostError(f"cluster DNS: no such host {host!r}")
        namespace, name = named
        service = self.services(namespace, name)
        if service is None:
            raise UnknownHostError(f"cluster DNS: no service {namespace}/{name} for {host!r}")
        return self._route(service, namespace=namespace, port=port)

    def try_resolve(self, host: str, port: int) -> Address | None:
        """Like `resolve`, but None for names or ports nothing serves right now."""
        try:
            return self.resolve(host, port)
        except LookupError:
            return None

    def _route(self, service: Mapping[str, Any], *, namespace: str, port: int) -> Address:
        spec = service.get("spec") or {}
        name = (service.get("metadata") or {}).get("name", "")
        matching = [p for p in spec.get("ports") or [] if p.get("port") == port]
        if not matching:
            raise NoEndpointsError(f"service {namespace}/{name} has no port {port}")
        target: int | str = matching[0].get("targetPort", port)
        selector: Mapping[str, str] = spec.get("selector") or {}
        if not selector:
            raise NoEndpointsError(f"service {namespace}/{name} has no selector")
        for key in sorted(self._endpoints):
            endpoint = self._endpoints[key]
            if endpoint.namespace != namespace:
                continue
            if any(endpoint.labels.get(k) != v for k, v in selector.items()):
                continue
            local = endpoint.ports.get(target)
            if local is not None:
                return Address(LOOPBACK, local)
        raise NoEndpointsError(
            f"service {namespace}/{name} port {port}: no ready pod serves target port {target!r}"
        )
