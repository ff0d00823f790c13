"""MCPRegistrySpec: the desired state of an MCPRegistry and its cross-field rules."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import ConfigDict, Field, JsonValue, model_validator

from mcp_registry_common.base import WireModel
from mcp_registry_common.mcpregistry.auth import AuthConfig
from mcp_registry_common.mcpregistry.database import DatabaseConfig
from mcp_registry_common.mcpregistry.pod import PodTemplateSpec, Volume, VolumeMount
from mcp_registry_common.mcpregistry.refs import LocalObjectReference, SecretKeySelector
from mcp_registry_common.mcpregistry.sources import MCPRegistrySource, MCPRegistryView
from mcp_registry_common.mcpregistry.telemetry import TelemetryConfig

TYPED_FIELDS = ("sources", "registries", "databaseConfig", "authConfig", "telemetryConfig")
"""Wire names of the fields the operator renders into the server config."""

CONFIG_YAML_FIELDS = ("configYAML", "volumes", "volumeMounts", "pgpassSecretRef")
"""Wire names of the fields of the configYAML pass-through mode."""

MAX_CONFIG_YAML = 1024 * 1024
"""configYAML ends up in a ConfigMap, whose total size is capped at 1 MiB."""

_EXCLUSIVE = (
    "configYAML, volumes, volumeMounts and pgpassSecretRef cannot be combined with "
    "sources, registries, databaseConfig, authConfig or telemetryConfig"
)
_EITHER = "either configYAML or sources must be specified"
_ONE_MANAGED = "at most one managed source is allowed"
_REGISTRIES_REQUIRED = "registries: at least one registry is required when sources are specified"
_KNOWN_SOURCES = "registries[].sources must name entries of spec.sources"


def _has(expr: str) -> str:
    """CEL: the list/string field is present and non-empty."""
    return f"(has(self.{expr}) && size(self.{expr}) > 0)"


_TYPED_PRESENT = " || ".join(
    _has(f) if f in ("sources", "registries") else f"has(self.{f})" for f in TYPED_FIELDS
)
_CONFIG_YAML_PRESENT = " || ".join(
    _has(f) if f != "pgpassSecretRef" else f"has(self.{f})" for f in CONFIG_YAML_FIELDS
)

SPEC_RULES: list[JsonValue] = [
    {"rule": f"{_has('configYAML')} || {_has('sources')}", "message": _EITHER},
    {"rule": f"!({_CONFIG_YAML_PRESENT}) || !({_TYPED_PRESENT})", "message": _EXCLUSIVE},
    {
        "rule": "!has(self.sources) || self.sources.filter(s, has(s.managed)).size() <= 1",
        "message": f"sources: {_ONE_MANAGED}",
        "fieldPath": ".sources",
    },
    {
        "rule": f"!{_has('sources')} || {_has('registries')}",
        "message": _REGISTRIES_REQUIRED,
        "fieldPath": ".registries",
    },
    {
        "rule": "!has(self.registries) || self.registries.all(r, !has(r.sources) || "
        "r.sources.all(n, has(self.sources) && self.sources.exists(s, s.name == n)))",
        "message": _KNOWN_SOURCES,
        "fieldPath": ".registries",
    },
]
"""CEL twins of the model validators below (x-kubernetes-validations on spec)."""


def _duplicates(names: list[str]) -> list[str]:
    return [n for n, count in Counter(names).items() if count > 1]


class MCPRegistrySpec(WireModel):
    """Desired state: either typed sources/registries (rendered into the server config by the
    operator) or a complete server config in configYAML."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": SPEC_RULES})

    display_name: str | None = Field(
        default=None, max_length=253, description="Human-readable name; informational only."
    )
    sources: list[MCPRegistrySource] | None = Field(
        default=None,
        max_length=20,
        description="Where registry data comes from. Names must be unique.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )
    registries: list[MCPRegistryView] | None = Field(
        default=None,
        max_length=20,
        description="Registries served by the API, each aggregating sources in priority order. "
        "Required when sources are given.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )
    database_config: DatabaseConfig | None = Field(
        default=None, description="PostgreSQL storage. Without it the server keeps data in memory."
    )
    auth_config: AuthConfig | None = Field(
        default=None, description="Authentication and authorization. Defaults to anonymous."
    )
    telemetry_config: TelemetryConfig | None = Field(
        default=None, description="OpenTelemetry settings."
    )
    pod_template_spec: PodTemplateSpec | None = Field(
        default=None,
        description="Overrides merged over the generated server pod. Target the container "
        "named `registry-api`.",
    )
    image_pull_secrets: list[LocalObjectReference] | None = Field(
        default=None,
        max_length=16,
        description="Pull secrets for the server pod and its ServiceAccount.",
        json_schema_extra={"x-kubernetes-list-type": "atomic"},
    )
    config_yaml: str | None = Field(
        default=None,
        alias="configYAML",
        min_length=1,
        max_length=MAX_CONFIG_YAML,
        description="A complete registry server config.yaml, copied verbatim into a ConfigMap. "
        "Mutually exclusive with the typed fields. Never put credentials here.",
    )
    volumes: list[Volume] | None = Field(
        default=None,
        max_length=64,
        description="Extra pod volumes (corev1 Volume) for files referenced by configYAML.",
        json_schema_extra={"x-kubernetes-list-type": "atomic"},
    )
    volume_mounts: list[VolumeMount] | None = Field(
        default=None,
        max_length=64,
        description="Extra mounts (corev1 VolumeMount) of the registry-api container.",
        json_schema_extra={"x-kubernetes-list-type": "atomic"},
    )
    pgpass_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description="Secret key holding a pgpass file for configYAML's database section.",
    )

    def _present(self, names: tuple[str, ...]) -> list[str]:
        fields = type(self).model_fields
        by_alias = {f.alias or n: n for n, f in fields.items()}
        return [n for n in names if getattr(self, by_alias[n]) not in (None, [], "")]

    @model_validator(mode="after")
    def _modes(self) -> MCPRegistrySpec:
        typed = self._present(TYPED_FIELDS)
        raw = self._present(CONFIG_YAML_FIELDS)
        if typed and raw:
            raise ValueError(f"{_EXCLUSIVE} (got {', '.join(raw)} with {', '.join(typed)})")
        if not self.config_yaml and not self.sources:
            raise ValueError(f"sources: {_EITHER}")
        return self

    @model_validator(mode="after")
    def _sources_and_registries(self) -> MCPRegistrySpec:
        sources = self.sources or []
        names = [s.name for s in sources]
        for dup in _duplicates(names):
            raise ValueError(f"sources[{_last_index(names, dup)}].name: duplicate source {dup!r}")
        managed = [s.name for s in sources if s.managed is not None]
        if len(managed) > 1:
            raise ValueError(f"sources: {_ONE_MANAGED} (got {', '.join(managed)})")
        if sources and not self.registries:
            raise ValueError(_REGISTRIES_REQUIRED)
        views = self.registries or []
        view_names = [v.name for v in views]
        for dup in _duplicates(view_names):
            i = _last_index(view_names, dup)
            raise ValueError(f"registries[{i}].name: duplicate registry {dup!r}")
        known = set(names)
        for i, view in enumerate(views):
            for j, ref in enumerate(view.sources):
                if ref not in known:
                    raise ValueError(
                        f"registries[{i}].sources[{j}]: unknown source {ref!r} "
                        f"({_KNOWN_SOURCES}: {', '.join(names) or 'none defined'})"
                    )
        return self


def _last_index(items: list[Any], value: Any) -> int:
    return len(items) - 1 - items[::-1].index(value)
