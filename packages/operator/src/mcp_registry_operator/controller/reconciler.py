"""The MCPRegistry reconciler: level-triggered, reading every state from the informer caches.

Order: gone → nothing; being deleted → Terminating, then drop our finalizer (before any
validation, so deletion never hangs on a bad spec); validate; add the finalizer; resolve the
referenced Secrets/ConfigMaps; read (or create once) the internal token; build; check the pod
template; apply what differs; judge the Deployment, then the server's own sync report; act on
a new sync trigger; write the status only when it changed. Returns when to look again; raises
for backoff; TerminalError when only a new spec can help.

The server's report is read from one of its running pods, on the pod's IP (`serverpods`): the
internal port is on no Service. While the Deployment has no ready pod, that pod's report only
tells a first sync apart (only the server can say why its pods stay unready): a failed one
shows as Failed/SyncFailed and one in progress as Syncing, not Pending (`judge_unready`); any
other report leaves the plain not-ready verdict (Pending), as without the pod.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import structlog
from mcp_registry_common.mcpregistry import MCPRegistry

from mcp_registry_operator.controller.applier import Applier, ApplyStepError
from mcp_registry_operator.controller.caches import Caches
from mcp_registry_operator.controller.conditions import ConditionSpec
from mcp_registry_operator.controller.internaltoken import InternalTokens
from mcp_registry_operator.controller.references import (
    MissingReferenceError,
    resolve_references,
)
from mcp_registry_operator.controller.registrywriter import Current, RegistryWriter
from mcp_registry_operator.controller.serverpods import NoPod, PodFinder
from mcp_registry_operator.controller.serverstatus import (
    ServerReport,
    ServerStatusClient,
    ServerStatusError,
)
from mcp_registry_operator.controller.status import Change, Observed
from mcp_registry_operator.controller.syncstate import SyncJudgement, judge_report, judge_unready
from mcp_registry_operator.controller.trigger import (
    pending_trigger,
    request_syncs,
    synced_sources,
)
from mcp_registry_operator.controller.validation import InvalidSpecError, parse_cached
from mcp_registry_operator.controller.verdicts import (
    DeploymentState,
    Phase,
    Step,
    Verdict,
    deployment_not_ready,
    deployment_state,
    invalid_pod_template,
    invalid_spec,
    missing_reference,
    status_unavailable,
    step_failed,
    terminating,
)
from mcp_registry_operator.kube import (
    ConflictError,
    InvalidError,
    ServerError,
    TooManyRequestsError,
    UnreachableError,
)
from mcp_registry_operator.resources.desired import Desired, Inputs, build_desired
from mcp_registry_operator.resources.naming import api_name, service_url
from mcp_registry_operator.runtime.controller import Result, TerminalError
from mcp_registry_operator.runtime.keys import Key, split_key

log = structlog.get_logger(__name__)

TRANSIENT = (ServerError, UnreachableError, TooManyRequestsError, ConflictError)
"""API errors worth a quiet retry: no Failed status for a blip."""
FAILED = Phase.FAILED
NO_POD_TO_ASK = (
    "no Running pod of the current config has an IP to ask (or the operator may not list pods)"
)
VALID_TEMPLATE = ConditionSpec("True", "ValidPodTemplateSpec", "PodTemplateSpec is valid")


@dataclass(frozen=True)
class ReconcilerSettings:
    image: str
    """The registry server image (env MCP_REGISTRY_SERVER_IMAGE)."""
    default_pull_secrets: tuple[str, ...] = ()
    """Added after spec.imagePullSecrets (env MCP_REGISTRY_DEFAULT_PULL_SECRETS)."""
    namespaces: tuple[str, ...] | None = None
    """Reconcile only these namespaces; None: all (env WATCH_NAMESPACE)."""
    poll_interval: float = 5.0
    """Look again this soon while not Ready, or while a sync runs."""
    steady_interval: float = 60.0
    """Look again this often once Ready (the server's sync state changes without events)."""


def _syncing(current: Current) -> bool:
    """The stored status is Syncing for the current generation."""
    stored = current.status or {}
    return stored.get("phase") == Phase.SYNCING and _observed_current(current)


def _failed_sync(current: Current) -> bool:
    """The stored status is Failed/SyncFailed for the current generation."""
    stored = current.status or {}
    return (
        stored.get("phase") == FAILED
        and stored.get("observedGeneration") == current.generation
        and any(
            c.get("type") == "Ready" and c.get("reason") == "SyncFailed"
            for c in stored.get("conditions") or []
        )
    )


def _observed_current(current: Current) -> bool:
    """The stored status was written for the current generation."""
    return (current.status or {}).get("observedGeneration") == current.generation


@dataclass(frozen=True)
class Unanswered:
    """The pod asked did not answer (or answered with an error); `error` says how."""

    error: str


def pod_template_invalid(message: str) -> ConditionSpec:
    return ConditionSpec(
        "False", "InvalidPodTemplateSpec", f"{message}. Deployment blocked until fixed."
    )


class MCPRegistryReconciler:
    def __init__(
        self,
        *,
        caches: Caches,
        applier: Applier,
        writer: RegistryWriter,
        status_client: ServerStatusClient,
        pods: PodFinder,
        tokens: InternalTokens,
        settings: ReconcilerSettings,
    ) -> None:
        self._caches = caches
        self._applier = applier
        self._writer = writer
        self._status_client = status_client
        self._pods = pods
        self._tokens = tokens
        self.settings = settings

    async def reconcile(self, key: Key) -> Result:
        namespace, _ = split_key(key)
        scope = self.settings.namespaces
        obj = self._caches.registries.get(key)
        if obj is None or (scope is not None and namespace not in scope):
            return Result()
        current = self._writer.current(obj)
        if obj["metadata"].get("deletionTimestamp"):
            await self._finalize(current)
            return Result()
        try:
            registry = parse_cached(obj)
        except InvalidSpecError as exc:
            await self._fail(current, invalid_spec(str(exc)))
            raise TerminalError(f"invalid spec: {exc}") from None
        if not current.has_finalizer:
            await self._writer.set_finalizer(current, present=True)
        return await self._converge(current, registry)

    async def _finalize(self, current: Current) -> None:
        if not current.has_finalizer:
            return  # another controller's finalizer holds the object; nothing of ours to do
        latest = None
        if (current.status or {}).get("phase") != "Terminating":
            latest = await self._writer.publish(current, self._observed(current, terminating()))
        await self._writer.set_finalizer(current, present=False, latest=latest)

    async def _converge(self, current: Current, registry: MCPRegistry) -> Result:
        try:
            resolved = resolve_references(registry, self._caches.get)
        except MissingReferenceError as exc:
            verdict = missing_reference(str(exc))
            await self._writer.publish(current, self._observed(current, verdict))
            return Result(requeue_after=self.settings.poll_interval)
        has_template = registry.spec.pod_template_spec is not None
        try:
            token = await self._tokens.token_for(registry)
        except ApplyStepError as exc:
            await self._apply_failed(current, exc, has_template=has_template)
        inputs = Inputs(
            image=self.settings.image,
            internal_token=token,
            default_pull_secrets=self.settings.default_pull_secrets,
            passwords=resolved.passwords,
            references_digest=resolved.digest,
        )
        try:
            desired = build_desired(registry, inputs)
        except ValueError as exc:
            await self._fail(current, invalid_spec(str(exc)))
            raise TerminalError(f"the spec cannot be rendered: {exc}") from None
        if desired.pod_template_problems:
            await self._reject_template(current, "; ".join(desired.pod_template_problems))
        template = VALID_TEMPLATE if has_template else Change.REMOVE
        try:
            report = await self._applier.apply_all(desired.objects)
        except ApplyStepError as exc:
            await self._apply_failed(current, exc, has_template=has_template)
        if report.applied:
            log.info("objects_applied", objects=report.applied, unchanged=report.unchanged)
        return await self._observe(current, desired, template, token=token)

    async def _reject_template(self, current: Current, problems: str) -> NoReturn:
        verdict = invalid_pod_template(problems)
        observed = self._observed(current, verdict, template=pod_template_invalid(problems))
        await self._writer.publish(current, observed)
        raise TerminalError(f"invalid podTemplateSpec: {problems}")

    async def _apply_failed(
        self, current: Current, exc: ApplyStepError, *, has_template: bool
    ) -> NoReturn:
        if exc.step is Step.DEPLOYMENT and has_template and isinstance(exc.error, InvalidError):
            await self._reject_template(current, str(exc))
        if not isinstance(exc.error, TRANSIENT):  # a blip is retried quietly, without Failed
            await self._fail(current, step_failed(exc.step, str(exc)))
        raise exc

    async def _observe(
        self, current: Current, desired: Desired, template: ConditionSpec | Change, *, token: str
    ) -> Result:
        deployment = deployment_state(self._deployment(current))
        poll = Result(requeue_after=self.settings.poll_interval)
        stored = (current.status or {}).get("syncStatus")
        trigger = pending_trigger(
            current.obj["metadata"].get("annotations") or {},
            (current.status or {}).get("lastManualSyncTrigger"),
        )
        # The server is asked on a pod's IP, ready or not: its internal port is on no Service.
        asked = await self._pod_report(
            current, desired, trigger, deployment=deployment, token=token
        )
        unready: SyncJudgement | None = None
        if not deployment.ready:
            # An unready server may still answer: its readiness gate holds it while a first
            # sync runs or after one failed, and only the server can say why.
            log.debug("deployment_not_ready", detail=deployment.detail)
            glitch = asked is NoPod.UNKNOWN or isinstance(asked, Unanswered)
            if glitch and (_failed_sync(current) or _syncing(current)):
                return poll  # a glitch says nothing new: Failed or Syncing stays as it is
            shown = (current.status or {}).get("phase")
            if (
                not isinstance(asked, ServerReport)
                or (unready := judge_unready(asked, previous=stored, shown=shown)) is None
            ):
                # No first sync to tell: pods coming up or rolling stay the one "not ready"
                # message; a trigger the pod took is recorded, so it is not sent again.
                verdict = deployment_not_ready()
                taken = trigger if isinstance(asked, ServerReport) else None
                await self._fail(
                    current, verdict, template=template, deployment=deployment, sync_trigger=taken
                )
                return poll
            server = asked
        elif isinstance(asked, ServerReport):
            server = asked
        elif asked is NoPod.UNKNOWN and _observed_current(current):
            return poll  # the pod list failed: that says nothing new about the server
        else:
            error = asked.error if isinstance(asked, Unanswered) else NO_POD_TO_ASK
            unknown = ConditionSpec("Unknown", "StatusUnavailable", error)
            verdict = status_unavailable(error)
            await self._fail(
                current, verdict, template=template, synced=unknown, deployment=deployment
            )
            return poll
        judgement = unready or judge_report(server, previous=stored)
        observed = Observed(
            verdict=judgement.verdict,
            generation=current.generation,
            ready_replicas=deployment.ready_replicas,
            url=service_url(current.name, current.namespace),
            pod_template=template,
            synced=judgement.synced,
            sync_status=judgement.sync_status,
            sync_trigger=trigger,
        )
        await self._writer.publish(current, observed)
        # Steady also for a failed first sync on unready pods: its recovery (the pods turn
        # ready) or its fix (a new spec) comes as a watch event, not from polling.
        waits = judgement.verdict.ready or not deployment.ready
        if waits and not judgement.busy:
            return Result(requeue_after=self.settings.steady_interval)
        return poll

    async def _server_report(
        self, trigger: str | None, *, pod_ip: str, desired: Desired, token: str
    ) -> ServerReport:
        client = self._status_client
        report = await client.status(pod_ip=pod_ip, token=token)
        if trigger is None:
            return report
        known = {s.name for s in report.sources}
        sources = [s for s in synced_sources(desired.config) if s in known]
        accepted = await request_syncs(client, pod_ip=pod_ip, token=token, sources=sources)
        log.info("manual_sync_requested", trigger=trigger, sources=accepted, pod_ip=pod_ip)
        return await client.status(pod_ip=pod_ip, token=token)

    async def _pod_report(
        self,
        current: Current,
        desired: Desired,
        trigger: str | None,
        *,
        deployment: DeploymentState,
        token: str,
    ) -> ServerReport | NoPod | Unanswered:
        """The report of a running pod of the current config, asked on its IP; NoPod.NONE when
        there is no such pod (the Deployment has none: no list at all), NoPod.UNKNOWN when the
        list failed, Unanswered when the pod did not answer."""
        if deployment.pods <= 0:
            return NoPod.NONE
        pod = await self._pods.find(
            namespace=current.namespace, name=current.name, config_hash=desired.config_hash
        )
        if isinstance(pod, NoPod):
            return pod
        try:
            return await self._server_report(trigger, pod_ip=pod.ip, desired=desired, token=token)
        except ServerStatusError as exc:
            log.debug("server_pod_did_not_answer", pod=pod.name, error=str(exc))
            return Unanswered(str(exc))

    async def _fail(
        self,
        current: Current,
        verdict: Verdict,
        *,
        template: ConditionSpec | Change = Change.KEEP,
        synced: ConditionSpec | None = None,
        deployment: DeploymentState | None = None,
        sync_trigger: str | None = None,
    ) -> None:
        observed = self._observed(
            current, verdict, template=template, synced=synced, deployment=deployment
        )
        if sync_trigger is not None:
            observed = dataclasses.replace(observed, sync_trigger=sync_trigger)
        await self._writer.publish(current, observed)

    def _deployment(self, current: Current) -> Mapping[str, Any] | None:
        return self._caches.get("Deployment", current.namespace, api_name(current.name))

    def _observed(
        self,
        current: Current,
        verdict: Verdict,
        *,
        template: ConditionSpec | Change = Change.KEEP,
        synced: ConditionSpec | None = None,
        deployment: DeploymentState | None = None,
    ) -> Observed:
        """`deployment`: the state the verdict was judged on (default: the cached one now; an
        await later the cache may be newer, and a mixed status is one more write)."""
        seen = deployment or deployment_state(self._deployment(current))
        return Observed(
            verdict=verdict,
            generation=current.generation,
            ready_replicas=seen.ready_replicas,
            url=service_url(current.name, current.namespace),
            pod_template=template,
            synced=synced,
        )
