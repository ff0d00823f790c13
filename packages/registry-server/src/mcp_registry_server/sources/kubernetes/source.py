"""One kubernetes source: watchers of the exported kinds in its namespaces, and the lease that
makes a single replica of a shared store their writer. Imports kubernetes-asyncio."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from mcp_registry_common.config.sources import SourceConfig
from mcp_registry_common.kubeexport import EXPORTED_KINDS

from mcp_registry_server.sources.base import FetchResult
from mcp_registry_server.sources.errors import FetchError
from mcp_registry_server.sources.kubernetes.cluster import ClusterConfigError, connect
from mcp_registry_server.sources.kubernetes.inventory import Inventory
from mcp_registry_server.sources.kubernetes.lease import LeaseElector, new_identity
from mcp_registry_server.sources.kubernetes.settings import KubeSettings
from mcp_registry_server.sources.kubernetes.watch import KindWatch

log = structlog.get_logger(__name__)

RECONNECT_CAP = 60.0


class KubernetesSource:
    """`run` keeps the inventory current (while leading, when `elect`); `fetch` reads it."""

    def __init__(self, config: SourceConfig, *, settings: KubeSettings, elect: bool) -> None:
        assert config.kubernetes is not None
        self._config = config
        self._settings = settings
        self._elect = elect
        self._inventory = Inventory()
        self._problems: dict[str, str] = {}
        self._namespaces: tuple[str, ...] = ()
        self.watches: list[KindWatch] = []
        self.identity = new_identity()
        self.standby_holder: str | None = None
        """Who holds the lease while this replica stands by."""

    @property
    def name(self) -> str:
        return self._config.name

    async def fetch(self) -> FetchResult:
        """The exported entries now; a FetchError while the cluster cannot be read."""
        if self._problems:
            raise FetchError("; ".join(sorted(self._problems.values())))
        namespaces = ",".join(self._namespaces) or "(not connected)"
        return self._inventory.result(origin=f"kubernetes namespaces {namespaces}")

    async def run(self, changed: Callable[[], None]) -> None:
        """Until cancelled; `changed` is called whenever `fetch` would answer differently."""
        failures = 0
        while True:
            try:
                cluster = await connect(self._settings.kubeconfig)
            except ClusterConfigError as exc:
                failures += 1
                self._problems["connect"] = str(exc)
                changed()
                await asyncio.sleep(min(RECONNECT_CAP, 2.0**failures))
                continue
            self._problems.pop("connect", None)
            try:
                await self._watch_all(cluster.api, cluster.namespace, changed)
            finally:
                await cluster.api.close()

    async def _watch_all(self, api: object, own: str, changed: Callable[[], None]) -> None:
        assert self._config.kubernetes is not None
        self._namespaces = tuple(
            self._config.kubernetes.namespaces or self._settings.watch_namespaces or (own,)
        )

        def report_for(key: str) -> Callable[[str | None], None]:
            def report(problem: str | None) -> None:
                before = self._problems.get(key)
                if problem is None:
                    self._problems.pop(key, None)
                else:
                    self._problems[key] = problem
                if before != problem:
                    changed()

            return report

        self.watches = [
            KindWatch(
                api,  # type: ignore[arg-type]
                self._inventory,
                kind=kind,
                plural=plural,
                namespace=namespace,
                changed=changed,
                report=report_for(f"{kind}/{namespace}"),
            )
            for namespace in self._namespaces
            for kind, plural in EXPORTED_KINDS
        ]

        async def watch_all() -> None:
            try:
                async with asyncio.TaskGroup() as group:
                    for kind_watch in self.watches:
                        group.create_task(kind_watch.run())
            finally:  # a deposed leader's watch problems are no longer this replica's
                for key in [key for key in self._problems if key != "connect"]:
                    del self._problems[key]

        if not self._elect:
            await watch_all()
            return
        elector = LeaseElector(
            api,  # type: ignore[arg-type]
            namespace=own,
            name=self._settings.lease_name(self.name),
            identity=self.identity,
            timing=self._settings.lease,
            on_standby=self._standing_by,
        )
        await elector.lead(watch_all)

    def _standing_by(self, holder: str) -> None:
        if holder != self.standby_holder:
            log.info("kubernetes_source_standby", source=self.name, holder=holder)
        self.standby_holder = holder
