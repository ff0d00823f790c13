"""The internal token's Secret against the API double: created once with a fresh token, read
back (never regenerated, never overwritten) afterwards, replaced only when unusable."""

from __future__ import annotations

import base64
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kubernetes_asyncio import client
from mcp_registry_common.internaltoken import is_usable
from mcp_registry_common.mcpregistry import MCPRegistry, parse_mcpregistry
from mcp_registry_operator.kube import ApiClient
from mcp_registry_operator.reconcile.applier import ApplyStepError
from mcp_registry_operator.reconcile.caches import Caches
from mcp_registry_operator.reconcile.internaltoken import InternalTokens
from mcp_registry_operator.reconcile.verdicts import Step
from mcp_registry_operator.resources.internaltoken import build_internal_token_secret, token_of
from mcp_registry_operator.runtime.keys import Key
from mcp_registry_testing.kubeapi import KubeApiDouble

NS = "ns"
SECRET = "reg-internal-token"
UID = "11111111-2222-3333-4444-555555555555"


class SecretCache:
    """A Secret cache the test steers: `lagging` shows what it showed before (as an informer
    whose watch event has not arrived), otherwise it shows what the double stores."""

    def __init__(self, kube: KubeApiDouble) -> None:
        self.kube = kube
        self.lagging: dict[str, Any] | None = None
        self.lag = False

    def get(self, key: Key) -> dict[str, Any] | None:
        if self.lag:
            return self.lagging
        namespace, name = key.split("/", 1)
        found = [
            o
            for o in self.kube.objects("secrets", namespace=namespace)
            if o["metadata"]["name"] == name
        ]
        return found[0] if found else None


def registry() -> MCPRegistry:
    return parse_mcpregistry(
        {
            "apiVersion": "toolhive.stacklok.dev/v1alpha1",
            "kind": "MCPRegistry",
            "metadata": {"name": "reg", "namespace": NS, "uid": UID},
            "spec": {
                "sources": [{"name": "s", "url": {"endpoint": "https://example.com/r.json"}}],
                "registries": [{"name": "default", "sources": ["s"]}],
            },
        }
    )


def stored_token(kube: KubeApiDouble) -> str:
    secret = kube.get("secrets", NS, SECRET)
    return base64.b64decode(secret["data"]["token"]).decode()


@pytest.fixture
async def api(kube: KubeApiDouble) -> AsyncIterator[ApiClient]:
    async with client.ApiClient(client.Configuration(host=kube.url)) as api_client:
        yield api_client


def tokens_for(api: ApiClient, cache: SecretCache) -> InternalTokens:
    counter = itertools.count(1)
    return InternalTokens(
        api=api,
        caches=Caches(registries=cache, by_kind={"Secret": cache}),
        generate=lambda: f"generated-token-{next(counter):03d}-" + "x" * 24,
    )


async def test_the_secret_is_created_once_and_its_token_kept(
    kube: KubeApiDouble, api: ApiClient
) -> None:
    cache = SecretCache(kube)
    cache.lag = True  # the informer has not seen the create yet
    tokens = tokens_for(api, cache)
    first = await tokens.token_for(registry())
    assert is_usable(first)
    assert stored_token(kube) == first
    secret = kube.get("secrets", NS, SECRET)
    (owner,) = secret["metadata"]["ownerReferences"]
    assert (owner["uid"], owner["controller"]) == (UID, True)
    assert secret["metadata"]["labels"]["app.kubernetes.io/instance"] == "reg"
    assert await tokens.token_for(registry()) == first  # the cache lags: remembered
    cache.lag = False
    for _ in range(3):
        assert await tokens.token_for(registry()) == first
    assert len(kube.writes("/secrets")) == 1
    # a new operator (nothing remembered) reads it from its cache: no write at all
    assert await tokens_for(api, cache).token_for(registry()) == first
    assert len(kube.writes("/secrets")) == 1


async def test_a_secret_made_meanwhile_is_read_back_never_overwritten(
    kube: KubeApiDouble, api: ApiClient
) -> None:
    """Another replica (or a reconcile the cache has not caught up with) made it: the create is
    refused (409) and the stored token is used as it is."""
    theirs = "theirs-" + "t" * 40
    kube.store.create(kube.resource("secrets"), NS, build_internal_token_secret(registry(), theirs))
    cache = SecretCache(kube)
    cache.lag = True
    tokens = tokens_for(api, cache)
    assert await tokens.token_for(registry()) == theirs
    assert stored_token(kube) == theirs
    assert [w.method for w in kube.writes("/secrets")] == ["POST"]  # the refused create


@pytest.mark.parametrize(
    "data", [{}, {"token": base64.b64encode(b"short").decode()}, {"token": "not base64!"}]
)
async def test_an_unusable_token_is_replaced_once(
    kube: KubeApiDouble, api: ApiClient, data: dict[str, str]
) -> None:
    broken = build_internal_token_secret(registry(), "x" * 40)
    broken["data"] = data
    kube.store.create(kube.resource("secrets"), NS, broken)
    cache = SecretCache(kube)
    cache.lagging = kube.get("secrets", NS, SECRET)
    tokens = tokens_for(api, cache)
    first = await tokens.token_for(registry())
    assert is_usable(first)
    assert stored_token(kube) == first
    cache.lag = True  # still shows the broken Secret: the replacement stands in for it
    assert await tokens.token_for(registry()) == first
    cache.lag = False
    assert await tokens.token_for(registry()) == first
    assert [w.method for w in kube.writes("/secrets")] == ["PUT"]


async def test_a_refused_create_is_the_internal_token_step(
    kube: KubeApiDouble, api: ApiClient
) -> None:
    kube.fail_next("POST", "/secrets", 403)
    tokens = tokens_for(api, SecretCache(kube))
    with pytest.raises(ApplyStepError) as caught:
        await tokens.token_for(registry())
    assert caught.value.step is Step.INTERNAL_TOKEN_SECRET
    assert str(caught.value).startswith(f"Secret {SECRET!r}: HTTP 403")


def test_a_token_is_read_only_when_usable() -> None:
    secret = build_internal_token_secret(registry(), "y" * 40)
    assert token_of(secret) == "y" * 40
    newline = {"data": {"token": base64.b64encode(b"z" * 40 + b"\n").decode()}}
    assert token_of(newline) == "z" * 40  # a hand-written value's newline is dropped
    assert token_of({"data": {"token": base64.b64encode(b"z" * 10).decode()}}) is None
    assert token_of({}) is None
