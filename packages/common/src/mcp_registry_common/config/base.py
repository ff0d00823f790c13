"""ConfigModel: the camelCase wire conventions, but unknown keys are kept (to be warned about)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, SerializerFunctionWrapHandler, model_serializer

from mcp_registry_common.base import WireModel
from mcp_registry_common.errorpaths import Loc


class ConfigModel(WireModel):
    """A server-config model. Unlike a manifest, a config file may carry keys we do not know
    (ToolHive's viper ignores them, e.g. a stale `format:` or `registryName`): they are kept in
    `model_extra` so the loader can warn about each, and they are never serialised back."""

    model_config = ConfigDict(extra="allow")

    @model_serializer(mode="wrap")
    def _drop_unknown_keys(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for key in self.model_extra or {}:
                data.pop(key, None)
        return data

    def config_notes(self) -> list[tuple[Loc, str]]:
        """Warnings about settings that are valid but have no effect, relative to this model."""
        return []
