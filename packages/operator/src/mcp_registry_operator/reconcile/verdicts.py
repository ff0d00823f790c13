"""Phase decisions that carry their reason: one Verdict per reconcile, copied unchanged into the
phase, the message, the Ready condition, the event and the log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Phase(StrEnum):
    PENDING = "Pending"
    SYNCING = "Syncing"
    READY = "Ready"
    FAILED = "Failed"
    TERMINATING = "Terminating"


class Step(StrEnum):
    """Apply steps; a failure gives the Ready reason `<Step>Failed` (ToolHive's reasons)."""

    CONFIG_MAP = "ConfigMap"
    RBAC = "RBAC"
    PGPASS_SECRET = "PGPassSecret"
    INTERNAL_TOKEN_SECRET = "InternalTokenSecret"
    """Secret `<n>-internal-token` (created once by `internaltoken`, not by the applier)."""
    DEPLOYMENT = "Deployment"
    SERVICE = "Service"


STEP_OF_KIND = {
    "ConfigMap": Step.CONFIG_MAP,
    "ServiceAccount": Step.RBAC,
    "Role": Step.RBAC,
    "RoleBinding": Step.RBAC,
    "Secret": Step.PGPASS_SECRET,
    "Deployment": Step.DEPLOYMENT,
    "Service": Step.SERVICE,
}

READY_MESSAGE = "Registry API is ready and serving requests"
NOT_READY_MESSAGE = "Registry API deployment is not ready yet"
FIRST_SYNC_DONE_MESSAGE = "First sync complete; waiting for the server's pods to turn ready"
TERMINATING_MESSAGE = "MCPRegistry is being terminated"


@dataclass(frozen=True)
class Verdict:
    phase: Phase
    reason: str
    """The Ready condition's reason (Ready, NotReady, ValidationFailed, <Step>Failed, ...)."""
    message: str

    @property
    def ready(self) -> bool:
        return self.phase is Phase.READY


def invalid_spec(problems: str) -> Verdict:
    return Verdict(Phase.FAILED, "ValidationFailed", f"Spec validation failed: {problems}")


def invalid_pod_template(problems: str) -> Verdict:
    return Verdict(Phase.FAILED, "ValidationFailed", f"Invalid PodTemplateSpec: {problems}")


def missing_reference(message: str) -> Verdict:
    return Verdict(Phase.PENDING, "ReferenceNotFound", message)


def step_failed(step: Step, error: str) -> Verdict:
    return Verdict(Phase.FAILED, f"{step}Failed", f"Failed to ensure {step}: {error}")


def terminating() -> Verdict:
    return Verdict(Phase.TERMINATING, "NotReady", TERMINATING_MESSAGE)


@dataclass(frozen=True)
class DeploymentState:
    ready: bool
    ready_replicas: int
    detail: str
    pods: int = 0
    """`status.replicas`: pods the Deployment has (0 when it is missing or has none yet)."""


def deployment_state(deployment: Mapping[str, Any] | None) -> DeploymentState:
    """Ready = some pod ready AND the latest rollout observed and complete: the controller saw
    the current generation, every wanted replica runs the current template and no old pod is
    left (ToolHive looked at readyReplicas only, so a failing rollout stayed Ready)."""
    if deployment is None:
        return DeploymentState(False, 0, "the Deployment does not exist yet")
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    generation = int((deployment.get("metadata") or {}).get("generation") or 0)
    observed = int(status.get("observedGeneration") or 0)
    wanted = int(spec["replicas"]) if spec.get("replicas") is not None else 1
    ready = int(status.get("readyReplicas") or 0)
    updated = int(status.get("updatedReplicas") or 0)
    total = int(status.get("replicas") or 0)
    if observed < generation:
        detail = "the Deployment controller has not seen the change"
        return DeploymentState(False, ready, detail, total)
    if updated < wanted or total > updated:
        detail = f"rollout in progress: {updated} of {wanted} pods updated"
        return DeploymentState(False, ready, detail, total)
    if ready <= 0:
        return DeploymentState(False, ready, f"0 of {wanted} pods ready", total)
    return DeploymentState(True, ready, f"{ready} of {wanted} pods ready", total)


def deployment_not_ready() -> Verdict:
    """The message stays the same while the pods come up (the detail goes to the log): each
    distinct message would be one more status write."""
    return Verdict(Phase.PENDING, "NotReady", NOT_READY_MESSAGE)


def status_unavailable(error: str) -> Verdict:
    return Verdict(
        Phase.PENDING,
        "NotReady",
        f"Registry API pods are ready but the server's status endpoint did not answer: {error}",
    )
