"""The immutable, pre-serialised view of one registry (servers, skills and plugins), and the
lookups requests make on it."""

from __future__ import annotations

import operator
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mcp_registry_common.formats import ExtensionKind

EntryKey = tuple[str, str]
"""(server name, version): the sort and cursor key of an entry."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One server version as served: its response item already rendered to JSON bytes."""

    name: str
    version: str
    body: bytes
    """The complete `{"server": ..., "_meta": ...}` item."""
    search_text: str
    """Lower-cased name, title and description joined by NUL, for substring search."""
    updated_at: datetime
    is_latest: bool


entry_key: Callable[[Entry], EntryKey] = operator.attrgetter("name", "version")
"""An entry's (name, version): the order of a snapshot's entries, and its `keys`."""


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What a list request asks for, already validated at the HTTP edge."""

    limit: int
    after: EntryKey | None = None
    """Return only entries strictly after this key (the decoded cursor)."""
    search: str | None = None
    """Lower-cased substring to look for in name, title or description."""
    updated_since: datetime | None = None
    """Return only entries updated strictly after this instant (timezone-aware)."""
    version: str | None = None
    """`latest`, or an exact version."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of entries and the key to continue after, when more entries match."""

    entries: Sequence[Entry]
    next_after: EntryKey | None


class SortedEntries:
    """The lookups on `entries` sorted by (name, version) with their `keys`, shared by a
    registry's servers and its skills and plugins."""

    __slots__ = ()
    entries: tuple[Entry, ...]
    keys: tuple[EntryKey, ...]

    def page(self, query: ListQuery) -> Page:
        """The entries after `query.after` that pass its filters, at most `query.limit` of them."""
        entries = self.entries
        start = 0 if query.after is None else bisect_right(self.keys, query.after)
        tests = _filters(query)
        chosen: Sequence[Entry]
        if not tests:
            chosen = entries[start : start + query.limit + 1]
        else:
            matching: list[Entry] = []
            for index in range(start, len(entries)):
                entry = entries[index]
                if all(test(entry) for test in tests):
                    matching.append(entry)
                    if len(matching) > query.limit:
                        break
            chosen = matching
        if len(chosen) > query.limit:
            last = chosen[query.limit - 1]
            return Page(entries=chosen[: query.limit], next_after=(last.name, last.version))
        return Page(entries=chosen, next_after=None)

    def versions(self, name: str) -> Sequence[Entry]:
        """Every version of `name`, in version-string order; empty when the name is unknown."""
        low = bisect_left(self.keys, (name, ""))
        high = bisect_left(self.keys, (name + "\x00", ""), lo=low)
        return self.entries[low:high]

    def get(self, name: str, version: str) -> Entry | None:
        """One version of `name`; `latest` means the newest one. None when absent."""
        if version == "latest":
            return next((entry for entry in self.versions(name) if entry.is_latest), None)
        index = bisect_left(self.keys, (name, version))
        if index < len(self.keys) and self.keys[index] == (name, version):
            return self.entries[index]
        return None


@dataclass(frozen=True, slots=True)
class Items(SortedEntries):
    """A registry's skills (or plugins), sorted by (`namespace/name`, version)."""

    entries: tuple[Entry, ...] = ()
    keys: tuple[EntryKey, ...] = ()
    count: int = 0
    """Distinct `namespace/name`s."""


NO_ITEMS = Items()


@dataclass(frozen=True, slots=True)
class RegistrySnapshot(SortedEntries):
    """Everything one registry serves, sorted by (name, version); never mutated once built."""

    registry: str
    sources: tuple[str, ...]
    """The registry's sources in priority order (first wins a name)."""
    entries: tuple[Entry, ...]
    keys: tuple[EntryKey, ...]
    """`entries[i].name, entries[i].version`, for bisection."""
    etag: str
    """Hex digest of every rendered entry: equal digests mean equal responses."""
    built_at: float
    """Wall-clock seconds since the epoch when this snapshot was built."""
    server_count: int
    """Distinct server names."""
    skipped: int = 0
    """Entries dropped while building because they had no string name or version."""
    extensions: Mapping[ExtensionKind, Items] = field(default_factory=dict)
    """The registry's skills and plugins (a kind absent here has none)."""
    body_bytes: int = field(init=False)
    """Bytes of the rendered entries (what one walk of every list page carries)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "body_bytes", sum(len(entry.body) for entry in self.entries))

    def items(self, kind: ExtensionKind) -> Items:
        """The registry's skills or plugins (empty when it has none)."""
        return self.extensions.get(kind, NO_ITEMS)


def _filters(query: ListQuery) -> list[Callable[[Entry], bool]]:
    """Predicates for the filters `query` sets (an empty list when it sets none)."""
    tests: list[Callable[[Entry], bool]] = []
    version, search, since = query.version, query.search, query.updated_since
    if version == "latest":
        tests.append(lambda entry: entry.is_latest)
    elif version is not None:
        tests.append(lambda entry: entry.version == version)
    if search is not None:
        tests.append(lambda entry: search in entry.search_text)
    if since is not None:
        tests.append(lambda entry: entry.updated_at > since)
    return tests
