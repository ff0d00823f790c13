"""Which local file or repository a source reads, and the roots an admin-created source must
read under (`sync.adminSources.fileRoots`), checked when the source is written and again at
every fetch (a symlink under a root may be pointed elsewhere later, and the config may narrow
the roots)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from mcp_registry_common.config import SourceConfig

from mcp_registry_server.sources.base import Fetcher, FetchResult
from mcp_registry_server.sources.errors import SourceConfigError

NETWORK_SCHEMES = frozenset({"http", "https", "git", "ssh", "git+ssh", "ssh+git"})
_SCP_LIKE = re.compile(r"^[^/:]+:")
"""`[user@]host:path`, git's scp-like ssh syntax (a local path needs a `/` before any `:`)."""
OUTSIDE_ROOTS = (
    "refused: a local file of a source created through the admin API must lie under one of "
    "the server config's sync.adminSources.fileRoots"
)
"""The one message of a fetch refused for its path (whether or not anything is there)."""


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


def under_roots(path: str, roots: Sequence[str]) -> bool:
    """Whether `path` (absolute), with its symlinks resolved now, lies under one of `roots`."""
    if not os.path.isabs(path):
        return False
    real = os.path.realpath(path)
    for root in roots:
        base = os.path.realpath(root)
        if os.path.commonpath([real, base]) == base:
            return True
    return False


class RootedFetcher:
    """`inner`, which reads the local `path`, for as long as `path` lies under `roots`: checked
    before every fetch, else `SourceConfigError` (`OUTSIDE_ROOTS`)."""

    def __init__(self, inner: Fetcher, *, path: str, roots: Sequence[str]) -> None:
        self._inner, self._path, self._roots = inner, path, tuple(roots)

    async def fetch(self) -> FetchResult:
        if not under_roots(self._path, self._roots):
            raise SourceConfigError(OUTSIDE_ROOTS)
        return await self._inner.fetch()
