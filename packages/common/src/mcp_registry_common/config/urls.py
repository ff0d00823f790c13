"""Checks for the absolute http(s) URLs and file paths a server config names."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def http_url_problem(url: str) -> str | None:
    """Why `url` is not an absolute http or https URL with a host, or None if it is."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a non-numeric or out-of-range port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if not parts.scheme or not parts.hostname:
        return "must be an absolute URL with host"
    if parts.scheme not in ("http", "https"):
        return f"must use http or https scheme, got {parts.scheme!r}"
    return None


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is localhost, 127.0.0.1 or ::1 (http is fine there)."""
    return urlsplit(url).hostname in LOOPBACK_HOSTS


def absolute_path_problem(path: str) -> str | None:
    """Why `path` is not an absolute POSIX path, or None if it is."""
    return None if PurePosixPath(path).is_absolute() else "must be an absolute path"
