"""Which of two version strings is newer: semver when both parse (leniently), else plain text."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SEMVER = re.compile(
    r"v?(?P<major>\d+)(?:\.(?P<minor>\d+))?(?:\.(?P<patch>\d+))?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
"""Masterminds/semver's lenient form: optional `v`, one to three numbers, pre-release, build."""

_PreKey = tuple[tuple[int, int | str], ...]
_SemverKey = tuple[int, int, int, int, _PreKey]


def semver_key(version: str) -> _SemverKey | None:
    """A sort key for `version` under semver precedence, or None when it does not parse.

    Build metadata is ignored; a release sorts after all of its pre-releases; numeric
    pre-release identifiers sort numerically and before alphanumeric ones.
    """
    match = _SEMVER.fullmatch(version)
    if match is None:
        return None
    pre = match.group("pre")
    pre_key: _PreKey = ()
    if pre is not None:
        pre_key = tuple((0, int(part)) if part.isdigit() else (1, part) for part in pre.split("."))
    return (
        int(match.group("major")),
        int(match.group("minor") or 0),
        int(match.group("patch") or 0),
        0 if pre is not None else 1,
        pre_key,
    )


def is_newer(candidate: str, current: str) -> bool:
    """True when `candidate` is strictly newer than `current` (ToolHive's `IsNewerVersion`)."""
    candidate_key, current_key = semver_key(candidate), semver_key(current)
    if candidate_key is not None and current_key is not None:
        return candidate_key > current_key
    return candidate > current


def latest_of(versions: Iterable[str]) -> str | None:
    """The newest of `versions` (the first one wins a tie), or None when there are none."""
    best: str | None = None
    for version in versions:
        if best is None or is_newer(version, best):
            best = version
    return best
