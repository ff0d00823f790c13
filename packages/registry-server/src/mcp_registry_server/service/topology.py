"""Which registries and sources the configuration declares, and which registries are ready."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcp_registry_common.config import ServerConfig


@dataclass(frozen=True, slots=True)
class Topology:
    """The read side's view of `ServerConfig`: registry → ordered sources, and synced sources."""

    registries: Mapping[str, tuple[str, ...]]
    """Registry name → source names, highest priority first (configuration order)."""
    synced: frozenset[str]
    """Sources the sync engine fetches (git, api, file); managed/kubernetes ones are not."""

    @property
    def default_registry(self) -> str:
        """The registry behind `/v0.1` and `/v0`: `default` if configured, else the first."""
        return "default" if "default" in self.registries else next(iter(self.registries))


def topology_of(config: ServerConfig) -> Topology:
    """The registries and synced sources `config` declares."""
    return Topology(
        registries={reg.name: tuple(reg.sources) for reg in config.registries},
        synced=frozenset(src.name for src in config.sources if src.synced),
    )


def unready_sources(
    topology: Topology, *, ever_synced: Callable[[str], bool]
) -> dict[str, list[str]]:
    """Registry → the synced sources it still waits for; ready registries are left out.

    A registry is ready once each of its synced sources has synced successfully once or
    serves persisted data (`ever_synced`).
    """
    waiting: dict[str, list[str]] = {}
    for registry, sources in topology.registries.items():
        missing = [src for src in sources if src in topology.synced and not ever_synced(src)]
        if missing:
            waiting[registry] = missing
    return waiting
