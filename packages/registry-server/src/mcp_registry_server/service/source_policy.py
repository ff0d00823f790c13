"""What a source created through the admin API may reach (`sync.adminSources`): no non-public
address unless the config lets such sources ask for it, and no local file outside the
configured roots. The config file's own sources are not limited here (their author runs the
server); their fetches are still guarded unless allowed (`sync.allowPrivateIP`)."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from mcp_registry_common.config import SourceConfig
from mcp_registry_common.config.sync import AdminSourcePolicy

from mcp_registry_server.service.errors import ForbiddenError

NO_POLICY = AdminSourcePolicy()
"""`sync.adminSources` when absent: no private addresses, no local files."""
NETWORK_SCHEMES = frozenset({"http", "https", "git", "ssh", "git+ssh", "ssh+git"})
_SCP_LIKE = re.compile(r"^[^/:]+:")
"""`[user@]host:path`, git's scp-like ssh syntax (a local path needs a `/` before any `:`)."""


def check_admin_source(config: SourceConfig, policy: AdminSourcePolicy | None) -> None:
    """ForbiddenError when `config`, sent to the admin API, asks for more than `policy` gives."""
    policy = policy or NO_POLICY
    if config.allow_private_ip and not policy.allow_private_ip:
        raise ForbiddenError(
            "forbidden: allowPrivateIP is not allowed for sources created through the admin "
            "API (the server config's sync.adminSources.allowPrivateIP)"
        )
    path = local_path(config)
    if path is not None and not under_roots(path, policy.file_roots):
        raise ForbiddenError(
            "forbidden: a local file of a source created through the admin API must lie under "
            "one of the server config's sync.adminSources.fileRoots"
            + ("" if policy.file_roots else " (none are configured)")
        )


def local_path(config: SourceConfig) -> str | None:
    """The local file or repository `config` reads (`file.path`, a `file://` or path git
    repository); None when it only reaches the network."""
    if config.file is not None:
        return config.file.path
    if config.git is None:
        return None
    repository = config.git.repository
    scheme = urlsplit(repository).scheme.lower()
    if scheme == "file":
        return urlsplit(repository).path
    if scheme in NETWORK_SCHEMES or "://" in repository or _SCP_LIKE.match(repository):
        return None
    return repository


def under_roots(path: str, roots: list[str]) -> bool:
    """Whether `path` (absolute), with its symlinks resolved now, lies under one of `roots`."""
    if not os.path.isabs(path):
        return False
    real = os.path.realpath(path)
    for root in roots:
        base = os.path.realpath(root)
        if os.path.commonpath([real, base]) == base:
            return True
    return False
