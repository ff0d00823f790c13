"""Constrained string types of the MCPRegistry schema: names, keys, URLs and relative paths."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

DNS_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
"""RFC 1123 label: what the registry server requires of source names."""

DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
"""RFC 1123 subdomain: Kubernetes object names (Secrets, ConfigMaps)."""

CONFIG_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
"""A key inside a Secret or ConfigMap."""

HTTP_URL_PATTERN = r"^https?://.*"
"""ToolHive's CRD pattern for every URL field."""

JSON_FILE_PATTERN = r"^.*\.json$"

ObjectName = Annotated[
    str,
    Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN_PATTERN),
]
"""The name of a Kubernetes object in the MCPRegistry's namespace."""

ConfigKey = Annotated[str, Field(min_length=1, max_length=253, pattern=CONFIG_KEY_PATTERN)]
"""A key in a Secret's or ConfigMap's data."""

SourceName = Annotated[str, Field(min_length=1, max_length=63, pattern=DNS_LABEL_PATTERN)]
"""A source name: a DNS label, unique within spec.sources."""

HttpUrl = Annotated[str, Field(min_length=1, max_length=2048, pattern=HTTP_URL_PATTERN)]
"""An http:// or https:// URL."""

ShortText = Annotated[str, Field(min_length=1, max_length=253)]
"""A non-empty identifier-like string (usernames, audiences, client ids)."""

FilePath = Annotated[str, Field(min_length=1, max_length=4096)]
"""A path inside the registry server's container."""


class UnsafePathError(ValueError):
    """A repository path that is absolute or climbs out of the repository with `..`."""


def check_relative_path(path: str) -> str:
    """Reject absolute paths and `..` segments (a git source must stay inside its checkout)."""
    if path.startswith("/"):
        raise UnsafePathError(f"path {path!r} must be relative to the repository root")
    if ".." in path.split("/"):
        raise UnsafePathError(f"path {path!r} must not contain '..' segments")
    return path


RELATIVE_PATH_RULE = {
    "rule": "!self.startsWith('/') && self != '..' && !self.startsWith('../')"
    " && !self.contains('/../') && !self.endsWith('/..')",
    "message": "path must be relative to the repository root and must not contain '..' segments",
}
"""The CEL twin of check_relative_path, attached to the string node."""

RegistryFilePath = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1024,
        pattern=JSON_FILE_PATTERN,
        json_schema_extra={"x-kubernetes-validations": [RELATIVE_PATH_RULE]},
    ),
    AfterValidator(check_relative_path),
]
"""A relative path to a `.json` registry file inside a repository."""
