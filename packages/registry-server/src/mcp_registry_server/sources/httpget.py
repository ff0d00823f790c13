"""One bounded HTTP GET for url and api sources: timeout, redirect cap, streamed size limit,
and the private-address guard on every connection (redirects included)."""

from __future__ import annotations

import asyncio

import aiohttp
from mcp_registry_common.redaction import redact_text, redact_url

from mcp_registry_server.netguard import REFUSED, refused
from mcp_registry_server.sources.base import MIB, FetchLimits
from mcp_registry_server.sources.errors import (
    SourceAddressError,
    SourceHTTPError,
    SourceTimeoutError,
    SourceTooLargeError,
    SourceUnavailableError,
)

USER_AGENT = "mcp-registry-server/0.1"
_CHUNK = 64 * 1024


async def get_bytes(
    http: aiohttp.ClientSession, url: str, *, time_limit: float, limits: FetchLimits
) -> bytes:
    """The body of a 200 answer to GET `url`; a typed `FetchError` for anything else.

    The whole exchange (redirects and body) must finish within `time_limit` seconds; the body is
    read in chunks and abandoned as soon as it exceeds `limits.max_bytes`.
    """
    shown = redact_url(url)
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    try:
        async with (
            asyncio.timeout(time_limit),
            http.get(
                url,
                headers=headers,
                max_redirects=limits.max_redirects,
                timeout=aiohttp.ClientTimeout(total=time_limit),
            ) as resp,
        ):
            if resp.status != 200:
                raise SourceHTTPError(status=resp.status, reason=resp.reason or "", url=url)
            declared = resp.content_length
            if declared is not None and declared > limits.max_bytes:
                raise _too_large(shown, limits.max_bytes, declared=declared)
            return await _read_limited(resp.content, shown=shown, max_bytes=limits.max_bytes)
    except TimeoutError:
        raise SourceTimeoutError(
            f"no complete answer within {time_limit:g}s from {shown}"
        ) from None
    except aiohttp.TooManyRedirects:
        raise SourceUnavailableError(
            f"more than {limits.max_redirects} redirects fetching {shown}"
        ) from None
    except aiohttp.ClientError as exc:
        if refused(exc):  # the guard's one message: no address, port or connect error told
            raise SourceAddressError(f"could not fetch {shown}: {REFUSED}") from None
        raise SourceUnavailableError(f"could not fetch {shown}: {_describe(exc)}") from None


async def _read_limited(stream: aiohttp.StreamReader, *, shown: str, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(shown, max_bytes, declared=None)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(shown: str, max_bytes: int, *, declared: int | None) -> SourceTooLargeError:
    limit = f"{max_bytes / MIB:g} MiB" if max_bytes >= MIB else f"{max_bytes} bytes"
    if declared is not None:
        return SourceTooLargeError(f"{shown} declares {declared} bytes, over the {limit} limit")
    return SourceTooLargeError(f"body of {shown} exceeds the {limit} limit; stopped reading")


def _describe(exc: aiohttp.ClientError) -> str:
    """`Type: message`; aiohttp's messages may name the URL (a redirect's too): redacted."""
    text = redact_text(str(exc).strip())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
