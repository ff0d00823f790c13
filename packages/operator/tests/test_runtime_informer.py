"""The informer against the API double through real kubernetes-asyncio clients."""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio import client
from mcp_registry_operator.kube import CONFIG_MAPS
from mcp_registry_operator.runtime.informer import Informer, InformerSettings
from mcp_registry_operator.runtime.keys import Key
from mcp_registry_operator.runtime.mapping import owner_mapper
from mcp_registry_testing.kubeapi import KubeApiDouble
from mcp_registry_testing.waiting import wait_for

from .conftest import running

FAST = InformerSettings(backoff_base=0.01, backoff_cap=0.05, watch_timeout_seconds=30)


def _cm(name: str, namespace: str = "default", **extra: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace, **extra}, "data": {"k": name}}


def _put(kube: KubeApiDouble, name: str, namespace: str = "default", **extra: Any) -> None:
    kube.store.create(kube.resource("configmaps"), namespace, _cm(name, namespace, **extra))


class Recorder:
    def __init__(self) -> None:
        self.keys: list[Key] = []

    def __call__(self, key: Key) -> None:
        self.keys.append(key)


def _lists(kube: KubeApiDouble) -> int:
    return sum(
        1 for r in kube.requests if r.path.endswith("/configmaps") and "watch=" not in r.query
    )


def _watches(kube: KubeApiDouble) -> list[str]:
    return [r.query for r in kube.requests if "watch=" in r.query]


async def test_initial_list_fills_the_cache_sets_synced_and_reports_every_key(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    _put(kube, "a")
    _put(kube, "b")
    informer = Informer(api, CONFIG_MAPS, settings=FAST)
    seen = Recorder()
    informer.subscribe(seen)
    async with running(informer.run):
        await wait_for(informer.synced.is_set)
        assert sorted(seen.keys) == ["default/a", "default/b"]
        assert informer.get(Key("default/a"))["data"] == {"k": "a"}
        assert sorted(o["metadata"]["name"] for o in informer.list()) == ["a", "b"]
        assert informer.resource_versions[None] == str(kube.store.rv)


async def test_watch_events_update_the_cache_and_call_the_handler(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    informer = Informer(api, CONFIG_MAPS, settings=FAST)
    seen = Recorder()
    informer.subscribe(seen)
    async with running(informer.run):
        await wait_for(lambda: _watches(kube))
        _put(kube, "a")
        await wait_for(lambda: informer.get(Key("default/a")))
        rt = kube.resource("configmaps")
        kube.store.update(rt, "default", "a", {**_cm("a"), "data": {"k": "changed"}})
        await wait_for(lambda: informer.get(Key("default/a"))["data"] == {"k": "changed"})
        kube.store.delete(rt, "default", "a")
        await wait_for(lambda: informer.get(Key("default/a")) is None)
        assert seen.keys == ["default/a"] * 3
        assert _lists(kube) == 1


async def test_bookmarks_advance_the_tracked_resource_version(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    informer = Informer(api, CONFIG_MAPS, settings=FAST)
    async with running(informer.run):
        await wait_for(lambda: _watches(kube))
        before = int(informer.resource_versions[None])
        kube.store.create(kube.resource("secrets"), "default", {"metadata": {"name": "s"}})
        kube.send_bookmarks()
        await wait_for(lambda: int(informer.resource_versions[None]) == kube.store.rv)
        assert kube.store.rv > before
        assert "allowWatchBookmarks=True" in _watches(kube)[0]


async def test_a_dropped_watch_resumes_from_the_last_resource_version_without_relisting(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    informer = Informer(api, CONFIG_MAPS, settings=FAST)
    async with running(informer.run):
        await wait_for(lambda: _watches(kube))
        _put(kube, "a")
        await wait_for(lambda: informer.get(Key("default/a")))
        last = informer.resource_versions[None]
        assert kube.drop_watches() == 1
        _put(kube, "b")  # happens while disconnected
        await wait_for(lambda: informer.get(Key("default/b")))
        assert f"resourceVersion={last}" in _watches(kube)[-1]
        assert _lists(kube) == 1


async def test_gone_relists_and_reports_every_key_including_deletions_while_away(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    _put(kube, "keep")
    _put(kube, "doomed")
    informer = Informer(api, CONFIG_MAPS, settings=FAST)
    seen = Recorder()
    informer.subscribe(seen)
    async with running(informer.run):
        await wait_for(lambda: _watches(kube))
        seen.keys.clear()
        kube.expire_history()  # cuts the watch; resuming from the old RV now gets 410
        kube.store.delete(kube.resource("configmaps"), "default", "doomed")
        _put(kube, "new")
        await wait_for(lambda: _lists(kube) == 2)
        await wait_for(lambda: informer.get(Key("default/new")))
        assert informer.get(Key("default/doomed")) is None
        assert sorted(set(seen.keys)) == ["default/doomed", "default/keep", "default/new"]


async def test_server_errors_back_off_and_recover(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    _put(kube, "a")
    kube.fail_next("GET", r"/configmaps$", 500, count=3)
    informer = Informer(api, CONFIG_MAPS, settings=FAST)
    async with running(informer.run):
        await wait_for(informer.synced.is_set)
        assert _lists(kube) == 4
        kube.fail_next("GET", r"/configmaps$", 429, count=2)  # the watch resumes fail too
        kube.drop_watches()
        _put(kube, "b")
        await wait_for(lambda: informer.get(Key("default/b")))
        assert kube.faults.pending() == 0


async def test_a_silent_stream_is_abandoned_after_the_inactivity_timeout(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    kube._state.bookmark_interval = 60.0  # the server stays silent
    settings = InformerSettings(inactivity_timeout=0.2, backoff_base=0.01)
    informer = Informer(api, CONFIG_MAPS, settings=settings)
    async with running(informer.run):
        await wait_for(lambda: len(_watches(kube)) >= 3)
        assert _lists(kube) == 1


async def test_namespaces_are_watched_separately_and_others_ignored(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    for ns in ("one", "two", "other"):
        _put(kube, "cm", ns)
    settings = InformerSettings(namespaces=("one", "two"), backoff_base=0.01)
    informer = Informer(api, CONFIG_MAPS, settings=settings)
    async with running(informer.run):
        await wait_for(informer.synced.is_set)
        assert sorted(informer.keys()) == ["one/cm", "two/cm"]
        _put(kube, "late", "two")
        _put(kube, "late", "other")
        await wait_for(lambda: informer.get(Key("two/late")))
        assert informer.get(Key("other/late")) is None


async def test_owned_objects_map_to_their_controller_owner(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    informer = Informer(api, CONFIG_MAPS, settings=FAST)
    seen = Recorder()
    informer.subscribe(
        seen, mapper=owner_mapper(api_version="toolhive.stacklok.dev/v1alpha1", kind="MCPRegistry")
    )
    owner = {
        "apiVersion": "toolhive.stacklok.dev/v1alpha1",
        "kind": "MCPRegistry",
        "name": "reg",
        "uid": "u-1",
        "controller": True,
    }
    async with running(informer.run):
        await wait_for(informer.synced.is_set)
        _put(kube, "reg-config", ownerReferences=[owner])
        _put(kube, "unowned")
        await wait_for(lambda: informer.get(Key("default/unowned")))
        assert seen.keys == ["default/reg"]


async def test_the_cache_keeps_objects_without_their_managed_fields(
    kube: KubeApiDouble, api: client.ApiClient
) -> None:
    """Listed and watched objects alike: the operator never reads the apply bookkeeping,
    often an object's largest part."""
    fields = [{"manager": "someone", "operation": "Apply", "fieldsV1": {"f:data": {}}}]
    _put(kube, "listed", managedFields=fields)
    informer = Informer(api, CONFIG_MAPS, settings=FAST)
    async with running(informer.run):
        await wait_for(lambda: _watches(kube))
        _put(kube, "watched", managedFields=fields)
        await wait_for(lambda: informer.get(Key("default/watched")))
        rt = kube.resource("configmaps")
        for name in ("listed", "watched"):
            assert kube.store.get(rt, "default", name)["metadata"]["managedFields"] == fields
            cached = informer.get(Key(f"default/{name}"))
            assert cached is not None
            assert "managedFields" not in cached["metadata"]
            assert cached["data"] == {"k": name}
