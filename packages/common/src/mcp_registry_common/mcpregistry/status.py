"""MCPRegistryStatus: what the operator observed, including the server's sync state."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from mcp_registry_common.base import WireModel

RegistryPhase = Literal["Pending", "Ready", "Syncing", "Failed", "Terminating"]
SyncPhase = Literal["Syncing", "Complete", "Failed"]
ConditionStatus = Literal["True", "False", "Unknown"]

CONDITION_TYPE_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)
CONDITION_REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"

Count = Annotated[int, Field(ge=0)]


class Condition(WireModel):
    """A metav1.Condition."""

    type: str = Field(
        max_length=316, pattern=CONDITION_TYPE_PATTERN, description="Condition type, e.g. Ready."
    )
    status: ConditionStatus = Field(description="True, False or Unknown.")
    observed_generation: Count | None = Field(
        default=None, description="The .metadata.generation the condition was set for."
    )
    last_transition_time: datetime = Field(description="When the status last changed (RFC 3339).")
    reason: str = Field(
        min_length=1,
        max_length=1024,
        pattern=CONDITION_REASON_PATTERN,
        description="Machine-readable CamelCase reason for the last transition.",
    )
    message: str = Field(max_length=32768, description="Human-readable details.")


class SourceSyncStatus(WireModel):
    """Sync state of one source, as reported by the registry server."""

    name: str = Field(min_length=1, max_length=63, description="Source name.")
    phase: SyncPhase = Field(description="Syncing, Complete or Failed.")
    message: str | None = Field(default=None, description="Details, e.g. the last error.")
    last_attempt: datetime | None = Field(default=None, description="Start of the last attempt.")
    last_sync_time: datetime | None = Field(
        default=None, description="End of the last successful sync."
    )
    attempt_count: Count | None = Field(
        default=None, description="Failed attempts since the last success."
    )
    server_count: Count | None = Field(
        default=None, description="Servers provided by this source after filtering."
    )


class SyncStatus(WireModel):
    """Aggregated sync state of all sources."""

    phase: SyncPhase = Field(description="Syncing, Complete or Failed.")
    message: str | None = Field(default=None, description="Details, e.g. the last error.")
    last_attempt: datetime | None = Field(default=None, description="Start of the last attempt.")
    last_sync_time: datetime | None = Field(
        default=None, description="End of the last successful sync of every source."
    )
    attempt_count: Count | None = Field(
        default=None, description="Failed attempts since the last success."
    )
    server_count: Count | None = Field(default=None, description="Servers across all registries.")
    sources: list[SourceSyncStatus] | None = Field(
        default=None,
        max_length=20,
        description="Per-source state.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )


class MCPRegistryStatus(WireModel):
    """Observed state of an MCPRegistry."""

    phase: RegistryPhase | None = Field(
        default=None, description="Pending, Ready, Syncing, Failed or Terminating."
    )
    message: str | None = Field(default=None, description="Human-readable summary.")
    url: str | None = Field(
        default=None, description="In-cluster URL of the registry API; set while Ready."
    )
    ready_replicas: Count | None = Field(
        default=None, description="Ready pods of the server Deployment."
    )
    observed_generation: Count | None = Field(
        default=None, description="The .metadata.generation this status reflects."
    )
    conditions: list[Condition] | None = Field(
        default=None,
        max_length=32,
        description="Ready and PodTemplateValid conditions.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    last_manual_sync_trigger: str | None = Field(
        default=None,
        description="The last toolhive.stacklok.dev/sync-trigger annotation value acted on.",
    )
    sync_status: SyncStatus | None = Field(
        default=None, description="Sync state reported by the registry server."
    )
