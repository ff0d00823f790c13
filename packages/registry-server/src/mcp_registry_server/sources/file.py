"""File sources: a local path (e.g. a mounted ConfigMap, symlinks resolved) or an http(s) URL."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from mcp_registry_common.redaction import redact_url

from mcp_registry_server.netguard import GUARD, AddressGuard, http_client
from mcp_registry_server.sources.base import FetchedDocument, FetchLimits, sha256_hex
from mcp_registry_server.sources.errors import (
    SourceConfigError,
    SourceNotFoundError,
    SourceTooLargeError,
    SourceUnavailableError,
)
from mcp_registry_server.sources.httpget import get_bytes
from mcp_registry_server.sources.localfiles import (
    OUTSIDE_ROOTS,
    check_under_roots,
    opened_under_roots,
)


class FilePathFetcher:
    """Reads a registry document from the filesystem at every fetch (no watching); only under
    `roots` unless that is None (`sync.adminSources.fileRoots`, for admin-created sources)."""

    def __init__(
        self, path: Path, *, limits: FetchLimits, roots: Sequence[str] | None = None
    ) -> None:
        self._path = path
        self._limits = limits
        self._roots = None if roots is None else tuple(roots)

    async def fetch(self) -> FetchedDocument:
        data = await asyncio.to_thread(
            read_file, self._path, max_bytes=self._limits.max_bytes, roots=self._roots
        )
        return FetchedDocument(
            data=data, content_hash=sha256_hex(data), origin=str(self._path), local=True
        )


def read_file(path: Path, *, max_bytes: int, roots: Sequence[str] | None = None) -> bytes:
    """Bytes of `path` after resolving symlinks (a ConfigMap mount swaps a `..data` link). With
    `roots`, the path must lie under one (checked first, so a refusal says nothing of what is
    there) and so must the file opened (so a link re-pointed in between is refused too)."""
    check_under_roots(str(path), roots)
    try:
        real = path.resolve(strict=True)
        with real.open("rb") as fh:
            if roots is not None and not opened_under_roots(fh.fileno(), str(real), roots):
                raise SourceConfigError(OUTSIDE_ROOTS)
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise SourceNotFoundError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise SourceNotFoundError(f"{path} is a directory, not a registry file") from None
    except OSError as exc:
        raise SourceUnavailableError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise SourceTooLargeError(f"{path} is larger than the {max_bytes} byte limit")
    return data


class FileUrlFetcher:
    """GETs a registry document from an http(s) URL with a timeout and a size limit; `guard`
    checks every address connected to (None: any address, `allowPrivateIP`)."""

    def __init__(
        self,
        url: str,
        *,
        http: aiohttp.ClientSession,
        timeout: float,
        limits: FetchLimits,
        guard: AddressGuard | None = GUARD,
    ) -> None:
        self._url = url
        self._client = http_client(http, guard)
        self._timeout = timeout
        self._limits = limits

    async def fetch(self) -> FetchedDocument:
        async with self._client() as http:
            data = await get_bytes(http, self._url, time_limit=self._timeout, limits=self._limits)
        return FetchedDocument(
            data=data, content_hash=sha256_hex(data), origin=redact_url(self._url)
        )
