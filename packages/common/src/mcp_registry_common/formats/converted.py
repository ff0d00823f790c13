"""What every server converted from the legacy format shares: its version, its name built from
the entry's key, and where its ToolHive extension block goes."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.formats.upstream import PUBLISHER_PROVIDED_KEY, TOOLHIVE_NAMESPACE

CONVERTED_VERSION = "1.0.0"
"""Every converted server gets this version (a TODO in toolhive-core)."""

STACKLOK_PREFIX = "io.github.stacklok/"
HTTP_TRANSPORTS = ("streamable-http", "sse")
"""Container transports whose package transport gets a `http://localhost[:port]` URL."""


def reverse_dns_name(key: str) -> str:
    """`BuildReverseDNSName`: the key itself if it contains `/`, else `io.github.stacklok/<key>`."""
    return key if "/" in key else STACKLOK_PREFIX + key


def publisher_meta(key: str, extensions: dict[str, Any]) -> dict[str, Any]:
    """`_meta` holding the extension block under ToolHive's namespace and `key` (image or URL)."""
    return {PUBLISHER_PROVIDED_KEY: {TOOLHIVE_NAMESPACE: {key: extensions}}}
