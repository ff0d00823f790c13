"""Name and tag filters applied to a source's servers at sync time (ToolHive semantics:
globs where `*` crosses `/`, exact tags, exclude wins, include is any-match)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Annotated, Any

from pydantic import Field

from mcp_registry_common.base import WireModel
from mcp_registry_common.formats.upstream import PUBLISHER_PROVIDED_KEY
from mcp_registry_common.globs import GlobError, compile_glob

__all__ = [
    "GlobError",
    "PatternFilter",
    "SourceFilter",
    "apply_filter",
    "apply_name_filter",
    "compile_glob",
    "filter_hash",
    "name_allowed",
    "server_allowed",
    "server_tags",
    "tags_allowed",
]

Pattern = Annotated[str, Field(min_length=1, max_length=256)]


class PatternFilter(WireModel):
    """Include/exclude lists. Exclude wins; a non-empty include list must match at least once."""

    include: list[Pattern] = Field(
        default_factory=list,
        max_length=100,
        description="Keep only matching values; empty keeps everything.",
    )
    exclude: list[Pattern] = Field(
        default_factory=list,
        max_length=100,
        description="Drop matching values; wins over include.",
    )


class SourceFilter(WireModel):
    """`filter:` of a source. Servers must pass both the name and the tag filter."""

    names: PatternFilter | None = Field(
        default=None, description="Glob patterns on the upstream server name; `*` also matches `/`."
    )
    tags: PatternFilter | None = Field(
        default=None, description="Exact tag strings from the servers' publisher-provided `tags`."
    )


def server_tags(server: Mapping[str, Any]) -> frozenset[str]:
    """Tags of a server.json: every object value of the publisher-provided block, then every
    object inside it, key `tags` (string items only), as toolhive-registry-server reads them."""
    meta = server.get("_meta")
    if not isinstance(meta, Mapping):
        return frozenset()
    provided = meta.get(PUBLISHER_PROVIDED_KEY)
    if not isinstance(provided, Mapping):
        return frozenset()
    tags: set[str] = set()
    for publisher in provided.values():
        if not isinstance(publisher, Mapping):
            continue
        for artifact in publisher.values():
            if isinstance(artifact, Mapping) and isinstance(values := artifact.get("tags"), list):
                tags.update(tag for tag in values if isinstance(tag, str))
    return frozenset(tags)


def _glob_matches(pattern: str, name: str) -> bool | None:
    """Whether `name` matches; None for an invalid pattern."""
    try:
        return compile_glob(pattern).fullmatch(name) is not None
    except GlobError:
        return None


def name_allowed(name: str, f: PatternFilter | None) -> bool:
    """Name filter: any matching (or invalid) exclude pattern rejects; a non-empty include list
    needs a match, tried in order, and an invalid pattern met first rejects (fail closed)."""
    if f is None:
        return True
    for pattern in f.exclude:
        if _glob_matches(pattern, name) is not False:
            return False
    if not f.include:
        return True
    for pattern in f.include:
        matched = _glob_matches(pattern, name)
        if matched is not False:
            return bool(matched)
    return False


def tags_allowed(tags: Collection[str], f: PatternFilter | None) -> bool:
    """Tag filter, exact strings: any excluded tag rejects; a non-empty include list needs at
    least one tag in it (a server without tags is then rejected)."""
    if f is None:
        return True
    if f.exclude and not set(f.exclude).isdisjoint(tags):
        return False
    return not f.include or not set(f.include).isdisjoint(tags)


def server_allowed(server: Mapping[str, Any], f: SourceFilter | None) -> bool:
    """Whether a server.json passes both the name filter and the tag filter."""
    if f is None:
        return True
    name = server.get("name")
    if not name_allowed(name if isinstance(name, str) else "", f.names):
        return False
    return f.tags is None or tags_allowed(server_tags(server), f.tags)


def apply_filter(servers: Iterable[dict[str, Any]], f: SourceFilter | None) -> list[dict[str, Any]]:
    """The servers that pass `f`, in their original order (the same dict objects)."""
    if f is None:
        return list(servers)
    return [server for server in servers if server_allowed(server, f)]


def apply_name_filter(
    items: Iterable[dict[str, Any]],
    f: SourceFilter | None,
    *,
    key: Callable[[Mapping[str, Any]], str],
) -> list[dict[str, Any]]:
    """Skills and plugins that pass `f`'s name filter on `key(item)` (their `namespace/name`),
    in their original order; the tag filter does not apply to them (registry-server §4)."""
    if f is None or f.names is None:
        return list(items)
    names = f.names
    return [item for item in items if name_allowed(key(item), names)]


def filter_hash(f: SourceFilter | None) -> str:
    """sha256 (hex) of the filter's canonical JSON. Filters with the same effect hash alike:
    no filter, `{}` and empty include/exclude lists all hash as the empty filter."""
    canonical = {
        part: {
            "exclude": list(pattern.exclude) if pattern else [],
            "include": list(pattern.include) if pattern else [],
        }
        for part, pattern in (
            ("names", f.names if f else None),
            ("tags", f.tags if f else None),
        )
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
