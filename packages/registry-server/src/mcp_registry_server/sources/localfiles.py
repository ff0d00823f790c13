"""Which local file or repository a source reads, and the roots an admin-created source must
read under (`sync.adminSources.fileRoots`), checked when the source is written and again at
every fetch (a symlink under a root may be pointed elsewhere later, and the config may narrow
the roots). A file source checks the very file it opened (`opened_under_roots`), so a link
re-pointed between the check and the read gains nothing; a git repository's path is checked
before each fetch."""

from __future__ import annotations

import asyncio
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


def opened_under_roots(fd: int, resolved: str, roots: Sequence[str]) -> bool:
    """Whether the file open as `fd` lies under one of `roots`, by the path the kernel gives
    for it (Linux's /proc/self/fd; elsewhere `resolved`, the path it was opened by)."""
    try:
        opened = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        opened = resolved
    return under_roots(opened, roots)


def check_under_roots(path: str, roots: Sequence[str] | None) -> None:
    """`SourceConfigError` (`OUTSIDE_ROOTS`) unless `roots` is None or `path` lies under one
    (blocking: resolves symlinks)."""
    if roots is not None and not under_roots(path, roots):
        raise SourceConfigError(OUTSIDE_ROOTS)


class RootedFetcher:
    """`inner`, which reads the local `path`, for as long as `path` lies under `roots`: checked
    before every fetch (in a worker thread: a hung mount must not stall the loop)."""

    def __init__(self, inner: Fetcher, *, path: str, roots: Sequence[str]) -> None:
        self._inner, self._path, self._roots = inner, path, tuple(roots)

    async def fetch(self) -> FetchResult:
        await asyncio.to_thread(check_under_roots, self._path, self._roots)
        return await self._inner.fetch()
