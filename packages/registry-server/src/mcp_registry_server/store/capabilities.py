"""Optional store capabilities beyond the Store protocol: a readiness probe and a change feed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class ReadinessProbe(Protocol):
    """A store whose backing service can be down (readiness should report it)."""

    async def check(self) -> None:
        """Return when the store is usable; raise StoreUnavailableError when it is not."""


@runtime_checkable
class ChangeFeed(Protocol):
    """A store shared by several replicas that can tell one replica about another's writes."""

    async def watch_changes(
        self,
        callback: Callable[[str], Awaitable[None]],
        *,
        on_definitions: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        """Await `callback(source)` for each source another process replaced or deleted, and
        `on_definitions()` whenever another process saved the admin definitions; it returns
        the definitions revision it applied, and only that revision counts as seen (a
        consumer that raises is called again later: delivery is level-triggered, not one-shot).

        Runs until cancelled (start it as a task in a cleanup_ctx and cancel it on shutdown);
        it survives database outages on its own.
        """
