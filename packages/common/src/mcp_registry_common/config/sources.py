"""`sources[]` of the server config: where registry data comes from and how often it is synced."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from mcp_registry_common.config.base import ConfigModel
from mcp_registry_common.config.claimvalues import ConfigClaims
from mcp_registry_common.config.urls import absolute_path_problem, http_url_problem
from mcp_registry_common.durations import (
    GoDuration,
    PositiveGoDuration,
    format_go_duration,
    parse_go_duration,
)
from mcp_registry_common.errorpaths import FieldPathError, Loc
from mcp_registry_common.filtering import SourceFilter

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
"""RFC 1123 label: ToolHive's rule for source names (they become Kubernetes lease names)."""

COMMIT_SHA = re.compile(r"^[0-9a-fA-F]{4,64}$")
NonEmpty = Annotated[str, Field(min_length=1)]
SourceKind = Literal["git", "api", "file", "managed", "kubernetes"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("git", "api", "file", "managed", "kubernetes")
SYNCED_KINDS: frozenset[SourceKind] = frozenset({"git", "api", "file"})
MAX_API_TIMEOUT_SECONDS = 300.0
DEFAULT_FILE_URL_TIMEOUT = "30s"
DEFAULT_GIT_TIMEOUT = "60s"
DEFAULT_SYNC_TIMEOUT = "10m"


class SyncPolicy(ConfigModel):
    """`syncPolicy:` of a git, api or file source."""

    interval: PositiveGoDuration = Field(
        description="How often the source is fetched, as a Go duration ('30m', '1h'). Required."
    )
    timeout: PositiveGoDuration | None = Field(
        default=None,
        description="Longest one sync attempt may take (every API page, a whole git fetch); "
        "then it is abandoned and retried with backoff. Absent means `sync.timeout` "
        f"(default {DEFAULT_SYNC_TIMEOUT}). Ours: ToolHive has no such key.",
    )


class GitAuth(ConfigModel):
    """HTTP basic credentials for a private repository: both fields or neither."""

    username: NonEmpty | None = None
    password_file: NonEmpty | None = Field(
        default=None,
        description="Absolute path of a file holding the password or token (read, and "
        "whitespace-trimmed, at every fetch; the server checks that it exists).",
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> GitAuth:
        if (self.username is None) != (self.password_file is None):
            raise ValueError("git.auth.username and git.auth.passwordFile must both be specified")
        if self.password_file is not None and absolute_path_problem(self.password_file):
            raise FieldPathError(
                [(("passwordFile",), "git.auth.passwordFile must be an absolute path")]
            )
        return self


class GitSourceConfig(ConfigModel):
    """`git:`: one file read from a repository at a branch, tag or commit.

    More than one of branch/tag/commit is accepted (as the seed documentation promises) and
    resolved by precedence: commit, then tag, then branch; none means the remote's default
    branch. The loader warns about the refs that are ignored.
    """

    repository: NonEmpty = Field(description="Clone URL (https, http, ssh, git or file).")
    branch: NonEmpty | None = None
    tag: NonEmpty | None = None
    commit: NonEmpty | None = Field(default=None, description="Commit SHA (hexadecimal).")
    path: NonEmpty = Field(
        default="registry.json",
        description="Registry file inside the repository, relative to its root.",
    )
    auth: GitAuth | None = None
    timeout: PositiveGoDuration | None = Field(
        default=None,
        description="Socket timeout of every git transport (git://, http(s), ssh): longest "
        "wait to connect or for the remote's next bytes. Absent means "
        f"{DEFAULT_GIT_TIMEOUT}. Ours: ToolHive has no such key.",
    )

    @field_validator("commit")
    @classmethod
    def _hex_sha(cls, commit: str | None) -> str | None:
        if commit is not None and not COMMIT_SHA.match(commit):
            raise ValueError("git.commit must be a hexadecimal commit SHA (4 to 64 characters)")
        return commit

    @field_validator("path")
    @classmethod
    def _inside_repository(cls, path: str) -> str:
        parts = PurePosixPath(path)
        if parts.is_absolute():
            raise ValueError("git.path must be relative to the repository root")
        if ".." in parts.parts:
            raise ValueError(
                "git.path must not contain '..' segments (it would escape the repository)"
            )
        return path

    @property
    def ref_kind(self) -> Literal["commit", "tag", "branch"] | None:
        """Which ref is used: commit > tag > branch; None for the default branch."""
        if self.commit is not None:
            return "commit"
        if self.tag is not None:
            return "tag"
        if self.branch is not None:
            return "branch"
        return None

    @property
    def ref(self) -> str | None:
        """The value of the ref chosen by `ref_kind`."""
        kind = self.ref_kind
        return None if kind is None else getattr(self, kind)

    @property
    def timeout_seconds(self) -> float:
        """The socket timeout, with the default applied."""
        return parse_go_duration(self.timeout or DEFAULT_GIT_TIMEOUT)

    def config_notes(self) -> list[tuple[Loc, str]]:
        kind = self.ref_kind
        return [
            ((name,), f"ignored: {kind} takes precedence (commit > tag > branch)")
            for name in ("tag", "branch")
            if name != kind and getattr(self, name) is not None
        ]


class ApiSourceConfig(ConfigModel):
    """`api:`: an upstream MCP Registry API, paged through `<endpoint>/v0.1/servers`."""

    endpoint: NonEmpty = Field(description="Base URL without the `/v0.1/...` path.")
    timeout: GoDuration = Field(
        default="10s", description="Per-request timeout; greater than zero and at most 5m."
    )
    max_pages: int = Field(
        default=1000,
        ge=1,
        description="Most pages of 100 servers fetched in one sync before it fails as runaway "
        "(ToolHive's fixed cap; ours is configurable).",
    )

    @field_validator("endpoint")
    @classmethod
    def _endpoint_url(cls, endpoint: str) -> str:
        problem = http_url_problem(endpoint)
        if problem:
            raise ValueError(f"api.endpoint {problem}")
        return endpoint

    @field_validator("timeout")
    @classmethod
    def _timeout_bounds(cls, timeout: str) -> str:
        seconds = parse_go_duration(timeout)
        if seconds <= 0:
            raise ValueError("api.timeout must be greater than zero")
        if seconds > MAX_API_TIMEOUT_SECONDS:
            raise ValueError(
                f"api.timeout must not exceed {format_go_duration(MAX_API_TIMEOUT_SECONDS)}"
            )
        return timeout


class FileSourceConfig(ConfigModel):
    """`file:`: a local path or an http(s) URL (exactly one). ToolHive's inline `data` is not
    read from config files (it warns as an unknown key)."""

    path: NonEmpty | None = Field(
        default=None, description="Local file; relative paths resolve against the working dir."
    )
    url: NonEmpty | None = None
    timeout: PositiveGoDuration | None = Field(
        default=None,
        description=f"HTTP timeout; URL only. Absent means {DEFAULT_FILE_URL_TIMEOUT}.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> FileSourceConfig:
        if self.path is None and self.url is None:
            raise ValueError("file.path or file.url is required")
        if self.path is not None and self.url is not None:
            raise ValueError("file.path and file.url are mutually exclusive")
        problem = None if self.url is None else http_url_problem(self.url)
        if problem:
            raise FieldPathError([(("url",), f"file.url {problem}")])
        return self

    def config_notes(self) -> list[tuple[Loc, str]]:
        if self.path is not None and self.timeout is not None:
            return [(("timeout",), "ignored: only used with file.url")]
        return []

    @property
    def timeout_seconds(self) -> float:
        """The URL fetch timeout, with the default applied."""
        return parse_go_duration(self.timeout or DEFAULT_FILE_URL_TIMEOUT)


class ManagedSourceConfig(ConfigModel):
    """`managed: {}`: entries published through the admin API. At most one per server."""


class KubernetesSourceConfig(ConfigModel):
    """`kubernetes:`: MCP servers exported by annotated resources in the cluster."""

    namespaces: list[str] = Field(
        default_factory=list,
        description="Namespaces to watch; empty means THV_REGISTRY_WATCH_NAMESPACE, else the "
        "server's own namespace (ToolHive: else all namespaces).",
    )

    @field_validator("namespaces")
    @classmethod
    def _dns_labels(cls, namespaces: list[str]) -> list[str]:
        bad = [
            ((i,), f"namespace {ns!r} must be a valid DNS label")
            for i, ns in enumerate(namespaces)
            if not DNS_LABEL.match(ns)
        ]
        if bad:
            raise FieldPathError(bad)
        return namespaces


class SourceConfig(ConfigModel):
    """One `sources[]` entry. The block present (git, api, file, managed or kubernetes) is
    its kind; git, api and file sources are synced and need `syncPolicy.interval`."""

    name: str = Field(description="DNS label, unique among sources.")
    format: Literal["toolhive", "upstream"] | None = Field(
        default=None,
        description="Data format of the fetched file; absent means auto-detect. Ours: "
        "ToolHive removed this key and reads only the upstream format.",
    )
    git: GitSourceConfig | None = None
    api: ApiSourceConfig | None = None
    file: FileSourceConfig | None = None
    managed: ManagedSourceConfig | None = None
    kubernetes: KubernetesSourceConfig | None = None
    sync_policy: SyncPolicy | None = None
    filter: SourceFilter | None = Field(
        default=None, description="Name/tag filter applied at sync time; synced sources only."
    )
    claims: ConfigClaims | None = Field(
        default=None, description="Authorization claims copied onto every entry of the source."
    )
    allow_private_ip: bool | None = Field(
        default=None,
        alias="allowPrivateIP",
        description="Ours: let the source's fetches (api.endpoint, file.url, git over http(s), "
        "git:// or ssh) reach private, loopback, link-local and other non-public addresses, "
        "e.g. an in-cluster Service. Absent means `sync.allowPrivateIP` for a config-file "
        "source and false for one created through the admin API; true there needs "
        "`sync.adminSources.allowPrivateIP: true`.",
    )

    @field_validator("name")
    @classmethod
    def _dns_label(cls, name: str) -> str:
        if not name:
            raise ValueError("name is required")
        if not DNS_LABEL.match(name):
            raise ValueError(
                f"name '{name}' must be a valid DNS subdomain "
                "(lowercase alphanumeric and hyphens, max 63 chars)"
            )
        return name

    @model_validator(mode="after")
    def _one_kind(self) -> SourceConfig:
        present = [kind for kind in SOURCE_KINDS if getattr(self, kind) is not None]
        if not present:
            raise ValueError(
                "one of git, api, file, managed, or kubernetes configuration must be specified"
            )
        if len(present) > 1:
            raise ValueError(
                "only one of git, api, file, managed, or kubernetes configuration may be "
                f"specified, found {', '.join(present)}"
            )
        if present[0] in SYNCED_KINDS and self.sync_policy is None:
            raise FieldPathError([(("syncPolicy", "interval"), "syncPolicy.interval is required")])
        return self

    @property
    def kind(self) -> SourceKind:
        """The source type, from the block that is present."""
        for kind in SOURCE_KINDS:
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError(f"source {self.name!r} has no type block")  # prevented by validation

    @property
    def synced(self) -> bool:
        """True for git, api and file sources (fetched on `syncPolicy.interval`)."""
        return self.kind in SYNCED_KINDS

    @property
    def watched(self) -> bool:
        """True for kubernetes sources (the server watches the cluster and pushes changes)."""
        return self.kind == "kubernetes"

    def config_notes(self) -> list[tuple[Loc, str]]:
        if self.synced:
            return []
        return [
            ((key,), f"ignored for {self.kind} sources")
            for key, value in (("syncPolicy", self.sync_policy), ("filter", self.filter))
            if value is not None
        ]
