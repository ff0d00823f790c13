"""The MCPRegistry custom resource: identity constants, object metadata and parsing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import ConfigDict, Field

from mcp_registry_common.base import WireModel
from mcp_registry_common.mcpregistry.spec import MCPRegistrySpec
from mcp_registry_common.mcpregistry.status import MCPRegistryStatus

GROUP: Final = "toolhive.stacklok.dev"
VERSION: Final = "v1alpha1"
"""The version this project's programs read and write (any served version is the same object)."""
API_VERSION: Final = "toolhive.stacklok.dev/v1alpha1"
STORAGE_VERSION: Final = "v1beta1"
"""The version etcd keeps, as in ToolHive since its v1beta1 graduation (docs/crd-versions.md)."""
SERVED_VERSIONS: Final = ("v1alpha1", "v1beta1")
"""Served with one identical schema and conversion strategy None (docs/crd-versions.md)."""
KIND: Final = "MCPRegistry"
LIST_KIND = "MCPRegistryList"
PLURAL = "mcpregistries"
SINGULAR = "mcpregistry"
SHORT_NAMES = ("mcpreg", "registry")
CRD_NAME = f"{PLURAL}.{GROUP}"
SYNC_TRIGGER_ANNOTATION = "toolhive.stacklok.dev/sync-trigger"
FINALIZER = "mcpregistry.toolhive.stacklok.dev/finalizer"


class ObjectMeta(WireModel):
    """metav1.ObjectMeta: the fields the operator reads; other keys are kept as given."""

    model_config = ConfigDict(extra="allow")

    name: str | None = Field(default=None, description="Object name.")
    generate_name: str | None = Field(default=None, description="Name prefix for generated names.")
    namespace: str | None = Field(default=None, description="Namespace of the object.")
    uid: str | None = Field(default=None, description="Unique id set by the API server.")
    resource_version: str | None = Field(default=None, description="Opaque version for writes.")
    generation: int | None = Field(default=None, description="Spec generation.")
    creation_timestamp: datetime | None = Field(default=None, description="Creation time.")
    deletion_timestamp: datetime | None = Field(default=None, description="Deletion request time.")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels.")
    annotations: dict[str, str] = Field(default_factory=dict, description="Annotations.")
    finalizers: list[str] = Field(default_factory=list, description="Finalizers.")


class MCPRegistry(WireModel):
    """MCPRegistry runs a ToolHive-compatible MCP registry server configured from this spec."""

    api_version: Literal["toolhive.stacklok.dev/v1alpha1", "toolhive.stacklok.dev/v1beta1"] = Field(
        default=API_VERSION,
        description="toolhive.stacklok.dev/v1alpha1 or v1beta1: one schema, served as both.",
    )
    kind: Literal["MCPRegistry"] = Field(default=KIND, description="Always MCPRegistry.")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta, description="Object metadata.")
    spec: MCPRegistrySpec = Field(description="Desired state.")
    status: MCPRegistryStatus | None = Field(default=None, description="Observed state.")


def parse_mcpregistry(doc: Mapping[str, Any]) -> MCPRegistry:
    """Validate one decoded MCPRegistry document; raises pydantic.ValidationError."""
    return MCPRegistry.model_validate(doc)
