"""The API double as a running aiohttp server on 127.0.0.1, with its test helpers."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from mcp_registry_testing.loopback import Lifecycle, serve

from . import discovery, handlers
from .builtins import BUILTIN_ADMISSION
from .faults import Faults, RecordedRequest
from .keys import STATE, State
from .resources import ResourceType, ResourceTypes, types_from_crd
from .store import Admit, Obj, Store


class KubeApiDouble(Lifecycle):
    """A local Kubernetes API server double for kubernetes-asyncio and kubectl.

    Use as `async with KubeApiDouble(crds=[crd]) as api:` then point clients at `api.url`.
    `admit` maps a CRD name (`plural.group`) to an admission function bound to that CRD.
    """

    def __init__(
        self,
        *,
        crds: Iterable[Mapping[str, Any]] = (),
        admit: Mapping[str, Admit] | None = None,
        history_size: int = 1000,
        bookmark_interval: float = 5.0,
    ) -> None:
        self.store = Store(history_size=history_size)
        self.types = ResourceTypes()
        self.faults = Faults()
        self._state = State(
            store=self.store,
            types=self.types,
            register_crd=self.register_crd,
            bookmark_interval=bookmark_interval,
        )
        self._admit = dict(admit or {})
        self.store.admission.update(BUILTIN_ADMISSION)
        for crd in crds:
            self.register_crd(crd)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ----- lifecycle -----------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(
            middlewares=[self.faults.middleware, handlers.status_errors],
            client_max_size=8 * 1024 * 1024,
        )
        app[STATE] = self._state
        app.add_routes([*discovery.ROUTES, *handlers.ROUTES])
        return app

    async def start(self) -> None:
        served = await serve(self.app())
        self._runner, self.port = served.runner, served.port

    async def stop(self) -> None:
        self.store.drop_watches()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_kubeconfig(self, path: Path, *, namespace: str = "default") -> Path:
        """A kubeconfig for kubectl: this server, a dummy token, `namespace` as the default."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "double", "cluster": {"server": self.url}}],
            "users": [{"name": "tester", "user": {"token": "dummy-token"}}],
            "contexts": [
                {
                    "name": "double",
                    "context": {"cluster": "double", "user": "tester", "namespace": namespace},
                }
            ],
            "current-context": "double",
        }
        path.write_text(yaml.safe_dump(config))
        return path

    # ----- types ---------------------------------------------------------------------------
    def register_crd(self, crd: Mapping[str, Any], *, admit: Admit | None = None) -> None:
        """Serve the CRD's versions; `admit` (or the constructor's) validates its objects."""
        name = crd["metadata"]["name"]
        for rt in types_from_crd(crd):
            self.types.add(rt)
            hook = admit or self._admit.get(name)
            if hook is not None:
                self.store.admission[rt.store_key] = hook
        self._state.crds[name] = copy.deepcopy(dict(crd))

    def resource(self, plural: str, group: str = "") -> ResourceType:
        """The served type for `plural` in `group` (any version)."""
        for rt in self.types.all():
            if (rt.group, rt.plural) == (group, plural):
                return rt
        raise KeyError(f"no served resource {plural!r} in group {group!r}")

    # ----- direct access and fault injection -----------------------------------------------
    def get(self, plural: str, namespace: str, name: str, *, group: str = "") -> Obj:
        return self.store.get(self.resource(plural, group), namespace, name)

    def objects(self, plural: str, *, group: str = "", namespace: str | None = None) -> list[Obj]:
        items, _ = self.store.list(self.resource(plural, group), namespace, lambda _: True)
        return items

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        count: int = 1,
        *,
        retry_after: int | None = None,
    ) -> None:
        self.faults.fail_next(method, path_regex, status, count, retry_after=retry_after)

    def clear_faults(self) -> None:
        """Forget injected failures that have not fired yet (the fault is "fixed")."""
        self.faults.clear()

    def drop_watches(self) -> int:
        """Cut every open watch stream (clients see the stream end)."""
        return self.store.drop_watches()

    def expire_history(self) -> None:
        """Forget history and cut watches: every resume from an older RV now gets 410."""
        self.store.expire_history()
        self.store.drop_watches()

    def send_bookmarks(self) -> None:
        """Send a BOOKMARK with the current RV to every watch that allowed bookmarks."""
        self.store.send_bookmarks()

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.faults.requests

    def writes(self, path_regex: str = "") -> list[RecordedRequest]:
        return self.faults.writes(path_regex)

    def set_deployment_ready(self, namespace: str, name: str, replicas: int | None = None) -> Obj:
        """Write a Deployment status as if all (or `replicas`) pods were ready and available."""
        rt = self.resource("deployments", "apps")
        current = self.store.get(rt, namespace, name)
        count = replicas if replicas is not None else current.get("spec", {}).get("replicas", 1)
        status = {
            "observedGeneration": current["metadata"].get("generation", 1),
            "replicas": count,
            "updatedReplicas": count,
            "readyReplicas": count,
            "availableReplicas": count,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True" if count else "False",
                    "reason": "MinimumReplicasAvailable",
                },
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            ],
        }
        return self.store.update(rt, namespace, name, {"status": status}, subresource="status")

    def run_pod(
        self,
        namespace: str,
        name: str,
        *,
        template: Mapping[str, Any],
        ip: str,
        ready: bool = False,
    ) -> Obj:
        """Create Pod `name` from a pod template (its labels, annotations and spec) with the
        status a kubelet writes once its container runs: phase Running, `ip`, Ready as given."""
        meta = template.get("metadata") or {}
        pod = {
            "metadata": {
                "name": name,
                "labels": dict(meta.get("labels") or {}),
                "annotations": dict(meta.get("annotations") or {}),
            },
            "spec": copy.deepcopy(dict(template.get("spec") or {})),
        }
        self.store.create(self.resource("pods"), namespace, pod)
        return self.set_pod_status(namespace, name, ip=ip, ready=ready)

    def set_pod_status(
        self, namespace: str, name: str, *, ip: str, ready: bool, phase: str = "Running"
    ) -> Obj:
        """Write a Pod's status: its phase, IP and Ready condition."""
        status = {
            "phase": phase,
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        }
        rt = self.resource("pods")
        return self.store.update(rt, namespace, name, {"status": status}, subresource="status")
