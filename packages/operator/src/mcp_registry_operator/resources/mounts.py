"""Files the server reads from referenced ConfigMaps and Secrets: one volume per object, one
mount per volume, a file path per key. Two sources sharing a Secret share its volume (with
every key they use) instead of colliding, unlike ToolHive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mcp_registry_operator.resources.naming import volume_name

ObjectKind = Literal["Secret", "ConfigMap"]
_ROOTS: dict[ObjectKind, str] = {"Secret": "/secrets", "ConfigMap": "/configmaps"}


@dataclass
class MountPlan:
    """Referenced keys gathered while rendering the config, turned into volumes and mounts."""

    _keys: dict[tuple[ObjectKind, str], dict[str, str]] = field(default_factory=dict)

    def file(self, kind: ObjectKind, name: str, key: str) -> str:
        """Register `key` of object `name`; return the path where the server will read it."""
        self._keys.setdefault((kind, name), {})[key] = key
        return f"{self.directory(kind, name)}/{key}"

    @staticmethod
    def directory(kind: ObjectKind, name: str) -> str:
        return f"{_ROOTS[kind]}/{name}"

    def references(self) -> list[tuple[ObjectKind, str]]:
        """Every referenced object (the operator watches them and hashes their data)."""
        return sorted(self._keys)

    def volumes(self) -> list[dict[str, Any]]:
        volumes: list[dict[str, Any]] = []
        for (kind, name), keys in sorted(self._keys.items()):
            items = [{"key": k, "path": p} for k, p in sorted(keys.items())]
            source = (
                {"secret": {"secretName": name, "items": items, "defaultMode": 0o440}}
                if kind == "Secret"
                else {"configMap": {"name": name, "items": items}}
            )
            volumes.append({"name": self.volume(kind, name), **source})
        return volumes

    def mounts(self) -> list[dict[str, Any]]:
        return [
            {
                "name": self.volume(kind, name),
                "mountPath": self.directory(kind, name),
                "readOnly": True,
            }
            for kind, name in sorted(self._keys)
        ]

    @staticmethod
    def volume(kind: ObjectKind, name: str) -> str:
        return volume_name("secret" if kind == "Secret" else "configmap", name)
