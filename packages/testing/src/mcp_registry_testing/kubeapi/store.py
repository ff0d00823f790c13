"""The object store: a global resourceVersion, write rules, watch fan-out and garbage collection.

All methods are synchronous, so each write is atomic on the event loop. Rules kept here:
create sets uid/creationTimestamp/generation and strips status when the status subresource is
on; the main resource ignores `.status` and `/status` only changes status; generation bumps
only when something outside metadata and status changed; a write that changes nothing bumps no
resourceVersion and emits no event; delete with finalizers only sets deletionTimestamp; the
object goes when its last finalizer is removed; dependents whose owners (by uid) are all gone
are deleted right after their last owner (background propagation, done synchronously); a
Secret's write-only `stringData` is merged into `data` on every write.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from .patching import (
    ApplyConflictError,
    Owners,
    fields_v1,
    server_side_apply,
)
from .resources import ResourceType
from .selectors import Predicate
from .status import ApiError, already_exists, conflict, gone, not_found
from .writerules import (
    fold_string_data,
    invalid_error,
    now_iso,
    refuse_shared_lists,
    tracked_content,
)

Obj = dict[str, Any]
_SERVER_METADATA = (
    "uid",
    "creationTimestamp",
    "generation",
    "resourceVersion",
    "deletionTimestamp",
)


class Admit(Protocol):
    """A CR admission function bound to its CRD, e.g. `partial(crd_admission.admit, crd)`.

    It returns the object as stored (pruned, defaulted) or raises an exception carrying
    `.causes` (a list of (field, message)); `.to_status()`, when present, gives the body.
    """

    def __call__(
        self, obj: Obj, *, old: Obj | None = None, field_validation: str = "Warn"
    ) -> Obj: ...


@dataclass(frozen=True)
class WatchEvent:
    rv: int
    type: str
    rt: ResourceType
    obj: Obj


@dataclass(eq=False)
class Watcher:
    """One open watch: its filter and the queue the HTTP handler drains (None = hang up)."""

    store_key: tuple[str, str]
    namespace: str | None
    matches: Predicate
    bookmarks: bool
    queue: asyncio.Queue[WatchEvent | int | None] = field(default_factory=asyncio.Queue)

    def wants(self, ev: WatchEvent) -> bool:
        ns = ev.obj["metadata"].get("namespace")
        return (
            ev.rt.store_key == self.store_key
            and self.namespace in (None, ns)
            and self.matches(ev.obj)
        )


class Store:
    """Objects of every served type, keyed by (group, plural) then (namespace, name)."""

    def __init__(self, *, history_size: int = 1000) -> None:
        self.rv = 1
        self.floor = 0
        """The oldest resourceVersion a watch may resume from; older ones get 410."""
        self._objects: dict[tuple[str, str], dict[tuple[str, str], Obj]] = {}
        self._types: dict[tuple[str, str], ResourceType] = {}
        self._owners: dict[str, Owners] = {}
        self._history: deque[WatchEvent] = deque(maxlen=history_size)
        self._watchers: set[Watcher] = set()
        self.admission: dict[tuple[str, str], Admit] = {}

    # ----- reads ---------------------------------------------------------------------------
    def _bucket(self, rt: ResourceType) -> dict[tuple[str, str], Obj]:
        self._types[rt.store_key] = rt
        return self._objects.setdefault(rt.store_key, {})

    def _current(self, rt: ResourceType, ns: str, name: str) -> Obj:
        obj = self._bucket(rt).get((ns, name))
        if obj is None:
            raise not_found(rt.plural, rt.group, name)
        return obj

    def get(self, rt: ResourceType, ns: str, name: str) -> Obj:
        return copy.deepcopy(self._current(rt, ns, name))

    def list(self, rt: ResourceType, ns: str | None, matches: Predicate) -> tuple[list[Obj], int]:
        items = [
            copy.deepcopy(o)
            for (o_ns, _), o in sorted(self._bucket(rt).items())
            if ns in (None, o_ns) and matches(o)
        ]
        return items, self.rv

    def _all_objects(self) -> Iterator[tuple[ResourceType, Obj]]:
        for key, bucket in self._objects.items():
            for obj in list(bucket.values()):
                yield self._types[key], obj

    # ----- writes --------------------------------------------------------------------------
    def create(self, rt: ResourceType, ns: str, body: Obj, *, validation: str = "Warn") -> Obj:
        meta = dict(body.get("metadata") or {})
        name = meta.get("name") or ""
        if not name and meta.get("generateName"):
            name = f"{meta['generateName']}{secrets.token_hex(3)[:5]}"
        if not name:
            raise ApiError(422, "Invalid", f"{rt.kind} is invalid: metadata.name: Required value")
        if (ns, name) in self._bucket(rt):
            raise already_exists(rt.plural, rt.group, name)
        obj = fold_string_data(rt, copy.deepcopy(body))
        obj.update(apiVersion=rt.api_version, kind=rt.kind)
        for key in (*_SERVER_METADATA, "deletionGracePeriodSeconds"):
            meta.pop(key, None)
        meta.update(
            name=name,
            namespace=ns,
            uid=str(uuid.uuid4()),
            creationTimestamp=now_iso(),
            generation=1,
        )
        if not rt.namespaced:
            del meta["namespace"]
        obj["metadata"] = meta
        if rt.has_status:
            obj.pop("status", None)
        obj = self._admit(rt, obj, None, validation)
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self._bucket(rt)[(ns, name)] = obj
        self._emit("ADDED", rt, obj)
        return copy.deepcopy(obj)

    def update(
        self,
        rt: ResourceType,
        ns: str,
        name: str,
        candidate: Obj,
        *,
        subresource: str | None = None,
        validation: str = "Warn",
    ) -> Obj:
        """Replace (PUT semantics); a `metadata.resourceVersion` in the body is a precondition."""
        old = self._current(rt, ns, name)
        expected = (candidate.get("metadata") or {}).get("resourceVersion")
        if expected not in (None, "", old["metadata"]["resourceVersion"]):
            raise conflict(
                rt.plural,
                rt.group,
                name,
                "the object has been modified; please apply your changes to the latest "
                "version and try again",
            )
        return self._commit(rt, old, self._normalise(rt, old, candidate, subresource), validation)

    def _normalise(
        self, rt: ResourceType, old: Obj, candidate: Obj, subresource: str | None
    ) -> Obj:
        if subresource == "status":
            new = copy.deepcopy(old)
            new.pop("status", None)
            if candidate.get("status") is not None:
                new["status"] = copy.deepcopy(candidate["status"])
            return new
        new = fold_string_data(rt, copy.deepcopy(candidate))
        new.update(apiVersion=rt.api_version, kind=rt.kind)
        meta = dict(new.get("metadata") or {})
        for key in (*_SERVER_METADATA, "name", "namespace", "deletionGracePeriodSeconds"):
            meta.pop(key, None)
            if key in old["metadata"]:
                meta[key] = old["metadata"][key]
        new["metadata"] = meta
        if rt.has_status:
            new.pop("status", None)
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
        return new

    def _commit(self, rt: ResourceType, old: Obj, new: Obj, validation: str = "Warn") -> Obj:
        new = self._admit(rt, new, old, validation)
        if tracked_content(new) != tracked_content(old):
            new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        if new == old:
            return copy.deepcopy(old)
        meta = new["metadata"]
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            return self._remove(rt, new)
        self.rv += 1
        meta["resourceVersion"] = str(self.rv)
        self._bucket(rt)[(meta.get("namespace", ""), meta["name"])] = new
        self._emit("MODIFIED", rt, new)
        return copy.deepcopy(new)

    def apply(
        self,
        rt: ResourceType,
        ns: str,
        name: str,
        intent: Obj,
        *,
        manager: str,
        force: bool,
        subresource: str | None = None,
        validation: str = "Warn",
    ) -> tuple[Obj, bool]:
        """Server-side apply (see `patching`); returns the object and whether it was created."""
        if subresource == "status":
            intent = {"status": intent.get("status") or {}}
        elif rt.has_status:
            intent = {k: v for k, v in intent.items() if k != "status"}
        old = self._bucket(rt).get((ns, name))
        if old is None and subresource == "status":
            raise not_found(rt.plural, rt.group, name)
        base = old or {"apiVersion": rt.api_version, "kind": rt.kind, "metadata": {"name": name}}
        uid = (old or {}).get("metadata", {}).get("uid", "")
        owners_now = self._owners.get(uid, {})
        if not rt.custom:
            refuse_shared_lists(rt, intent, manager=manager, owners=owners_now)
        try:
            merged, owners = server_side_apply(
                base, intent, manager=manager, force=force, owners=owners_now
            )
        except ApplyConflictError as exc:
            raise ApiError(409, "Conflict", str(exc)) from exc
        merged.setdefault("metadata", {})["managedFields"] = [
            {"manager": m, "operation": "Apply", "apiVersion": rt.api_version,
             "fieldsType": "FieldsV1", "fieldsV1": fields_v1(owners[m])}
            for m in sorted(owners)
        ]  # fmt: skip
        if old is None:
            created = self.create(rt, ns, merged, validation=validation)
            self._owners[created["metadata"]["uid"]] = owners
            return created, True
        normalised = self._normalise(rt, old, merged, subresource)
        result = self._commit(rt, old, normalised, validation)
        if name and (ns, name) in self._bucket(rt):
            self._owners[uid] = owners
        return result, False

    def delete(self, rt: ResourceType, ns: str, name: str) -> Obj:
        old = self._current(rt, ns, name)
        if not old["metadata"].get("finalizers"):
            return self._remove(rt, copy.deepcopy(old))
        if old["metadata"].get("deletionTimestamp"):
            return copy.deepcopy(old)
        new = copy.deepcopy(old)
        new["metadata"].update(deletionTimestamp=now_iso(), deletionGracePeriodSeconds=0)
        self.rv += 1
        new["metadata"]["resourceVersion"] = str(self.rv)
        self._bucket(rt)[(ns, name)] = new
        self._emit("MODIFIED", rt, new)
        return copy.deepcopy(new)

    def _remove(self, rt: ResourceType, obj: Obj) -> Obj:
        meta = obj["metadata"]
        self._bucket(rt).pop((meta.get("namespace", ""), meta["name"]), None)
        self._owners.pop(meta.get("uid", ""), None)
        self.rv += 1
        meta["resourceVersion"] = str(self.rv)
        self._emit("DELETED", rt, obj)
        self._collect_garbage()
        return copy.deepcopy(obj)

    def _collect_garbage(self) -> None:
        live = {o["metadata"]["uid"] for _, o in self._all_objects()}
        for rt, obj in list(self._all_objects()):
            refs = obj["metadata"].get("ownerReferences") or []
            if refs and not any(r.get("uid") in live for r in refs):
                meta = obj["metadata"]
                ns = meta.get("namespace", "")
                if (ns, meta["name"]) in self._bucket(rt):
                    self.delete(rt, ns, meta["name"])

    def _admit(self, rt: ResourceType, obj: Obj, old: Obj | None, validation: str) -> Obj:
        admit = self.admission.get(rt.store_key)
        if admit is None:
            return obj
        try:
            admitted = admit(
                copy.deepcopy(obj),
                old=copy.deepcopy(old) if old else None,
                field_validation=validation,
            )
        except Exception as exc:
            if not hasattr(exc, "causes"):
                raise
            raise invalid_error(rt, obj["metadata"].get("name", ""), exc) from exc
        return admitted

    # ----- watches -------------------------------------------------------------------------
    def _emit(self, kind: str, rt: ResourceType, obj: Obj) -> None:
        ev = WatchEvent(int(obj["metadata"]["resourceVersion"]), kind, rt, copy.deepcopy(obj))
        if len(self._history) == self._history.maxlen:
            self.floor = max(self.floor, self._history[0].rv)
        self._history.append(ev)
        for watcher in self._watchers:
            if watcher.wants(ev):
                watcher.queue.put_nowait(ev)

    def watch(
        self,
        rt: ResourceType,
        ns: str | None,
        *,
        since: int | None,
        matches: Predicate,
        bookmarks: bool,
    ) -> Watcher:
        """Open a watch; `since=None` starts with synthetic ADDED events for every object."""
        if since is not None and since < self.floor:
            raise gone(since, self.floor)
        watcher = Watcher(rt.store_key, ns, matches, bookmarks)
        if since is None:
            items, _ = self.list(rt, ns, matches)
            backlog = [
                WatchEvent(int(o["metadata"]["resourceVersion"]), "ADDED", rt, o) for o in items
            ]
        else:
            backlog = [ev for ev in self._history if ev.rv > since and watcher.wants(ev)]
        for ev in backlog:
            watcher.queue.put_nowait(ev)
        self._watchers.add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        self._watchers.discard(watcher)

    def is_watching(self, watcher: Watcher) -> bool:
        """Still registered (not unwatched, not cut by drop_watches)?"""
        return watcher in self._watchers

    def send_bookmarks(self) -> None:
        for watcher in self._watchers:
            if watcher.bookmarks:
                watcher.queue.put_nowait(self.rv)

    def drop_watches(self) -> int:
        """Hang up every open watch; returns how many were cut."""
        watchers = list(self._watchers)
        for watcher in watchers:
            watcher.queue.put_nowait(None)
        self._watchers.clear()
        return len(watchers)

    def expire_history(self) -> None:
        """Forget the event history so any resume from an older resourceVersion gets 410."""
        self.rv += 1
        self.floor = self.rv
        self._history.clear()

    def watcher_count(self) -> int:
        return len(self._watchers)
