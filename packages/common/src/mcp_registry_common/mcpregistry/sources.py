"""The data sources of an MCPRegistry (spec.sources) and the registries that aggregate them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from mcp_registry_common.base import WireModel
from mcp_registry_common.claims import Claims
from mcp_registry_common.durations import GoDuration, PositiveGoDuration
from mcp_registry_common.filtering import SourceFilter
from mcp_registry_common.mcpregistry.refs import ConfigMapKeySelector, SecretKeySelector
from mcp_registry_common.mcpregistry.strings import (
    HttpUrl,
    RegistryFilePath,
    ShortText,
    SourceName,
)

DEFAULT_SYNC_INTERVAL = "30m"
"""The interval the operator renders for a source without a syncPolicy."""

GIT_REPOSITORY_PATTERN = r"^(file:///|https?://|git@|ssh://|git://).*"
"""ToolHive's CRD pattern for git repository URLs."""

SourceFormat = Literal["toolhive", "upstream"]

SOURCE_TYPES = ("configMapRef", "git", "api", "url", "managed", "kubernetes")
"""The mutually exclusive source type fields (wire names)."""

_EXACTLY_ONE_TYPE = (
    "exactly one source type must be specified: configMapRef, git, api, url, managed or kubernetes"
)

GitRef = Annotated[str, Field(min_length=1, max_length=255)]

RegistryName = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[^/]+$")]
"""A registry name: any non-empty string without `/` (it is a URL path segment)."""


class GitAuth(WireModel):
    """HTTP basic credentials for a private repository."""

    username: ShortText = Field(description="User name sent with the password (e.g. `oauth2`).")
    password_secret_ref: SecretKeySelector = Field(
        description="Secret key holding the password or access token. It is mounted into the "
        "server pod as a file and never written to the server's ConfigMap."
    )


class GitSource(WireModel):
    """A registry file in a git repository, at a branch, tag or commit.

    As the seed documentation says, if more than one is given the commit takes precedence over
    the tag, which takes precedence over the branch; none means the remote's default branch.
    """

    repository: str = Field(
        min_length=1,
        max_length=2048,
        pattern=GIT_REPOSITORY_PATTERN,
        description="Repository URL: https://, http://, ssh://, git://, git@host:path or file:///.",
    )
    branch: GitRef | None = Field(default=None, description="Branch to check out.")
    tag: GitRef | None = Field(default=None, description="Tag to check out; wins over branch.")
    commit: GitRef | None = Field(
        default=None, description="Commit SHA to check out; wins over tag and branch."
    )
    path: RegistryFilePath = Field(
        default="registry.json",
        description="Path of the registry JSON file, relative to the repository root.",
    )
    auth: GitAuth | None = Field(default=None, description="Credentials for a private repository.")


class APISource(WireModel):
    """An upstream MCP Registry API."""

    endpoint: HttpUrl = Field(
        description="Base URL of the API; the server appends paths such as /v0/servers."
    )


class URLSource(WireModel):
    """A registry JSON file served over HTTP(S)."""

    endpoint: HttpUrl = Field(
        description="URL of the registry file. Use HTTPS except for localhost."
    )
    timeout: GoDuration | None = Field(
        default=None, description="Request timeout as a Go duration. Defaults to 30s."
    )


class ManagedSource(WireModel):
    """A source whose entries are written through the registry's admin API. It has no fields:
    its presence selects the type."""


class KubernetesSource(WireModel):
    """MCP servers discovered from ToolHive MCP custom resources in the cluster."""

    namespaces: list[Annotated[str, Field(min_length=1, max_length=63)]] = Field(
        default_factory=list,
        max_length=100,
        description="Namespaces to watch. Empty means the server's own namespace. Per-entry "
        "claims come from the `toolhive.stacklok.dev/authz-claims` annotation.",
        json_schema_extra={"x-kubernetes-list-type": "atomic"},
    )


class SyncPolicy(WireModel):
    """When the server re-fetches a source."""

    interval: PositiveGoDuration = Field(
        description="Time between syncs as a positive Go duration, e.g. 30m or 1h.",
        json_schema_extra={
            "x-kubernetes-validations": [
                {"rule": "self.matches('[1-9]')", "message": "interval must be greater than zero"}
            ]
        },
    )


class MCPRegistrySource(WireModel):
    """One data source. Exactly one of configMapRef, git, api, url, managed and kubernetes."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": " + ".join(f"(has(self.{t})?1:0)" for t in SOURCE_TYPES) + " == 1",
                    "message": _EXACTLY_ONE_TYPE,
                }
            ]
        }
    )

    name: SourceName = Field(
        description="Unique source name (an RFC 1123 label); registries refer to it."
    )
    format: SourceFormat = Field(
        default="toolhive",
        description="Data format: `toolhive` (legacy registry.json) or `upstream` "
        "(MCP Registry server.json entries).",
    )
    claims: Claims | None = Field(
        default=None,
        description="Authorization claims attached to every entry of this source. "
        "Values are strings or lists of strings.",
    )
    config_map_ref: ConfigMapKeySelector | None = Field(
        default=None, description="Registry file from a ConfigMap key in the same namespace."
    )
    git: GitSource | None = Field(default=None, description="Registry file from a git repository.")
    api: APISource | None = Field(default=None, description="An upstream MCP Registry API.")
    url: URLSource | None = Field(default=None, description="Registry file from an HTTP(S) URL.")
    managed: ManagedSource | None = Field(
        default=None, description="Entries managed through the admin API. At most one per registry."
    )
    kubernetes: KubernetesSource | None = Field(
        default=None, description="Entries discovered from MCP resources in the cluster."
    )
    sync_policy: SyncPolicy | None = Field(
        default=None,
        description=f"Sync schedule. Defaults to every {DEFAULT_SYNC_INTERVAL}. "
        "Ignored for managed and kubernetes sources.",
    )
    filter: SourceFilter | None = Field(
        default=None,
        description="Name and tag filters. Ignored for managed and kubernetes sources.",
    )

    @property
    def source_types(self) -> list[str]:
        """The wire names of the source type fields that are set."""
        return [t for t, f in zip(SOURCE_TYPES, _TYPE_FIELDS, strict=True) if getattr(self, f)]

    @model_validator(mode="after")
    def _exactly_one_type(self) -> MCPRegistrySource:
        found = self.source_types
        if len(found) != 1:
            raise ValueError(f"{_EXACTLY_ONE_TYPE} (got {', '.join(found) or 'none'})")
        return self


_TYPE_FIELDS = ("config_map_ref", "git", "api", "url", "managed", "kubernetes")


class MCPRegistryView(WireModel):
    """A registry served by the API: a named, ordered list of sources."""

    name: RegistryName = Field(
        description="Registry name, unique within spec.registries; served under /registry/<name>/."
    )
    sources: list[SourceName] = Field(
        min_length=1,
        max_length=20,
        description="Names of spec.sources entries, in priority order (the first source wins "
        "when two provide the same server).",
        json_schema_extra={"x-kubernetes-list-type": "atomic"},
    )
    claims: Claims | None = Field(
        default=None,
        description="Claims a caller must hold to read this registry. Values are strings or "
        "lists of strings.",
    )
