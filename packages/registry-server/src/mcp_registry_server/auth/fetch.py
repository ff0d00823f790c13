"""Guarded HTTP requests for small JSON documents: SSRF check, TLS context, no redirects, timeout,
size cap.

The SSRF guard runs twice: on the host's resolution before the request (`guard_url`: a refusal
names the host and its address), and on the very address each socket connects to (the shared
`AddressGuard`), so a DNS answer that changes between the two (DNS rebinding) cannot reach a
private address either."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from multidict import CIMultiDictProxy

from mcp_registry_server.auth.errors import FetchError, UnsafeUrlError
from mcp_registry_server.auth.netguard import Resolver, guard_url, system_resolver
from mcp_registry_server.netguard import GUARD, REFUSED, AddressGuard, http_client, refused


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How one provider's endpoints may be reached."""

    allow_private_ip: bool = False
    allow_insecure_http: bool = False
    ssl_context: ssl.SSLContext | None = None
    """Trust store including the provider's ``caCertPath``; ``None`` means the system default."""
    timeout: float = 10.0
    resolve: Resolver = system_resolver
    guard: AddressGuard = GUARD
    """Checks each address a socket connects to (unless ``allow_private_ip``)."""
    pooled: bool = False
    """The session given to the fetches is a `guarded_session` of ``guard`` already (the app's,
    whose pool keeps connections for reuse); otherwise each guarded fetch opens its own."""


@dataclass(frozen=True, slots=True)
class JsonResponse:
    """A decoded JSON body and the response headers."""

    body: object
    headers: CIMultiDictProxy[str]


async def fetch_json(
    http: aiohttp.ClientSession,
    url: str,
    *,
    policy: FetchPolicy,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
) -> JsonResponse:
    """GET ``url`` (or POST ``form`` as urlencoded) and decode a JSON body of at most ``max_bytes``.

    The URL is checked by the SSRF guard first, and every address connected to again (raising
    ``UnsafeUrlError``); redirects are not followed. Other failures raise ``FetchError``.
    """
    target = await guard_url(
        url,
        allow_private_ip=policy.allow_private_ip,
        allow_insecure_http=policy.allow_insecure_http,
        resolve=policy.resolve,
        forbidden=policy.guard.forbidden,
    )
    request_headers = {"Accept": "application/json", **(headers or {})}
    method = "POST" if form is not None else "GET"
    guarded = not (policy.allow_private_ip or policy.pooled)
    client = http_client(http, policy.guard if guarded else None)
    try:
        async with (
            client() as session,
            session.request(
                method,
                target,
                headers=request_headers,
                data=dict(form) if form is not None else None,
                allow_redirects=False,
                ssl=policy.ssl_context if policy.ssl_context is not None else True,
                timeout=aiohttp.ClientTimeout(total=policy.timeout),
            ) as response,
        ):
            if response.status != 200:
                raise FetchError(url, f"HTTP status {response.status}")
            if response.content_length is not None and response.content_length > max_bytes:
                raise FetchError(url, f"response larger than {max_bytes} bytes")
            raw = await _read_capped(response, url=url, max_bytes=max_bytes)
            response_headers = response.headers
    except (aiohttp.ClientError, TimeoutError) as error:
        if refused(error):  # resolved anew on connecting, to a non-public address
            raise UnsafeUrlError(url, REFUSED) from None
        raise FetchError(url, f"{type(error).__name__}: {error}") from error
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise FetchError(url, "response is not valid JSON") from error
    return JsonResponse(body=body, headers=response_headers)


async def _read_capped(response: aiohttp.ClientResponse, *, url: str, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(url, f"response larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def bearer_headers(token_file: Path | None) -> dict[str, str]:
    """``Authorization: Bearer`` from ``token_file`` (authTokenFile), re-read at each call since
    projected service-account tokens rotate; empty when no file is configured."""
    if token_file is None:
        return {}
    try:
        token = (await asyncio.to_thread(token_file.read_text, encoding="utf-8")).strip()
    except OSError as error:
        raise FetchError(str(token_file), f"cannot read authTokenFile: {error.strerror}") from error
    return {"Authorization": f"Bearer {token}"} if token else {}
