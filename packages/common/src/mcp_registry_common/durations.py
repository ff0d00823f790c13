"""Go `time.ParseDuration` strings ("30m", "1h30m", "1.5s") as used by ToolHive configs."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

# The same pattern ToolHive puts in its CRD; an empty string or a bare number is invalid.
GO_DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$"

_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")
_WHOLE = re.compile(GO_DURATION_PATTERN)


class DurationError(ValueError):
    """A string that is not a Go duration."""


def parse_go_duration(text: str) -> float:
    """Return the duration in seconds; raise DurationError for anything Go would reject
    (plus signs and negative durations, which make no sense for intervals and timeouts)."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text):
        raise DurationError(
            f"invalid duration {text!r}: use Go duration syntax such as '30s', '15m', '1h30m'"
        )
    return sum(float(num) * _UNIT_SECONDS[unit] for num, unit in _PART.findall(text))


def format_go_duration(seconds: float) -> str:
    """Render seconds the way Go's Duration.String() does for whole seconds ("1h30m0s")."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def _check(text: str) -> str:
    parse_go_duration(text)
    return text


GoDuration = Annotated[
    str,
    Field(pattern=GO_DURATION_PATTERN, max_length=64),
    AfterValidator(_check),
]
"""A Go duration kept as its string (so configs round-trip byte for byte)."""


def positive_duration(text: str) -> str:
    """Validator for intervals: a zero interval would spin the scheduler."""
    if parse_go_duration(text) <= 0:
        raise DurationError(f"duration {text!r} must be greater than zero")
    return text


PositiveGoDuration = Annotated[GoDuration, AfterValidator(positive_duration)]
