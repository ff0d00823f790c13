"""Registry file bytes -> validated upstream servers: check the document's limits, decode, detect
or check the format, convert legacy entries and check every server (runs on every sync, so
plain dict checks only)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from mcp_registry_common.formats.detect import RegistryFormat, detect_format
from mcp_registry_common.formats.errors import (
    ROOT,
    RegistryFormatError,
    index_path,
    json_type,
    key_path,
)
from mcp_registry_common.formats.gojson import as_object
from mcp_registry_common.formats.legacy import (
    checked_image_to_server,
    legacy_entries,
    remote_to_server,
)
from mcp_registry_common.formats.limits import (
    DEFAULT_DOCUMENT_LIMITS,
    DocumentLimits,
    check_server_count,
    check_unparsed,
)
from mcp_registry_common.formats.plainlegacy import plain_image_to_server
from mcp_registry_common.formats.skills import ExtensionKind, validate_items
from mcp_registry_common.formats.upstream import validate_server
from mcp_registry_common.gcpause import gc_paused

DEFAULT_VERSION = "1.0.0"
"""Registry `version` assumed when the document has none."""

ServerSink = Callable[[dict[str, Any]], None]
"""Takes each validated server as it is produced (see `parse_registry`'s `on_server`)."""

NO_SERVERS = "upstream registry must contain at least one server"
_VERSION_RE = re.compile(r"\d+\.\d+\.\d+", re.ASCII)
_RFC3339_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_CONTAINER_TRANSPORTS = ("stdio", "sse", "streamable-http")
_REMOTE_TRANSPORTS = ("sse", "streamable-http")


@dataclass(frozen=True)
class ParsedRegistry:
    """A registry document after parsing: upstream server.json dicts, whatever the input format,
    and the skills and plugins of an upstream document (a legacy one has none)."""

    format: RegistryFormat
    version: str
    last_updated: str | None
    servers: list[dict[str, Any]]
    """Empty when the servers went to an `on_server` sink instead."""
    skills: list[dict[str, Any]] = field(default_factory=list)
    plugins: list[dict[str, Any]] = field(default_factory=list)


def parse_registry(
    data: bytes | str,
    *,
    format: RegistryFormat | None = None,
    limits: DocumentLimits = DEFAULT_DOCUMENT_LIMITS,
    on_server: ServerSink | None = None,
) -> ParsedRegistry:
    """Check limits, decode, detect (or check the declared `format`), convert legacy, validate.

    With `on_server`, each server goes to it once validated, in document order, instead of
    into the result: a converted legacy server can then be consumed (packed, dropped) before
    the next one is built, so they never all exist at once (4.8 kB each in memory). An error
    may still come after some servers went to it; the caller then discards them.

    Raises RegistryFormatError whose message starts with the JSON path of the problem
    (paths of a legacy document name its `servers.<key>` entries). At least one server is
    required, and no two servers may share a name and version. A document over its `limits`
    raises RegistryLimitError: over the byte or value limit before it is decoded, over the
    server limit before any server is validated or converted.
    """
    check_unparsed(data, limits)
    doc = decode_json(data)
    detected = detect_format(doc)
    if format is not None and format != detected:
        raise RegistryFormatError(
            ROOT,
            f"format mismatch: source declares {format!r} but the data is in {detected} format",
        )
    if detected == "upstream":
        parsed = _parse_upstream(doc, limits)
        if on_server is not None:  # the document's own objects: nothing to save by streaming
            for server in parsed.servers:
                on_server(server)
            return replace(parsed, servers=[])
        return parsed
    return _parse_legacy(doc, limits, on_server)


def decode_json(data: bytes | str) -> Any:
    """`json.loads`, with errors turned into RegistryFormatError naming line and column."""
    try:
        # a decoded document holds no cycles, and on a large one the collector's full passes
        # cost a sixth of the decode (100,000 servers: ten of them, 1.7 s of the sync)
        with gc_paused():
            return json.loads(data, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        if not exc.doc.strip():
            raise RegistryFormatError(ROOT, "invalid JSON: the document is empty") from None
        truncated = " (unexpected end of data; truncated?)" if exc.pos >= len(exc.doc) else ""
        raise RegistryFormatError(
            ROOT, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}{truncated}"
        ) from None
    except UnicodeDecodeError as exc:
        raise RegistryFormatError(
            ROOT, f"invalid JSON: not valid UTF-8 at byte {exc.start}"
        ) from None
    except RecursionError:
        raise RegistryFormatError(ROOT, "invalid JSON: nested too deeply") from None


def _reject_constant(name: str) -> NoReturn:
    raise RegistryFormatError(ROOT, f"invalid JSON: {name} is not a JSON value")


def _parse_upstream(doc: dict[str, Any], limits: DocumentLimits) -> ParsedRegistry:
    version = _registry_version(doc.get("version"))
    meta = doc.get("meta")
    if meta is not None and type(meta) is not dict:
        raise RegistryFormatError("meta", f"must be an object, got {json_type(meta)}")
    last_updated = _timestamp(
        None if meta is None else meta.get("last_updated"), "meta.last_updated"
    )
    servers = doc["data"].get("servers")
    if servers is None:
        raise RegistryFormatError("data.servers", "servers is required")
    if type(servers) is not list:
        raise RegistryFormatError("data.servers", f"must be an array, got {json_type(servers)}")
    if not servers:
        raise RegistryFormatError("data.servers", NO_SERVERS)
    check_server_count(len(servers), limits, path="data.servers")
    seen: dict[str, str] = {}
    for i, server in enumerate(servers):
        path = index_path("data.servers", i)
        validate_server(server, path=path)
        _check_unique(seen, server=server, path=path)
    data = doc["data"]
    extensions = {
        kind: validate_items(data.get(kind.plural), kind=kind, path=f"data.{kind.plural}")
        for kind in ExtensionKind
    }
    return ParsedRegistry(
        "upstream",
        version,
        last_updated,
        servers,
        skills=extensions[ExtensionKind.SKILL],
        plugins=extensions[ExtensionKind.PLUGIN],
    )


def _parse_legacy(
    doc: dict[str, Any], limits: DocumentLimits, on_server: ServerSink | None
) -> ParsedRegistry:
    version = _registry_version(doc.get("version"))
    last_updated = _timestamp(doc.get("last_updated"), "last_updated")
    count = sum(len(as_object(doc.get(kind), kind) or ()) for kind in ("servers", "remote_servers"))
    check_server_count(count, limits, path=ROOT)  # servers and remote_servers together
    servers: list[dict[str, Any]] = []
    with gc_paused():  # some 14 new containers per server, none of them cyclic
        converted = _convert_legacy(doc, servers.append if on_server is None else on_server)
    if not converted:
        raise RegistryFormatError("servers", f"{NO_SERVERS} (servers and remote_servers are empty)")
    return ParsedRegistry("toolhive", version, last_updated, servers)


def _convert_legacy(doc: dict[str, Any], on_server: ServerSink) -> int:
    """Convert and check every entry, each to `on_server`; how many there were."""
    count = 0
    seen: dict[str, str] = {}
    for kind, key, entry in legacy_entries(doc):
        path = key_path(kind, key)
        remote = kind == "remote_servers"
        _check_legacy_entry(entry, path=path, remote=remote)
        plain = None if remote else plain_image_to_server(key, entry)  # as image_to_server
        if plain is not None:
            server = plain
        elif remote:
            server = remote_to_server(key, entry, path=path)
        else:
            server = checked_image_to_server(key, entry, path=path)
        validate_server(server, path=path)
        _check_unique(seen, server=server, path=path)
        on_server(server)
        count += 1
    return count


def _check_legacy_entry(entry: object, *, path: str, remote: bool) -> None:
    """What the legacy schema requires and the converter would silently pass on."""
    if type(entry) is not dict:
        raise RegistryFormatError(path, f"must be an object, got {json_type(entry)}")
    required = "url" if remote else "image"
    if not entry.get(required):
        raise RegistryFormatError(key_path(path, required), f"{required} is required")
    transport = entry.get("transport")
    allowed = _REMOTE_TRANSPORTS if remote else _CONTAINER_TRANSPORTS
    if (remote or transport is not None) and transport not in allowed:
        raise RegistryFormatError(
            key_path(path, "transport"),
            f"must be one of {', '.join(allowed)}, got {json.dumps(transport)}",
        )


def _check_unique(seen: dict[str, str], *, server: dict[str, Any], path: str) -> None:
    """Record `server`'s name and version in `seen` (identity -> path of its first copy).

    The identity is a string, not a tuple: the interpreter keeps up to 2,000 freed pairs
    for reuse, so a document's last pairs outlived it in the middle of its memory, and the
    next pairs made (a snapshot's keys) held that memory for as long as they lived. NUL
    cannot collide: `NAME_PATTERN` has no room for it in a name.
    """
    name, version = server["name"], server["version"]
    first = seen.setdefault(f"{name}\x00{version}", path)
    if first != path:
        raise RegistryFormatError(
            path, f"duplicate server {name} version {version} (first at {first})"
        )


def _registry_version(value: object) -> str:
    if value is None:
        return DEFAULT_VERSION
    if type(value) is not str or _VERSION_RE.fullmatch(value) is None:
        raise RegistryFormatError(
            "version", f"must match ^\\d+\\.\\d+\\.\\d+$, got {json.dumps(value)}"
        )
    return value


def _timestamp(value: object, path: str) -> str | None:
    if value is None:
        return None
    if type(value) is not str or _RFC3339_RE.fullmatch(value) is None:
        raise RegistryFormatError(path, f"must be an RFC3339 date-time, got {json.dumps(value)}")
    return value
