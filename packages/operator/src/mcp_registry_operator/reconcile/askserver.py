"""Get the registry server's own report, and act on a new sync trigger on the way.

The server is asked on the IP of one of its running pods (`serverpods`): its internal port is
on no Service. The outcome is typed: `Reported` (with the trigger acted on, if any), `NoPod`
(none to ask, or the pod list failed), or `Unanswered` (the pod asked did not answer).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from mcp_registry_common.internalapi import ServerReport

from mcp_registry_operator.reconcile.registrywriter import Current
from mcp_registry_operator.reconcile.serverpods import NoPod, PodFinder
from mcp_registry_operator.reconcile.serverstatus import ServerStatusClient, ServerStatusError
from mcp_registry_operator.reconcile.trigger import pending_trigger, request_syncs, synced_sources
from mcp_registry_operator.resources.desired import Desired

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Reported:
    """A pod of the current config answered."""

    report: ServerReport
    trigger: str | None = None
    """The sync-trigger value acted on for this report (its syncs were asked for), if any."""


@dataclass(frozen=True)
class Unanswered:
    """The pod asked did not answer (or answered with an error); `error` says how."""

    error: str


Asked = Reported | NoPod | Unanswered


class ServerAsker:
    """Asks a registry's server for its report, sending the manual syncs a new sync-trigger
    value asks for first (then the report shows them)."""

    def __init__(self, *, pods: PodFinder, client: ServerStatusClient) -> None:
        self._pods = pods
        self._client = client

    async def ask(self, current: Current, desired: Desired, *, token: str, pods: int) -> Asked:
        """`pods`: how many pods the Deployment has (none: no list at all, NoPod.NONE)."""
        if pods <= 0:
            return NoPod.NONE
        pod = await self._pods.find(
            namespace=current.namespace, name=current.name, config_hash=desired.config_hash
        )
        if isinstance(pod, NoPod):
            return pod
        trigger = pending_trigger(
            current.obj["metadata"].get("annotations") or {},
            (current.status or {}).get("lastManualSyncTrigger"),
        )
        try:
            report = await self._client.status(pod_ip=pod.ip, token=token)
            if trigger is None:
                return Reported(report)
            known = {s.name for s in report.sources}
            sources = [s for s in synced_sources(desired.config) if s in known]
            accepted = await request_syncs(
                self._client, pod_ip=pod.ip, token=token, sources=sources
            )
            log.info("manual_sync_requested", trigger=trigger, sources=accepted, pod_ip=pod.ip)
            return Reported(await self._client.status(pod_ip=pod.ip, token=token), trigger)
        except ServerStatusError as exc:
            log.debug("server_pod_did_not_answer", pod=pod.name, error=str(exc))
            return Unanswered(str(exc))
