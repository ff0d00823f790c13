"""Times on the wire: RFC 3339 in UTC, with microseconds and a `Z`, as both programs write them."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """`moment` converted to UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    """`moment` in UTC as RFC 3339 with microseconds and a `Z` (what Go clients parse)."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
