"""References from an MCPRegistry to Secrets and ConfigMaps in its namespace."""

from __future__ import annotations

from pydantic import Field, StrictBool

from mcp_registry_common.base import WireModel
from mcp_registry_common.mcpregistry.strings import ConfigKey, ObjectName


class SecretKeySelector(WireModel):
    """Selects a key of a Secret in the MCPRegistry's namespace."""

    name: ObjectName = Field(description="Name of the Secret.")
    key: ConfigKey = Field(description="Key within the Secret's data.")
    optional: StrictBool | None = Field(
        default=None,
        description="Kept as corev1.SecretKeySelector has it (ToolHive's objects may carry it); "
        "the operator needs the Secret whatever it says.",
    )


class ConfigMapKeySelector(WireModel):
    """Selects a key of a ConfigMap in the MCPRegistry's namespace."""

    name: ObjectName = Field(description="Name of the ConfigMap.")
    key: ConfigKey = Field(description="Key within the ConfigMap's data.")
    optional: StrictBool | None = Field(
        default=None, description="Whether the ConfigMap or its key may be missing."
    )


class LocalObjectReference(WireModel):
    """Names an object in the MCPRegistry's namespace."""

    name: ObjectName = Field(description="Name of the referenced object.")
