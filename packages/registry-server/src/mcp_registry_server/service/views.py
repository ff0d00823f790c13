"""Claim-filtered views of a registry: the registry gate, per-entry filtering, then dedup.

Only callers whose claims are enforced (oauth with `authz`, not superAdmin) get here; everyone
else is served the catalog's snapshot as it is. A view depends only on which of the registry's
distinct claim sets the caller can see, so views are cached per (registry content, definitions
revision, visible claim sets): callers with equivalent claims share one view.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import itertools
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

from mcp_registry_common.claims import claim_strings
from mcp_registry_common.formats import ExtensionKind

from mcp_registry_server.service.caller import Caller
from mcp_registry_server.service.catalog import Catalog
from mcp_registry_server.service.definitions import (
    PER_ENTRY_CLAIM_KINDS,
    Definitions,
    entry_claims_key,
)
from mcp_registry_server.service.errors import RegistryForbiddenError
from mcp_registry_server.snapshot import Entry, Items, RegistrySnapshot, build_snapshot, entry_key
from mcp_registry_server.store.base import SourceData
from mcp_registry_server.store.definitions import ClaimMap

VIEW_CACHE_SIZE = 256
"""Filtered views kept (least recently used dropped): one per registry and distinct claim set."""

ClaimKey = tuple[tuple[str, Hashable], ...]
"""A claims map in canonical, hashable form (list values as sorted tuples)."""
NO_CLAIMS: ClaimKey = ()


def claim_key(claims: Mapping[str, object] | None) -> ClaimKey:
    """`claims` in canonical form: equal keys mean equal claims, whatever the list order."""
    if not claims:
        return NO_CLAIMS
    items: list[tuple[str, Hashable]] = []
    for key, value in claims.items():
        strings = claim_strings(value)
        items.append((key, tuple(sorted(strings)) if strings is not None else repr(value)))
    return tuple(sorted(items))


@dataclass(frozen=True, slots=True)
class _Labels:
    """For one definitions revision: the claim set of each (source, entry) of a registry."""

    revision: int
    by_source: Mapping[str, tuple[ClaimKey | None, Mapping[str, ClaimKey]]]
    """Source name -> the source-wide key, or None and the per-entry keys."""
    distinct: Mapping[ClaimKey, ClaimMap | None]
    digest: str
    """Of `by_source`: what a view's ETag names, since the revision counts this process's swaps
    only (two replicas can reach the same revision with different claims)."""

    def key_of(self, source: str, name: str) -> ClaimKey:
        whole, per_entry = self.by_source.get(source, (NO_CLAIMS, {}))
        return whole if whole is not None else per_entry.get(name, NO_CLAIMS)


class ClaimViews:
    """Builds and caches the registry snapshots claim-bearing callers are served."""

    def __init__(
        self, *, catalog: Catalog, definitions: Callable[[], Definitions], cache_size: int = 0
    ) -> None:
        self._catalog = catalog
        self._definitions = definitions
        self._cache_size = cache_size or VIEW_CACHE_SIZE
        self._views: OrderedDict[Hashable, RegistrySnapshot] = OrderedDict()
        self._parts: dict[str, tuple[tuple[str, object], RegistrySnapshot]] = {}
        self._labels: dict[str, _Labels] = {}

    async def snapshot_for(self, registry: str, caller: Caller) -> RegistrySnapshot | None:
        """What `caller` may read of `registry`; None when there is no such registry.

        Raises RegistryForbiddenError when the caller's claims do not cover the registry's
        (an unclaimed registry is hidden from every claim-bearing caller but superAdmin).
        """
        snapshot = self._catalog.snapshot(registry)
        if snapshot is None or caller.claims is None:
            return snapshot
        definitions = self._definitions()
        reg = definitions.registries.get(registry)
        if not caller.sees(reg.claims if reg is not None else None):
            raise RegistryForbiddenError()
        if caller.super_admin:
            return snapshot
        inputs = self._catalog.inputs(registry)
        parts = [await self._part(data) for data in inputs]
        labels = self._labels_for(registry, definitions)
        visible = frozenset(key for key, claims in labels.distinct.items() if caller.sees(claims))
        cache_key = (registry, tuple(part.etag for part in parts), labels.digest, visible)
        view = self._views.get(cache_key)
        if view is None:
            view = _assemble(snapshot, inputs, parts, labels=labels, visible=visible)
            self._views[cache_key] = view
            while len(self._views) > self._cache_size:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(cache_key)
        return view

    async def _part(self, data: SourceData) -> RegistrySnapshot:
        """The snapshot of one source alone (its rendered entries), rebuilt when it changes."""
        stamp = (data.content_hash, data.synced_at)
        cached = self._parts.get(data.source)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        part = await asyncio.to_thread(
            build_snapshot, registry=f"source:{data.source}", sources=[data], built_at=0.0
        )
        self._parts[data.source] = (stamp, part)
        return part

    def _labels_for(self, registry: str, definitions: Definitions) -> _Labels:
        cached = self._labels.get(registry)
        if cached is not None and cached.revision == definitions.revision:
            return cached
        reg = definitions.registries.get(registry)
        by_source: dict[str, tuple[ClaimKey | None, Mapping[str, ClaimKey]]] = {}
        distinct: dict[ClaimKey, ClaimMap | None] = {NO_CLAIMS: None}
        for source in reg.config.sources if reg is not None else ():
            src = definitions.sources.get(source)
            if src is not None and src.config.kind in PER_ENTRY_CLAIM_KINDS:
                per_entry = definitions.entry_claims.get(source, {})
                keys = {name: claim_key(claims) for name, claims in per_entry.items()}
                distinct.update((keys[name], claims) for name, claims in per_entry.items())
                by_source[source] = (None, keys)
            else:
                claims = src.claims if src is not None else None
                distinct[claim_key(claims)] = claims
                by_source[source] = (claim_key(claims), {})
        canonical = sorted(
            (source, whole, sorted(per_entry.items()))
            for source, (whole, per_entry) in by_source.items()
        )
        digest = hashlib.blake2b(repr(canonical).encode(), digest_size=16).hexdigest()
        labels = _Labels(
            revision=definitions.revision, by_source=by_source, distinct=distinct, digest=digest
        )
        self._labels[registry] = labels
        return labels


def _assemble(
    base: RegistrySnapshot,
    inputs: Sequence[SourceData],
    parts: Sequence[RegistrySnapshot],
    *,
    labels: _Labels,
    visible: frozenset[ClaimKey],
) -> RegistrySnapshot:
    """Per name, every version from the highest-priority source whose copy is visible: claims
    are applied before dedup, so a hidden copy promotes the next source (registry-server §5.1).
    Skills and plugins the same way, per `namespace/name`."""
    sources = [data.source for data in inputs]
    chosen = _choose(sources, [part.entries for part in parts], labels, visible, claims_key=str)
    entries = sorted(itertools.chain.from_iterable(chosen.values()), key=entry_key)
    extensions: dict[ExtensionKind, Items] = {}
    for kind in ExtensionKind:
        picked = _choose(
            sources,
            [part.items(kind).entries for part in parts],
            labels,
            visible,
            claims_key=functools.partial(entry_claims_key, kind),
        )
        if picked:
            items = sorted(itertools.chain.from_iterable(picked.values()), key=entry_key)
            extensions[kind] = Items(
                entries=tuple(items),
                keys=tuple(map(entry_key, items)),
                count=len(picked),
            )
    digest = hashlib.blake2b(base.registry.encode(), digest_size=16)
    for part in parts:
        digest.update(part.etag.encode())
    digest.update(repr((labels.digest, sorted(map(repr, visible)))).encode())
    return RegistrySnapshot(
        registry=base.registry,
        sources=base.sources,
        entries=tuple(entries),
        keys=tuple(map(entry_key, entries)),
        etag=digest.hexdigest(),
        built_at=base.built_at,
        server_count=len(chosen),
        skipped=base.skipped,
        extensions=extensions,
    )


def _choose(
    sources: Sequence[str],
    collections: Sequence[Sequence[Entry]],
    labels: _Labels,
    visible: frozenset[ClaimKey],
    *,
    claims_key: Callable[[str], str],
) -> dict[str, list[Entry]]:
    """Name -> the versions of the first source (in priority order) whose copy is visible."""
    chosen: dict[str, list[Entry]] = {}
    for source, entries in zip(sources, collections, strict=True):
        for name, versions in itertools.groupby(entries, key=lambda entry: entry.name):
            if name not in chosen and labels.key_of(source, claims_key(name)) in visible:
                chosen[name] = list(versions)
    return chosen
