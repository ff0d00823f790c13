"""How a kubernetes source reaches the cluster and elects its writer (no cluster import here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

WATCH_NAMESPACE_ENV = "THV_REGISTRY_WATCH_NAMESPACE"
LEADER_ELECTION_ID_ENV = "THV_REGISTRY_LEADER_ELECTION_ID"
DEFAULT_LEADER_ELECTION_ID = "toolhive-registry-server-leader-election"
"""ToolHive's lease name prefix; a source's lease is `<prefix>-<source name>`."""


@dataclass(frozen=True, slots=True)
class LeaseTiming:
    """client-go's leader election defaults: a lost leader stops writing (after
    `renew_deadline`) before another may take over (after `duration`)."""

    duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0


@dataclass(frozen=True, slots=True)
class KubeSettings:
    """Process-wide settings of every kubernetes source."""

    kubeconfig: str | None = None
    """Out of cluster: this kubeconfig (its context's namespace is the server's own). None:
    the pod's service account (in cluster)."""
    watch_namespaces: tuple[str, ...] = ()
    """THV_REGISTRY_WATCH_NAMESPACE: for sources that name no namespaces; empty means the
    server's own namespace."""
    leader_election_id: str = DEFAULT_LEADER_ELECTION_ID
    lease: LeaseTiming = LeaseTiming()

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, kubeconfig: str | None) -> KubeSettings:
        """The settings from ToolHive's environment variables and the `--kubeconfig` flag."""
        namespaces = tuple(
            ns.strip() for ns in env.get(WATCH_NAMESPACE_ENV, "").split(",") if ns.strip()
        )
        lease_id = env.get(LEADER_ELECTION_ID_ENV, "").strip() or DEFAULT_LEADER_ELECTION_ID
        return cls(kubeconfig=kubeconfig, watch_namespaces=namespaces, leader_election_id=lease_id)

    def lease_name(self, source: str) -> str:
        return f"{self.leader_election_id}-{source}"
