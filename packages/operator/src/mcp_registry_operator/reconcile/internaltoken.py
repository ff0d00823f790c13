"""The internal token of each registry server: read from Secret `<n>-internal-token` in the
cache; the Secret is created once, with a fresh random token, when it does not exist.

The Secret is never rebuilt from the spec (a random token would differ at every reconcile):
a usable token is kept as it is, so a Ready registry costs no write here. Only a Secret whose
token is missing or unusable gets a new one, by a replace guarded by its resourceVersion. The
create is a plain create, never an apply: a Secret made by another reconcile (or another
operator replica) in the meantime is read back, never overwritten. A token written moments ago
stands in for a cache that has not caught up, so the next reconcile does not make another.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from mcp_registry_common.internaltoken import new_token
from mcp_registry_common.mcpregistry import MCPRegistry

from mcp_registry_operator.kube import SECRETS, AlreadyExistsError, ApiClient, KubeApiError
from mcp_registry_operator.kube.fetching import get_object
from mcp_registry_operator.kube.writing import create_object, replace_object
from mcp_registry_operator.reconcile.applier import ApplyStepError
from mcp_registry_operator.reconcile.caches import Caches
from mcp_registry_operator.reconcile.recent import RecentWrites, WriteRef
from mcp_registry_operator.reconcile.verdicts import Step
from mcp_registry_operator.resources.internaltoken import build_internal_token_secret, token_of
from mcp_registry_operator.resources.naming import internal_token_secret_name

log = structlog.get_logger(__name__)


class InternalTokens:
    """Provides each registry's internal token; `ApplyStepError` (step InternalTokenSecret)
    when the Secret cannot be read or written."""

    def __init__(
        self,
        *,
        api: ApiClient,
        caches: Caches,
        written: RecentWrites | None = None,
        generate: Callable[[], str] = new_token,
    ) -> None:
        self._api = api
        self._caches = caches
        self.written = written or RecentWrites()
        """Tokens we wrote, until the cache shows the write (the content is the token); the
        composition root makes it forget a Secret that is deleted."""
        self._generate = generate

    async def token_for(self, registry: MCPRegistry) -> str:
        namespace = registry.metadata.namespace or ""
        name = internal_token_secret_name(registry.metadata.name or "")
        ref = WriteRef("Secret", namespace, name)
        cached = self._caches.get("Secret", namespace, name)
        written = self.written.lookup(ref, cached)
        if written is not None:
            return str(written)
        if cached is None:
            return await self._step(self._create(registry, ref), name)
        token = token_of(cached)
        if token is not None:
            return token
        return await self._step(self._replace(registry, ref, cached), name)

    async def _create(self, registry: MCPRegistry, ref: WriteRef) -> str:
        token = self._generate()
        body = build_internal_token_secret(registry, token)
        try:
            stored = await create_object(self._api, SECRETS, body, namespace=ref.namespace)
        except AlreadyExistsError:
            # Made since the cache was filled: read it back, never overwrite it.
            live = await get_object(self._api, SECRETS, namespace=ref.namespace, name=ref.name)
            kept = token_of(live)
            if kept is None:
                return await self._replace(registry, ref, live)
            self._remember(ref, kept, live)
            return kept
        self._remember(ref, token, stored)
        log.info("internal_token_created", secret=ref.name)
        return token

    async def _replace(self, registry: MCPRegistry, ref: WriteRef, live: Mapping[str, Any]) -> str:
        token = self._generate()
        body = build_internal_token_secret(registry, token)
        # Guarded by the version read: a copy gone stale raises ConflictError (retried).
        body["metadata"]["resourceVersion"] = _version(live)
        stored = await replace_object(self._api, SECRETS, body)
        self._remember(ref, token, stored)
        log.warning("internal_token_replaced", secret=ref.name, reason="no usable token")
        return token

    def _remember(self, ref: WriteRef, token: str, stored: Mapping[str, Any]) -> None:
        self.written.record(ref, token, _version(stored))

    @staticmethod
    async def _step(write: Awaitable[str], name: str) -> str:
        try:
            return await write
        except KubeApiError as exc:
            raise ApplyStepError(Step.INTERNAL_TOKEN_SECRET, "Secret", name, exc) from exc


def _version(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")
