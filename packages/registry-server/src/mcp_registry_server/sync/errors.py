"""Errors the sync engine raises to its callers (the admin API, the CLI)."""

from __future__ import annotations


class UnknownSourceError(KeyError):
    """No source of that name is configured."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.source = source

    def __str__(self) -> str:
        return f"unknown source {self.source!r}"


class NotSyncableError(ValueError):
    """The source exists but is never synced (managed and kubernetes sources)."""

    def __init__(self, source: str, kind: str) -> None:
        super().__init__(f"source {source!r} is a {kind} source and is not synced")
        self.source = source
        self.kind = kind
