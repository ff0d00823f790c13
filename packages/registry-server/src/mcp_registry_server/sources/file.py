"""File sources: a local path (e.g. a mounted ConfigMap, symlinks resolved) or an http(s) URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from mcp_registry_common.redaction import redact_url

from mcp_registry_server.netguard import GUARD, AddressGuard, http_client
from mcp_registry_server.sources.base import FetchedDocument, FetchLimits, sha256_hex
from mcp_registry_server.sources.errors import (
    SourceNotFoundError,
    SourceTooLargeError,
    SourceUnavailableError,
)
from mcp_registry_server.sources.httpget import get_bytes


class FilePathFetcher:
    """Reads a registry document from the filesystem at every fetch (no watching)."""

    def __init__(self, path: Path, *, limits: FetchLimits) -> None:
        self._path = path
        self._limits = limits

    async def fetch(self) -> FetchedDocument:
        data = await asyncio.to_thread(read_file, self._path, max_bytes=self._limits.max_bytes)
        return FetchedDocument(
            data=data, content_hash=sha256_hex(data), origin=str(self._path), local=True
        )


def read_file(path: Path, *, max_bytes: int) -> bytes:
    """Bytes of `path` after resolving symlinks (a ConfigMap mount swaps a `..data` link)."""
    try:
        real = path.resolve(strict=True)
        with real.open("rb") as fh:
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
