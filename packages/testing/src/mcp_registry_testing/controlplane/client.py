"""A small REST client for the test control plane (the node agent's and the tests' own; the
operator has its own client). JSON in and out; every call bounded by a timeout; a watch is an
async iterator of (type, object) that ends when the server closes it."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp

REQUEST_TIMEOUT = 30.0
WATCH_TIMEOUT = 300
"""Seconds the server keeps one watch open (timeoutSeconds); the caller then watches again."""

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


class KubeError(RuntimeError):
    """The API server answered with an error status (its Status message in the text)."""

    def __init__(self, code: int, status: Mapping[str, Any] | str) -> None:
        self.code = code
        self.status = status if isinstance(status, Mapping) else {"message": status}
        self.reason = str(self.status.get("reason", ""))
        super().__init__(f"{code} {self.reason}: {self.status.get('message', status)}")


@dataclass(frozen=True)
class Credentials:
    server: str
    ca_cert: Path | None = None
    """None for a plain-http server (the API double)."""
    client_cert: Path | None = None
    client_key: Path | None = None
    token: str | None = None

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.ca_cert is None:
            return None
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        if self.client_cert is not None and self.client_key is not None:
            context.load_cert_chain(self.client_cert, self.client_key)
        return context

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


class KubeClient:
    """`async with KubeClient(credentials) as kube:`; paths are API paths (`/api/v1/...`)."""

    def __init__(self, credentials: Credentials, *, user_agent: str = "mcp-registry-tests") -> None:
        self.credentials = credentials
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        context = self.credentials.ssl_context()
        connector = aiohttp.TCPConnector(ssl=context if context is not None else True)
        self._session = aiohttp.ClientSession(
            self.credentials.server,
            connector=connector,
            headers={**self.credentials.headers(), "User-Agent": self._user_agent},
            trust_env=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "use `async with KubeClient(...)`"
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        content_type: str = "application/json",
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """One call; the decoded JSON answer, or KubeError for any status >= 400."""
        data = (
            None if body is None else (body if isinstance(body, str | bytes) else json.dumps(body))
        )
        headers = {"Content-Type": content_type} if body is not None else {}
        async with self.session.request(
            method,
            path,
            data=data,
            headers=headers,
            params=params,
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        ) as reply:
            text = await reply.text()
            answer = _decode(text)
            if reply.status >= 400:
                raise KubeError(reply.status, answer if isinstance(answer, Mapping) else text)
            return answer if isinstance(answer, dict) else {"text": text}

    async def get(self, path: str, **params: str) -> dict[str, Any]:
        return await self.request("GET", path, params=params or None)

    async def get_or_none(self, path: str) -> dict[str, Any] | None:
        try:
            return await self.get(path)
        except KubeError as exc:
            if exc.code == 404:
                return None
            raise

    async def create(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return await self.request("POST", path, body=body)

    async def patch(
        self, path: str, body: Any, *, content_type: str = MERGE_PATCH, **params: str
    ) -> dict[str, Any]:
        return await self.request(
            "PATCH", path, body=body, content_type=content_type, params=params
        )

    async def delete(
        self, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Delete; None when it was already gone."""
        try:
            return await self.request("DELETE", path, body=body)
        except KubeError as exc:
            if exc.code == 404:
                return None
            raise

    async def list_all(
        self, path: str, *, limit: int = 500, **params: str
    ) -> tuple[list[dict[str, Any]], str]:
        """Every item under `path`, following `continue`; (items, the list's resourceVersion)."""
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            query = {"limit": str(limit), **params, **({"continue": token} if token else {})}
            page = await self.get(path, **query)
            items += page.get("items") or []
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                return items, str((page.get("metadata") or {}).get("resourceVersion", ""))

    async def watch(
        self, path: str, *, resource_version: str, **params: str
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Events after `resource_version` until the server ends the watch (KubeError on 410)."""
        query = {
            "watch": "true",
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(WATCH_TIMEOUT),
            **params,
        }
        timeout = aiohttp.ClientTimeout(total=WATCH_TIMEOUT + 30, sock_connect=REQUEST_TIMEOUT)
        async with self.session.get(path, params=query, timeout=timeout) as reply:
            if reply.status >= 400:
                raise KubeError(reply.status, _decode(await reply.text()))
            async for line in reply.content:
                if not line.strip():
                    continue
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object") or {}
                    raise KubeError(int(status.get("code", 500)), status)
                yield str(event["type"]), event["object"]


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
