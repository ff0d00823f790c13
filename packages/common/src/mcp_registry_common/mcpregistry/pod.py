"""Pass-through Kubernetes pod shapes: podTemplateSpec overrides, extra volumes and mounts.

Only the keys the operator merges on (container and volume names, mount paths) are typed;
every other field is kept as written and validated by the API server when the Deployment is
applied.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from mcp_registry_common.base import WireModel
from mcp_registry_common.mcpregistry.strings import FilePath, ShortText


class _PassThrough(WireModel):
    """A Kubernetes object whose unknown fields are kept verbatim."""

    model_config = ConfigDict(extra="allow")


class Container(_PassThrough):
    """A corev1 Container; only its name is checked here."""

    name: ShortText = Field(
        description="Container name. `registry-api` overrides the server container; any "
        "other name adds a sidecar."
    )


class Volume(_PassThrough):
    """A corev1 Volume; only its name is checked here."""

    name: ShortText = Field(description="Volume name, unique within the pod.")


class VolumeMount(_PassThrough):
    """A corev1 VolumeMount; name and mountPath are checked here."""

    name: ShortText = Field(description="Name of the volume to mount.")
    mount_path: FilePath = Field(description="Path in the container to mount the volume at.")


class PodSpecOverrides(_PassThrough):
    """A corev1 PodSpec fragment merged over the generated one."""

    containers: list[Container] | None = Field(
        default=None, max_length=32, description="Containers, matched by name."
    )
    init_containers: list[Container] | None = Field(
        default=None, max_length=32, description="Init containers, matched by name."
    )
    volumes: list[Volume] | None = Field(
        default=None, max_length=64, description="Volumes, matched by name."
    )


class PodTemplateSpec(_PassThrough):
    """A corev1 PodTemplateSpec fragment merged over the generated server pod."""

    metadata: dict[str, Any] | None = Field(
        default=None, description="Pod labels and annotations to add."
    )
    spec: PodSpecOverrides | None = Field(default=None, description="Pod spec overrides.")
