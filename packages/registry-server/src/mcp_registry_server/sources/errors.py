"""Typed fetch errors; their messages name the source location and never carry a secret."""

from __future__ import annotations

from mcp_registry_common.formats.limits import LimitKind
from mcp_registry_common.redaction import redact_url


class FetchError(Exception):
    """A source could not produce registry data."""


class SourceConfigError(FetchError):
    """The source configuration cannot be fetched as written (e.g. a path escaping the repo)."""


class SourceUnavailableError(FetchError):
    """The source could not be reached or refused the request."""


class SourceAddressError(SourceUnavailableError):
    """The private-address guard refused the source's address before connecting."""


class SourceHTTPError(SourceUnavailableError):
    """The source answered with a non-200 HTTP status."""

    def __init__(self, *, status: int, reason: str, url: str) -> None:
        label = f"HTTP {status} {reason}" if reason else f"HTTP {status}"
        super().__init__(f"{label} for URL {redact_url(url)}")
        self.status = status


class SourceTimeoutError(SourceUnavailableError):
    """The source did not answer within the configured timeout."""


class SourceAuthError(SourceUnavailableError):
    """The source rejected the configured credentials."""


class SourceNotFoundError(FetchError):
    """The source is reachable but the requested ref, path or file does not exist."""


class SourceTooLargeError(FetchError):
    """The payload exceeded a configured limit (`limit`: its bytes by default, or the JSON
    values or servers of an API source's pages); reading stopped at the limit."""

    def __init__(self, message: str, *, limit: LimitKind = "bytes") -> None:
        super().__init__(message)
        self.limit: LimitKind = limit


class SourceDataError(FetchError):
    """The source answered, but its payload is not valid registry data."""
