"""Errors a store raises, shared by every backend so callers need not import a driver."""

from __future__ import annotations


class StoreError(Exception):
    """A store operation failed for a reason other than the database being unreachable."""


class StoreUnavailableError(StoreError):
    """The backing database cannot be reached right now; retry later (readiness is false).

    `retry_after`: seconds until the store tries the database again, when it knows (the API
    sends it as `Retry-After`)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DefinitionsConflictError(StoreError):
    """A conditional save of the admin definitions found them saved by someone else since the
    revision the writer expected; nothing was written (reload, then decide again)."""
