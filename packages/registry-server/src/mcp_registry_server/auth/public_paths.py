"""Which request paths skip authentication (ToolHive's public-path test)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

BUILTIN_PUBLIC_PATHS: tuple[str, ...] = ("/openapi.json", "/openapi.yaml", "/.well-known")


def clean_path(path: str) -> str:
    """Go's ``path.Clean`` for absolute URL paths: resolve ``.``/``..``, collapse slashes."""
    cleaned = posixpath.normpath("/" + path.lstrip("/"))
    return "/" + cleaned.lstrip("/")


def is_public_path(raw_path: str, decoded_path: str, public_paths: Iterable[str]) -> bool:
    """Whether a request path is public: never when the raw path hides a ``/`` or ``.`` behind
    ``%2f``/``%2e``; else the cleaned path equals a public path or lies below it."""
    lowered = raw_path.lower()
    if "%2f" in lowered or "%2e" in lowered:
        return False
    path = clean_path(decoded_path)
    for public in (*BUILTIN_PUBLIC_PATHS, *public_paths):
        prefix = clean_path(public).rstrip("/")
        if path == prefix or path.startswith(prefix + "/"):
            return True
    return False
