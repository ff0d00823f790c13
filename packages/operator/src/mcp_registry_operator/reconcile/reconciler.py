"""The MCPRegistry reconciler: level-triggered, reading every state from the informer caches.

`reconcile` reads straight down: gone → nothing; being deleted → publish Terminating, then drop
our finalizer (before any validation, so deletion never hangs on a bad spec); validate; add the
finalizer; then `_converge`: render the server config; resolve the Secrets/ConfigMaps it
references; read (or create once) the internal token; build the objects; check the pod
template; apply what differs; ask the server (`askserver`, acting on a new sync trigger);
judge the Deployment and that answer together (`assess`: a first sync on unready pods shows
as Syncing or Failed); publish the status (written only when
it changed). Returns when to look again; raises for backoff; TerminalError when only a new
spec can help.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

import structlog
from mcp_registry_common.mcpregistry import MCPRegistry

from mcp_registry_operator.kube import (
    ConflictError,
    InvalidError,
    ServerError,
    TooManyRequestsError,
    UnreachableError,
)
from mcp_registry_operator.reconcile.applier import Applier, ApplyStepError
from mcp_registry_operator.reconcile.askserver import ServerAsker
from mcp_registry_operator.reconcile.assess import assess
from mcp_registry_operator.reconcile.caches import Caches
from mcp_registry_operator.reconcile.conditions import ConditionSpec
from mcp_registry_operator.reconcile.internaltoken import InternalTokens
from mcp_registry_operator.reconcile.references import MissingReferenceError, resolve_references
from mcp_registry_operator.reconcile.registrywriter import Current, Obj, RegistryWriter
from mcp_registry_operator.reconcile.status import Change, Observed
from mcp_registry_operator.reconcile.validation import InvalidSpecError, parse_cached
from mcp_registry_operator.reconcile.verdicts import (
    DeploymentState,
    Step,
    Verdict,
    deployment_state,
    invalid_pod_template,
    invalid_spec,
    missing_reference,
    step_failed,
    terminating,
)
from mcp_registry_operator.resources.desired import Desired, Inputs, build_desired, render
from mcp_registry_operator.resources.naming import api_name, service_url
from mcp_registry_operator.runtime.controller import Result, TerminalError
from mcp_registry_operator.runtime.keys import Key, split_key

log = structlog.get_logger(__name__)

TRANSIENT = (ServerError, UnreachableError, TooManyRequestsError, ConflictError)
"""API errors worth a quiet retry: no Failed status for a blip."""
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
        asker: ServerAsker,
        tokens: InternalTokens,
        settings: ReconcilerSettings,
    ) -> None:
        self._caches = caches
        self._applier = applier
        self._writer = writer
        self._asker = asker
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
            await self._reject_spec(current, str(exc), f"invalid spec: {exc}")
        if not current.has_finalizer:
            await self._writer.set_finalizer(current, present=True)
        return await self._converge(current, registry)

    async def _finalize(self, current: Current) -> None:
        if not current.has_finalizer:
            return  # another controller's finalizer holds the object; nothing of ours to do
        latest = None
        if (current.status or {}).get("phase") != "Terminating":
            latest = await self._publish(current, terminating())
        await self._writer.set_finalizer(current, present=False, latest=latest)

    async def _converge(self, current: Current, registry: MCPRegistry) -> Result:
        try:
            rendered = render(registry)
        except ValueError as exc:
            await self._reject_spec(current, str(exc), f"the spec cannot be rendered: {exc}")
        try:
            resolved = resolve_references(registry, self._caches.get, rendered.references)
        except MissingReferenceError as exc:
            await self._publish(current, missing_reference(str(exc)))
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
        desired = build_desired(registry, inputs, rendered)
        if desired.pod_template_problems:
            await self._reject_template(current, "; ".join(desired.pod_template_problems))
        try:
            report = await self._applier.apply_all(desired.objects)
        except ApplyStepError as exc:
            await self._apply_failed(current, exc, has_template=has_template)
        if report.applied:
            log.info("objects_applied", objects=report.applied, unchanged=report.unchanged)
        template = VALID_TEMPLATE if has_template else Change.REMOVE
        return await self._ask_and_publish(current, desired, template, token=token)

    async def _ask_and_publish(
        self, current: Current, desired: Desired, template: ConditionSpec | Change, *, token: str
    ) -> Result:
        """Ask the server (ready or not: an unready one may say why), judge, publish."""
        deployment = self._deployment(current)
        asked = await self._asker.ask(current, desired, token=token, pods=deployment.pods)
        if not deployment.ready:
            log.debug("deployment_not_ready", detail=deployment.detail)
        poll = Result(requeue_after=self.settings.poll_interval)
        found = assess(asked, deployment, stored=current.status, generation=current.generation)
        if found is None:
            return poll
        await self._publish(
            current,
            found.verdict,
            template=template,
            synced=found.synced,
            sync_status=found.sync_status,
            sync_trigger=found.sync_trigger,
            deployment=deployment,
        )
        return Result(requeue_after=self.settings.steady_interval) if found.steady else poll

    async def _reject_spec(self, current: Current, problem: str, error: str) -> NoReturn:
        """Publish Failed/InvalidSpec; only a new spec can help."""
        await self._publish(current, invalid_spec(problem))
        raise TerminalError(error) from None

    async def _reject_template(self, current: Current, problems: str) -> NoReturn:
        """Publish Failed/InvalidPodTemplateSpec; only a new spec can help."""
        verdict = invalid_pod_template(problems)
        await self._publish(current, verdict, template=pod_template_invalid(problems))
        raise TerminalError(f"invalid podTemplateSpec: {problems}")

    async def _apply_failed(
        self, current: Current, exc: ApplyStepError, *, has_template: bool
    ) -> NoReturn:
        """Publish why a step failed (a blip is retried quietly, without Failed); raise."""
        if exc.step is Step.DEPLOYMENT and has_template and isinstance(exc.error, InvalidError):
            await self._reject_template(current, str(exc))
        if not isinstance(exc.error, TRANSIENT):
            await self._publish(current, step_failed(exc.step, str(exc)))
        raise exc

    def _deployment(self, current: Current) -> DeploymentState:
        cached = self._caches.get("Deployment", current.namespace, api_name(current.name))
        return deployment_state(cached)

    async def _publish(
        self,
        current: Current,
        verdict: Verdict,
        *,
        template: ConditionSpec | Change = Change.KEEP,
        synced: ConditionSpec | None = None,
        sync_status: dict[str, Any] | None = None,
        sync_trigger: str | None = None,
        deployment: DeploymentState | None = None,
    ) -> Obj | None:
        """Write the status `verdict` and the rest make (only if it changed); returns what the
        writer returns. `deployment`: the state the verdict was judged on (default: the cached
        one now; an await later the cache may be newer, and a mixed status is one more write)."""
        seen = deployment or self._deployment(current)
        observed = Observed(
            verdict=verdict,
            generation=current.generation,
            ready_replicas=seen.ready_replicas,
            url=service_url(current.name, current.namespace),
            pod_template=template,
            synced=synced,
            sync_status=sync_status,
            sync_trigger=sync_trigger,
        )
        return await self._writer.publish(current, observed)
