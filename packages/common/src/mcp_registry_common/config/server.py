"""ServerConfig: the root of the registry server's config.yaml, with its cross-field rules."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from mcp_registry_common.config.auth import AuthConfig
from mcp_registry_common.config.base import ConfigModel
from mcp_registry_common.config.claimvalues import ConfigClaims
from mcp_registry_common.config.database import DatabaseConfig
from mcp_registry_common.config.observability import AuditConfig, TelemetryConfig
from mcp_registry_common.config.sources import SourceConfig
from mcp_registry_common.config.sync import SyncSettings
from mcp_registry_common.errorpaths import FieldPathError, Loc


class RegistryConfig(ConfigModel):
    """One `registries[]` entry: a named, claim-gated view over sources in priority order."""

    name: str = Field(description="Unique; the `{registry}` segment of the consumer API path.")
    sources: list[str] = Field(
        default_factory=list,
        validate_default=True,
        description="Source names, highest priority first; each at most once.",
    )
    claims: ConfigClaims | None = Field(
        default=None, description="Callers must match these claims to read the registry."
    )

    @field_validator("name")
    @classmethod
    def _path_segment(cls, name: str) -> str:
        if not name:
            raise ValueError("name is required")
        if "/" in name or any(ch.isspace() for ch in name):
            raise ValueError(f"registry name {name!r} must not contain '/' or whitespace")
        return name

    @field_validator("sources")
    @classmethod
    def _source_list(cls, sources: list[str]) -> list[str]:
        if not sources:
            raise ValueError("at least one source is required")
        seen: set[str] = set()
        duplicates: list[tuple[Loc, str]] = []
        for index, source in enumerate(sources):
            if source in seen:
                duplicates.append(((index,), f"duplicate source '{source}'"))
            seen.add(source)
        if duplicates:
            raise FieldPathError(duplicates)
        return sources


class ServerConfig(ConfigModel):
    """The whole config.yaml. Top-level keys in ToolHive's order; `database` is optional here
    (absent = in-memory store), `auth` is required as in ToolHive."""

    sources: list[SourceConfig] = Field(default_factory=list, validate_default=True)
    registries: list[RegistryConfig] = Field(default_factory=list, validate_default=True)
    database: DatabaseConfig | None = None
    auth: AuthConfig
    telemetry: TelemetryConfig | None = None
    audit: AuditConfig | None = None
    sync: SyncSettings | None = Field(
        default=None, description="Defaults for every synced source (ours; not ToolHive's)."
    )

    @field_validator("sources")
    @classmethod
    def _some_sources(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        if not sources:
            raise ValueError("at least one source must be configured")
        return sources

    @field_validator("registries")
    @classmethod
    def _some_registries(cls, registries: list[RegistryConfig]) -> list[RegistryConfig]:
        if not registries:
            raise ValueError("at least one registry must be configured")
        return registries

    @model_validator(mode="after")
    def _references(self) -> ServerConfig:
        problems = _duplicate_names("sources", [s.name for s in self.sources], "source")
        problems += _duplicate_names("registries", [r.name for r in self.registries], "registry")
        managed = [s.name for s in self.sources if s.managed is not None]
        if len(managed) > 1:
            problems.append(
                (("sources",), f"at most one managed source is allowed, found {len(managed)}")
            )
        known = {s.name for s in self.sources}
        for index, registry in enumerate(self.registries):
            problems.extend(
                (("registries", index, "sources"), f"references unknown source '{name}'")
                for name in registry.sources
                if name not in known
            )
        if problems:
            raise FieldPathError(problems)
        return self

    def source(self, name: str) -> SourceConfig:
        """The source called `name`; KeyError if there is none."""
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    @property
    def managed_source(self) -> SourceConfig | None:
        """The single managed source (where the admin API publishes), if configured."""
        return next((s for s in self.sources if s.managed is not None), None)


def _duplicate_names(key: str, names: list[str], what: str) -> list[tuple[Loc, str]]:
    seen: set[str] = set()
    problems: list[tuple[Loc, str]] = []
    for index, name in enumerate(names):
        if name in seen:
            problems.append(((key, index, "name"), f"duplicate {what} name '{name}'"))
        seen.add(name)
    return problems
